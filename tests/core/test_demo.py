"""The demo migration: deterministic from its seed, realistic, clearly synthetic."""

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from core import demo
from core.catalog import datasets, migrations, models
from core.store import db

SEED = 20261126


@pytest.fixture(scope="module")
def generated():
    return demo.generate(SEED)


@pytest.mark.slow
def test_same_seed_gives_the_same_content_hash():
    hashes = []
    for _ in range(2):
        con = db.connect(":memory:")
        demo.install(con, SEED, n_items=300)
        hashes.append(datasets.list_datasets(con)[0]["sha256"])
    assert hashes[0] == hashes[1]
    other = db.connect(":memory:")
    demo.install(other, SEED + 1, n_items=300)
    assert datasets.list_datasets(other)[0]["sha256"] != hashes[0]


@pytest.mark.slow
def test_install_creates_a_frozen_synthetic_migration_with_three_runs(con):
    # ``con`` is a fresh PostgreSQL database on that backend: the app builds the demo there
    # when it starts on an empty one (its canary traffic once failed to insert there).
    assert demo.install_if_empty(con, SEED) is not None
    assert demo.install_if_empty(con, SEED) is None  # only on an empty database
    (m,) = migrations.list_migrations(con)
    assert m["synthetic"] and m["frozen"] and "synthetic" in m["name"]
    assert m["items"] == 1200 and len(m["target_models"]) == 2
    counts = db.row_counts(con)
    assert counts["run"] == 3 and counts["output"] == 3600
    info = datasets.list_datasets(con)[0]
    assert info["synthetic"] and 250 < info["holdout"] < 350
    assert {s.split(":")[0] for s in info["strata"]} == set(demo.STRATA)
    prices = {p[0]: (p[2], p[3]) for p in models.current_prices(con)}
    assert prices["amazon.nova-pro-v1:0"] == (0.0008, 0.0032)
    embedded = db.connect(":memory:")
    demo.install(embedded, SEED)
    assert datasets.list_datasets(embedded)[0]["sha256"] == info["sha256"]
    assert db.row_counts(embedded) == counts


def _kappa(generated, model_id, metric="correctness", mask=None):
    outputs, truth = generated.outputs[model_id], generated.truth[model_id]
    scored = outputs[f"score.{metric}"].notna().to_numpy()
    if mask is not None:
        scored = scored & mask
    verdict = outputs[f"score.{metric}"].fillna(0).to_numpy() >= 0.5
    return cohen_kappa_score(truth[scored], verdict[scored])


@pytest.mark.parametrize("model", demo.MODELS, ids=lambda m: m.name)
def test_judges_err_realistically_against_the_hidden_truth(generated, model):
    assert 0.5 <= _kappa(generated, model.model_id) <= 0.8
    strata = generated.items["stratum"].to_numpy()
    easy = _kappa(generated, model.model_id, mask=strata == "lookup")
    hard = _kappa(generated, model.model_id, mask=strata == "adversarial")
    assert hard < easy


def test_candidates_differ_in_a_way_worth_deciding(generated):
    strata = generated.items["stratum"].to_numpy()
    source, nova, opus = (generated.truth[m.model_id] for m in demo.MODELS)
    multi = strata == "multi_hop"
    assert nova[multi].mean() < source[multi].mean() - 0.04  # cheaper one: worse on multi-hop
    assert abs(nova[strata == "lookup"].mean() - source[strata == "lookup"].mean()) < 0.03
    assert opus.mean() > source.mean()  # dearer one: better
    ttft = {
        m.model_id: np.nanmedian(generated.outputs[m.model_id]["ttft_ms"].astype(float))
        for m in demo.MODELS
    }
    assert (
        ttft[demo.MODELS[1].model_id]
        < ttft[demo.MODELS[0].model_id]
        < ttft[demo.MODELS[2].model_id]
    )


def test_latency_has_a_long_tail(generated):
    ttft = generated.outputs[demo.MODELS[0].model_id]["ttft_ms"].dropna().to_numpy()
    p50, p99 = np.percentile(ttft, [50, 99])
    assert p99 > 2.5 * p50


def test_the_demo_canary_can_be_drawn_for_sme_review(demo_con):
    # The last hours of demo traffic carry prompts and answers (golden items of the request's
    # stratum, answered by the arm's model), so an owner can try canary review on the demo.
    from core.review import canary_sampling

    con = demo_con()
    (migration_id,) = con.execute("SELECT migration_id FROM migration").fetchone()
    texts = con.execute(
        "SELECT arm, count(*) FILTER (WHERE prompt IS NOT NULL AND response IS NOT NULL),"
        " max(ts) - min(ts) FILTER (WHERE prompt IS NOT NULL) FROM canary_request GROUP BY arm"
    ).fetchall()
    assert {arm for arm, n, _ in texts if n > 0} == {"control", "canary"}
    assert all(span.total_seconds() <= 6 * 3600 for _, _, span in texts)
    got = canary_sampling.draw(con, migration_id, reviewers=["sme1"], seed=7, actor="owner")
    assert got.considered > 1_000 and got.drawn > 0 and got.assignments == got.drawn
