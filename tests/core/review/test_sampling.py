"""Stratified samples: rates, minimums, exact inclusion probabilities, seeds, top-ups."""

import math
from collections import Counter

import pytest

from core import demo
from core.errors import InputError
from core.review import sampling

SEED = 20261126


@pytest.fixture(scope="module")
def demo_con():
    """The demo migration with 400 items, no sample yet."""
    from core.catalog import migrations
    from core.store import db

    con = db.connect(":memory:")
    original = sampling.create
    sampling.create = lambda *a, **k: None  # install() draws a sample; tests draw their own
    try:
        demo.install(con, SEED, n_items=400)
    finally:
        sampling.create = original
    (m,) = migrations.list_migrations(con)
    source = migrations.source_run(con, m["migration_id"])
    target = con.execute("SELECT run_id FROM run WHERE role = 'target'").fetchone()[0]
    return con, m["migration_id"], source, target


def params(**changes):
    base = dict(seed=7, reviewers=("sme1", "sme2", "sme3"))
    base.update(changes)
    return sampling.SampleParams(**base)


def test_rates_and_minimums_per_stratum(demo_con):
    con, mig, source, target = demo_con
    plan = sampling.plan(con, mig, source, target, params(minimum=4))
    assert plan.frame == 400
    for s in plan.strata:
        rate = {"fail": 0.10, "pass": 0.02, "regression": 1.0}[s.pool]
        assert s.take == min(s.size, max(4, math.ceil(rate * s.size)))
        assert s.probability == pytest.approx(s.take / s.size)


def test_created_sample_matches_its_plan_and_stores_probabilities(demo_con):
    con, mig, source, target = demo_con
    p = params(minimum=3, seed=11)
    plan = sampling.plan(con, mig, source, target, p)
    sample_id = sampling.create(con, mig, source, target, p, actor="owner")
    stored = {(s["stratum"], s["pool"]): s for s in sampling.strata(con, sample_id)}
    for s in plan.strata:
        got = stored[(s.stratum, s.pool)]
        assert (got["size"], got["taken"]) == (s.size, s.take)
        assert got["inclusion_prob"] == pytest.approx(s.take / s.size)
    con.execute("DELETE FROM assignment; DELETE FROM sample_item; DELETE FROM sample")


def test_same_seed_same_sample_other_seed_other_sample(demo_con):
    con, mig, source, target = demo_con

    def draw(seed):
        sample_id = sampling.create(con, mig, source, target, params(seed=seed), actor="o")
        items = {
            r[0]
            for r in con.execute(
                "SELECT item_id FROM sample_item WHERE sample_id = ?", [sample_id]
            ).fetchall()
        }
        con.execute("DELETE FROM assignment; DELETE FROM sample_item; DELETE FROM sample")
        return items

    assert draw(5) == draw(5)
    assert draw(5) != draw(6)


def test_every_item_is_drawn_with_its_stored_probability(demo_con):
    # Over 200 seeded draws each item's inclusion frequency stays within 5 binomial standard
    # deviations of its design probability n_h / N_h, sqrt(p (1 - p) / 200): a draw that
    # favoured some items of a stratum (say, the first by id) would break this.
    draws = 200
    con, mig, source, target = demo_con
    p = params(regressions=False)
    frame, _ = sampling.frame(con, mig, source, target, p)
    plan = {(s.stratum, s.pool): s for s in sampling.plan(con, mig, source, target, p).strata}
    counts = Counter()
    for seed in range(draws):
        sample_id = sampling.create(
            con, mig, source, target, params(seed=seed, regressions=False), actor="o"
        )
        counts.update(
            r[0]
            for r in con.execute(
                "SELECT item_id FROM sample_item WHERE sample_id = ?", [sample_id]
            ).fetchall()
        )
        con.execute("DELETE FROM assignment; DELETE FROM sample_item; DELETE FROM sample")
    for item_id, stratum, pool in frame:
        prob = plan[(stratum, pool)].probability
        bound = 5 * math.sqrt(prob * (1 - prob) / draws) + 1e-9
        assert abs(counts[item_id] / draws - prob) <= bound, (item_id, stratum, pool)


def test_every_regression_is_sampled(demo_con):
    con, mig, source, target = demo_con
    sample_id = sampling.create(con, mig, source, target, params(), actor="o")
    regressions = [s for s in sampling.strata(con, sample_id) if s["pool"] == "regression"]
    assert regressions and all(
        s["taken"] == s["size"] and s["inclusion_prob"] == 1 for s in regressions
    )
    con.execute("DELETE FROM assignment; DELETE FROM sample_item; DELETE FROM sample")


