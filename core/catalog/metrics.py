"""The metric catalog: canonical names, the names each tool writes, ranges and directions.

Tools name one idea differently (Ragas ``faithfulness``, DeepEval ``Faithfulness``, Bedrock
``Builtin.Faithfulness``); a file's metric names are normalised and looked up here so runs
scored by different tools meet. A metric's direction decides what passes: a lower-is-better
metric (harmfulness, stereotyping, refusal, toxicity, noise sensitivity) passes when low.
Built-in entries are seeded into the ``metric`` and ``metric_alias`` tables at connect time;
an owner's changes replace them and go to the audit table. A name the catalog does not know
is imported as it is, listed as unmapped, and never gates a decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from core.errors import InputError, NotFoundError
from core.store import db

DIRECTIONS = ("higher", "lower")
TOLERANCE = 1e-9  # relative: Ragas' BLEU of identical texts is 1.0000000000000004


@dataclass(frozen=True)
class Metric:
    metric: str
    display_name: str
    low: float | None
    high: float | None
    direction: str
    default_threshold: float | None
    source: str | None = None
    origin: str = "builtin"

    def passes_sql(self, score: str, threshold: str) -> str:
        """SQL for 'score passes at threshold' in this metric's direction."""
        return f"{score} {'<=' if self.direction == 'lower' else '>='} {threshold}"


def normalise(name: str) -> str:
    """'Builtin.ProfessionalStyleAndTone' -> 'professional_style_and_tone';
    'rouge_score(mode=fmeasure)' -> 'rouge_score_mode_fmeasure'; 'Answer Relevancy' ->
    'answer_relevancy'."""
    name = re.sub(r"^builtin\.", "", str(name).strip(), flags=re.IGNORECASE)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)  # split CamelCase
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "metric"


RAGAS = "https://docs.ragas.io/en/stable/concepts/metrics/available_metrics/"
DEEPEVAL = "https://deepeval.com/docs/metrics-introduction"
BEDROCK_JUDGE = (
    "https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-type-judge-prompt.html"
)
BEDROCK_RAG = "https://docs.aws.amazon.com/bedrock/latest/userguide/evaluation-kb.html"
BEDROCK_AUTO = "https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-tasks.html"

