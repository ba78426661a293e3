"""Running a model over a frozen golden dataset: Bedrock ``ConverseStream`` through boto3,
or an OpenAI-compatible endpoint.

Calls run on a bounded thread pool; only the calling thread touches DuckDB (a connection
is not shared across threads), writing finished items in small transactions, so an
interrupted run keeps what it finished and a re-run resumes with the rest. TTFT is the
time from sending the request to the first content delta; latency runs to the end of the
stream (``core.llm.converse`` makes the calls). A throttled call is retried with
exponential backoff and jitter; any other failure is recorded on its item and the run goes on.
"""

from __future__ import annotations

import json
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import duckdb
import pandas as pd

from core.catalog import datasets, pricing, runs
from core.errors import InputError, NotFoundError
from core.llm import converse
from core.llm.converse import Call
from core.store import db, writes
from core.types import DEFAULT_REGION, PROVIDERS, Provider, RunRole

Progress = Callable[[float, str], None]
BATCH = 25  # items per write transaction


@dataclass(frozen=True)
class ModelConfig:
    """What a run calls, and how. Nothing secret: credentials come from boto3's chain (or,
    for an OpenAI-compatible endpoint, from the environment variable named here)."""

    model_id: str
    provider: Provider = "bedrock"  # or "openai" (an OpenAI-compatible chat completions endpoint)
    region: str = DEFAULT_REGION
    temperature: float = 0.0
    top_p: float = 0.9
    max_tokens: int = 512
    prompt_version_id: str | None = None
    endpoint_url: str | None = None  # Bedrock: a private or fake endpoint; OpenAI: base URL
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 8
    timeout_s: float = 60.0
    max_attempts: int = 6

    def validate(self) -> None:
        if self.provider not in PROVIDERS:
            raise InputError("run", f"provider must be bedrock or openai, got {self.provider!r}")
        if self.provider == "openai" and not self.endpoint_url:
            raise InputError("run", "an OpenAI-compatible provider needs its base URL")
        checks = (
            (0 <= self.temperature <= 1, "temperature must be in 0-1"),
            (0 < self.top_p <= 1, "top_p must be in (0, 1]"),
            (self.max_tokens >= 1, "max_tokens must be at least 1"),
            (1 <= self.concurrency <= 256, "concurrency must be 1-256"),
            (self.timeout_s > 0, "timeout must be positive"),
            (self.max_attempts >= 1, "max_attempts must be at least 1"),
        )
        for ok, message in checks:
            if not ok:
                raise InputError("run", message)

    def recorded(self) -> dict:
        """The configuration stored on the run (no secrets; none are held here)."""
        keep = ("provider", "region", "temperature", "top_p", "max_tokens", "endpoint_url")
        return {k: v for k, v in asdict(self).items() if k in keep}


@dataclass
class RunResult:
    run_id: str
    done: int
    failed: int
    skipped: int  # finished earlier: a resumed run skips them
    cost: float | None
    currency: str | None
    wall_s: float
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        cost = f"; cost {self.cost:.4f} {self.currency}" if self.cost is not None else ""
        return (
            f"{self.run_id}: {self.done} answered, {self.failed} failed, {self.skipped} "
            f"already done, in {self.wall_s:.1f} s{cost}"
        )


# --- preparing the calls ----------------------------------------------------------------------


