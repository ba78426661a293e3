"""Prompt versions for a migration's target model: written by hand, proposed by Bedrock
Prompt Optimization, or rewritten from the source prompt by a metaprompt through the judge
model. Each version keeps its parent, so the loop "evaluate, analyse failures, tweak,
re-run" can be read back as a history; each run records the version it used.
"""

from __future__ import annotations

import difflib
import uuid
from datetime import date

import duckdb
import pandas as pd

from core import formatting
from core.catalog import migrations, models
from core.errors import InputError, NotFoundError
from core.llm import clients, converse
from core.store import db, writes
from core.types import DEFAULT_REGION

METAPROMPT = """You migrate prompts between language models. Rewrite the system prompt below,
written for {source}, so that {target} follows it as closely as possible: keep every
instruction and constraint, make the output format explicit, and remove wording that only
suits the original model. Reply with the new prompt only.

<prompt>
{prompt}
</prompt>"""


def create(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    model_id: str,
    text: str,
    *,
    actor: str,
    parent_id: str | None = None,
    origin: str = "manual",
    note: str | None = None,
) -> str:
    """Store a prompt version (audited); returns its id."""
    text = (text or "").strip()
    if not text:
        raise InputError("prompt version", "the prompt text is empty")
    migrations.source_run(con, migration_id)  # raises for an unknown migration
    if parent_id is not None:
        get(con, parent_id)
    version_id = f"pv-{uuid.uuid4().hex[:8]}"
    with db.transaction(con):
        models.ensure(con, model_id)
        con.execute(
            "INSERT INTO prompt_version (prompt_version_id, model_id, text, parent_id, origin,"
            " created_by, migration_id, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [version_id, model_id, text, parent_id, origin, actor, migration_id, note],
        )
        writes.audit(
            con,
            actor,
            "create_prompt_version",
            "prompt_version",
            version_id,
            after={
                "migration_id": migration_id,
                "model_id": model_id,
                "parent_id": parent_id,
                "origin": origin,
            },
        )
    return version_id