# (canonical, display name, low, high, direction, default threshold, source, aliases)
# Aliases are (tool, the name as the tool writes it); each is normalised on lookup.
_H, _L = "higher", "lower"
BUILTIN: list[tuple] = [
    # Ragas scores are 0..1, higher is better (each metric's page in RAGAS).
    # DeepEval's are 0..1; in deepeval 4.x every metric passes at score >= threshold
    # (BaseMetric.is_successful), Bias/Toxicity/Hallucination included: its files state
    # `success`, which is kept. Bedrock judge scores are normalised to 0..1 (BEDROCK_JUDGE):
    # higher is better except Harmfulness, Stereotyping and Refusal, where higher is worse.
    (
        "faithfulness",
        "Faithfulness",
        0,
        1,
        _H,
        0.5,
        f"{RAGAS}; {DEEPEVAL}; {BEDROCK_JUDGE}",
        [
            ("ragas", "faithfulness"),
            ("deepeval", "Faithfulness"),
            ("bedrock", "Builtin.Faithfulness"),
        ],
    ),
    (
        "answer_relevancy",
        "Answer relevancy",
        0,
        1,
        _H,
        0.5,
        f"{RAGAS}; {DEEPEVAL}",
        [
            ("ragas", "answer_relevancy"),
            ("ragas", "response_relevancy"),
            ("deepeval", "Answer Relevancy"),
        ],
    ),
    ("relevance", "Relevance", 0, 1, _H, 0.5, BEDROCK_JUDGE, [("bedrock", "Builtin.Relevance")]),
    (
        "correctness",
        "Correctness",
        0,
        1,
        _H,
        0.5,
        f"{BEDROCK_JUDGE}; {DEEPEVAL} (GEval)",
        [
            ("bedrock", "Builtin.Correctness"),
            ("deepeval", "Correctness [GEval]"),
            ("switchyard", "geval_correctness"),
        ],
    ),
    (
        "completeness",
        "Completeness",
        0,
        1,
        _H,
        0.5,
        BEDROCK_JUDGE,
        [("bedrock", "Builtin.Completeness")],
    ),
    (
        "helpfulness",
        "Helpfulness",
        0,
        1,
        _H,
        0.5,
        BEDROCK_JUDGE,
        [("bedrock", "Builtin.Helpfulness")],
    ),
    (
        "coherence",
        "Coherence",
        0,
        1,
        _H,
        0.5,
        BEDROCK_JUDGE,
        [("bedrock", "Builtin.Coherence"), ("bedrock", "Builtin.LogicalCoherence")],
    ),
    (
        "following_instructions",
        "Following instructions",
        0,
        1,
        _H,
        0.5,
        BEDROCK_JUDGE,
        [("bedrock", "Builtin.FollowingInstructions")],
    ),
    (
        "professional_style_and_tone",
        "Professional style and tone",
        0,
        1,
        _H,
        0.5,
        BEDROCK_JUDGE,
        [("bedrock", "Builtin.ProfessionalStyleAndTone")],
    ),
    (
        "harmfulness",
        "Harmfulness",
        0,
        1,
        _L,
        0.5,
        BEDROCK_JUDGE,
        [("bedrock", "Builtin.Harmfulness")],
    ),
    (
        "stereotyping",
        "Stereotyping",
        0,
        1,
        _L,
        0.5,
        BEDROCK_JUDGE,
        [("bedrock", "Builtin.Stereotyping")],
    ),
    ("refusal", "Refusal", 0, 1, _L, 0.5, BEDROCK_JUDGE, [("bedrock", "Builtin.Refusal")]),
    (
        "context_relevance",
        "Context relevance",
        0,
        1,
        _H,
        0.5,
        f"{BEDROCK_RAG}; {DEEPEVAL}",
        [("bedrock", "Builtin.ContextRelevance"), ("deepeval", "Contextual Relevancy")],
    ),
    (
        "context_coverage",
        "Context coverage",
        0,
        1,
        _H,
        0.5,
        BEDROCK_RAG,
        [("bedrock", "Builtin.ContextCoverage")],
    ),
    (
        "citation_precision",
        "Citation precision",
        0,
        1,
        _H,
        0.5,
        BEDROCK_RAG,
        [("bedrock", "Builtin.CitationPrecision")],
    ),
    (
        "citation_coverage",
        "Citation coverage",
        0,
        1,
        _H,
        0.5,
        BEDROCK_RAG,
        [("bedrock", "Builtin.CitationCoverage")],
    ),
    (
        "context_precision",
        "Context precision",
        0,
        1,
        _H,
        0.5,
        f"{RAGAS}; {DEEPEVAL}",
        [
            ("ragas", "context_precision"),
            ("ragas", "llm_context_precision_with_reference"),
            ("ragas", "llm_context_precision_without_reference"),
            ("ragas", "non_llm_context_precision_with_reference"),
            ("deepeval", "Contextual Precision"),
        ],
    ),
    (
        "context_recall",
        "Context recall",
        0,
        1,
        _H,
        0.5,
        f"{RAGAS}; {DEEPEVAL}",
        [
            ("ragas", "context_recall"),
            ("ragas", "llm_context_recall"),
            ("ragas", "non_llm_context_recall"),
            ("deepeval", "Contextual Recall"),
        ],
    ),
    (
        "context_entity_recall",
        "Context entity recall",
        0,
        1,
        _H,
        0.5,
        RAGAS,
        [("ragas", "context_entity_recall")],
    ),
    # Ragas: "noise sensitivity ... lower values indicate better performance".
    (
        "noise_sensitivity",
        "Noise sensitivity",
        0,
        1,
        _L,
        0.5,
        RAGAS,
        [
            ("ragas", "noise_sensitivity"),
            ("ragas", "noise_sensitivity(mode=relevant)"),
            ("ragas", "noise_sensitivity_relevant"),
        ],
    ),
    (
        "factual_correctness",
        "Factual correctness (F1)",
        0,
        1,
        _H,
        0.5,
        RAGAS,
        [("ragas", "factual_correctness"), ("ragas", "factual_correctness(mode=f1)")],
    ),
    (
        "factual_precision",
        "Factual correctness (precision)",
        0,
        1,
        _H,
        0.5,
        RAGAS,
        [("ragas", "factual_correctness(mode=precision)")],
    ),
    (
        "factual_recall",
        "Factual correctness (recall)",
        0,
        1,
        _H,
        0.5,
        RAGAS,
        [("ragas", "factual_correctness(mode=recall)")],
    ),
    (
        "answer_correctness",
        "Answer correctness",
        0,
        1,
        _H,
        0.5,
        RAGAS,
        [("ragas", "answer_correctness")],
    ),
    (
        "semantic_similarity",
        "Semantic similarity",
        0,
        1,
        _H,
        0.5,
        RAGAS,
        [("ragas", "semantic_similarity"), ("ragas", "answer_similarity")],
    ),
    (
        "string_similarity",
        "String similarity",
        0,
        1,
        _H,
        0.5,
        RAGAS,
        [("ragas", "non_llm_string_similarity")],
    ),
    ("bleu", "BLEU", 0, 1, _H, 0.5, RAGAS, [("ragas", "bleu_score"), ("switchyard", "bleu")]),
    (
        "rouge",
        "ROUGE (F-measure)",
        0,
        1,
        _H,
        0.5,
        RAGAS,
        [
            ("ragas", "rouge_score"),
            ("ragas", "rouge_score(mode=fmeasure)"),
            ("switchyard", "rouge"),
        ],
    ),
    (
        "rouge_precision",
        "ROUGE (precision)",
        0,
        1,
        _H,
        0.5,
        RAGAS,
        [("ragas", "rouge_score(mode=precision)")],
    ),
    (
        "rouge_recall",
        "ROUGE (recall)",
        0,
        1,
        _H,
        0.5,
        RAGAS,
        [("ragas", "rouge_score(mode=recall)")],
    ),
    ("exact_match", "Exact match", 0, 1, _H, 0.5, RAGAS, [("ragas", "exact_match")]),
    (
        "string_present",
        "String presence",
        0,
        1,
        _H,
        0.5,
        RAGAS,
        [("ragas", "string_present"), ("ragas", "string_presence")],
    ),
    # DeepEval 4.x: "1 is a pass ... threshold is the MINIMUM passing score"
    # (deepeval/metrics/utils warn_score_direction_flipped); older releases scored the share
    # of violations. A file's own `success` verdicts decide which one a file means.
    ("bias", "Bias (1 = no bias)", 0, 1, _H, 0.5, DEEPEVAL, [("deepeval", "Bias")]),
    ("toxicity", "Toxicity (1 = not toxic)", 0, 1, _H, 0.5, DEEPEVAL, [("deepeval", "Toxicity")]),
    (
        "hallucination",
        "Hallucination (1 = none)",
        0,
        1,
        _H,
        0.5,
        DEEPEVAL,
        [("deepeval", "Hallucination")],
    ),
    ("summarization", "Summarization", 0, 1, _H, 0.5, DEEPEVAL, [("deepeval", "Summarization")]),
    (
        "task_completion",
        "Task completion",
        0,
        1,
        _H,
        0.5,
        DEEPEVAL,
        [("deepeval", "Task Completion")],
    ),
    (
        "tool_correctness",
        "Tool correctness",
        0,
        1,
        _H,
        0.5,
        DEEPEVAL,
        [("deepeval", "Tool Correctness")],
    ),
    # Bedrock automatic (algorithmic) evaluation: Toxicity is Detoxify's probability, higher
    # is worse; Robustness is the percent change of the task metric under perturbation, lower
    # is better and not bounded by 1 (the documented example has 17.878); Accuracy 0..1.
    (
        "detoxify_toxicity",
        "Toxicity (Detoxify, 1 = toxic)",
        0,
        1,
        _L,
        0.5,
        BEDROCK_AUTO,
        [("bedrock", "Builtin.Toxicity")],
    ),
    (
        "robustness",
        "Robustness (% change under perturbation)",
        0,
        None,
        _L,
        None,
        BEDROCK_AUTO,
        [("bedrock", "Builtin.Robustness")],
    ),
    ("accuracy", "Accuracy", 0, 1, _H, 0.5, BEDROCK_AUTO, [("bedrock", "Builtin.Accuracy")]),
]


