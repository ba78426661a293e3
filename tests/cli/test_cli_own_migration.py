"""A team's own migration on the command line only: files the real tools wrote, in; a signed
report, out. Every step is a subprocess (`python -m core ...`); the test body imports nothing
from core, so it sees only what a user or a CI job sees.

Inputs (tests/data/real/README.md): ragas.evaluate's to_pandas() tables, deepeval.evaluate's
results folders, and two Bedrock LLM-as-judge jobs under one prefix (Harmfulness is
lower-is-better). Expected values are read from those files here, not from Switchyard.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
REAL = DATA / "real"
SONNET = "anthropic.claude-3-5-sonnet-20241022-v2:0"
NOVA = "amazon.nova-pro-v1:0"
STAKEHOLDERS = ("Product owner", "SME lead", "Privacy officer", "Legal / procurement", "SRE")


class Cli:
    def __init__(self, dbfile: Path) -> None:
        self.env = {**os.environ, "SWITCHYARD_DB": str(dbfile), "SWITCHYARD_USER": "owner"}

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "-m", "core", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if ok:
            assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        return done

    def last(self, *args: str) -> str:
        """The id a creating command prints alone on its last line."""
        return self(*args).stdout.strip().splitlines()[-1]

    def json(self, *args: str) -> dict:
        return json.loads(self(*args).stdout)


@pytest.fixture
def cli(tmp_path) -> Cli:
    return Cli(tmp_path / "own.duckdb")


def deepeval_cases(folder: str) -> dict[str, dict]:
    run = json.loads(next((REAL / folder).glob("test_run_*.json")).read_text())
    return {case["name"]: case for case in run["testCases"]}


def pass_rate(cases: dict[str, dict], metric: str, items: int = 6) -> float:
    """Share of the dataset's items whose case passed ``metric``, as DeepEval said."""
    passed = sum(
        m["success"] for c in cases.values() for m in c["metricsData"] if m["name"] == metric
    )
    return passed / items


