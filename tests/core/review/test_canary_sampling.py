"""SME review of canary traffic: Bernoulli draws per (arm, pool), each request considered once,
unjudged and text-less requests left for later, blind review items, labels in canary_label."""

from __future__ import annotations

import pytest
from scipy import stats

from core.catalog import migrations
from core.errors import InputError, NotFoundError
from core.review import canary_sampling, labels, queue, sampling
from core.review.queue import ResponseLabel
from tests.conftest import DATA, SOURCE_MODEL, TARGET_MODEL, import_run

TABLES = (
    "sample",
    "sample_item",
    "assignment",
    "canary_review_frame",
    "canary_label",
    "label",
    "audit",
)
SCORE_FAIL, SCORE_PASS = 0.1234, 0.8731  # distinctive, to look for them in what an SME sees


@pytest.fixture
def migration(con, golden):
    target = import_run(con, DATA / "run_native.csv", model_id=TARGET_MODEL, role="target")
    return migrations.create(con, "canary", golden.source_run.run_id, [target.run_id], actor="t")


def add_traffic(con, mig, n, *, prefix="req", start=0, text=True, judged=True, error=False):
    """n requests alternating control / canary; every fifth one the judge fails."""
    con.execute(
        "INSERT INTO canary_request (migration_id, request_id, arm, ts, model_id, prompt,"
        " response, error, stratum, file_sha256)"
        " SELECT $1, $2 || '-' || lpad(i::VARCHAR, 6, '0'),"
        " CASE WHEN i % 2 = 0 THEN 'control' ELSE 'canary' END,"
        " TIMESTAMP '2026-11-20 00:00:00' + to_seconds(i), CASE WHEN i % 2 = 0 THEN $3 ELSE $4 END,"
        " CASE WHEN $5 THEN 'What is the fee on invoice ' || i || '?' END,"
        " CASE WHEN $5 THEN 'The fee is ' || (i % 97) || ' dollars.' END,"
        " CASE WHEN $6 THEN 'ThrottlingException' END, 'lookup', 'sha'"
        " FROM range($7, $7 + $8) t(i)",
        [mig, prefix, SOURCE_MODEL, TARGET_MODEL, text, error, start, n],
    )
    if judged:
        score(con, mig, prefix, start, n)


def score(con, mig, prefix, start, n):
    con.execute(
        "INSERT INTO canary_score (migration_id, request_id, metric, evaluator, score,"
        " file_sha256) SELECT $1, $2 || '-' || lpad(i::VARCHAR, 6, '0'), 'correctness', 'judge',"
        " CASE WHEN i % 5 = 0 THEN $3 ELSE $4 END, 'sha' FROM range($5, $5 + $6) t(i)",
        [mig, prefix, SCORE_FAIL, SCORE_PASS, start, n],
    )


def counts(con) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_bernoulli_draw_recovers_each_pools_rate_in_each_arm(con, migration):
    add_traffic(con, migration, 20_000)
    result = canary_sampling.draw(
        con, migration, fail_rate=0.10, pass_rate=0.02, reviewers=["sme1"], seed=7, actor="t"
    )
    by = {(p.arm, p.pool): p for p in result.pools}
    # Per arm: 10,000 requests, every fifth failed by the judge -> 2,000 fail, 8,000 pass.
    assert {k: p.considered for k, p in by.items()} == {
        ("canary", "fail"): 2_000,
        ("canary", "pass"): 8_000,
        ("control", "fail"): 2_000,
        ("control", "pass"): 8_000,
    }
    for (_, pool), p in by.items():
        rate = 0.10 if pool == "fail" else 0.02
        # Drawn ~ Binomial(N, rate) under Bernoulli sampling: the exact binomial quantiles of
        # a two-sided 99.9% interval (scipy.stats.binom.interval) bound each cell's count.
        low, high = stats.binom.interval(0.999, p.considered, rate)
        assert low <= p.drawn <= high, (pool, p.drawn, low, high)
    stored = con.execute(
        "SELECT arm, pool, any_value(inclusion_prob), count(*) FILTER (WHERE drawn)"
        " FROM canary_review_frame GROUP BY ALL"
    ).fetchall()
    assert {(a, p): (pi, k) for a, p, pi, k in stored} == {
        k: (0.10 if k[1] == "fail" else 0.02, p.drawn) for k, p in by.items()
    }
    items = con.execute(
        "SELECT pool, stratum_size, inclusion_prob, count(*) FROM sample_item"
        " WHERE sample_id = ? GROUP BY ALL",
        [result.sample_id],
    ).fetchall()
    assert {(pool, size, pi) for pool, size, pi, _ in items} == {
        ("fail", 2_000, 0.10),
        ("pass", 8_000, 0.02),
    }
    assert result.assignments == result.drawn == sum(n for *_, n in items)


