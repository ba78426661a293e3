"""A sample reviewed outside the app: export, fill, import back, weighted as in the app."""

import csv
import json

import pytest

from core.analysis import calibration
from core.errors import InputError
from core.importers import labels as label_import
from core.review import labels, queue, sample_export
from core.review.queue import ResponseLabel
from core.store import db


@pytest.fixture
def demo(demo_con):
    """A demo database (300 items) and its open review sample (sme1, sme2, sme3, pairs)."""
    con = demo_con(300)
    sample_id = con.execute(
        "SELECT DISTINCT sample_id FROM assignment WHERE reviewer = 'sme1'"
    ).fetchone()[0]
    return con, sample_id


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_csv(path, rows, columns=sample_export.COLUMNS):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def answers(n: int) -> dict:
    """A deterministic SME answer for the n-th filled row (both responses, a preference)."""
    return {
        "score_a": str(1 + n % 5),
        "passed_a": ["", "fail", "pass"][n % 3],
        "failure_modes_a": ["", "hallucination", "omission, verbosity"][n % 3],
        "safety_flag_a": "true" if n % 7 == 0 else "",
        "score_b": str(1 + (n * 3) % 5),
        "passed_b": "",
        "failure_modes_b": "formatting" if n % 4 == 0 else "",
        "safety_flag_b": "",
        "preference": ["A", "B", "tie"][n % 3],
        "notes": f"  note {n}  " if n % 2 else "",
    }


def in_app(row: dict) -> tuple[list[ResponseLabel], str | None, str | None]:
    """The same answer as the review screen's controls would submit it."""

    def side(letter):
        passed = {"pass": True, "fail": False, "": None}[row[f"passed_{letter}"]]
        modes = tuple(m.strip() for m in row[f"failure_modes_{letter}"].split(",") if m.strip())
        return ResponseLabel(
            letter.upper(),
            int(row[f"score_{letter}"]),
            passed,
            modes,
            row[f"safety_flag_{letter}"] == "true",
        )

    return [side("a"), side("b")], row["preference"], row["notes"]


