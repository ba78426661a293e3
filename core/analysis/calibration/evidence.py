"""What calibration reads from the database, read once: the only SQL of the analysis.

``load`` returns a run's judge/SME pairs for one metric and the judge's pass rate over every
scored item; ``load_sme`` the labels of items several SMEs labelled. The statistics take these
and no connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import duckdb
import pandas as pd

from core.catalog import metrics
from core.types import PASS_SCORE


@dataclass(frozen=True)
class Evidence:
    """One judge metric on one run: every SME label beside the judge's score and verdict.

    ``pairs`` has one row per label: item_id, reviewer, sme_score, sme_pass, judge_score,
    judge_pass, threshold, direction, judge_version, origin, sample_id, inclusion_prob,
    design_stratum ("<stratum>/<pool>", None outside a sample), stratum_size, weight
    (1 / inclusion probability / labels on the item), stratum; with ``details`` also notes,
    failure_modes and the judge's explanation.
    """

    run_id: str
    metric: str
    pairs: pd.DataFrame
    judge_pass_rate: float | None  # over every scored item of the run, labelled or not
    strata: dict[str, int] = field(default_factory=dict)  # N_h of the samples' design strata

    def select(self, pairs: pd.DataFrame) -> Evidence:
        """The same evidence narrowed to some of its pairs (a stratum, a majority vote)."""
        return replace(self, pairs=pairs)


@dataclass(frozen=True)
class SmeEvidence:
    """Labels of the items at least two SMEs labelled: item_id, reviewer, passed, score,
    stratum (the sample's, 'all' outside a sample)."""

    run_id: str
    labels: pd.DataFrame


_PAIRS = """
    SELECT j.metric, l.item_id, l.reviewer, l.score AS sme_score,
           coalesce(l.passed, l.score >= ?) AS sme_pass, {texts}
           l.origin, l.sample_id, j.score AS judge_score,
           {verdict} AS judge_pass,
           coalesce(rm.direction, 'higher') AS direction,
           coalesce(t.threshold, j.threshold) AS threshold,
           coalesce(j.judge || ' ' || j.judge_version, j.judge) AS judge_version,
           si.inclusion_prob, si.stratum || '/' || si.pool AS design_stratum,
           si.stratum_size,
           1 / si.inclusion_prob / count(*) OVER (PARTITION BY j.metric, l.item_id) AS weight,
           i.stratum
    FROM label l
    JOIN judge_score j ON j.run_id = l.run_id AND j.item_id = l.item_id
         AND j.metric IN (SELECT unnest(?))
    JOIN run r ON r.run_id = l.run_id
    JOIN item i ON i.dataset_id = r.dataset_id AND i.item_id = l.item_id
    LEFT JOIN sample_item si ON si.sample_id = l.sample_id AND si.item_id = l.item_id
    LEFT JOIN (SELECT DISTINCT ON (metric, run_id) metric, run_id, threshold
               FROM judge_threshold ORDER BY metric, run_id, set_at DESC) t
      ON t.metric = j.metric AND t.run_id = j.run_id
    {run_metric_join}
    WHERE l.run_id = ? AND (l.score IS NOT NULL OR l.passed IS NOT NULL)
    ORDER BY j.metric, l.item_id, l.reviewer, l.sample_id NULLS FIRST, l.label_id
"""


def pairs(
    con: duckdb.DuckDBPyConnection, run_id: str, metric: str, details: bool = True
) -> pd.DataFrame:
    """Every SME label of the run's outputs beside the judge's score and verdict.

    ``details`` adds the texts a person reads (notes, failure modes, the judge's
    explanation); the statistics do not need them.
    """
    return pairs_of(con, run_id, [metric], details)[metric]


def pairs_of(
    con: duckdb.DuckDBPyConnection, run_id: str, names: list[str], details: bool = True
) -> dict[str, pd.DataFrame]:
    """``pairs`` of several metrics in one read (metric -> its pairs, empty when none)."""
    query = _PAIRS.format(
        texts="l.notes, l.failure_modes, j.explanation," if details else "",
        verdict=metrics.VERDICT_SQL,
        run_metric_join=metrics.RUN_METRIC_JOIN,
    )
    frame = con.execute(query, [PASS_SCORE, list(names), run_id]).df()
    return {
        name: frame[frame["metric"] == name].drop(columns="metric").reset_index(drop=True)
        for name in names
    }


def pass_rates(
    con: duckdb.DuckDBPyConnection, run_id: str, names: list[str]
) -> dict[str, float | None]:
    """The judge's pass rate of each metric over every item it scored on the run."""
    # every metric of the run in one scan: a list of metrics to match costs PostgreSQL more
    rows = con.execute(
        "SELECT metric, avg(CASE WHEN passed THEN 1.0 ELSE 0.0 END) FROM judge_score"
        " WHERE run_id = ? GROUP BY metric",
        [run_id],
    ).fetchall()
    found = {m: None if rate is None else float(rate) for m, rate in rows}
    return {name: found.get(name) for name in names}


def load(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    metric: str,
    *,
    details: bool = True,
    frame: pd.DataFrame | None = None,
) -> Evidence:
    """The evidence for one metric on one run; ``frame``: pairs already read (and perhaps
    narrowed by a page), so they are not read again."""
    rate = pass_rates(con, run_id, [metric])[metric]
    chosen = pairs(con, run_id, metric, details) if frame is None else frame
    return Evidence(run_id, metric, chosen, rate, design_strata(con, chosen))


def design_strata(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> dict[str, int]:
    """N_h of every design stratum of the samples the labels came from, labelled or not."""
    samples = sorted(set(frame["sample_id"].dropna()) if "sample_id" in frame else set())
    if not samples:
        return {}
    rows = con.execute(
        "SELECT stratum || '/' || pool, max(stratum_size) FROM sample_item"
        " WHERE list_contains(?, sample_id) GROUP BY 1",
        [samples],
    ).fetchall()
    return {str(h): int(n) for h, n in rows}


def load_sme(con: duckdb.DuckDBPyConnection, run_id: str) -> SmeEvidence:
    """The labels of every item of the run that two or more SMEs labelled."""
    frame = con.execute(
        "SELECT l.item_id, l.reviewer, coalesce(l.passed, l.score >= ?) AS passed, l.score,"
        " coalesce(si.stratum, 'all') AS stratum FROM label l LEFT JOIN sample_item si"
        " ON si.sample_id = l.sample_id AND si.item_id = l.item_id WHERE l.run_id = ? AND"
        " l.item_id IN (SELECT item_id FROM label WHERE run_id = ? GROUP BY item_id"
        " HAVING count(DISTINCT reviewer) >= 2)",
        [PASS_SCORE, run_id, run_id],
    ).df()
    return SmeEvidence(run_id, frame)


def metrics_with_labels(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """The judge metrics of the run that at least one SME label meets."""
    return [
        m
        for (m,) in con.execute(
            "SELECT DISTINCT j.metric FROM judge_score j JOIN label l ON l.run_id = j.run_id AND"
            " l.item_id = j.item_id WHERE j.run_id = ? ORDER BY 1",
            [run_id],
        ).fetchall()
    ]
