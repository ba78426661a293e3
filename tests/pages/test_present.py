"""ui.present and ui.signoff_view on the demo: what the Compare and Sign-off pages show is
formatted by core.formatting (no 'None', no unrounded float, pp for differences, currency
codes) and the sign-off banner lists every reason."""

import re
from types import SimpleNamespace

import pytest

from core.analysis import compare, signoff
from ui import present, signoff_view

NUMBER = re.compile(r"\d[\d,]*\.\d+")


def unrounded(text: str) -> list[str]:
    """Figures showing more than four significant digits (the browser test's rule)."""
    return [
        f for f in NUMBER.findall(text) if len(f.replace(",", "").replace(".", "").lstrip("0")) > 4
    ]


@pytest.fixture(scope="module")
def demo(module_demo):
    con = module_demo()
    migration_id = con.execute("SELECT migration_id FROM migration").fetchone()[0]
    return con, migration_id


def test_the_banner_lists_every_reason(demo):
    con, migration_id = demo
    report = signoff.evaluate(con, migration_id)
    assert len(report.reasons) > 6  # more than the old banner showed before its "…"
    banner = present.banner(report)
    assert "…" not in banner and banner.startswith(f"**{report.decision}**")
    assert banner.count("\n- ") == len(report.reasons)


def test_compare_tables_use_points_percent_and_no_raw_floats(demo):
    con, migration_id = demo
    comparison = compare.load(con, migration_id, signoff.default_target(con, migration_id))
    figures = compare.figures(comparison, comparison.items)
    tables = [
        present.quality(figures, comparison),
        present.sme_corrected(figures),
        present.by_stratum(figures, comparison.metrics[0]),
        present.percentiles(figures.speed, "ttft"),
        present.failure_rates(figures.speed),
    ]
    for table in tables:
        text = table.astype(str).to_string()
        assert "None" not in text and "nan" not in text, text
        assert unrounded(text) == [], text
    quality = tables[0]
    assert quality["difference"].str.contains(" pp").all()
    assert quality["source pass"].str.match(r"^\d+\.\d% \(\d+\.\d–\d+\.\d%\)$").all()
    # TTFT in ms under a second, in s from a second on (the demo's p99 is about 3.2 s).
    assert tables[3]["source"].str.match(r"^[\d,.]+ (ms|s) \([\d,.]+ to [\d,.]+ (ms|s)\)$").all()
    assert tables[3]["source"].iloc[0].endswith(" ms)")


def test_cost_lines_carry_their_currency(demo):
    con, migration_id = demo
    comparison = compare.load(con, migration_id, signoff.default_target(con, migration_id))
    cost = compare.figures(comparison, comparison.items).cost
    lines = present.cost_lines(cost, len(comparison.items), 3_000_000)
    assert len(lines) == 2
    for line in lines:
        assert re.search(r"USD [\d,]+ a month", line) and "USD 0.00" in line, line
    days, why, saving = present.break_even(cost, cost.roi, "all 1,200 items")
    assert days.endswith("days") and "USD" in why
    assert saving.startswith("Saving per query: USD 0.00") and "holdout" in saving
    assert "× 1,000" not in saving


def test_approvals_show_a_dash_for_nothing_yet(demo):
    con, migration_id = demo
    report = signoff.evaluate(con, migration_id)
    approvals = present.approvals(report)
    assert "None" not in approvals.to_string() and (approvals["by"] == "—").any()


def test_every_criterion_has_a_status_colour_and_icon(demo):
    con, migration_id = demo
    report = signoff.evaluate(con, migration_id)
    for criterion in report.criteria:
        colour, icon = signoff_view.STATUS[criterion.status]
        assert colour and icon.startswith(":material/")
    assert len({c for c, _ in signoff_view.STATUS.values()}) == len(signoff_view.STATUS)
    assert signoff_view.sentence(["a ", "b."]) == "a; b."


def test_withheld_sme_corrected_figures_never_show_zero_labels():
    # 6 items labelled on both runs, too few for the figures: the table read "SME labels 0".
    withheld = compare.SmeCorrection(None, None, None, 6, "6 items carry SME labels of both runs")
    table = present.sme_corrected(SimpleNamespace(sme_corrected={"correctness": withheld}))
    labels = dict(zip(table["what"], table["SME labels"], strict=True))
    assert labels == {"source": "—", "target": "—", "difference": 6}


def test_a_note_shared_by_several_metrics_is_written_once():
    # Seen on Compare: the thin-strata note repeated for each of three metrics, run together.
    thin = "strata with fewer than 10 SME labels (safety/fail (5)) use their labels alone"
    figures = SimpleNamespace(
        sme_corrected={
            m: compare.SmeCorrection(None, None, None, 6, thin)
            for m in ("answer_relevancy", "correctness", "faithfulness")
        }
        | {"tone": compare.SmeCorrection(None, None, None, 6, "no judge scores.")}
    )
    assert present.sme_corrected_notes(figures) == (
        f"answer_relevancy, correctness, faithfulness: {thin}. tone: no judge scores."
    )
    one = SimpleNamespace(sme_corrected={"correctness": figures.sme_corrected["correctness"]})
    assert present.sme_corrected_notes(one) == f"{thin}."


def test_target_runs_with_the_same_name_show_their_run_ids():
    from ui import choosers

    runs = [
        {"run_id": "run-a1", "name": "nova on fin@1", "role": "target"},
        {"run_id": "run-b2", "name": "nova on fin@1", "role": "target"},
        {"run_id": "run-c3", "name": "haiku on fin@1", "role": "candidate"},
    ]
    assert choosers.run_labels(runs) == {
        "run-a1": "nova on fin@1 (target, run-a1)",
        "run-b2": "nova on fin@1 (target, run-b2)",
        "run-c3": "haiku on fin@1 (candidate)",
    }


def test_an_approval_reads_its_time_to_the_minute_on_the_page_and_in_the_export(demo_con):
    # Seen: 'when 2026-11-30 22:11:02.502764' (the stored text) on Sign-off and in its export.
    from core.analysis.signoff import charts

    con = demo_con(200)
    migration_id = con.execute("SELECT migration_id FROM migration").fetchone()[0]
    target = signoff.evaluate(con, migration_id).target_run_id
    signoff.record_approval(con, migration_id, target, "SRE", "approve", actor="manager")
    report = signoff.evaluate(con, migration_id, target)
    when = present.approvals(report).set_index("stakeholder").loc["SRE", "when"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", when), when
    html = charts.export_html(report)
    assert f"<td>{when}</td>" in html
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", html)