def flat(value) -> list[float]:
    """Every number in a nested figure, in order."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in flat(v)]
    if isinstance(value, list | tuple):
        return [x for v in value for x in flat(v)]
    return [float(value)]


STORED = (
    "SELECT item_id, run_id, pair_run_id, reviewer, score, passed, list_sort(failure_modes),"
    " safety_flag, preference, shown_side, notes, sample_id FROM label WHERE sample_id = ?"
    " ORDER BY item_id, reviewer, run_id"
)


def test_round_trip_gives_the_labels_and_weighted_figures_of_in_app_review(demo_con, tmp_path):
    exported, typed = demo_con(300), demo_con(300)  # two copies of one demo database
    sample_id = exported.execute(
        "SELECT DISTINCT sample_id FROM assignment WHERE reviewer = 'sme1'"
    ).fetchone()[0]
    out = tmp_path / "sample.csv"
    sample_export.export(exported, sample_id, out)
    rows = read_csv(out)
    filled = [dict(row, **answers(n)) if n % 3 else row for n, row in enumerate(rows)]
    done = [row for n, row in enumerate(filled) if n % 3]
    result = label_import.import_labels(
        exported, write_csv(tmp_path / "filled.csv", filled), actor="owner", sample_id=sample_id
    )
    assert (result.labels, result.assignments_done) == (2 * len(done), len(done))
    assert f"{len(rows) - len(done)} rows left blank by the SMEs, skipped" in result.lines()[1]
    for row in done:
        responses, preference, notes = in_app(row)
        labels.submit(
            typed, sample_id, row["item_id"], row["reviewer"], responses, preference, notes
        )
    got, want = (c.execute(STORED, [sample_id]).fetchall() for c in (exported, typed))
    assert got == want and len(got) == 2 * len(done)
    status = "SELECT item_id, reviewer, status FROM assignment ORDER BY 1, 2"
    assert exported.execute(status).fetchall() == typed.execute(status).fetchall()
    source, target = exported.execute(
        "SELECT run_a, run_b FROM sample WHERE sample_id = ?", [sample_id]
    ).fetchone()
    for run in (source, target):
        a, b = (calibration.report(c, run, "correctness", resamples=200) for c in (exported, typed))
        # Equal up to the order of floating-point sums (labels are read in another order).
        assert a.weighted.pairs == b.weighted.pairs
        assert json.dumps(a.to_dict()["weighted"]) != "null"
        assert flat(a.to_dict()["weighted"]) == pytest.approx(flat(b.to_dict()["weighted"]))
        assert list(a.sme_pass_rate) == pytest.approx(list(b.sme_pass_rate))
        assert a.weighted.pairs > b.weighted.pairs - 1 > 0  # the new labels are weighted


def test_export_is_blind_and_places_responses_as_the_review_screen_does(demo, tmp_path):
    con, sample_id = demo
    out = tmp_path / "sample.csv"
    result = sample_export.export(con, sample_id, out)
    text = out.read_text(encoding="utf-8")
    rows = read_csv(out)
    assert list(rows[0]) == list(sample_export.COLUMNS)
    assignments = con.execute(
        "SELECT count(*) FROM assignment WHERE sample_id = ?", [sample_id]
    ).fetchone()[0]
    assert result.rows == len(rows) == assignments
    for run_id, model_id in con.execute("SELECT run_id, model_id FROM run").fetchall():
        assert run_id not in text and model_id not in text
    for row in rows[:20]:
        shown = queue.load(con, sample_id, row["item_id"], row["reviewer"])
        assert [row["response_a"], row["response_b"]] == [r.text for r in shown.responses]
        assert row["placement_key"] == sample_export.placement_key(
            sample_id, row["item_id"], row["reviewer"], queue.blind_key(con)
        )
        assert all(row[c] == "" for c in sample_export.SME)
    mine = sample_export.export(con, sample_id, tmp_path / "sme1.csv", reviewer="sme1")
    assert {r["reviewer"] for r in read_csv(mine.path)} == {"sme1"}


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(demo, tmp_path):
    con, sample_id = demo
    item, reviewer = con.execute(
        "SELECT item_id, reviewer FROM assignment WHERE sample_id = ? ORDER BY 1, 2 LIMIT 1",
        [sample_id],
    ).fetchone()
    dangerous = {
        "prompt": '=HYPERLINK("http://x","y")',
        "context": "+1+1",
        "ground_truth": "-2",
        "source": "@SUM(A1)",
        "target": "\tcmd",
    }
    con.execute(
        "UPDATE item SET prompt = ?, context = ?, ground_truth = ? WHERE item_id = ?",
        [dangerous["prompt"], dangerous["context"], dangerous["ground_truth"], item],
    )
    run_a, run_b = con.execute(
        "SELECT run_a, run_b FROM sample WHERE sample_id = ?", [sample_id]
    ).fetchone()
    for run, text in ((run_a, dangerous["source"]), (run_b, "\rcalc")):
        con.execute(
            "UPDATE output SET text = ? WHERE run_id = ? AND item_id = ?", [text, run, item]
        )
    sample_export.export(con, sample_id, tmp_path / "s.csv", reviewer=reviewer)
    row = next(r for r in read_csv(tmp_path / "s.csv") if r["item_id"] == item)
    assert row["prompt"] == "'" + dangerous["prompt"]
    assert row["context"] == "'+1+1" and row["ground_truth"] == "'-2"
    assert {row["response_a"], row["response_b"]} == {"'@SUM(A1)", "'\rcalc"}
    for cell in row.values():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    sample_export.export(con, sample_id, tmp_path / "s.jsonl", "jsonl", reviewer=reviewer)
    lines = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert next(r for r in lines if r["item_id"] == item)["prompt"] == dangerous["prompt"]


def filled_export(con, sample_id, tmp_path, count=3):
    out = tmp_path / "sample.csv"
    sample_export.export(con, sample_id, out, reviewer="sme1")
    rows = read_csv(out)
    return [dict(row, **answers(n + 1)) if n < count else row for n, row in enumerate(rows)]


def other_item(con, sample_id, reviewer="sme1"):
    return con.execute(
        "SELECT item_id FROM sample_item WHERE sample_id = ? AND item_id NOT IN (SELECT"
        " item_id FROM assignment WHERE sample_id = ? AND reviewer = ?) ORDER BY 1 LIMIT 1",
        [sample_id, sample_id, reviewer],
    ).fetchone()[0]


def assigned_to_another(con, sample_id, item):
    return con.execute(
        "SELECT reviewer FROM assignment WHERE sample_id = ? AND item_id = ?", [sample_id, item]
    ).fetchone()[0]


BAD = {
    "score_out_of_range": (
        lambda rows, con, s: rows[1].update(score_b="7"),
        "row 2, column 'score_b': expected a value between 1 and 5, got '7'",
    ),
    "fractional_score": (
        lambda rows, con, s: rows[0].update(score_a="2.5"),
        "row 1, column 'score_a': expected a whole number",
    ),
    "missing_score": (
        lambda rows, con, s: rows[2].update(score_b=""),
        "row 3, column 'score_b': Response B needs a score from 1 to 5",
    ),
    "missing_preference": (
        lambda rows, con, s: rows[0].update(preference=""),
        "row 1, column 'preference': choose which response is better",
    ),
    "unknown_mode": (
        lambda rows, con, s: rows[1].update(failure_modes_a="typos"),
        "row 2, column 'failure_modes_a': expected failure modes among",
    ),
    "unknown_item": (
        lambda rows, con, s: rows[1].update(item_id="fin-99999"),
        "row 2, column 'item_id': the item is not in sample",
    ),
    "wrong_reviewer": (
        lambda rows, con, s: rows[2].update(reviewer="mallory"),
        "row 3, column 'reviewer': sample .* does not assign this item to this reviewer",
    ),
    "another_reviewers_item": (
        lambda rows, con, s: rows[0].update(
            reviewer=assigned_to_another(con, s, other_item(con, s)),
            item_id=other_item(con, s),
        ),
        "row 1, column 'placement_key': the placement key does not match",
    ),
    "other_sample": (
        lambda rows, con, s: rows[0].update(sample_id="smp-other"),
        "row 1, column 'sample_id': this row belongs to another sample",
    ),
    "duplicate_row": (
        lambda rows, con, s: rows.append(dict(rows[0])),
        r"row \d+, column 'reviewer': duplicate assignment '.* / sme1' \(first on row 1\)",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_filled_exports_are_refused_and_change_nothing(demo, tmp_path, case):
    con, sample_id = demo
    rows = filled_export(con, sample_id, tmp_path)
    change, message = BAD[case]
    change(rows, con, sample_id)
    path = write_csv(tmp_path / "filled.csv", rows)
    before = db.row_counts(con)
    with pytest.raises(InputError, match=f"^{tmp_path / 'filled.csv'}, {message}"):
        label_import.import_labels(con, path, actor="owner", sample_id=sample_id)
    assert db.row_counts(con) == before


def test_a_missing_column_is_named(demo, tmp_path):
    con, sample_id = demo
    rows = filled_export(con, sample_id, tmp_path)
    columns = [c for c in sample_export.COLUMNS if c != "score_b"]
    path = write_csv(tmp_path / "filled.csv", rows, columns)
    before = db.row_counts(con)
    with pytest.raises(InputError, match="column 'score_b': missing required column 'score_b'"):
        label_import.import_labels(con, path, actor="owner", sample_id=sample_id)
    assert db.row_counts(con) == before


def test_an_export_needs_its_sample_and_labels_are_never_overwritten(demo, tmp_path):
    con, sample_id = demo
    rows = filled_export(con, sample_id, tmp_path, count=2)
    path = write_csv(tmp_path / "filled.csv", rows)
    dataset_id = con.execute("SELECT dataset_id FROM dataset").fetchone()[0]
    with pytest.raises(InputError, match="this is a sample export: import it with --sample"):
        label_import.import_labels(con, path, dataset_id, actor="owner")
    # An SME labels the first row's item in the app before the file comes back.
    responses, preference, notes = in_app(rows[0])
    labels.submit(con, sample_id, rows[0]["item_id"], "sme1", responses, preference, notes)
    before = db.row_counts(con)
    with pytest.raises(InputError, match=r"row 1, column 'reviewer': .* was entered in the app"):
        label_import.import_labels(con, path, actor="owner", sample_id=sample_id)
    assert db.row_counts(con) == before
    del rows[0]
    path = write_csv(tmp_path / "filled.csv", rows)
    assert label_import.import_labels(con, path, actor="owner", sample_id=sample_id).labels == 2
    before = db.row_counts(con)
    with pytest.raises(InputError, match="was entered by an earlier import; labels are never"):
        label_import.import_labels(con, path, actor="owner", sample_id=sample_id)
    assert db.row_counts(con) == before


def test_jsonl_export_round_trips(demo, tmp_path):
    con, sample_id = demo
    out = tmp_path / "sample.jsonl"
    sample_export.export(con, sample_id, out, "jsonl", reviewer="sme2")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    rows[0].update(score_a=4, passed_a=True, score_b=2, failure_modes_b=["omission"],
                   preference="A", notes="checked")  # fmt: skip
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = label_import.import_labels(con, str(out), actor="owner", sample_id=sample_id)
    assert result.labels == 2
    stored = con.execute(
        "SELECT shown_side, score, passed, failure_modes, preference, notes FROM label"
        " WHERE sample_id = ? AND reviewer = 'sme2' ORDER BY shown_side",
        [sample_id],
    ).fetchall()
    assert stored == [
        ("A", 4, True, [], "A", "checked"),
        ("B", 2, False, ["omission"], "A", "checked"),
    ]


def test_cli_exports_printing_the_path_last_and_imports_with_sample_only(
    demo_copy, tmp_path, monkeypatch, capsys
):
    from cli import main

    path = demo_copy(300)
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    con = db.connect(str(path))
    sample_id = con.execute(
        "SELECT DISTINCT sample_id FROM assignment WHERE reviewer = 'sme1'"
    ).fetchone()[0]
    con.close()
    out = tmp_path / "sme3.csv"
    args = ["export-sample", sample_id, "--out", str(out), "--reviewer", "sme3", "--mask"]
    assert main(args) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == str(out) and "assignments of sample" in printed[0]
    rows = read_csv(out)
    rows[0].update(answers(1))
    write_csv(out, rows)
    assert main(["import-labels", str(out), "--sample", sample_id]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert (
        printed[0].startswith("2 labels from 1 reviewer imported into ") and sample_id in printed[0]
    )
    assert "  1 assignment marked done" in printed


def test_data_page_imports_a_filled_export_into_its_sample(demo_copy, tmp_path, monkeypatch):
    from tests.conftest import signed_in as app

    path = demo_copy(300)
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    con = db.connect(str(path))
    sample_id = con.execute(
        "SELECT DISTINCT sample_id FROM assignment WHERE reviewer = 'sme1'"
    ).fetchone()[0]
    out = tmp_path / "sme1.csv"
    sample_export.export(con, sample_id, out, reviewer="sme1")
    con.close()
    rows = read_csv(out)
    rows[0].update(answers(2))
    write_csv(out, rows)
    at = app("pages/data.py").run()
    at.text_input(key="data.labels.uri").set_value(str(out))
    at.text_input(key="data.labels.sample").set_value(sample_id)
    next(b for b in at.button if b.label == "Import labels").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("2 labels from 1 reviewer imported into")
    assert any("1 assignment marked done" in c.value for c in at.caption)


def test_the_placement_key_cannot_be_recomputed_from_the_ids():
    """Without the install's key, trying both sides must not reveal the source's side."""
    import hashlib

    from core.review import queue, sample_export

    key = sample_export.placement_key("smp-1", "q1", "sme1")
    unkeyed = {
        hashlib.sha256(
            f"switchyard-placement\x1fsmp-1\x1fq1\x1fsme1\x1f{side}".encode()
        ).hexdigest()[:16]
        for side in "AB"
    }
    assert key not in unkeyed
    assert key == sample_export.placement_key("smp-1", "q1", "sme1")  # stable per install
    assert len(queue.blind_key()) >= 32
