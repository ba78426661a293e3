"""Hardening (issue 12): configuration kept out of git, limits on input, safe exports,
hostile names that never reach SQL as code."""

import csv
import html
import io
import subprocess
import tomllib
from pathlib import Path

import pandas as pd

from core import calibration, exports, signoff

ROOT = Path(__file__).resolve().parent.parent


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