def test_overlap_items_get_k_distinct_reviewers_and_load_is_balanced(demo_con):
    con, mig, source, target = demo_con
    sample_id = sampling.create(
        con, mig, source, target, params(overlap_share=0.2, overlap_k=3), actor="o"
    )
    per_item = con.execute(
        "SELECT si.reviewers_wanted, count(a.reviewer), count(DISTINCT a.reviewer)"
        " FROM sample_item si JOIN assignment a USING (sample_id, item_id)"
        " WHERE sample_id = ? GROUP BY si.item_id, si.reviewers_wanted",
        [sample_id],
    ).fetchall()
    assert all(wanted == n == distinct for wanted, n, distinct in per_item)
    assert sum(1 for w, *_ in per_item if w == 3) == math.ceil(0.2 * len(per_item))
    loads = [
        n for (n,) in con.execute("SELECT count(*) FROM assignment GROUP BY reviewer").fetchall()
    ]
    assert max(loads) - min(loads) <= 1
    con.execute("DELETE FROM assignment; DELETE FROM sample_item; DELETE FROM sample")


def test_items_open_in_another_sample_are_not_drawn_again(demo_con):
    con, mig, source, target = demo_con
    first = sampling.create(con, mig, source, target, params(seed=1), actor="o")
    plan = sampling.plan(con, mig, source, target, params(seed=2))
    taken = con.execute("SELECT count(*) FROM sample_item WHERE sample_id = ?", [first]).fetchone()[
        0
    ]
    assert plan.excluded == taken and plan.frame == 400 - taken
    second = sampling.create(con, mig, source, target, params(seed=2), actor="o")
    overlap = con.execute(
        "SELECT count(*) FROM sample_item a JOIN sample_item b USING (item_id)"
        " WHERE a.sample_id = ? AND b.sample_id = ?",
        [first, second],
    ).fetchone()[0]
    assert overlap == 0
    con.execute("DELETE FROM assignment; DELETE FROM sample_item; DELETE FROM sample")


def test_top_up_raises_a_stratum_and_keeps_probabilities_exact(demo_con):
    con, mig, source, target = demo_con
    sample_id = sampling.create(con, mig, source, target, params(minimum=2), actor="o")
    before = {(s["stratum"], s["pool"]): s for s in sampling.strata(con, sample_id)}
    key = next(k for k, s in before.items() if k[1] == "pass" and s["size"] >= 50)
    added = sampling.top_up(con, sample_id, key[0], key[1], 0.25, actor="o")
    size = before[key]["size"]
    expected = math.ceil(0.25 * size)
    assert added == expected - before[key]["taken"]
    after = {(s["stratum"], s["pool"]): s for s in sampling.strata(con, sample_id)}
    assert after[key]["taken"] == expected
    probs = {
        p
        for (p,) in con.execute(
            "SELECT DISTINCT inclusion_prob FROM sample_item WHERE sample_id = ? AND stratum = ?"
            " AND pool = ?",
            [sample_id, *key],
        ).fetchall()
    }
    assert len(probs) == 1 and probs.pop() == pytest.approx(expected / size)
    unchanged = {k: s for k, s in after.items() if k != key}
    assert all(s == before[k] for k, s in unchanged.items())
    new_slots = con.execute(
        "SELECT count(*) FROM assignment a JOIN sample_item si"
        " USING (sample_id, item_id) WHERE si.round = 2"
    ).fetchone()[0]
    assert new_slots == added
    con.execute("DELETE FROM assignment; DELETE FROM sample_item; DELETE FROM sample")


def test_single_output_sample_has_no_regression_pool(demo_con):
    con, mig, source, _ = demo_con
    plan = sampling.plan(con, mig, source, None, params())
    assert {s.pool for s in plan.strata} <= {"fail", "pass"}


def test_bad_parameters_are_refused(demo_con):
    con, mig, source, target = demo_con
    with pytest.raises(InputError, match="fail_rate must be between 0 and 1"):
        sampling.plan(con, mig, source, target, params(fail_rate=1.5))
    with pytest.raises(InputError, match="need at least 4 SMEs"):
        sampling.plan(con, mig, source, target, params(overlap_share=0.1, overlap_k=4))
    with pytest.raises(InputError, match="metric 'nope' is not scored"):
        sampling.plan(con, mig, source, target, params(metric="nope"))
    with pytest.raises(InputError, match="name at least one SME"):
        sampling.create(con, mig, source, target, params(reviewers=()), actor="o")
