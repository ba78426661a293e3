"""Source against target on the demo: loading, speed and cost figures, the items behind a
figure, prices (the paired statistics themselves: test_paired.py)."""

import numpy as np
import pytest

from core.analysis import compare, signoff
from core.catalog import migrations


@pytest.fixture(scope="module")
def demo_con(module_demo):
    con = module_demo(1200)
    mid = con.execute("SELECT migration_id FROM migration").fetchone()[0]
    return con, mid


def test_load_pairs_every_item_with_both_runs(demo_con):
    con, mid = demo_con
    target = signoff.default_target(con, mid)
    comparison = compare.load(con, mid, target)
    assert len(comparison.items) == 1200
    assert comparison.gating == ["correctness", "faithfulness"]
    assert set(comparison.metrics) == {"answer_relevancy", "correctness", "faithfulness"}
    errored = comparison.items["target_error"].notna()
    assert errored.any() and not comparison.items.loc[errored, "target_pass"].any()
    holdout, basis = compare.decision_items(comparison)
    assert basis == "holdout" and set(holdout["split"]) == {"holdout"}


def test_speed_and_cost_figures_on_the_demo(demo_con):
    con, mid = demo_con
    target = signoff.default_target(con, mid)
    comparison = compare.load(con, mid, target)
    items = comparison.items
    speed = compare.speed(items)
    p50 = speed.ttft[0]
    ttft = items["target_ttft"].dropna().to_numpy()
    assert p50.target_ms.estimate == pytest.approx(np.quantile(ttft, 0.5))
    assert p50.target_ms.low < p50.target_ms.estimate < p50.target_ms.high
    assert p50.increase_ms.estimate < 0  # Nova Pro answers sooner
    assert speed.error_rates["target"].estimate > 0
    assert speed.timeout_rates["target"].estimate == speed.error_rates["target"].estimate
    calls = compare.call_breakdown(con, comparison, items)
    assert set(calls["call"]) == {"retrieval", "generation"}
    cost = compare.cost(comparison, items)
    nova = cost.target
    # Nova Pro: 0.0008 in, 0.0032 out per 1K tokens (data/prices.csv), plus retrieval.
    expected = (
        items["target_input_tokens"] * 0.0008 / 1000
        + items["target_output_tokens"] * 0.0032 / 1000
        + items["target_retrieval_cost"]
    ).mean()
    assert nova.per_query == pytest.approx(expected)
    assert nova.monthly == pytest.approx(expected * 3_000_000)
    roi = cost.roi
    # One-off: 10 engineering days at 800 and 40 SME hours at 90.
    assert roi.one_off_cost == pytest.approx(11_600)
    assert roi.break_even_days == pytest.approx(11_600 / (roi.monthly_saving / 30))


def test_items_behind_a_figure_are_the_ones_it_counts(demo_con):
    con, mid = demo_con
    comparison = compare.load(con, mid, signoff.default_target(con, mid))
    items = comparison.items
    result = compare.quality(items, "correctness", 0.03)
    behind = compare.items_behind(items, compare.BEHIND[0], "correctness")
    assert len(behind) == result.mcnemar.regressions
    detail = compare.item_detail(con, comparison, behind["item_id"].iloc[0])
    assert detail.prompt and detail.target.scores["metric"].tolist()


def test_a_later_price_replaces_the_old_one_and_a_future_one_waits(demo_con):
    con, _ = demo_con
    from datetime import date, timedelta

    from core.catalog import models

    before = compare.prices(con).set_index("model_id").loc["amazon.nova-pro-v1:0"]
    models.add_price(con, "amazon.nova-pro-v1:0", date.today(), 0.0006, 0.0024, actor="t")
    models.add_price(
        con, "amazon.nova-pro-v1:0", date.today() + timedelta(days=30), 1.0, 1.0, actor="t"
    )
    now = compare.prices(con).set_index("model_id").loc["amazon.nova-pro-v1:0"]
    assert (now.input_per_1k, now.output_per_1k) == (0.0006, 0.0024)
    assert before.input_per_1k == 0.0008
    history = compare.price_history(con)
    assert (history["model_id"] == "amazon.nova-pro-v1:0").sum() == 3
    assert migrations.target_runs(
        con, con.execute("SELECT migration_id FROM migration").fetchone()[0]
    )
