"""The simulated population and draw that coverage and label-efficiency benches share."""

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from bench.population import population, stratified_draw
from core.review import design


@pytest.mark.parametrize("kappa", [0.4, 0.8])
def test_population_judge_agrees_with_the_truth_at_the_asked_kappa(kappa):
    pop = population(50_000, kappa, seed=1)
    for side, rate in (("source", 0.85), ("target", 0.82)):
        truth, verdict = pop[f"sme_pass_{side}"], pop[f"judge_pass_{side}"]
        # sklearn's Cohen's kappa as the reference; its sampling error here is about 0.006.
        assert cohen_kappa_score(truth, verdict) == pytest.approx(kappa, abs=0.02)
        assert truth.mean() == pytest.approx(rate, abs=0.01)
        assert ((pop[f"judge_score_{side}"] >= 0.5) == verdict).all()
    # Paired: an item's source and target truth go together.
    assert np.corrcoef(pop["sme_pass_source"], pop["sme_pass_target"])[0, 1] > 0.3


def test_stratified_draw_takes_the_items_the_apps_design_takes():
    pop = population(2_000, 0.8, seed=2)
    items = [
        (row.item_id, row.stratum, "pass" if row.judge_pass_source else "fail")
        for row in pop.itertuples()
    ]
    plan = design.plan_strata(items, 0, design.SampleParams(minimum=2))
    app = design.draw(items, plan, np.random.default_rng(5))
    drawn = stratified_draw(pop, seed=5)
    assert drawn["item_id"].tolist() == [item for item, _ in app]
    by_plan = {f"{s.stratum}/{s.pool}": (s.size, s.probability) for s in plan.strata}
    for row in drawn.itertuples():
        assert (row.stratum_size, row.p) == pytest.approx(by_plan[row.design_stratum])
        assert row.design_stratum.endswith("/pass") == row.judge_pass_source
