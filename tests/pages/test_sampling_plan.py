"""The Sampling page's planner under AppTest, on the demo: labels per stratum for a target
interval, before a sample and as a top-up of a labelled one."""

import pytest

from core.catalog import migrations
from core.review import planning, sampling
from core.review.design import stratum_take
from tests.conftest import signed_in
from ui import store


@pytest.fixture
def dbfile(demo_page_db):
    demo_page_db(1200)


def page():
    return signed_in("pages/sampling.py", "owner", ("eval_owner",)).run()


def planner_table(at):
    return next(d.value for d in at.dataframe if "Labels needed" in d.value.columns)


def sentence(at) -> str:
    return next(m.value for m in at.markdown if "labels" in m.value and "κ" in m.value)


def test_the_planner_shows_labels_per_stratum_before_a_sample(dbfile):
    at = page()
    assert not at.exception
    table = planner_table(at)
    assert list(table.columns) == [
        "Stratum", "Items (N_h)", "Drawn", "Labelled", "Pass rate needs", "κ needs",
        "Labels needed", "More", "Rate (%)",
    ]  # fmt: skip
    # The same plan computed from the database: the demo migration and the run the page chose.
    con = store.cursor()
    migration_id = con.execute("SELECT migration_id FROM migration LIMIT 1").fetchone()[0]
    target = at.selectbox(key="sampling.target").value["run_id"]  # the page's default choice
    params = sampling.SampleParams(seed=1, reviewers=())
    preview = sampling.plan(
        con, migration_id, migrations.source_run(con, migration_id), target, params
    )
    priors = planning.earlier_priors(con, migration_id)
    shown = planning.Priors(round(100 * priors.fail, 1) / 100, round(100 * priors.passed, 1) / 100)
    expected = planning.plan(planning.frame_strata(preview), shown, planning.Targets(0.03, 0.10))
    assert table["Labels needed"].tolist() == [s.needed for s in expected.strata]
    assert table["Items (N_h)"].sum() == preview.frame and table["Drawn"].sum() == 0
    # The rate shown draws exactly the labels needed (design.stratum_take rounds rate × N_h up).
    for _, row in table.iterrows():
        assert stratum_take(row["Items (N_h)"], row["Rate (%)"] / 100, 0) == row["Labels needed"]
    text = sentence(at)
    assert text.startswith(f"Neyman allocation: {expected.planned.labels} labels give")
    assert f"design takes {preview.total} labels" in text
    assert any("Fleiss, Cohen & Everitt" in c.value for c in at.caption)


def test_a_wider_target_needs_fewer_labels(dbfile):
    at = page()
    before = planner_table(at)["Labels needed"].sum()
    at.number_input(key="sampling.plan.pass_rate").set_value(10.0)
    at.number_input(key="sampling.plan.kappa").set_value(0.3)
    at.run()
    assert not at.exception and planner_table(at)["Labels needed"].sum() < before


def test_the_planner_tops_up_a_labelled_sample(dbfile):
    at = page()
    con = store.cursor()
    labelled = con.execute(
        "SELECT sample_id FROM label WHERE sample_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC"
        " LIMIT 1"
    ).fetchone()[0]
    at.selectbox(key="sampling.plan.sample").set_value(labelled).run()
    assert not at.exception
    table = planner_table(at)
    items = con.execute(
        "SELECT count(*) FROM sample_item WHERE sample_id = ?", [labelled]
    ).fetchone()[0]
    assert table["Drawn"].sum() == items and table["Labelled"].sum() > 0
    assert (table["Labels needed"] >= table["Drawn"]).all()
    more = int(table["More"].sum())
    assert more > 0 and sentence(at).startswith(f"{more} more labels (in strata ")