def test_each_request_is_considered_once_across_draws(con, migration):
    add_traffic(con, migration, 400)
    first = canary_sampling.draw(con, migration, reviewers=["sme1"], seed=1, actor="t")
    add_traffic(con, migration, 100, start=400)
    second = canary_sampling.draw(con, migration, reviewers=["sme1"], seed=2, actor="t")
    assert (first.considered, second.considered) == (400, 100)
    frame = con.execute(
        "SELECT sample_id, count(*), count(DISTINCT request_id) FROM canary_review_frame GROUP BY 1"
    ).fetchall()
    assert {s: (n, d) for s, n, d in frame} == {
        first.sample_id: (400, 400),
        second.sample_id: (100, 100),
    }
    before = counts(con)
    with pytest.raises(InputError, match="500 already considered by an earlier draw"):
        canary_sampling.draw(con, migration, reviewers=["sme1"], actor="t")
    assert counts(con) == before


def test_unjudged_text_less_and_failed_requests_wait(con, migration):
    add_traffic(con, migration, 50, prefix="ok")
    add_traffic(con, migration, 30, prefix="later", judged=False)
    add_traffic(con, migration, 20, prefix="bare", text=False)
    add_traffic(con, migration, 10, prefix="err", error=True)
    result = canary_sampling.draw(con, migration, reviewers=["sme1"], seed=3, actor="t")
    assert (result.considered, result.unjudged) == (50, 30)
    considered = {
        r for (r,) in con.execute("SELECT request_id FROM canary_review_frame").fetchall()
    }
    assert all(r.startswith("ok-") for r in considered)
    score(con, migration, "later", 0, 30)  # the judges catch up
    again = canary_sampling.draw(con, migration, reviewers=["sme1"], seed=4, actor="t")
    assert (again.considered, again.unjudged) == (30, 0)
    with pytest.raises(InputError, match="20 without prompt and response text") as caught:
        canary_sampling.draw(con, migration, reviewers=["sme1"], actor="t")
    assert "10 errors" in str(caught.value)


def test_the_queue_mixes_both_arms_and_the_item_shows_neither_arm_nor_ids(con, migration):
    add_traffic(con, migration, 60)
    result = canary_sampling.draw(
        con, migration, fail_rate=1.0, pass_rate=1.0, reviewers=["sme1", "sme2"], seed=5, actor="t"
    )
    assert result.drawn == 60
    slots = queue.queue(con, "sme1")
    assert len(slots) == 30 and len(queue.queue(con, "sme2")) == 30
    request_ids = {r for (r,) in con.execute("SELECT request_id FROM canary_request").fetchall()}
    shown = []
    for slot in slots:
        assert slot.item_id not in request_ids
        item = queue.load(con, slot.sample_id, slot.item_id, "sme1")
        text = repr(item)
        for hidden in (*request_ids, SOURCE_MODEL, TARGET_MODEL, "control", "canary"):
            assert hidden not in text
        assert str(SCORE_FAIL) not in text and str(SCORE_PASS) not in text
        assert len(item.responses) == 1 and item.responses[0].run_id == ""
        assert (item.context, item.ground_truth, item.existing) == (None, None, None)
        request = queue.canary_request(con, slot.sample_id, slot.item_id, "sme1")
        assert request is not None
        shown.append(request[1])
    arms = dict(con.execute("SELECT request_id, arm FROM canary_request").fetchall())
    order = [arms[r] for r in shown]
    # Neither arm comes first as a block, and the queue is not the request ids' order.
    assert order != sorted(order) and order != sorted(order, reverse=True)
    assert shown != sorted(shown)
    with pytest.raises(NotFoundError):
        queue.load(con, result.sample_id, shown[0], "sme1")  # a raw request id is not an item


