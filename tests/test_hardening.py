"""Hardening (issue 12): configuration kept out of git, limits on input, safe exports,
hostile names that never reach SQL as code."""

import csv
import html
import io
import subprocess
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from core import calibration, db, exports, importing, label_import, runs, signoff
from core.errors import InputError
from tests.conftest import DATA, SOURCE_MODEL, TARGET_MODEL, import_run

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def with_target(con, golden):
    """fin@1 with its source run and a target run."""
    import_run(con, DATA / "run_native.csv", model_id=TARGET_MODEL, role="target")
    return con


def test_auth_configuration_is_git_ignored():
    # config/auth.yaml holds real password hashes and the cookie key.
    done = subprocess.run(
        ["git", "check-ignore", "-q", "config/auth.yaml"],
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0


# --- Exports are safe to open -------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\ry"]


def read_back(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_calibration_disagreements_csv_reads_back_neutralised(demo_con):
    con = demo_con(300)
    target = con.execute("SELECT run_id FROM run WHERE role = 'target'").fetchone()[0]
    frame = calibration.pairs(con, target, "correctness")
    rows = calibration.disagreements(frame)
    assert len(rows) >= len(FORMULAS)
    for i, formula in enumerate(FORMULAS):
        for column in ("notes", "explanation", "stratum", "reviewer", "item_id"):
            rows.loc[i, column] = formula
    back = read_back(exports.csv_text(rows))
    for i, formula in enumerate(FORMULAS):
        for column in ("notes", "explanation", "stratum", "reviewer", "item_id"):
            assert back[i][column] == "'" + formula, (column, back[i][column])
    # Numbers stay numbers: a negative score is not a formula.
    assert float(back[0]["judge_score"]) == rows.loc[0, "judge_score"]


def test_negative_numbers_stay_numbers_and_plain_text_is_untouched():
    frame = pd.DataFrame({"delta": [-0.5, 1.0], "note": ["fine", "a - b"]})
    back = read_back(exports.csv_text(frame))
    assert [r["delta"] for r in back] == ["-0.5", "1.0"]
    assert [r["note"] for r in back] == ["fine", "a - b"]


def test_only_core_exports_writes_csv():
    # Every CSV download or file goes through core.exports, which neutralises formula cells.
    writers = ("to_csv(", "csv.writer(", "csv.DictWriter(")
    offenders = [
        f"{path.relative_to(ROOT)}: {writer}"
        for folder in ("core", "ui", "pages", "cli")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "exports.py" or path.parent.name != "core"
        for writer in writers
        if writer in path.read_text(encoding="utf-8")
    ]
    offenders += [f"app.py: {w}" for w in writers if w in (ROOT / "app.py").read_text()]
    assert offenders == []


def test_signoff_html_escapes_every_value_from_data(demo_con):
    con = demo_con(300)
    mig = con.execute("SELECT migration_id FROM migration LIMIT 1").fetchone()[0]
    report = signoff.evaluate(con, mig, None)
    hostile = "<script>alert(1)</script>"

    def spoil(value, key=None):
        # Every text in the report hostile, except the codes the page looks colours up by.
        if isinstance(value, dict):
            return {k: spoil(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [spoil(v, key) for v in value]
        if isinstance(value, str) and key not in ("decision", "status"):
            return hostile
        return value

    page = signoff.to_html(spoil(report))
    assert "<script" not in page and html.escape(hostile) in page


def test_tables_offer_no_unneutralised_csv_download():
    # Streamlit's table toolbar writes CSV without neutralising formula cells.
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True


# --- Refused input: each case names its place and leaves every table as it was --------------

RUN_HEAD = "item_id,output,ttft_ms,latency_ms,output_tokens,score.correctness"
LABEL_HEAD = "item_id,model_id,reviewer,score,passed"
HUMAN = (DATA / "bedrock_human_output.jsonl").read_text(encoding="utf-8")

# case: (what is imported, file name, content, fragments of the message)
REFUSED = {
    "inf_latency_csv": (
        "run",
        "r.csv",
        f"{RUN_HEAD}\nq1,a,10,100,5,1\nq2,b,10,inf,6,0\n",
        ["r.csv", "row 2", "column 'latency_ms'", "finite"],
    ),
    "infinity_ttft_csv": (
        "run",
        "r.csv",
        f"{RUN_HEAD}\nq1,a,Infinity,100,5,1\n",
        ["row 1", "column 'ttft_ms'", "finite"],
    ),
    "inf_tokens_csv": (
        "run",
        "r.csv",
        f"{RUN_HEAD}\nq1,a,10,100,inf,1\n",
        ["row 1", "column 'output_tokens'", "finite"],
    ),
    "inf_latency_jsonl": (
        "run",
        "r.jsonl",
        '{"item_id":"q1","output":"a","latency_ms":100}\n'
        '{"item_id":"q2","output":"b","latency_ms":Infinity}\n',
        ["r.jsonl", "line 2", "latency_ms", "finite"],
    ),
    "inf_latency_golden": (
        "golden",
        "g.csv",
        "id,source_prompt,ground_truth,latency_ms\nn1,Q?,A,inf\n",
        ["g.csv", "row 1", "column 'latency_ms'", "finite"],
    ),
    "nan_human_score": (
        "labels",
        "l.csv",
        f"{LABEL_HEAD}\nq1,{SOURCE_MODEL},ana,3,pass\nq2,{SOURCE_MODEL},ana,NaN,pass\n",
        ["l.csv", "row 2", "column 'score'", "NaN"],
    ),
    "nan_human_score_jsonl": (
        "labels",
        "l.jsonl",
        f'{{"item_id":"q1","model_id":"{SOURCE_MODEL}","reviewer":"ana","score":NaN}}\n',
        ["l.jsonl", "line 1", "column 'score'", "NaN"],
    ),
    "inf_human_score": (
        "labels",
        "l.csv",
        f"{LABEL_HEAD}\nq1,{SOURCE_MODEL},ana,inf,pass\n",
        ["row 1", "column 'score'"],
    ),
    "nan_bedrock_likert": (
        "labels",
        "h_output.jsonl",
        HUMAN.replace(
            '"modelResponseId": "0", "result": 4}', '"modelResponseId": "0", "result": NaN}', 1
        ),
        ["h_output.jsonl", "line 1", "'Accuracy'", "nan"],
    ),
    "inf_bedrock_likert": (
        "labels",
        "h_output.jsonl",
        HUMAN.replace(
            '"modelResponseId": "0", "result": 4}', '"modelResponseId": "0", "result": Infinity}', 1
        ),
        ["h_output.jsonl", "line 1", "'Accuracy'", "inf"],
    ),
}


def run_import(con, kind, path):
    if kind == "golden":
        importing.import_dataset(con, str(path), "bad", actor="t", model_id=SOURCE_MODEL)
    elif kind == "run":
        importing.import_run(con, str(path), runs.RunSpec("fin@1", TARGET_MODEL), actor="t")
    else:
        label_import.import_labels(con, str(path), "fin@1", actor="t")


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_input_names_its_place_and_changes_no_row(with_target, tmp_path, case):
    con = with_target
    kind, name, content, fragments = REFUSED[case]
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    before = db.row_counts(con)
    with pytest.raises(InputError) as caught:
        run_import(con, kind, path)
    for fragment in fragments:
        assert fragment in str(caught.value), (fragment, str(caught.value)[:500])
    assert db.row_counts(con) == before
