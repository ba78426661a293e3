"""Hardening (issue 12): configuration kept out of git, limits on input, safe exports,
hostile names that never reach SQL as code."""

import csv
import html
import io
import re
import subprocess
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from core import exports
from core.analysis import calibration, compare, signoff
from core.catalog import migrations, runs
from core.errors import InputError, SwitchyardError
from core.importers import files, limits
from core.importers import labels as label_import
from core.llm import endpoints
from core.store import db
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


@pytest.mark.slow
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

    page = signoff.to_html(spoil(report.to_dict()))
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


# --- Limits: file size, text field size, nesting depth; NUL, duplicate keys, BOM ------------

DEEP = "[" * 100_000 + "]" * 100_000
DEEPEVAL = (DATA / "deepeval_test_run.json").read_text(encoding="utf-8")
BEDROCK = (DATA / "bedrock_automated_output.jsonl").read_text(encoding="utf-8")
NATIVE_JSONL = (DATA / "run_native.jsonl").read_text(encoding="utf-8")
GOLDEN_HEAD = "id,source_prompt,ground_truth"
MB = 1024 * 1024


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


REFUSED.update(
    {
        "small_parquet_expanding_to_a_huge_prompt": (
            "golden",
            "g.parquet",
            parquet_bytes(
                pd.DataFrame({"id": ["n1"], "source_prompt": ["p" * 8 * MB], "ground_truth": ["A"]})
            ),
            ["g.parquet", "row 1", "column 'source_prompt'", "limit per text field"],
        ),
        "csv_field_over_duckdbs_line_limit": (
            "golden",
            "g.csv",
            f"{GOLDEN_HEAD}\nn1,{'x' * 3 * MB},A\n",
            [
                "g.csv",
                "row 1",
                "column 'source_prompt'",
                "1.0 MB limit per text field",
                "SWITCHYARD_MAX_FIELD_KB",
            ],
        ),
        "csv_field_over_any_row_duckdb_reads": (
            "golden",
            "g.csv",
            f"{GOLDEN_HEAD}\nn1,Q?,A\nn2,{'x' * 20 * MB},A\n",
            [
                "g.csv",
                "row 2",
                "column 'source_prompt'",
                "20.0 MB",
                "1.0 MB limit per text field",
                "SWITCHYARD_MAX_FIELD_KB",
            ],
        ),
        "jsonl_record_of_50_mb": (
            "run",
            "r.jsonl",
            '{"item_id":"q1","output":"a"}\n{"item_id":"q2","output":"' + "y" * 50 * MB + '"}\n',
            ["r.jsonl", "line 2", "column 'output'", "limit per text field"],
        ),
        "bedrock_last_line_of_20_mb": (
            "run",
            "b_output.jsonl",
            BEDROCK + BEDROCK.splitlines()[0].replace("What was", "x" * 20 * MB, 1) + "\n",
            ["b_output.jsonl", "line 7", "column 'prompt'", "limit per text field"],
        ),
        "deepeval_output_over_field_limit": (
            "run",
            "d.json",
            DEEPEVAL.replace("Total revenue was $4,210.5 million.", "z" * 2 * MB, 1),
            ["d.json", "test case 1", "column 'output'", "limit per text field"],
        ),
        "deepeval_nested_100000_deep": (
            "run",
            "d.json",
            DEEPEVAL.replace('"testFile":', f'"deep": {DEEP},\n  "testFile":', 1),
            ["d.json", "line 3", "levels deep", "limit of 64", "SWITCHYARD_MAX_JSON_DEPTH"],
        ),
        "jsonl_nested_100000_deep": (
            "run",
            "r.jsonl",
            f'{{"item_id":"q1","output":"a"}}\n{{"item_id":"q2","calls":{DEEP}}}\n',
            ["r.jsonl", "line 2", "levels deep", "SWITCHYARD_MAX_JSON_DEPTH"],
        ),
        "bedrock_nested_100000_deep": (
            "run",
            "b_output.jsonl",
            BEDROCK.replace('"inputRecord": {', f'"deep": {DEEP}, "inputRecord": {{', 1),
            ["b_output.jsonl", "line 1", "levels deep", "SWITCHYARD_MAX_JSON_DEPTH"],
        ),
        "labels_nested_100000_deep": (
            "labels",
            "l.jsonl",
            f'{{"item_id":"q1","model_id":"{SOURCE_MODEL}","reviewer":"a","score":3,'
            f'"extra":{DEEP}}}\n',
            ["l.jsonl", "line 1", "levels deep"],
        ),
        "nul_in_csv_text": (
            "golden",
            "g.csv",
            f"{GOLDEN_HEAD}\nn1,Q?,A\nn2,Q\x00two?,A\n",
            ["g.csv", "row 2", "column 'source_prompt'", "NUL character", "'Q\\x00two?'"],
        ),
        "nul_escape_in_jsonl_text": (
            "run",
            "r.jsonl",
            '{"item_id":"q1","output":"a\\u0000b"}\n',
            ["r.jsonl", "line 1", "column 'output'", "NUL character"],
        ),
        "nul_in_label_notes": (
            "labels",
            "l.csv",
            f"{LABEL_HEAD},notes\nq1,{SOURCE_MODEL},ana,3,pass,fine\x00\n",
            ["l.csv", "row 1", "column 'notes'", "NUL character"],
        ),
        "duplicate_key_jsonl": (
            "run",
            "r.jsonl",
            '{"item_id":"q1","output":"a"}\n{"item_id":"q2","output":"b","output":"c"}\n',
            ["r.jsonl", "line 2", "duplicate key 'output'"],
        ),
        "duplicate_key_deepeval": (
            "run",
            "d.json",
            DEEPEVAL.replace('"score": 0.9,', '"score": 0.9,\n      "score": 0.1,', 1),
            ["d.json", "line 17", "duplicate key 'score'"],
        ),
        "duplicate_key_bedrock": (
            "run",
            "b_output.jsonl",
            BEDROCK.replace('"result": 0.0}', '"result": 0.0, "result": 1.0}', 1),
            ["b_output.jsonl", "line 1", "duplicate key 'result'"],
        ),
        "duplicate_key_labels": (
            "labels",
            "l.jsonl",
            f'{{"item_id":"q1","model_id":"{SOURCE_MODEL}","reviewer":"a","score":3,"score":1}}\n',
            ["l.jsonl", "line 1", "duplicate key 'score'"],
        ),
    }
)