def test_submit_writes_canary_label_not_label_and_a_resubmit_changes_it(con, migration):
    add_traffic(con, migration, 10)
    canary_sampling.draw(con, migration, fail_rate=1.0, pass_rate=1.0, reviewers=["sme1"],
                         seed=6, actor="t")  # fmt: skip
    slot = queue.next_slot(con, "sme1")
    assert slot is not None
    labels_before = counts(con)["label"]
    answer = ResponseLabel("A", 2, None, ("hallucination",), False)
    changed = labels.submit(con, slot.sample_id, slot.item_id, "sme1", [answer], notes=" made up ")
    assert changed is False
    _, request_id = queue.canary_request(con, slot.sample_id, slot.item_id, "sme1")
    row = con.execute(
        "SELECT request_id, score, passed, failure_modes, safety_flag, notes FROM canary_label"
    ).fetchall()
    assert row == [(request_id, 2, False, ["hallucination"], False, "made up")]
    assert counts(con)["label"] == labels_before
    status = con.execute(
        "SELECT status FROM assignment WHERE sample_id = ? AND item_id = ?",
        [slot.sample_id, request_id],
    ).fetchone()
    assert status == ("done",)
    reloaded = queue.load(con, slot.sample_id, slot.item_id, "sme1")
    assert reloaded.existing is not None
    assert reloaded.existing.responses["A"].failure_modes == ("hallucination",)
    # score >= PASS_SCORE passes, as for golden labels; the same key is updated, not added.
    assert labels.submit(con, slot.sample_id, slot.item_id, "sme1", [ResponseLabel("A", 5, None)])
    assert con.execute("SELECT count(*), bool_and(passed) FROM canary_label").fetchone() == (
        1,
        True,
    )
    actions = [a for (a,) in con.execute("SELECT action FROM audit ORDER BY 1").fetchall()]
    assert {"submit_canary_label", "change_canary_label", "create_canary_sample"} <= set(actions)
    with pytest.raises(InputError, match="single response has no preference"):
        labels.submit(con, slot.sample_id, slot.item_id, "sme1", [answer], preference="A")
    other = queue.next_slot(con, "sme1")
    labels.skip(con, other.sample_id, other.item_id, "sme1")
    assert queue.queue(con, "sme1")[-1].status in ("skipped", "done")
    assert any(s.status == "skipped" for s in queue.queue(con, "sme1"))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"fail_rate": 0.0}, InputError, "fail rate must be above 0 and at most 1"),
        ({"pass_rate": 1.5}, InputError, "pass rate must be above 0 and at most 1"),
        ({"reviewers": []}, InputError, "name at least one SME"),
        ({"migration_id": "mig-nope"}, NotFoundError, "no migration 'mig-nope'"),
        ({"no_traffic": True}, InputError, "it has no canary traffic"),
    ],
)
def test_bad_input_is_named_and_changes_nothing(con, migration, kwargs, error, message):
    if not kwargs.pop("no_traffic", False):
        add_traffic(con, migration, 20)
    args = {"migration_id": migration, "reviewers": ["sme1"], "actor": "t", **kwargs}
    before = counts(con)
    with pytest.raises(error, match=message):
        canary_sampling.draw(con, args.pop("migration_id"), **args)
    assert counts(con) == before


def test_a_canary_draw_is_not_topped_up(con, migration):
    add_traffic(con, migration, 50)
    result = canary_sampling.draw(con, migration, reviewers=["sme1"], seed=8, actor="t")
    before = counts(con)
    with pytest.raises(InputError, match=r"canary review draw.*draw again"):
        sampling.top_up(con, result.sample_id, "lookup", "pass", 0.5, actor="t")
    assert counts(con) == before