@pytest.mark.slow
def test_own_migration_from_real_files_to_a_signed_report(cli, tmp_path):
    # 1. The golden set; its automated_score is GEval-style correctness.
    assert (
        cli.last(
            "import-dataset",
            str(DATA / "golden.csv"),
            "--name",
            "fin",
            "--model",
            SONNET,
            "--metric",
            "correctness",
        )
        == "fin@1"
    )

    # 2. DeepEval results folders (as deepeval.evaluate writes them, lock file included).
    source = cli.last(
        "import-run",
        str(REAL / "deepeval_source"),
        "--dataset",
        "fin",
        "--model",
        SONNET,
        "--role",
        "source",
    )
    target = cli.last(
        "import-run", str(REAL / "deepeval_target"), "--dataset", "fin", "--role", "target"
    )
    listed = cli.json("list", "--json")
    runs = {r["run_id"]: r for r in listed["runs"]}
    assert runs[target]["model_id"] == NOVA  # named by the test run's hyperparameters
    assert set(runs[target]["metrics"]) == {
        "answer_relevancy",
        "bias",
        "correctness",
        "faithfulness",
        "hallucination",
        "toxicity",
    }
    assert listed["migrations"] == []

    # 3. The migration, then a sample for two SMEs.
    migration = cli.last(
        "migration", "create", "--name", "Sonnet to Nova", "--source", source, "--target", target
    )
    shown = cli.json("migration", "show", migration)
    assert shown["shared_metrics"] == sorted(runs[target]["metrics"])
    assert cli.json("list", "--json")["migrations"][0]["migration_id"] == migration
    sample = cli.last(
        "sample",
        "--migration",
        migration,
        "--reviewers",
        "sme1,sme2",
        "--fail-rate",
        "1",
        "--pass-rate",
        "1",
        "--minimum",
        "1",
    )

    # 4. SMEs review outside the app: export, fill in as an SME would, import back.
    exported = tmp_path / "sample.csv"
    assert cli.last("export-sample", sample, "--format", "csv", "--out", str(exported)) == str(
        exported
    )
    rows = list(csv.DictReader(exported.open(encoding="utf-8")))
    assert rows and "model" not in " ".join(rows[0]).lower()  # blind: no model names
    assert NOVA not in exported.read_text() and SONNET not in exported.read_text()
    wrong = ("women and old people", "trillion", "fell")  # the target's bad answers
    for row in rows:
        bad = {side: any(w in row[f"response_{side}"] for w in wrong) for side in "ab"}
        for side in "ab":
            row[f"score_{side}"] = "1" if bad[side] else "4"
            row[f"passed_{side}"] = "false" if bad[side] else "true"
            row[f"safety_flag_{side}"] = str("women" in row[f"response_{side}"]).lower()
        row["preference"] = "tie" if bad["a"] == bad["b"] else ("B" if bad["a"] else "A")
    filled = tmp_path / "filled.csv"
    with filled.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    imported = cli("import-labels", str(filled), "--sample", sample).stdout
    assert f"{2 * len(rows)} labels" in imported

    # 5. Calibration: the labels carry the sample's design (weighted, not a convenience set).
    calibration = cli.json("report", "calibration", "--migration", migration)
    assert calibration["run_id"] == source
    bias = calibration["metrics"]["bias"]["report"]
    assert bias["weighted"]["pairs"] == len(rows)
    assert bias.get("design", "sample") == "sample"

    # 6. Compare: directions honoured, the right scores on the right outputs.
    compared = cli.json("report", "compare", "--migration", migration)
    src_cases, tgt_cases = deepeval_cases("deepeval_source"), deepeval_cases("deepeval_target")
    for metric, name in (
        ("bias", "Bias"),
        ("toxicity", "Toxicity"),
        ("correctness", "Correctness [GEval]"),
    ):
        quality = compared["quality"][metric]
        assert quality["source_pass_rate"]["estimate"] == pytest.approx(
            pass_rate(src_cases, name)
        ), metric
        assert quality["target_pass_rate"]["estimate"] == pytest.approx(
            pass_rate(tgt_cases, name)
        ), metric
    assert compared["speed"]["measures"]["ttft"]["status"] == "NOT MEASURED"
    assert compared["cost"]["status"] == "NOT MEASURED"

    # 7. Every stakeholder approves; the signed report says so, with NOT MEASURED criteria.
    for role in STAKEHOLDERS:
        cli(
            "approve",
            "--migration",
            migration,
            "--stakeholder",
            role,
            "--decision",
            "approve",
            "--comment",
            "read the evidence",
        )
    report_file = tmp_path / "signoff.json"
    cli(
        "report", "signoff", "--migration", migration, "--format", "json", "--out", str(report_file)
    )
    report = json.loads(report_file.read_text())
    statuses = {c["name"]: c["status"] for c in report["criteria"]}
    assert statuses["Speed: TTFT"] == "NOT MEASURED"
    assert statuses["Cost: ROI"] == "NOT MEASURED"
    assert statuses["Safety"] == "FAIL"  # the SMEs flagged the target's biased answer
    assert report["decision"] == "NO-GO"
    approvals = {a["role"]: a["decision"] for a in report["approvals"]}
    assert approvals == dict.fromkeys(STAKEHOLDERS, "approve")
    gate = cli("report", "signoff", "--migration", migration, "--gate", ok=False)
    assert gate.returncode == 4  # NO-GO

    # The HTML report from the command line carries the page's chart as static SVG; TTFT was
    # not measured, so it has no TTFT chart.
    html_file = tmp_path / "signoff.html"
    cli("report", "signoff", "--migration", migration, "--format", "html", "--out", str(html_file))
    html = html_file.read_text(encoding="utf-8")
    assert "Judge pass rate on the" in html and html.count("<svg") == 1
    assert "<strong>Time to first token</strong>" not in html
    # ... and as PDF (WeasyPrint, no browser), which must go to a file.
    pdf_file = tmp_path / "signoff.pdf"
    cli("report", "signoff", "--migration", migration, "--format", "pdf", "--out", str(pdf_file))
    assert pdf_file.read_bytes().startswith(b"%PDF-")
    refused = cli("report", "signoff", "--migration", migration, "--format", "pdf", ok=False)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.strip().endswith(
        "--format pdf: a PDF is written to a file: add --out FILE.pdf"
    )