def run_import(con, kind, path):
    if kind == "golden":
        files.import_dataset(con, str(path), "bad", actor="t", model_id=SOURCE_MODEL)
    elif kind == "run":
        model = None if path.name.endswith("_output.jsonl") else TARGET_MODEL
        files.import_run(con, str(path), runs.RunSpec("fin@1", model), actor="t")
    else:
        label_import.import_labels(con, str(path), "fin@1", actor="t")


SLOW_CASES = {"csv_field_over_any_row_duckdb_reads", "jsonl_record_of_50_mb"}  # tens of seconds


@pytest.mark.parametrize(
    "case", [pytest.param(c, marks=pytest.mark.slow) if c in SLOW_CASES else c for c in REFUSED]
)
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


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("golden", "golden.csv"),
        ("golden", "golden.parquet"),
        ("run", "run_native.jsonl"),
        ("run", "deepeval_test_run.json"),
        ("run", "bedrock_automated_output.jsonl"),
        ("run", "ragas_result.parquet"),
        ("labels", "labels.csv"),
        ("labels", "bedrock_human_output.jsonl"),
    ],
)
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    with_target, tmp_path, monkeypatch, kind, name
):
    con = with_target
    path = tmp_path / name
    path.write_bytes((DATA / name).read_bytes())
    monkeypatch.setenv("SWITCHYARD_MAX_FILE_MB", "0.0001")  # 104 bytes
    before = db.row_counts(con)
    with pytest.raises(InputError) as caught:
        run_import(con, kind, path)
    message = str(caught.value)
    assert name in message and "over the 104 bytes limit on input files" in message
    assert "SWITCHYARD_MAX_FILE_MB" in message
    assert db.row_counts(con) == before


def test_limits_are_settings_and_a_bad_value_says_which(monkeypatch):
    assert (limits.current().file_bytes, limits.current().field_bytes) == (1024 * MB, MB)
    assert limits.current().json_depth == 64
    monkeypatch.setenv("SWITCHYARD_MAX_FIELD_KB", "lots")
    with pytest.raises(SwitchyardError, match="SWITCHYARD_MAX_FIELD_KB='lots'"):
        limits.current()


