"""Settings declared as data: each has an environment variable, a default and one line of help."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


SETTINGS = {
    "db_path": Setting(
        "SWITCHYARD_DB",
        str(ROOT / "data" / "switchyard.duckdb"),
        "DuckDB file the app and CLI use; ':memory:' for a throwaway database.",
    ),
    "demo_seed": Setting(
        "SWITCHYARD_DEMO_SEED",
        "20261126",
        "Seed of the demo migration created on first start.",
    ),
    "demo_on_empty": Setting(
        "SWITCHYARD_DEMO",
        "1",
        "Create the demo migration when the app starts on an empty database (0 to skip).",
    ),
    "auth_file": Setting(
        "SWITCHYARD_AUTH_FILE",
        "",
        "Sign-in configuration (cookie, first users); default config/auth.yaml, else the "
        "shipped example with the demo users.",
    ),
    "cookie_key": Setting(
        "SWITCHYARD_COOKIE_KEY",
        "",
        "Secret that signs the sign-in cookie; overrides the configuration file's key.",
    ),
    "session_hours": Setting(
        "SWITCHYARD_SESSION_HOURS",
        "12",
        "How long a sign-in lasts, in hours; sign-out, a password or role change and "
        "disabling the user end it sooner.",
    ),
    "run_concurrency": Setting(
        "SWITCHYARD_RUN_CONCURRENCY",
        "8",
        "Model calls in flight at once when Switchyard runs a model or a judge.",
    ),
    "max_file_mb": Setting(
        "SWITCHYARD_MAX_FILE_MB",
        "1024",
        "Largest input file an import reads, in MB (as large as an upload may be).",
    ),
    "max_field_kb": Setting(
        "SWITCHYARD_MAX_FIELD_KB",
        "1024",
        "Largest text field (a prompt, output, context, note) an import accepts, in KB.",
    ),
    "max_json_depth": Setting(
        "SWITCHYARD_MAX_JSON_DEPTH",
        "64",
        "Deepest nesting of JSON arrays and objects an input file may hold.",
    ),
    "canary_critical_checks": Setting(
        "SWITCHYARD_CANARY_CRITICAL",
        "quality_judge,quality_sme,ttft_p50,ttft_p90,latency_p50,latency_p90,error_rate,"
        "sme_flags,cost_per_request",
        "Canary checks whose crossing means ROLL BACK (comma-separated); any other check "
        "that crosses holds the stage for review.",
    ),
    "app_worker": Setting(
        "SWITCHYARD_APP_WORKER",
        "1",
        "Run queued jobs (model runs, judge scoring, evaluations) on a thread of the app "
        "(0: leave them to `python -m core worker`).",
    ),
    "user": Setting(
        "SWITCHYARD_USER",
        "",
        "Name the CLI records as the actor in the audit table (default: the OS user).",
    ),
}


def get(name: str) -> str:
    """The setting's value from the environment, else its default."""
    setting = SETTINGS[name]
    return os.environ.get(setting.env, setting.default)


def db_path() -> str:
    return get("db_path")