def prompt_text(con: duckdb.DuckDBPyConnection, prompt_version_id: str | None) -> str | None:
    if prompt_version_id is None:
        return None
    row = con.execute(
        "SELECT text FROM prompt_version WHERE prompt_version_id = ?", [prompt_version_id]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no prompt version {prompt_version_id!r}")
    return row[0]


def pending(
    con: duckdb.DuckDBPyConnection, run_id: str, part: int = 0, parts: int = 1
) -> tuple[list[tuple], int]:
    """(item_id, prompt, context) of the items still to answer, and how many are done. An
    item is done when it has an output without an error; failed items are tried again.
    With ``parts`` > 1 only the items of ``part`` (every parts-th item in item order, from
    the part-th): workers that each take a part never ask for the same item."""
    rows = con.execute(
        "SELECT item_id, prompt, context FROM (SELECT i.item_id, i.prompt, i.context,"
        " row_number() OVER (ORDER BY i.item_id) - 1 AS position FROM run r JOIN item i"
        " ON i.dataset_id = r.dataset_id WHERE r.run_id = ?) t"
        " WHERE position % ? = ? AND item_id NOT IN"
        " (SELECT item_id FROM output WHERE run_id = ? AND error IS NULL) ORDER BY item_id",
        [run_id, parts, part, run_id],
    ).fetchall()
    done = db.scalar(
        con, "SELECT count(*) FROM output WHERE run_id = ? AND error IS NULL", [run_id]
    )
    return rows, done


def create(
    con: duckdb.DuckDBPyConnection,
    dataset_id: str,
    config: ModelConfig,
    *,
    actor: str,
    name: str | None = None,
    role: RunRole = "candidate",
) -> str:
    """Register a run of ``config`` over a frozen dataset version (nothing is called yet)."""
    config.validate()
    info = datasets.get(con, dataset_id)
    if info["frozen_at"] is None:
        raise InputError(
            "run",
            f"{dataset_id} is not frozen: freeze it (or start a migration on it) so every "
            "model answers the same items",
        )
    prompt_text(con, config.prompt_version_id)  # it must exist
    spec = runs.RunSpec(
        dataset_id,
        config.model_id,
        name=name or f"{config.model_id} ({config.provider})",
        role=role,
        prompt_version_id=config.prompt_version_id,
        config=config.recorded(),
        origin=config.provider,
    )
    with db.transaction(con):
        run_id = runs.create_run(con, spec, None, actor)
        writes.audit(
            con,
            actor,
            "create_run",
            "run",
            run_id,
            after={"dataset": dataset_id, **config.recorded()},
        )
    return run_id


# --- estimating before spending -----------------------------------------------------------------


def dry_run(con: duckdb.DuckDBPyConnection, dataset_id: str, config: ModelConfig) -> dict:
    """Tokens and cost of running ``config`` over the dataset, estimated without a call:
    input tokens as characters / 4 (system prompt included); output tokens as the mean of
    earlier runs of this dataset, else half of max_tokens."""
    system = prompt_text(con, config.prompt_version_id) or ""
    items, characters = con.execute(
        "SELECT count(*), coalesce(sum(length(prompt) + coalesce(length(context), 0) + ?), 0)"
        " FROM item WHERE dataset_id = ?",
        [len(system) + 24, dataset_id],
    ).fetchone() or (0, 0)
    if items == 0:
        raise InputError("run", f"{dataset_id} has no items")
    seen = db.scalar(
        con,
        "SELECT avg(o.output_tokens) FROM output o JOIN run r USING (run_id)"
        " WHERE r.dataset_id = ? AND o.output_tokens > 0",
        [dataset_id],
    )
    out_each = min(float(seen), config.max_tokens) if seen else config.max_tokens / 2
    tokens_in = math.ceil(characters / 4)
    tokens_out = math.ceil(out_each * items)
    price = pricing.prices(con).set_index("model_id")
    estimate = {
        "items": items,
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "cost": None,
        "currency": None,
    }
    if config.model_id in price.index:
        p = price.loc[config.model_id]
        estimate["cost"] = (tokens_in * p.input_per_1k + tokens_out * p.output_per_1k) / 1000
        estimate["currency"] = p.currency
    return estimate


# --- running ------------------------------------------------------------------------------


def execute(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    config: ModelConfig,
    *,
    client=None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    part: int = 0,
    parts: int = 1,
) -> RunResult:
    """Answer every pending item of the run (of its ``part``, see ``pending``); finished
    items are written as they come.

    ``stop`` lets a caller interrupt: calls in flight finish and are written, the rest stay
    pending for the next call of ``execute``.
    """
    config.validate()
    started = time.perf_counter()
    items, done_before = pending(con, run_id, part, parts)
    system = prompt_text(con, config.prompt_version_id)
    if config.provider == "bedrock" and client is None:
        client = converse.runtime_client(config)
    results: queue.Queue[Call] = queue.Queue()
    stop = stop or threading.Event()

    def work(item: tuple) -> None:
        if stop.is_set():
            return
        results.put(converse.answer(client, config, system, item))

    with ThreadPoolExecutor(max_workers=config.concurrency) as pool:
        futures = [pool.submit(work, item) for item in items]
        calls = _collect(con, run_id, futures, results, len(items), progress)
    failed = [c for c in calls if c.error]
    cost, currency = run_cost(con, run_id)
    return RunResult(
        run_id,
        len(calls) - len(failed),
        len(failed),
        done_before,
        cost,
        currency,
        time.perf_counter() - started,
        [f"{c.item_id}: {c.error}" for c in failed[:20]],
    )


def _collect(con, run_id: str, futures, results: queue.Queue, total: int, progress) -> list[Call]:
    """Write answers in batches as the workers finish them (only this thread touches
    DuckDB); every call written, in the order written."""
    calls: list[Call] = []
    failed = 0
    while len(calls) < total:
        batch = _drain(results)
        if not batch:
            if all(f.done() for f in futures) and results.empty():
                break
            continue
        _write(con, run_id, batch)
        calls += batch
        failed += sum(1 for c in batch if c.error)
        if progress:
            progress(len(calls) / max(1, total), f"{len(calls)} of {total} items ({failed} failed)")
    return calls


def _drain(results: queue.Queue) -> list[Call]:
    batch = []
    try:
        batch.append(results.get(timeout=0.2))
        while len(batch) < BATCH:
            batch.append(results.get_nowait())
    except queue.Empty:
        pass
    return batch


def _write(con, run_id: str, batch: Iterable[Call]) -> None:
    """The batch of answers, in one transaction of its own."""
    with db.transaction(con):
        insert_calls(con, run_id, batch)


def insert_calls(con: duckdb.DuckDBPyConnection, run_id: str, calls: Iterable[Call]) -> None:
    """Replace the items' earlier (failed) outputs with these calls, inside the caller's
    transaction: the one writer of a run's outputs (the batch importer uses it too)."""
    rows = [
        [
            run_id,
            c.item_id,
            c.text,
            c.ttft_ms,
            c.latency_ms,
            c.input_tokens,
            c.output_tokens,
            c.error,
            c.stop_reason,
            c.service_latency_ms,
            c.attempts,
            None if c.breakdown is None else json.dumps(c.breakdown),
        ]
        for c in calls
    ]
    if not rows:
        return
    con.execute(
        "DELETE FROM output WHERE run_id = ? AND item_id IN (SELECT unnest(?))",
        [run_id, [r[1] for r in rows]],
    )
    con.executemany(
        "INSERT INTO output (run_id, item_id, text, ttft_ms, latency_ms, input_tokens,"
        " output_tokens, error, stop_reason, service_latency_ms, attempts, calls)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def run_cost(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[float | None, str | None]:
    """What the run's answered items cost at the catalog price in force today, times the
    run's recorded price factor (a batch job's discount; 1 for calls made one at a time)."""
    model_id, config = con.execute(
        "SELECT model_id, config FROM run WHERE run_id = ?", [run_id]
    ).fetchone() or (None, "{}")
    price = pricing.prices(con).set_index("model_id")
    if model_id not in price.index:
        return None, None
    p = price.loc[model_id]
    factor = float((json.loads(config).get("price") or {}).get("factor", 1.0))
    tokens_in, tokens_out = con.execute(
        "SELECT coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0) FROM output"
        " WHERE run_id = ?",
        [run_id],
    ).fetchone() or (0, 0)
    cost = (tokens_in * p.input_per_1k + tokens_out * p.output_per_1k) / 1000
    return cost * factor, p.currency


def unfinished(con: duckdb.DuckDBPyConnection, dataset_id: str) -> pd.DataFrame:
    """Runs Switchyard made on the dataset that still have items to answer (or retry)."""
    return (
        con.execute(
            """
        SELECT r.run_id, r.name, r.model_id, r.origin AS provider, r.created_at,
               count(o.item_id) FILTER (WHERE o.error IS NULL) AS answered,
               count(o.item_id) FILTER (WHERE o.error IS NOT NULL) AS failed,
               d.item_count AS items
        FROM run r JOIN dataset d USING (dataset_id)
        LEFT JOIN output o ON o.run_id = r.run_id
        WHERE r.dataset_id = ? AND list_contains(?, r.origin)
        GROUP BY ALL
        HAVING count(o.item_id) FILTER (WHERE o.error IS NULL) < d.item_count
        ORDER BY r.created_at
        """,
            [dataset_id, list(PROVIDERS)],
        )
        .df()
        .drop(columns=["created_at"])
    )


def config_of(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    origins: tuple[str, ...] = PROVIDERS,
    **overrides,
) -> ModelConfig:
    """The configuration a run was made with, to resume it (``overrides``: e.g. concurrency);
    ``origins``: the kinds of run the caller resumes (the batch runner passes its own)."""
    row = con.execute(
        "SELECT model_id, prompt_version_id, config, origin FROM run WHERE run_id = ?", [run_id]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no run {run_id!r}")
    stored = json.loads(row[2])
    if row[3] not in origins:
        raise InputError("run", f"{run_id} was imported, not run by Switchyard: nothing to resume")
    known = {k: stored[k] for k in ModelConfig.__dataclass_fields__ if k in stored}
    return ModelConfig(row[0], prompt_version_id=row[1], **{**known, **overrides})