def test_a_valid_50_mb_jsonl_line_imports_when_the_field_limit_allows(
    with_target, tmp_path, monkeypatch
):
    monkeypatch.setenv("SWITCHYARD_MAX_FIELD_KB", str(64 * 1024))
    path = tmp_path / "r.jsonl"
    path.write_text(
        '{"item_id":"q1","output":"a"}\n{"item_id":"q2","output":"' + "y" * 50 * MB + '"}\n',
        encoding="utf-8",
    )
    result = import_run(with_target, path)
    (length,) = with_target.execute(
        "SELECT length(text) FROM output WHERE run_id = ? AND item_id = 'q2'", [result.run_id]
    ).fetchone()
    assert length == 50 * MB


BOM = "\ufeff"


@pytest.mark.parametrize(
    ("kind", "name", "content"),
    [
        ("golden", "g.csv", (DATA / "golden.csv").read_text(encoding="utf-8")),
        ("golden", "g.jsonl", (DATA / "golden.jsonl").read_text(encoding="utf-8")),
        ("run", "r.jsonl", NATIVE_JSONL),
        ("run", "d.json", DEEPEVAL),
        ("run", "b_output.jsonl", BEDROCK),
        ("run", "ragas.csv", (DATA / "ragas_result.csv").read_text(encoding="utf-8")),
        ("labels", "l.csv", (DATA / "labels.csv").read_text(encoding="utf-8")),
        ("labels", "h_output.jsonl", HUMAN),
    ],
)
def test_a_byte_order_mark_is_accepted_in_every_text_format(tmp_path, kind, name, content):
    # Windows tools write a UTF-8 byte-order mark: the file reads as it would without one.
    added = []
    for folder, text in (("plain", content), ("marked", BOM + content)):
        path = tmp_path / folder / name
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        con = db.connect(":memory:")
        files.import_dataset(con, str(DATA / "golden.csv"), "fin", actor="t", model_id=SOURCE_MODEL)
        import_run(con, DATA / "run_native.csv", model_id=TARGET_MODEL, role="target")
        before = db.row_counts(con)
        run_import(con, kind, path)
        added.append({t: n - before[t] for t, n in db.row_counts(con).items() if n != before[t]})
        con.close()
    assert added[0] and added[1] == added[0]