def test_review_status_counts_each_arm(con, migration):
    add_traffic(con, migration, 20)
    canary_sampling.draw(con, migration, fail_rate=1.0, pass_rate=1.0, reviewers=["sme1"],
                         seed=9, actor="t")  # fmt: skip
    for slot in queue.queue(con, "sme1")[:6]:
        flag = ResponseLabel("A", 1, None, ("unsafe",), False)
        labels.submit(con, slot.sample_id, slot.item_id, "sme1", [flag])
    status = {s.arm: s for s in canary_sampling.review_status(con, migration)}
    assert status["control"].considered == status["canary"].considered == 10
    assert status["control"].drawn == status["canary"].drawn == 10
    assert status["control"].labelled + status["canary"].labelled == 6
    assert status["control"].flagged + status["canary"].flagged == 6


def test_golden_label_import_refuses_a_canary_draw(con, migration):
    from core.importers.labels import import_labels

    add_traffic(con, migration, 50)
    result = canary_sampling.draw(con, migration, reviewers=["sme1"], seed=10, actor="t")
    before = counts(con)
    with pytest.raises(InputError, match="canary review draw: its labels are entered on the Rev"):
        import_labels(con, str(DATA / "labels.csv"), actor="t", sample_id=result.sample_id)
    assert counts(con) == before


def give_demo_text(con, per_arm: int) -> None:
    """Prompt and response text on ``per_arm`` judged demo requests of each arm, and on no
    other (the demo's own last hours of traffic carry text: cleared, so counts are exact)."""
    con.execute("UPDATE canary_request SET prompt = NULL, response = NULL")
    con.execute(
        "UPDATE canary_request SET prompt = 'What is the fee on invoice ' || request_id || '?',"
        " response = 'The fee is 12 dollars.' WHERE request_id IN ("
        "   SELECT request_id FROM (SELECT r.request_id, row_number() OVER"
        "     (PARTITION BY r.arm ORDER BY r.request_id) AS n FROM canary_request r"
        "     WHERE r.error IS NULL AND r.request_id IN (SELECT request_id FROM canary_score))"
        "   WHERE n <= ?)",
        [per_arm],
    )


def rounded(value):
    """Floats at 12 significant digits: DuckDB's parallel sums may differ in the last bits
    from one query to the next; a label or sample read by mistake moves far more."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value


def golden_figures(con, mid: str, target: str) -> str:
    """The demo migration's golden-set figures that read SME labels and samples, as JSON."""
    import json
    from dataclasses import asdict

    from core.analysis import calibration, compare
    from core.catalog import progress
    from core.review import planning

    report = calibration.report(con, target, "correctness", resamples=100, seed=0)
    comparison = compare.load(con, mid, target)
    corrected = compare.sme_corrected(comparison, "correctness", comparison.items)
    priors = planning.earlier_priors(con, mid)
    figures = {
        "calibration": report.to_dict(),
        "sme_corrected": corrected.to_dict(),
        "labels": comparison.labels.sort_values("item_id").to_dict("records"),
        "priors": asdict(priors) if priors else None,
        # Home's next step and the Sampling / Calibration pages' samples: golden ones only.
        "samples": sampling.list_samples(con, mid),
        "progress": asdict(progress.progress(con, mid)),
    }
    return json.dumps(rounded(json.loads(json.dumps(figures, default=str))), sort_keys=True)


def test_golden_figures_are_unchanged_by_a_canary_draw_and_its_labels(demo_con):
    from core.analysis import signoff

    con = demo_con(200)
    mid = con.execute("SELECT migration_id FROM migration WHERE synthetic").fetchone()[0]
    target = signoff.default_target(con, mid)
    before = golden_figures(con, mid, target)
    give_demo_text(con, 40)
    result = canary_sampling.draw(
        con, mid, fail_rate=1.0, pass_rate=1.0, reviewers=["sme1", "sme2"], seed=11, actor="t"
    )
    assert result.drawn == 80
    for reviewer in ("sme1", "sme2"):
        canary = [s for s in queue.queue(con, reviewer) if s.sample_id == result.sample_id]
        for i, slot in enumerate(canary[:10]):
            answer = ResponseLabel("A", 1 + i % 5, None, ("hallucination",) if i % 3 else ())
            labels.submit(con, slot.sample_id, slot.item_id, reviewer, [answer])
    assert con.execute("SELECT count(*) FROM canary_label").fetchone() == (20,)
    assert golden_figures(con, mid, target) == before
