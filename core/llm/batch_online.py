"""TTFT and latency for a batch run, measured on a stratified sample of its items.

A batch job times nothing per call. Here N of the items the job answered, drawn per stratum
in proportion to the stratum's size (largest remainders; seeded by the run id, so a second
call draws the same items), are sent once more through the streaming runner's own call
(``converse.answer``: ConverseStream, TTFT to the first content delta). Each measured item
keeps its batch answer, tokens and cost; its ``ttft_ms``, ``latency_ms`` and
``service_latency_ms`` come from the streamed call, whose own tokens and stop reason join the
output's ``calls`` breakdown. The other items stay NULL, so latency figures describe the
sample, as the run's configuration says. Items already measured are not called again.
"""

from __future__ import annotations

import hashlib
import json
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import numpy as np

from core.errors import InputError
from core.llm import batch, converse, runner
from core.llm.converse import Call
from core.llm.runner import ModelConfig
from core.store import db, writes


@dataclass(frozen=True)
class OnlineSample:
    run_id: str
    allocation: dict[str, int]  # stratum -> items drawn
    measured: int  # measured by this call
    already: int  # measured before
    failed: list[str]

    def summary(self) -> str:
        strata = ", ".join(f"{s} {n}" for s, n in sorted(self.allocation.items()))
        return (
            f"online sample of {sum(self.allocation.values())} items ({strata}):"
            f" {self.measured} measured now, {self.already} before, {len(self.failed)} failed"
        )


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """n_h = n N_h / N rounded down, the remaining items to the largest remainders (ties: the
    stratum's name), never more than N_h."""
    total = sum(sizes.values())
    n = min(n, total)
    quotas = {s: n * size / total for s, size in sizes.items()} if total else {}
    taken = {s: min(sizes[s], math.floor(q)) for s, q in quotas.items()}
    order = sorted(quotas, key=lambda s: (-(quotas[s] - math.floor(quotas[s])), s))
    while sum(taken.values()) < n:
        for s in order:
            if sum(taken.values()) < n and taken[s] < sizes[s]:
                taken[s] += 1
    return {s: k for s, k in taken.items() if k}


def draw(items: list[tuple[str, str]], n: int, seed: int) -> tuple[list[str], dict[str, int]]:
    """(item ids, allocation) of a stratified simple random sample of ``items`` (item, stratum)."""
    by_stratum: dict[str, list[str]] = {}
    for item_id, stratum in sorted(items):
        by_stratum.setdefault(stratum, []).append(item_id)
    allocation = allocate({s: len(m) for s, m in by_stratum.items()}, n)
    rng = np.random.default_rng(seed)
    chosen = []
    for stratum in sorted(allocation):
        members = by_stratum[stratum]
        picks = rng.choice(len(members), size=allocation[stratum], replace=False)
        chosen += [members[i] for i in sorted(picks)]
    return chosen, allocation


def measure(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    n: int,
    config: ModelConfig,
    *,
    actor: str,
    client=None,
) -> OnlineSample:
    """Stream ``n`` sampled items of an imported batch run; write their timings in one
    transaction (a failed call leaves its item unmeasured and is reported)."""
    batch.stored(con, run_id)  # a batch run
    if n < 1:
        raise InputError("--online-sample", f"expected a number of items ≥ 1, got {n}")
    rows = con.execute(
        "SELECT i.item_id, i.stratum, i.prompt, i.context, o.ttft_ms IS NOT NULL, o.calls"
        " FROM output o JOIN run r USING (run_id) JOIN item i ON i.dataset_id = r.dataset_id"
        " AND i.item_id = o.item_id WHERE o.run_id = ? AND o.error IS NULL ORDER BY i.item_id",
        [run_id],
    ).fetchall()
    if not rows:
        raise InputError("--online-sample", f"{run_id} has no answered outputs to time")
    seed = int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:4], "big")
    chosen, allocation = draw([(r[0], r[1]) for r in rows], n, seed)
    by_id = {r[0]: r for r in rows}
    todo = [by_id[i] for i in chosen if not by_id[i][4]]
    client = client or converse.runtime_client(config)
    system = runner.prompt_text(con, config.prompt_version_id)
    with ThreadPoolExecutor(max_workers=config.concurrency) as pool:
        calls = list(
            pool.map(lambda r: converse.answer(client, config, system, (r[0], r[2], r[3])), todo)
        )
    good = [c for c in calls if c.error is None]
    _write(con, run_id, good, {r[0]: r[5] for r in todo}, actor, allocation)
    return OnlineSample(
        run_id,
        allocation,
        len(good),
        len(chosen) - len(todo),
        [f"{c.item_id}: {c.error}" for c in calls if c.error],
    )


def _write(con, run_id: str, calls: list[Call], earlier: dict, actor: str, allocation) -> None:
    """The streamed timings onto the batch outputs, the streamed call into ``calls``."""
    rows = []
    for c in calls:
        breakdown = json.loads(earlier[c.item_id]) if earlier.get(c.item_id) else []
        breakdown.append(
            {
                "via": "online sample (ConverseStream)",
                "ttft_ms": c.ttft_ms,
                "latency_ms": c.latency_ms,
                "input_tokens": c.input_tokens,
                "output_tokens": c.output_tokens,
                "stop_reason": c.stop_reason,
            }
        )
        rows.append(
            [
                c.ttft_ms,
                c.latency_ms,
                c.service_latency_ms,
                json.dumps(breakdown),
                run_id,
                c.item_id,
            ]
        )
    with db.transaction(con):
        if rows:
            con.executemany(
                "UPDATE output SET ttft_ms = ?, latency_ms = ?, service_latency_ms = ?, calls = ?"
                " WHERE run_id = ? AND item_id = ?",
                rows,
            )
        writes.audit(
            con,
            actor,
            "measure_online_sample",
            "run",
            run_id,
            after={"allocation": allocation, "measured": [c.item_id for c in calls]},
        )