def test_cli_says_one_line_for_json_nested_100000_deep(tmp_path, monkeypatch, capsys):
    from cli import main

    monkeypatch.setenv("SWITCHYARD_DB", str(tmp_path / "cli.duckdb"))
    golden = ["import-dataset", str(DATA / "golden.csv"), "--name", "fin", "--model", SOURCE_MODEL]
    assert main(golden) == 0
    deep = tmp_path / "deep.json"
    deep.write_text(DEEPEVAL.replace('"testFile":', f'"deep": {DEEP},\n  "testFile":', 1))
    capsys.readouterr()
    assert main(["import-run", str(deep), "--dataset", "fin", "--model", TARGET_MODEL]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "line 3" in err and "SWITCHYARD_MAX_JSON_DEPTH" in err and "Traceback" not in err


# --- Hostile names never reach SQL as code ------------------------------------------------

HOSTILE = [
    "m\", (SELECT string_agg(username||':'||password_hash, ' ') FROM app_user) AS \"leak",
    "x'); DROP TABLE item; --",
    "a\"b'c;d -- e",
    "ｃｏｒｒｅｃｔｎｅｓｓ",  # fullwidth look-alike
    "сorrectness",  # Cyrillic с
    "score\u200bx",  # zero-width space
    "n" * 10 * 1024,
]


def csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def test_hostile_names_pass_through_import_and_reports_as_plain_text(con, tmp_path):
    # Strata, a run name, metric names and reviewers built to break out of SQL strings or
    # quoted identifiers: they import, the reports read them back verbatim, nothing else moves.
    golden = tmp_path / "g.csv"
    rows = [f"h{i},Q{i}?,A{i},{csv_cell(HOSTILE[i])},out {i},0.5" for i in range(len(HOSTILE))]
    golden.write_text(
        "id,source_prompt,ground_truth,stratum,source_output,automated_score\n"
        + "\n".join(rows)
        + "\n",
        encoding="utf-8",
    )
    files.import_dataset(con, str(golden), "hostile", actor="t", model_id=SOURCE_MODEL)
    run = tmp_path / "r.csv"
    header = ",".join(csv_cell(f"score.{name}") for name in HOSTILE[:3])
    run.write_text(
        f"item_id,output,latency_ms,{header}\n"
        + "\n".join(f"h{i},o{i},{100 + i},0.2,0.9,1" for i in range(len(HOSTILE)))
        + "\n",
        encoding="utf-8",
    )
    spec = runs.RunSpec("hostile@1", TARGET_MODEL, name=HOSTILE[0], role="target")
    target, _ = files.import_run(con, str(run), spec, actor="t")
    source = con.execute(
        "SELECT run_id FROM run WHERE run_id <> ? AND dataset_id = 'hostile@1'", [target.run_id]
    ).fetchone()[0]
    assert len(target.metrics) == 3  # normalised names, each its own metric
    # Metric names as other writers may store them (Switchyard's own judges), hostile too.
    for run_id in (source, target.run_id):
        (metric,) = con.execute(
            "SELECT min(metric) FROM judge_score WHERE run_id = ?", [run_id]
        ).fetchone()
        con.execute(
            "UPDATE judge_score SET metric = ?, threshold = 0.5, passed = score >= 0.5"
            " WHERE run_id = ? AND metric = ?",
            [HOSTILE[0], run_id, metric],
        )
    labels = tmp_path / "l.csv"
    labels.write_text(
        "item_id,run_id,reviewer,score,notes\n"
        + "\n".join(
            f"h{i},{target.run_id},{csv_cell(HOSTILE[i])},{1 + i % 5},{csv_cell(HOSTILE[-1 - i])}"
            for i in range(len(HOSTILE))
        )
        + "\n",
        encoding="utf-8",
    )
    label_import.import_labels(con, str(labels), "hostile@1", actor="t")
    before = db.row_counts(con)
    users = con.execute("SELECT count(*) FROM app_user").fetchone()

    mig = migrations.create(con, "hostile", source, [target.run_id], actor="t")
    comparison = compare.load(con, mig, target.run_id)
    assert comparison.metrics == [HOSTILE[0]]
    assert set(comparison.items["stratum"]) == set(HOSTILE)
    compare.quality_by_stratum(comparison.items, HOSTILE[0], 0.05)
    compare.sme_labels(con, comparison)
    report = signoff.evaluate(con, mig, target.run_id)
    assert "<script" not in signoff.to_html(report)
    frame = calibration.pairs(con, target.run_id, HOSTILE[0])
    assert set(frame["reviewer"]) == set(HOSTILE) and set(frame["stratum"]) == set(HOSTILE)
    calibration.report(con, target.run_id, HOSTILE[0], resamples=50)
    back = read_back(exports.csv_text(calibration.disagreements(frame)))
    assert {r["reviewer"] for r in back} <= set(HOSTILE)

    after = db.row_counts(con)
    assert after["item"] == before["item"] and after["label"] == before["label"]
    assert con.execute("SELECT count(*) FROM app_user").fetchone() == users
    assert con.execute("SELECT name FROM run WHERE run_id = ?", [target.run_id]).fetchone() == (
        HOSTILE[0],
    )


def test_ci_lints_with_the_security_rules_before_the_tests():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "S" in config["tool"]["ruff"]["lint"]["select"]
    script = (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    steps = [script.index(step) for step in ("ruff check .", "ruff format --check .", "pytest")]
    assert steps == sorted(steps)
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_noqa_for_the_security_rules_says_why():
    bare = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("core", "ui", "pages", "cli")
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"# noqa: S\d+(?!\S* - \w)", line)
    ]
    assert bare == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://host/x", "gopher://h", "relative/x"])
def test_an_openai_compatible_endpoint_is_http_only(url):
    with pytest.raises(InputError, match="must start with http:// or https://"):
        endpoints.request(url, "/chat/completions", {}, "OPENAI_API_KEY")
    assert endpoints.request("https://h/v1/", "/x", {}, "K").full_url == "https://h/v1/x"
