"""The Calibration page's SME-vs-SME panel is a table (who, figure, estimate with interval,
items), not a raw dictionary; `report calibration` carries the same rows in its JSON."""

import json

import pandas as pd

from core.analysis import calibration
from core.catalog import migrations
from core.store import db
from tests.conftest import app_page

COLUMNS = ["reviewers", "figure", "estimate (95% interval)", "items"]


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
    pooled = table[table["reviewers"] == "pooled"]
    assert "Krippendorff's α (pass/fail)" in set(pooled["figure"])
    assert table["reviewers"].str.contains(" vs ").any()  # one block per reviewer pair
    assert table["items"].min() >= 0 and (table["estimate (95% interval)"] != "").all()

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
        zip(table["reviewers"], table["figure"], strict=True)
    )
    nominal = next(r for r in rows if r["pair"] == "pooled" and "pass/fail" in r["figure"])
    assert nominal["n"] == expected.rows[0].items
    assert nominal["low"] <= nominal["estimate"] <= nominal["high"]
