"""Labels from elsewhere: the documented label file and Bedrock human-evaluation output."""

import json

import pytest

from core.errors import InputError
from core.importers import labels
from core.store import db
from tests.conftest import DATA, SOURCE_MODEL, TARGET_MODEL, import_run

HEADER = "item_id,model_id,reviewer,score,passed,failure_modes"


@pytest.fixture
def with_target(con, golden):
    """fin@1 with the golden source run and a target run (two models, one run each)."""
    import_run(con, DATA / "run_native.csv", model_id=TARGET_MODEL, role="target")
    return con


def labels_of(con, reviewer):
    return con.execute(
        "SELECT l.item_id, r.model_id, l.score, l.passed, l.failure_modes, l.safety_flag,"
        " l.preference, l.shown_side, l.notes FROM label l JOIN run r USING (run_id)"
        " WHERE l.reviewer = ? ORDER BY 1, 2",
        [reviewer],
    ).fetchall()


def test_label_file_imports_every_row_with_its_run(with_target):
    con = with_target
    result = labels.import_labels(con, str(DATA / "labels.csv"), "fin@1", actor="owner")
    assert (result.labels, result.reviewers, result.rows) == (4, 2, 4)
    assert labels_of(con, "ben") == [
        ("q2", SOURCE_MODEL, 1, False, ["hallucination"], False, None, None, "wrong margin"),
        ("q5", SOURCE_MODEL, 4, None, [], True, None, None, "check the refusal wording"),
    ]
    origin = con.execute(
        "SELECT DISTINCT origin, sample_id FROM label WHERE reviewer = 'ana'"
    ).fetchall()
    assert origin == [("import", None)]


def test_bedrock_human_evaluation_output(with_target):
    con = with_target
    result = labels.import_labels(
        con, str(DATA / "bedrock_human_output.jsonl"), "fin@1", actor="owner"
    )
    assert (result.labels, result.reviewers) == (12, 2)  # 3 prompts x 2 workers x 2 responses
    got = labels_of(con, "worker-b")
    # q2 (n = 1): worker-b prefers the left response (the source, shown as A); thumbs down
    # on the source; Likert 4 - n = 3 for the source, 3 for the target.
    assert ("q2", SOURCE_MODEL, 3, False, [], False, "A", "A", None) in got
    assert ("q2", TARGET_MODEL, 3, True, [], False, "A", "B", None) in got
    # q1 (n = 0): worker-b prefers the right response (the target).
    assert ("q1", SOURCE_MODEL, 4, True, [], False, "B", "A", None) in got