@pytest.mark.slow
def test_bedrock_jobs_and_ragas_tables_on_the_command_line(cli, tmp_path):
    cli("import-dataset", str(DATA / "golden.csv"), "--name", "fin", "--model", SONNET)
    # A prefix holding two jobs (as `aws s3 sync` leaves it) is one run per job.
    folder = tmp_path / "eval-output"
    shutil.copytree(REAL / "bedrock" / "judge_two_models", folder)
    refused = cli("import-run", str(folder), "--dataset", "fin", ok=False)
    assert refused.returncode == 1 and "--job" in refused.stderr
    assert "switchyard-judge-nova" in refused.stderr and "switchyard-judge-sonnet" in refused.stderr
    # The Sonnet job repeats a prompt: refused with its lines; the owner drops the duplicate.
    sonnet_file = next(folder.glob("switchyard-judge-sonnet/**/*_output.jsonl"))
    duplicate = cli(
        "import-run", str(folder), "--dataset", "fin", "--job", "switchyard-judge-sonnet", ok=False
    )
    assert "lines 2 and 4 hold the same prompt" in duplicate.stderr
    lines = sonnet_file.read_text().splitlines()
    sonnet_file.write_text("\n".join(lines[:3]) + "\n")
    source = cli.last(
        "import-run",
        str(folder),
        "--dataset",
        "fin",
        "--job",
        "switchyard-judge-sonnet",
        "--model",
        SONNET,
        "--role",
        "source",
        "--allow-unmatched",
    )
    target = cli.last(
        "import-run",
        str(folder),
        "--dataset",
        "fin",
        "--job",
        "switchyard-judge-nova",
        "--model",
        NOVA,
        "--role",
        "target",
        "--allow-unmatched",
    )
    migration = cli.last(
        "migration", "create", "--name", "Bedrock judge", "--source", source, "--target", target
    )
    compared = cli.json("report", "compare", "--migration", migration)
    harm = compared["quality"]["harmfulness"]

    def harmless(path: Path) -> int:
        """Records whose Harmfulness is 0 (lower is better: they pass)."""
        count = 0
        for line in path.read_text().splitlines():
            for score in json.loads(line)["automatedEvaluationResult"]["scores"]:
                count += score["metricName"] == "Builtin.Harmfulness" and score["result"] < 0.5
        return count

    nova_file = next(folder.glob("switchyard-judge-nova/**/*_output.jsonl"))
    assert harm["source_pass_rate"]["estimate"] == pytest.approx(harmless(sonnet_file) / 6)
    assert harm["target_pass_rate"]["estimate"] == pytest.approx(harmless(nova_file) / 6)
    assert harmless(nova_file) < len(nova_file.read_text().splitlines())  # one harmful answer

    # Ragas' offline metrics, BLEU's 1.0000000000000004 included.
    ragas = cli(
        "import-run", str(REAL / "ragas_target.csv"), "--dataset", "fin", "--model", NOVA
    ).stdout
    assert "bleu_score: 1 scores a rounding error outside [0, 1] clipped" in ragas
    run = ragas.strip().splitlines()[-1]
    listed = {r["run_id"]: r for r in cli.json("list", "--json")["runs"]}
    assert listed[run]["metrics"] == ["bleu", "exact_match", "rouge", "string_present"]
    catalog = {m["metric"]: m for m in cli.json("metric", "list", "--json")}
    assert catalog["harmfulness"]["direction"] == "lower"
    assert (
        "builtin_harmfulness" not in catalog and "harmfulness" in catalog["harmfulness"]["aliases"]
    )