def get(con: duckdb.DuckDBPyConnection, version_id: str) -> dict:
    row = con.execute(
        "SELECT prompt_version_id, model_id, text, parent_id, origin, note, created_at,"
        " created_by, migration_id FROM prompt_version WHERE prompt_version_id = ?",
        [version_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no prompt version {version_id!r}")
    keys = (
        "prompt_version_id",
        "model_id",
        "text",
        "parent_id",
        "origin",
        "note",
        "created_at",
        "created_by",
        "migration_id",
    )
    return dict(zip(keys, row, strict=True))


def versions(con: duckdb.DuckDBPyConnection, migration_id: str) -> pd.DataFrame:
    return con.execute(
        "SELECT prompt_version_id, model_id, origin, parent_id, note, created_at, created_by,"
        " text FROM prompt_version WHERE migration_id = ? ORDER BY created_at",
        [migration_id],
    ).df()


def diff(con: duckdb.DuckDBPyConnection, old_id: str, new_id: str) -> str:
    """A unified diff of two versions' texts, line by line."""
    old, new = get(con, old_id), get(con, new_id)
    return "\n".join(
        difflib.unified_diff(
            old["text"].splitlines(),
            new["text"].splitlines(),
            fromfile=old_id,
            tofile=new_id,
            lineterm="",
        )
    )


def optimize(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    parent_id: str,
    target_model_id: str,
    *,
    actor: str,
    client=None,
    region: str = DEFAULT_REGION,
    endpoint_url: str | None = None,
) -> tuple[str, list[str]]:
    """Ask Bedrock Prompt Optimization (bedrock-agent-runtime ``optimize_prompt``) to adapt
    a version for the target model; store the result as a child version. Returns its id and
    the service's analysis messages. The response is an event stream: analyzePromptEvent
    messages, then optimizedPromptEvent with the new prompt."""
    parent = get(con, parent_id)
    client = client or clients.agent_runtime(region, endpoint_url)
    analysis, optimized = [], None
    with clients.mapped("Bedrock Prompt Optimization"):
        response = client.optimize_prompt(
            input={"textPrompt": {"text": parent["text"]}}, targetModelId=target_model_id
        )
        for event in response["optimizedPrompt"]:
            if "analyzePromptEvent" in event:
                analysis.append(event["analyzePromptEvent"].get("message", ""))
            elif "optimizedPromptEvent" in event:
                prompt = event["optimizedPromptEvent"].get("optimizedPrompt", {})
                optimized = prompt.get("textPrompt", {}).get("text")
    if not optimized:
        raise InputError("prompt optimization", "the service returned no optimized prompt")
    version_id = create(
        con,
        migration_id,
        target_model_id,
        optimized,
        actor=actor,
        parent_id=parent_id,
        origin="optimizer",
        note="; ".join(a for a in analysis if a) or None,
    )
    return version_id, analysis


def metaprompt(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    parent_id: str,
    target_model_id: str,
    judge_model_id: str,
    *,
    actor: str,
    client=None,
    region: str = DEFAULT_REGION,
    endpoint_url: str | None = None,
) -> str:
    """Rewrite a (source) prompt for the target model through the judge model (Converse)."""
    parent = get(con, parent_id)
    client = client or clients.bedrock_runtime(region, endpoint_url)
    request = METAPROMPT.format(
        source=parent["model_id"], target=target_model_id, prompt=parent["text"]
    )
    with clients.mapped(f"the metaprompt through {judge_model_id}"):
        text = converse.converse_text(client, judge_model_id, request).strip()
    if not text:
        raise InputError("metaprompt", "the judge model returned no prompt")
    return create(
        con,
        migration_id,
        target_model_id,
        text,
        actor=actor,
        parent_id=parent_id,
        origin="metaprompt",
        note=f"rewritten by {judge_model_id}",
    )


def runs_by_version(con: duckdb.DuckDBPyConnection, migration_id: str) -> pd.DataFrame:
    """The migration dataset's runs grouped by prompt version: judge pass rate per metric,
    TTFT and latency medians, errors and cost per query at today's prices."""
    return con.execute(
        """
        WITH price AS (SELECT * FROM prices_in_force(?)),
        per_run AS (
            SELECT r.run_id, r.name, r.model_id, r.prompt_version_id, r.created_at, p.currency,
                   count(o.item_id) AS outputs, count(o.error) AS errors,
                   median(o.ttft_ms) AS ttft_p50_ms, median(o.latency_ms) AS latency_p50_ms,
                   avg(o.input_tokens * p.input_per_1k / 1000
                       + o.output_tokens * p.output_per_1k / 1000
                       + coalesce(o.retrieval_cost, 0)) AS cost_per_query
            FROM run r JOIN migration m ON m.dataset_id = r.dataset_id
            LEFT JOIN output o ON o.run_id = r.run_id
            LEFT JOIN price p ON p.model_id = r.model_id
            WHERE m.migration_id = ?
            GROUP BY ALL
        ),
        quality AS (
            SELECT run_id, string_agg(metric || ' ' || round(100 * rate, 1) || '%', ', '
                                      ORDER BY metric) AS judge_pass_rates
            FROM (SELECT run_id, metric, avg(passed::INT) AS rate FROM judge_score
                  GROUP BY ALL)
            GROUP BY run_id
        )
        SELECT coalesce(pr.prompt_version_id, '(none)') AS prompt_version, pv.origin,
               pr.name AS run, pr.model_id, q.judge_pass_rates, pr.outputs, pr.errors,
               round(pr.ttft_p50_ms) AS ttft_p50_ms, round(pr.latency_p50_ms) AS latency_p50_ms,
               pr.cost_per_query, pr.currency, pr.run_id
        FROM per_run pr
        LEFT JOIN quality q USING (run_id)
        LEFT JOIN prompt_version pv ON pv.prompt_version_id = pr.prompt_version_id
        ORDER BY pv.created_at NULLS FIRST, pr.created_at
        """,
        [date.today(), migration_id],
    ).df()


def runs_by_version_shown(table: pd.DataFrame) -> pd.DataFrame:
    """``runs_by_version`` as people read it: cost with its currency, headings humanised,
    no ids."""
    shown = table.copy()
    shown["cost_per_query"] = [
        formatting.money(cost, currency)
        for cost, currency in zip(shown["cost_per_query"], shown["currency"], strict=True)
    ]
    return formatting.table(shown.drop(columns=["run_id", "currency"]))