BAD = {
    "missing_reviewer": ("item_id,model_id,score\nq1,m,3\n", "column 'reviewer'"),
    "score_out_of_range": (
        f"{HEADER}\nq1,{SOURCE_MODEL},ana,7,pass,\n",
        "row 1, column 'score': expected a value between 1 and 5, got '7'",
    ),
    "fractional_score": (f"{HEADER}\nq1,{SOURCE_MODEL},ana,2.5,pass,\n", "whole number"),
    "ragged_row": (
        f"{HEADER}\nq1,{SOURCE_MODEL},2,pass,\n",
        "row 1: expected 6 fields like the header, found 5",
    ),
    "no_verdict": (f"{HEADER}\nq1,{SOURCE_MODEL},ana,,,\n", "neither a score nor passed"),
    "unknown_mode": (f"{HEADER}\nq1,{SOURCE_MODEL},ana,2,fail,typos\n", "expected failure modes"),
    "unknown_item": (
        f"{HEADER}\nq1,{SOURCE_MODEL},ana,2,fail,\nq99,{SOURCE_MODEL},ana,2,fail,\n",
        "row 2, column 'item_id': id 'q99' is not in dataset fin@1",
    ),
    "duplicate": (
        f"{HEADER}\nq1,{SOURCE_MODEL},ana,2,fail,\nq1,{SOURCE_MODEL},ana,3,pass,\n",
        "row 2, column 'reviewer': duplicate label (item, run, reviewer)",
    ),
    "unknown_model": (f"{HEADER}\nq1,mystery-model,ana,2,fail,\n", "'mystery-model' has 0 runs"),
    "bad_preference": (
        f"item_id,model_id,reviewer,score,preference\nq1,{SOURCE_MODEL},ana,2,left\n",
        "expected one of A, B, tie",
    ),
    "bad_bool": (f"{HEADER}\nq1,{SOURCE_MODEL},ana,2,maybe,\n", "expected true/false"),
    "empty": ("", "empty"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_label_files_are_refused_and_change_nothing(with_target, tmp_path, case):
    con = with_target
    content, message = BAD[case]
    path = tmp_path / "labels.csv"
    path.write_text(content)
    before = db.row_counts(con)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        labels.import_labels(con, str(path), "fin@1", actor="owner")
    assert db.row_counts(con) == before


def test_reimporting_labels_is_refused_not_duplicated(with_target):
    con = with_target
    labels.import_labels(con, str(DATA / "labels.csv"), "fin@1", actor="owner")
    before = db.row_counts(con)
    with pytest.raises(InputError, match="imported before; labels are never silently"):
        labels.import_labels(con, str(DATA / "labels.csv"), "fin@1", actor="owner")
    assert db.row_counts(con) == before


def test_bedrock_file_with_a_bad_line_names_it(with_target, tmp_path):
    path = tmp_path / "human_output.jsonl"
    good = (DATA / "bedrock_human_output.jsonl").read_text().splitlines()[0]
    path.write_text(good + '\n{"humanEvaluationResult": 3}\n')
    with pytest.raises(InputError, match="line 2: expected humanEvaluationResult to be a list"):
        labels.import_labels(with_target, str(path), "fin@1", actor="owner")


# --- Labels attached to a sample (--sample) ------------------------------------------------


@pytest.fixture
def fin_sample(with_target):
    """A single-output review sample of the source run on fin@1: half of each stratum's
    items (at least one), so inclusion probabilities are 1/2 or 1; reviewers ana and ben."""
    from core.catalog import migrations
    from core.review import sampling

    con = with_target
    source = con.execute("SELECT run_id FROM run WHERE role = 'source'").fetchone()[0]
    target = con.execute("SELECT run_id FROM run WHERE role = 'target'").fetchone()[0]
    migration_id = migrations.create(con, "fin switch", source, [target], actor="owner")
    params = sampling.SampleParams(
        fail_rate=0.5,
        pass_rate=0.5,
        minimum=1,
        seed=1,
        metric="automated_score",
        regressions=False,
        reviewers=("ana", "ben"),
    )
    sample_id = sampling.create(con, migration_id, source, None, params, actor="owner")
    return con, sample_id, source


def assigned(con, sample_id):
    return con.execute(
        "SELECT item_id, reviewer FROM assignment WHERE sample_id = ? ORDER BY 1", [sample_id]
    ).fetchall()


def label_file(tmp_path, rows, header="item_id,reviewer,score,passed,failure_modes"):
    path = tmp_path / "sample_labels.csv"
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return str(path)


def test_labels_attached_to_a_sample_are_weighted_like_in_app_labels(fin_sample, tmp_path):
    from core.analysis import calibration

    con, sample_id, source = fin_sample
    rows = [(item, reviewer, 2 + n % 4, "", "") for n, (item, reviewer) in
            enumerate(assigned(con, sample_id))]  # fmt: skip
    result = labels.import_labels(
        con, label_file(tmp_path, rows), actor="owner", sample_id=sample_id
    )
    assert (result.dataset_id, result.sample_id, result.labels) == ("fin@1", sample_id, len(rows))
    assert result.assignments_done == len(rows)
    assert con.execute(
        "SELECT count(*) FROM assignment WHERE sample_id = ? AND status <> 'done'", [sample_id]
    ).fetchone() == (0,)
    frame = calibration.pairs(con, source, "automated_score")
    attached = frame[frame["sample_id"] == sample_id]
    assert len(attached) == len(rows)
    # Each label counts 1 / (inclusion probability x labels on its item), as in-app labels.
    probability = dict(
        con.execute(
            "SELECT item_id, inclusion_prob FROM sample_item WHERE sample_id = ?", [sample_id]
        ).fetchall()
    )
    per_item = frame.groupby("item_id")["reviewer"].transform("count")
    counts = per_item[attached.index]
    expected = [1 / probability[i] / n for i, n in zip(attached["item_id"], counts, strict=True)]
    assert attached["weight"].tolist() == pytest.approx(expected)
    assert set(probability.values()) <= {0.5, 1.0} and 0.5 in probability.values()
    report = calibration.report(con, source, "automated_score", resamples=50)
    assert report.design == "sample" and report.weighted.pairs == len(rows)
    assert report.sme_pass_rate is not None


def test_labels_for_items_outside_the_sample_are_refused_with_their_rows(fin_sample, tmp_path):
    con, sample_id, _ = fin_sample
    inside = {item for item, _ in assigned(con, sample_id)}
    outside = sorted({"q1", "q2", "q3", "q4", "q5", "q6"} - inside)
    rows = [(sorted(inside)[0], "ana", 4, "", "")] + [(item, "ana", 3, "", "") for item in outside]
    before = db.row_counts(con)
    message = (
        f"rows {', '.join(str(n) for n in range(2, len(rows) + 1))}: items"
        f" {', '.join(map(repr, outside))} are not in sample {sample_id}"
    )
    with pytest.raises(InputError, match=message):
        labels.import_labels(con, label_file(tmp_path, rows), actor="owner", sample_id=sample_id)
    assert db.row_counts(con) == before


def test_a_run_outside_the_sample_is_refused(fin_sample, tmp_path):
    con, sample_id, _ = fin_sample
    item = assigned(con, sample_id)[0][0]
    path = label_file(
        tmp_path, [(item, TARGET_MODEL, "ana", 4)], header="item_id,model_id,reviewer,score"
    )
    before = db.row_counts(con)
    with pytest.raises(InputError, match=f"'{TARGET_MODEL}' has 0 runs on sample {sample_id}"):
        labels.import_labels(con, path, actor="owner", sample_id=sample_id)
    assert db.row_counts(con) == before


def test_labels_imported_without_a_sample_are_attached_later_not_duplicated(fin_sample, tmp_path):
    con, sample_id, source = fin_sample
    rows = [(item, reviewer, 4, "pass", "") for item, reviewer in assigned(con, sample_id)]
    path = label_file(tmp_path, rows)
    first = labels.import_labels(con, path, "fin@1", actor="owner", run_id=source)
    assert first.sample_id is None
    again = labels.import_labels(con, path, actor="owner", sample_id=sample_id)
    assert (again.labels, again.attached) == (len(rows), len(rows))
    assert con.execute(
        "SELECT count(*), count(sample_id) FROM label WHERE reviewer IN ('ana', 'ben')"
    ).fetchone() == (len(rows), len(rows))
    audit = con.execute("SELECT entity_id FROM audit WHERE action = 'attach_labels'").fetchall()
    assert audit == [(sample_id,)]
    # Other answers for the same labels would overwrite them: refused.
    changed = label_file(tmp_path, [(rows[0][0], rows[0][1], 1, "fail", "")])
    before = db.row_counts(con)
    with pytest.raises(InputError, match="was entered by an earlier import; labels are never"):
        labels.import_labels(con, changed, actor="owner", sample_id=sample_id)
    assert db.row_counts(con) == before


def test_an_earlier_import_with_other_answers_is_not_attached(fin_sample, tmp_path):
    con, sample_id, source = fin_sample
    item, reviewer = assigned(con, sample_id)[0]
    labels.import_labels(
        con,
        label_file(tmp_path, [(item, reviewer, 4, "pass", "")]),
        "fin@1",
        actor="owner",
        run_id=source,
    )
    before = db.row_counts(con)
    with pytest.raises(InputError, match="imported before with other answers; labels are never"):
        labels.import_labels(
            con,
            label_file(tmp_path, [(item, reviewer, 2, "fail", "")]),
            actor="owner",
            sample_id=sample_id,
        )
    assert db.row_counts(con) == before


def test_a_sample_of_another_dataset_is_refused(fin_sample, tmp_path):
    con, sample_id, _ = fin_sample
    with pytest.raises(InputError, match=f"sample {sample_id} was drawn from fin@1, not fin@2"):
        labels.import_labels(
            con, str(DATA / "labels.csv"), "fin@2", actor="owner", sample_id=sample_id
        )


def test_every_label_keeps_its_row_as_it_came(with_target):
    con = with_target
    labels.import_labels(con, str(DATA / "labels.csv"), "fin@1", actor="owner")
    raw = con.execute(
        "SELECT raw_record FROM label WHERE reviewer = 'ben' AND item_id = 'q5'"
    ).fetchone()[0]
    assert json.loads(raw) == {
        "item_id": "q5",
        "model_id": SOURCE_MODEL,
        "reviewer": "ben",
        "score": "4",
        "passed": None,
        "failure_modes": None,
        "safety_flag": "true",
        "notes": "check the refusal wording",
    }


def test_a_label_file_on_another_scale_is_mapped_and_said(with_target, tmp_path):
    con = with_target
    path = tmp_path / "ten.csv"
    path.write_text(
        f"item_id,model_id,reviewer,score\nq1,{SOURCE_MODEL},ana,10\nq2,{SOURCE_MODEL},ana,1\n"
        f"q3,{SOURCE_MODEL},ana,6\n"
    )
    result = labels.import_labels(con, str(path), "fin@1", actor="owner", score_scale=(1, 10))
    # 1 + 4 (s - 1) / 9: 10 -> 5, 1 -> 1, 6 -> 3.22 -> 3.
    scores = con.execute(
        "SELECT item_id, score FROM label WHERE reviewer = 'ana' ORDER BY 1"
    ).fetchall()
    assert scores == [("q1", 5), ("q2", 1), ("q3", 3)]
    assert any(n.startswith("scores on 1-10 mapped linearly onto 1-5") for n in result.notes)
    with pytest.raises(InputError, match="expected LOW:HIGH whole numbers"):
        labels.parse_scale("7:1")


@pytest.fixture
def pair_sample(demo_con):
    """The demo's open side-by-side sample (source and target runs; 300 items) and 6 of its
    open assignments."""
    con = demo_con(300)
    sample_id, source, target = con.execute(
        "SELECT sample_id, run_a, run_b FROM sample WHERE run_b IS NOT NULL AND sample_id IN"
        " (SELECT sample_id FROM assignment WHERE status = 'open') ORDER BY 1 LIMIT 1"
    ).fetchone()
    items = con.execute(
        "SELECT item_id, reviewer FROM assignment WHERE sample_id = ? AND status = 'open'"
        " ORDER BY 1, 2 LIMIT 6",
        [sample_id],
    ).fetchall()
    return con, sample_id, source, target, items


def open_assignments(con, sample_id):
    return con.execute(
        "SELECT count(*) FROM assignment WHERE sample_id = ? AND status <> 'done'", [sample_id]
    ).fetchone()[0]


def test_a_pair_assignment_stays_open_until_both_responses_and_the_preference_are_labelled(
    pair_sample, tmp_path
):
    con, sample_id, source, target, items = pair_sample
    still_open = open_assignments(con, sample_id)
    header = "item_id,run_id,reviewer,score,preference"
    # The file grades only the target run: no assignment is done (the app requires a score
    # for every shown response and a preference, core.review.labels.validate).
    path = tmp_path / "target_only.csv"
    path.write_text(header + "\n" + "".join(f"{i},{target},{r},4,\n" for i, r in items))
    result = labels.import_labels(con, str(path), actor="owner", sample_id=sample_id)
    assert (result.labels, result.assignments_done) == (len(items), 0)
    assert open_assignments(con, sample_id) == still_open
    assert (
        f"  {len(items)} items graded on one response only: their assignments stay open"
        in result.lines()
    )
    # The source run, still without a preference: graded on both, yet open.
    path = tmp_path / "source_no_preference.csv"
    path.write_text(header + "\n" + "".join(f"{i},{source},{r},3,\n" for i, r in items[:1]))
    result = labels.import_labels(con, str(path), actor="owner", sample_id=sample_id)
    assert result.assignments_done == 0 and open_assignments(con, sample_id) == still_open
    assert "  1 item graded with no preference: its assignment stays open" in result.lines()
    # The source run with a preference completes the other items.
    path = tmp_path / "source.csv"
    path.write_text(header + "\n" + "".join(f"{i},{source},{r},3,A\n" for i, r in items[1:]))
    result = labels.import_labels(con, str(path), actor="owner", sample_id=sample_id)
    assert result.assignments_done == len(items) - 1
    assert open_assignments(con, sample_id) == still_open - len(items) + 1
    assert not any("stay open" in line for line in result.lines())
