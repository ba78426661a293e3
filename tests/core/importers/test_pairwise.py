"""Pairwise judges: importing their verdicts, and their agreement with SME preferences."""

import json

import pandas as pd
import pytest

import cli
from core.analysis import calibration
from core.errors import InputError
from core.importers import pairwise
from core.review import labels, queue
from core.review.labels import ResponseLabel
from core.store import db
from tests.core.analysis.test_calibration import SEED, owner_page, page_db  # noqa: F401 (fixture)
from ui import calibration_present


@pytest.fixture
def con(demo_con):
    return demo_con(1200)


def roles(con) -> dict[str, str]:
    return dict(con.execute("SELECT role, run_id FROM run").fetchall())


def write(tmp_path, rows: list[dict], name="verdicts.csv") -> str:
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


def test_import_maps_spellings_and_writes_once(con, tmp_path):
    run = roles(con)
    items = [r[0] for r in con.execute("SELECT item_id FROM item ORDER BY 1 LIMIT 4").fetchall()]
    path = write(
        tmp_path,
        [
            {"item_id": items[0], "winner": "B", "metric": "helpfulness", "judge": "j"},
            {"item_id": items[1], "winner": "A", "metric": "helpfulness", "judge": "j"},
            {"item_id": items[2], "winner": " Tie ", "metric": "helpfulness", "judge": "j"},
            {"item_id": items[3], "winner": "candidate", "metric": "", "judge": "j"},
        ],
    )
    result = pairwise.import_verdicts(con, path, run["candidate"], run["source"], actor="t")
    assert result.verdicts == 4
    stored = con.execute(
        "SELECT item_id, metric, winner FROM pairwise_verdict WHERE run_id = ? ORDER BY 1",
        [run["candidate"]],
    ).fetchall()
    assert stored == [
        (items[0], "helpfulness", "run"),
        (items[1], "helpfulness", "baseline"),
        (items[2], "helpfulness", "tie"),
        (items[3], "preference", "run"),
    ]
    audit = con.execute(
        "SELECT action FROM audit WHERE entity = 'pairwise_verdict' ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    assert audit == ("import_pairwise",)


@pytest.mark.parametrize(
    ("rows", "message", "row", "column"),
    [
        (
            [{"item_id": "fin-00001", "winner": "better"}],
            "expected run, baseline or tie",
            2,
            "winner",
        ),
        ([{"item_id": "nope", "winner": "tie"}], "not in", 1, "item_id"),
        (
            [{"item_id": "fin-00001", "winner": "tie"}, {"item_id": "fin-00001", "winner": "run"}],
            "duplicate",
            2,
            "winner",
        ),
        ([{"item_id": "fin-00001", "winner": ""}], "", 1, "winner"),
    ],
)
def test_bad_verdict_files_are_refused_and_write_nothing(con, tmp_path, rows, message, row, column):
    run = roles(con)
    if rows[0]["winner"] == "better":
        rows = [{"item_id": "fin-00002", "winner": "tie"}, *rows]
    before = db.row_counts(con)
    path = write(tmp_path, rows)
    with pytest.raises(InputError) as caught:
        pairwise.import_verdicts(con, path, run["candidate"], run["source"], actor="t")
    text = str(caught.value)
    assert "verdicts.csv" in text and message in text
    assert f"row {row}" in text and column in text
    assert "--allow-unmatched" not in text  # this importer offers no skipping
    assert db.row_counts(con) == before


def test_reimport_and_wrong_runs_are_refused(con, tmp_path):
    run = roles(con)
    before = db.row_counts(con)
    path = write(tmp_path, [{"item_id": "fin-00001", "winner": "tie"}])
    with pytest.raises(InputError, match="imported before"):
        pairwise.import_verdicts(con, path, run["target"], run["source"], actor="t")  # demo's
    with pytest.raises(InputError, match="must differ"):
        pairwise.import_verdicts(con, path, run["source"], run["source"], actor="t")
    with pytest.raises(InputError, match="no run 'run-missing'"):
        pairwise.import_verdicts(con, path, "run-missing", run["source"], actor="t")
    assert db.row_counts(con) == before


def test_sme_preference_follows_the_side_each_run_was_shown_on(con):
    # The review screen places the source on A or B by a hash; whichever side the SME
    # prefers, the pair must name the run shown there.
    run = roles(con)
    sample_id = con.execute(
        "SELECT sample_id FROM sample WHERE NOT name LIKE 'Simulated%' LIMIT 1"
    ).fetchone()[0]
    slots = con.execute(
        "SELECT a.item_id, a.reviewer FROM assignment a WHERE a.sample_id = ?"
        " ORDER BY a.item_id, a.reviewer",
        [sample_id],
    ).fetchall()
    placed = {}
    for item_id, reviewer in slots:
        side = queue.source_side(sample_id, item_id, reviewer, queue.blind_key(con))
        placed.setdefault(side, (item_id, reviewer))
    assert set(placed) == {"A", "B"}
    for source_side, (item_id, reviewer) in placed.items():
        target_side = "B" if source_side == "A" else "A"
        responses = [ResponseLabel(side, 4, None) for side in "AB"]
        labels.submit(con, sample_id, item_id, reviewer, responses, target_side)
        frame = pairwise.pairs(con, run["target"], run["source"], "preference")
        mine = frame[(frame["item_id"] == item_id) & (frame["reviewer"] == reviewer)]
        assert mine["sme"].tolist() == ["run"], source_side


def test_agreement_with_and_without_ties_on_the_demo(con):
    run = roles(con)
    frame = pairwise.pairs(con, run["target"], run["source"], "preference")
    result = calibration.pairwise(frame["judge"].tolist(), frame["sme"].tolist())
    both = frame[(frame["judge"] != "tie") & (frame["sme"] != "tie")]
    assert result.pairs == len(frame) > 100
    assert result.pairs_without_ties == len(both) < len(frame)
    assert result.with_ties.estimate == pytest.approx((frame["judge"] == frame["sme"]).mean())
    assert result.without_ties.estimate == pytest.approx((both["judge"] == both["sme"]).mean())
    table = calibration_present.pairwise_table(result)
    assert table["pairs"].tolist() == [len(frame), len(both)]


def test_cli_imports_verdicts_and_reports_them(demo_copy, tmp_path, capsys):
    copy = demo_copy(1200, "cli.duckdb")
    con = db.connect(str(copy))
    run = roles(con)
    con.close()
    path = write(tmp_path, [{"item_id": "fin-00001", "winner": "A"}])
    code = cli.main(
        [
            "--db",
            str(copy),
            "import-pairwise",
            path,
            "--run",
            run["candidate"],
            "--baseline",
            run["source"],
        ]
    )
    assert code == 0 and "1 pairwise verdicts imported" in capsys.readouterr().out
    code = cli.main(
        [
            "--db",
            str(copy),
            "report",
            "calibration",
            "--run",
            run["target"],
            "--resamples",
            "50",
            "--metric",
            "correctness",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    (entry,) = report["metrics"]["pairwise"]
    assert entry["baseline_run_id"] == run["source"] and entry["pairs"] > 100


def test_calibration_page_shows_the_pairwise_panel(page_db):  # noqa: F811
    at = owner_page()
    roles_shown = at.selectbox(key="calibration.run").options
    target = next(i for i, o in enumerate(roles_shown) if "(target)" in o)
    at.selectbox(key="calibration.run").select_index(target).run()
    assert not at.exception
    tables = [d.value for d in at.dataframe]
    pairwise_tables = [t for t in tables if "Agreement" in t.columns]
    assert pairwise_tables and pairwise_tables[0]["Pairs"].iloc[0] > 100
    at.selectbox(key="calibration.run").select_index(1 - target if target < 2 else 0).run()
    assert not at.exception
