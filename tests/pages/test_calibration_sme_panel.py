"""The Calibration page's SME-vs-SME panel is a table (who, figure, estimate with interval,
items), not a raw dictionary; `report calibration` carries the same rows in its JSON."""

import json

import pandas as pd

from core.analysis import calibration
from core.catalog import migrations
from core.store import db
from tests.conftest import app_page

COLUMNS = ["Reviewers", "Figure", "Estimate (95% interval)", "Items"]


def sme_frame(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if list(d.value.columns) == COLUMNS)


def test_sme_panel_is_a_table_and_the_cli_json_carries_its_rows(demo_page_db, capsys):
    from cli import main

    path = demo_page_db(400)
    con = db.connect(str(path))
    (migration,) = migrations.list_migrations(con)
    source = migrations.source_run(con, migration["migration_id"])
    expected = calibration.sme_agreement(con, source, resamples=200)
    con.close()
    assert expected.items > 0

    at = app_page("pages/calibration.py", "owner", "eval_owner")
    assert not at.exception
    assert not at.json  # the panel was st.json(to_dict()) before
    table = sme_frame(at)
    pooled = table[table["Reviewers"] == "pooled"]
    assert "Krippendorff's α (pass/fail)" in set(pooled["Figure"])
    assert table["Reviewers"].str.contains(" vs ").any()  # one block per reviewer pair
    assert table["Items"].min() >= 0 and (table["Estimate (95% interval)"] != "").all()

    code = main(
        [
            "report",
            "calibration",
            "--migration",
            migration["migration_id"],
            "--metric",
            "correctness",
            "--resamples",
            "200",
        ]
    )
    assert code == 0
    rows = json.loads(capsys.readouterr().out)["metrics"]["sme_vs_sme"]["rows"]
    assert [(r["pair"], r["figure"]) for r in rows] == [(r.pair, r.figure) for r in expected.rows]
    assert [(r["pair"], r["figure"]) for r in rows] == list(
        zip(table["Reviewers"], table["Figure"], strict=True)
    )
    nominal = next(r for r in rows if r["pair"] == "pooled" and "pass/fail" in r["figure"])
    assert nominal["n"] == expected.rows[0].items
    assert nominal["low"] <= nominal["estimate"] <= nominal["high"]


def test_page_over_six_labels_recommends_no_threshold_and_says_why(tmp_path, monkeypatch):
    # Issue 11, item 8: six labels gave a recommended threshold with a zero-width interval
    # and κ 1.00 (1.00–1.00); the page now says "not enough labels" and offers nothing to apply.
    from core.importers import files
    from tests.conftest import DATA, SOURCE_MODEL, TARGET_MODEL, import_run

    path = tmp_path / "thin.duckdb"
    con = db.connect(str(path))
    files.import_dataset(con, str(DATA / "golden.csv"), "fin", actor="owner", model_id=SOURCE_MODEL)
    source = con.execute("SELECT run_id FROM run").fetchone()[0]
    target = import_run(con, DATA / "run_native.csv", model_id=TARGET_MODEL, role="target")
    migrations.create(con, "fin switch", source, [target.run_id], actor="owner")
    con.close()
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    at = app_page("pages/calibration.py", "owner", "eval_owner")
    assert not at.exception
    figures = at.dataframe[0].value.set_index("Figure")
    assert figures.loc["Cohen's κ"].iloc[1].startswith("1.00 (not enough labels: 6 items")
    lines = " ".join(m.value for m in at.markdown)
    assert "No recommended threshold: not enough labels: 6 items" in lines
    assert at.button(key="calibration.apply").disabled
    assert not any("can be trusted" in i.value for i in at.info)