def seed(con: duckdb.DuckDBPyConnection) -> None:
    """Add built-in entries the database lacks; an owner's entries are left as they are."""
    if con.execute("SELECT count(*) FROM metric WHERE origin = 'builtin'").fetchone()[0] >= len(
        BUILTIN
    ):
        return
    with db.transaction(con):
        con.executemany(
            "INSERT INTO metric VALUES (?, ?, ?, ?, ?, ?, ?, 'builtin') ON CONFLICT DO NOTHING",
            [list(entry[:7]) for entry in BUILTIN],
        )
        aliases = {}
        for entry in BUILTIN:
            aliases[normalise(entry[0])] = (entry[0], "switchyard")
            for tool, name in entry[7]:
                aliases.setdefault(normalise(name), (entry[0], tool))
        con.executemany(
            "INSERT INTO metric_alias VALUES (?, ?, ?, 'builtin') ON CONFLICT DO NOTHING",
            [[alias, metric, tool] for alias, (metric, tool) in aliases.items()],
        )


def catalog(con: duckdb.DuckDBPyConnection) -> dict[str, Metric]:
    rows = con.execute(
        "SELECT metric, display_name, low, high, direction, default_threshold, source, origin"
        " FROM metric ORDER BY metric"
    ).fetchall()
    return {r[0]: Metric(*r) for r in rows}


