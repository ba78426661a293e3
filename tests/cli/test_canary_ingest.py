"""`python -m core canary ingest` and `canary arm`: a line per file and the total, the
second run skipping what it ingested, --json for scripts, and one `error:` line on failure."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import cli
from core.store import db
from tests.conftest import DATA, ROOT, SOURCE_MODEL, TARGET_MODEL, golden_migration
from tests.core.importers.canary.conftest import CREATED

REAL = DATA / "real" / "canary"


@pytest.fixture
def database(tmp_path) -> tuple[str, str]:
    path = str(tmp_path / "canary.duckdb")
    con = db.connect(path)
    mig = golden_migration(con, prices=False)
    con.execute("UPDATE migration SET created_at = ? WHERE migration_id = ?", [CREATED, mig])
    con.close()
    return path, mig


def test_ingest_prints_each_file_then_the_total_and_skips_it_the_second_time(database, capsys):
    path, mig = database
    source = str(REAL / "otel_genai_spans.jsonl")
    assert cli.main(["--db", path, "canary", "ingest", source, "--migration", mig]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{source}: 3 requests, 2 scores (otlp)"
    assert any("without input or output token counts" in line for line in out)
    assert out[-1] == f"3 requests and 2 scores ingested for {mig} from 1 file(s); 0 skipped"
    assert cli.main(["--db", path, "canary", "ingest", source, "--migration", mig]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{source}: skipped, ingested before (same content")
    assert out[-1] == f"0 requests and 0 scores ingested for {mig} from 0 file(s); 1 skipped"


def test_ingest_json_for_scripts(database, capsys):
    path, mig = database
    argv = ["--db", path, "canary", "ingest", str(REAL / "bedrock"), "--migration", mig]
    assert cli.main([*argv, "--format", "bedrock", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["requests"], result["skipped"]) == (3, 0)
    assert result["files"][0]["format"] == "bedrock"


def test_a_refused_file_is_one_error_line_and_exit_1(database, tmp_path):
    path, mig = database
    bad = DATA / "bad" / "canary_bedrock_cut.json.gz"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "--db",
            path,
            "canary",
            "ingest",
            str(bad),
            "--migration",
            mig,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {bad}, line ") and done.stderr.count("\n") == 1
    assert "gzip stream is cut short" in done.stderr


def test_arm_maps_another_spelling_and_lists_the_map(database, capsys):
    path, mig = database
    argv = ["--db", path, "canary", "arm", "--migration", mig]
    assert cli.main([*argv, "--model", "us.amazon.nova-pro-v1:0", "--arm", "canary"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"canary: {TARGET_MODEL}",
        "canary: us.amazon.nova-pro-v1:0",
        f"control: {SOURCE_MODEL}",
    ]
    assert cli.main([*argv, "--model", SOURCE_MODEL, "--arm", "canary"]) == 1
    assert "is already mapped to the control arm" in capsys.readouterr().err