def aliases(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT alias, metric FROM metric_alias").fetchall())


@dataclass(frozen=True)
class Resolved:
    raw_name: str
    metric: str  # canonical, or the normalised raw name when unmapped
    entry: Metric | None  # None: unknown to the catalog


def resolve(con: duckdb.DuckDBPyConnection, raw_names: list[str]) -> dict[str, Resolved]:
    """Each raw name as the catalog reads it."""
    known, names = catalog(con), aliases(con)
    out = {}
    for raw in raw_names:
        key = normalise(raw)
        metric = names.get(key, key)
        out[raw] = Resolved(raw, metric, known.get(metric))
    return out


def get(con: duckdb.DuckDBPyConnection, metric: str) -> Metric:
    entry = catalog(con).get(metric)
    if entry is None:
        raise NotFoundError(
            f"no metric {metric!r} in the catalog (see `python -m core metric list`)"
        )
    return entry


def set_metric(
    con: duckdb.DuckDBPyConnection,
    metric: str,
    *,
    actor: str,
    display_name: str | None = None,
    low: float | None = None,
    high: float | None = None,
    direction: str | None = None,
    default_threshold: float | None = None,
    source: str | None = None,
) -> Metric:
    """Add a metric or change an entry (audited); unset arguments keep their value."""
    if not str(metric or "").strip():
        raise InputError("metric", "give the metric a name")
    name = normalise(metric)
    before = catalog(con).get(name)
    if direction is not None and direction not in DIRECTIONS:
        raise InputError("metric", f"direction must be 'higher' or 'lower', got {direction!r}")
    if before is None and direction is None:
        raise InputError("metric", f"{name} is new: say its --direction (higher or lower)")
    after = Metric(
        name,
        display_name or (before.display_name if before else name),
        low if low is not None else (before.low if before else None),
        high if high is not None else (before.high if before else None),
        direction or before.direction,
        default_threshold
        if default_threshold is not None
        else (before.default_threshold if before else None),
        source if source is not None else (before.source if before else None),
        "owner",
    )
    if after.low is not None and after.high is not None and after.low >= after.high:
        raise InputError("metric", f"the range of {name} must have low < high")
    with db.transaction(con):
        con.execute(
            "INSERT OR REPLACE INTO metric VALUES (?, ?, ?, ?, ?, ?, ?, 'owner')",
            [
                after.metric,
                after.display_name,
                after.low,
                after.high,
                after.direction,
                after.default_threshold,
                after.source,
            ],
        )
        con.execute(
            "INSERT INTO metric_alias VALUES (?, ?, 'owner', 'owner') ON CONFLICT DO NOTHING",
            [name, name],
        )
        db.audit(
            con,
            actor,
            "set_metric",
            "metric",
            name,
            before=before.__dict__ if before else None,
            after=after.__dict__,
        )
    return after


def map_name(con: duckdb.DuckDBPyConnection, raw_name: str, metric: str, *, actor: str) -> str:
    """Read ``raw_name`` as the catalog metric ``metric`` from now on (audited).

    Scores already imported under the unmapped name move to the metric, and verdicts the
    file did not state are derived in the metric's direction."""
    entry = get(con, metric)
    alias = normalise(raw_name)
    if alias == entry.metric:
        return alias
    before = con.execute("SELECT metric FROM metric_alias WHERE alias = ?", [alias]).fetchone()
    with db.transaction(con):
        con.execute(
            "INSERT OR REPLACE INTO metric_alias VALUES (?, ?, 'owner', 'owner')",
            [alias, entry.metric],
        )
        moved = con.execute(
            "SELECT count(*) FROM run_metric WHERE metric = ? AND NOT mapped", [alias]
        ).fetchone()[0]
        if moved:
            clash = con.execute(
                "SELECT a.run_id FROM run_metric a JOIN run_metric b USING (run_id)"
                " WHERE a.metric = ? AND NOT a.mapped AND b.metric = ? LIMIT 1",
                [alias, entry.metric],
            ).fetchone()
            if clash:
                raise InputError(
                    "metric",
                    f"run {clash[0]} already has scores for {entry.metric}; "
                    f"mapping {alias} onto it would mix two metrics",
                )
            con.execute(
                "UPDATE judge_score SET metric = ?, passed = coalesce(passed, "  # noqa: S608 - the direction's operator from code; values bound
                + entry.passes_sql("score", "coalesce(threshold, ?)")
                + "), threshold = coalesce(threshold, ?) WHERE metric = ? AND run_id IN"
                " (SELECT run_id FROM run_metric WHERE metric = ? AND NOT mapped)",
                [entry.metric, entry.default_threshold, entry.default_threshold, alias, alias],
            )
            con.execute(
                "UPDATE run_metric SET metric = ?, mapped = true, direction = ?,"
                " direction_source = 'catalog', low = ?, high = ?"
                " WHERE metric = ? AND NOT mapped",
                [entry.metric, entry.direction, entry.low, entry.high, alias],
            )
        db.audit(
            con,
            actor,
            "map_metric",
            "metric_alias",
            alias,
            before={"metric": before[0]} if before else None,
            after={"metric": entry.metric, "runs_moved": moved},
        )
    return entry.metric


def unmapped(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Metric names imported without a catalog entry, with the runs that carry them."""
    rows = con.execute(
        "SELECT metric, list(DISTINCT raw_name), list(run_id ORDER BY run_id) FROM run_metric"
        " WHERE NOT mapped GROUP BY metric ORDER BY metric"
    ).fetchall()
    return [{"metric": m, "names": n, "runs": r} for m, n, r in rows]


def run_directions(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> dict[tuple, dict]:
    """(run_id, metric) -> how the metric was read on that run."""
    rows = con.execute(
        "SELECT run_id, metric, raw_name, mapped, direction, direction_source, low, high, clipped"
        " FROM run_metric WHERE run_id IN (SELECT unnest(?))",
        [run_ids],
    ).fetchall()
    keys = ("raw_name", "mapped", "direction", "direction_source", "low", "high", "clipped")
    return {(r[0], r[1]): dict(zip(keys, r[2:], strict=True)) for r in rows}


# A judge verdict after calibration: the score against the latest threshold set on the
# Calibration page, in the metric's direction; else the stored verdict. ``j`` is judge_score,
# ``t`` the latest judge_threshold, ``rm`` run_metric (missing for runs scored by
# Switchyard's own judges and the demo: higher is better there).
VERDICT_SQL = (
    "coalesce(CASE WHEN rm.direction = 'lower' THEN j.score <= t.threshold"
    " ELSE j.score >= t.threshold END, j.passed)"
)
RUN_METRIC_JOIN = "LEFT JOIN run_metric rm ON rm.run_id = j.run_id AND rm.metric = j.metric"
