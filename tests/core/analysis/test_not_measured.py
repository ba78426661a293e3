"""Runs without a measure (TTFT, latency, tokens, a price) are still compared: that figure
reads NOT MEASURED with what would measure it, every other figure still appears, and the
sign-off says NOT YET until it is measured.

Ragas, DeepEval and Bedrock evaluation files carry no TTFT and usually no latency, tokens or
cost; the migrations here are built the same way, from native run files without those columns.
"""

from __future__ import annotations

import csv
import json
from datetime import date

import numpy as np
import pytest

import cli
from core.analysis import compare, signoff
from core.analysis.paired import Bootstrap, resampled_quantiles
from core.catalog import migrations, models, runs
from core.importers import files
from core.store import db
from tests.conftest import app_page
from ui import present

SOURCE, TARGET = "src-model", "tgt-model"
# The source costs 300 × 0.003 / 1000 + 40 × 0.015 / 1000 = 0.0015 a query; the target
# 300 × 0.0008 / 1000 + 40 × 0.0032 / 1000 = 0.000368.
PRICES = {SOURCE: (0.003, 0.015), TARGET: (0.0008, 0.0032)}
SOURCE_PER_QUERY, TARGET_PER_QUERY = 0.0015, 0.000368
MEASURES = {
    "ttft_ms": lambda i: 200 + i,
    "latency_ms": lambda i: 800 + 10 * i,
    "input_tokens": lambda i: 300,
    "output_tokens": lambda i: 40,
}
ALL = tuple(MEASURES)
TOKENS = ("input_tokens", "output_tokens")  # token counts only: no TTFT, no latency
NO_TOKENS = ("ttft_ms", "latency_ms")


def _golden(path, n: int, strata: tuple[str, ...]):
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "prompt", "ground_truth", "stratum", "split"])
        for i in range(n):
            out.writerow([f"i{i:02d}", f"Question {i}?", f"Answer {i}", strata[i], "dev"])
    return path


def _run(path, n: int, measures: tuple[str, ...]):
    """Every fifth item fails the judge (score 0.2 under the 0.5 threshold) on both runs."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["item_id", "output", *measures, "score.correctness"])
        for i in range(n):
            values = [MEASURES[m](i) for m in measures]
            out.writerow([f"i{i:02d}", f"answer {i}", *values, 0.2 if i % 5 == 0 else 0.9])
    return path


def build(
    con,
    tmp_path,
    n: int = 40,
    strata: tuple[str, ...] | None = None,
    source: tuple[str, ...] = ALL,
    target: tuple[str, ...] = ALL,
    priced: tuple[str, ...] = (SOURCE, TARGET),
):
    """A migration of ``n`` items (strata 'lookup' and 'reasoning' alternating unless given)
    whose runs carry only the ``source`` and ``target`` measures. Returns (migration, target
    run, source run)."""
    strata = strata or tuple(("lookup", "reasoning")[i % 2] for i in range(n))
    files.import_dataset(con, str(_golden(tmp_path / "golden.csv", n, strata)), "d", actor="t")
    made = {}
    for role, model, measures in (("source", SOURCE, source), ("target", TARGET, target)):
        result, _ = files.import_run(
            con,
            str(_run(tmp_path / f"{role}.csv", n, measures)),
            runs.RunSpec("d@1", model_id=model, role=role),
            actor="t",
        )
        made[role] = result.run_id
    # One engineering day (800) against a saving of 1,132 a month: break-even in 21.2 days.
    mid = migrations.create(
        con,
        "no measures",
        made["source"],
        [made["target"]],
        actor="t",
        criteria={"cost_inputs_entered": True, "engineering_days": 1.0},
    )
    for model in priced:
        models.add_price(con, model, date(2024, 1, 1), *PRICES[model], actor="t")
    return mid, made["target"], made["source"]


def criterion(report: dict, name: str) -> dict:
    """A criterion of a report's JSON form (``to_json`` / ``report --format json``)."""
    return next(c for c in report["criteria"] if c["name"] == name)


def criterion_of(report: signoff.SignoffReport, name: str) -> signoff.Criterion:
    return next(c for c in report.criteria if c.name == name)


# --- the bootstrap ------------------------------------------------------------------------------


def test_resampled_quantiles_of_no_values_are_nan_not_an_index_error():
    counts = np.random.default_rng(1).multinomial(5, np.full(5, 0.2), size=4)
    got = resampled_quantiles(np.full(5, np.nan), (0.5, 0.9))(np.arange(5), counts)
    assert got.shape == (2, 4) and np.isnan(got).all()
    # A resample that draws only items without a value has no quantile either.
    values = np.array([np.nan, np.nan, 7.0])
    drawn = np.array([[3, 0, 0], [1, 1, 1]])
    got = resampled_quantiles(values, (0.5,))(np.arange(3), drawn)
    assert np.isnan(got[0, 0]) and got[0, 1] == 7.0
    bounds = Bootstrap(5, 100, 0).bounds(
        lambda i, c: resampled_quantiles(np.full(5, np.nan), (0.5,))(i, c)[0], np.nan
    )
    assert bounds.to_dict()["low"] is None


# --- compare ------------------------------------------------------------------------------------


def test_runs_without_any_ttft_or_latency_read_not_measured_and_keep_every_other_figure(
    con, tmp_path
):
    mid, target, source = build(con, tmp_path, source=TOKENS, target=TOKENS)
    comparison = compare.load(con, mid, target)
    items = comparison.items
    speed = compare.speed(items)
    for measure in ("ttft", "latency"):
        status = speed.measures[measure]
        assert status.status == compare.NOT_MEASURED
        assert status.unmeasured == ["source", "target"]
        assert status.items == {"source": 0, "target": 0}
        assert "python -m core run" in status.next_step
        assert source in status.next_step and target in status.next_step
        assert [r.percentile for r in speed.rows(measure)] == ["p50", "p90", "p99"]
        assert all(r.increase_ms.to_dict()["estimate"] is None for r in speed.rows(measure))
    # Error rates, quality and cost are all still there: 8 of 40 items fail on each run.
    assert speed.error_rates["target"].estimate == 0.0
    quality = compare.quality(items, "correctness", 0.03)
    assert quality.source_pass_rate.estimate == pytest.approx(32 / 40)
    assert quality.target_pass_rate.estimate == pytest.approx(32 / 40)
    cost = compare.cost(comparison, items)
    assert cost.status == compare.MEASURED
    assert cost.source.per_query == pytest.approx(SOURCE_PER_QUERY)
    assert cost.target.per_query == pytest.approx(TARGET_PER_QUERY)
    # The tables the page shows do not raise either, and say it plainly.
    assert (present.percentiles(speed, "ttft")["source"] == "—").all()
    notes = present.not_measured(speed, cost)
    assert len(notes) == 2 and all(n.startswith(("TTFT", "Total latency")) for n in notes)
    assert all("NOT MEASURED" in n for n in notes)
    assert present.latencies(items).empty
    assert compare.items_behind(items, compare.BEHIND[4]).empty
    assert compare.call_breakdown(con, comparison, items).empty


def test_ttft_on_the_source_only_names_the_target_and_keeps_the_source_figures(con, tmp_path):
    mid, target, _ = build(con, tmp_path, target=TOKENS)
    items = compare.load(con, mid, target).items
    speed = compare.speed(items)
    status = speed.measures["ttft"]
    assert status.status == compare.NOT_MEASURED
    assert status.unmeasured == ["target"]
    assert status.items == {"source": 40, "target": 0}
    assert target in status.next_step and f"--model {TARGET}" in status.next_step
    p50 = speed.ttft[0]
    # The source's TTFT is 200..239 ms: its median is 219.5 (numpy's linear method).
    assert p50.source_ms.estimate == pytest.approx(219.5)
    assert p50.source_ms.low < 219.5 < p50.source_ms.high
    assert p50.target_ms.to_dict()["estimate"] is None
    assert p50.increase_ms.to_dict()["estimate"] is None
    table = present.percentiles(speed, "ttft")
    # Shown in whole ms since issue 16's one number format: 219.5 ms reads "220 ms".
    assert table["source"][0].startswith("220 ms") and table["target"][0] == "—"
    assert present.latencies(items)["run"].unique().tolist() == ["source"]


def test_runs_without_token_counts_leave_their_cost_not_measured(con, tmp_path):
    mid, target, _ = build(con, tmp_path, target=NO_TOKENS)
    comparison = compare.load(con, mid, target)
    cost = compare.cost(comparison, comparison.items)
    assert cost.status == compare.NOT_MEASURED
    assert cost.unmeasured == ["target"]
    assert "token counts" in cost.next_step and target in cost.next_step
    assert cost.source.per_query == pytest.approx(SOURCE_PER_QUERY)
    assert cost.source.status == compare.MEASURED
    assert cost.target.status == compare.NOT_MEASURED
    assert cost.target.per_query is None and cost.target.monthly is None
    assert cost.roi is None
    lines = present.cost_lines(cost, 40, 1_000_000)
    # Money leads with its currency code since issue 16's one number format.
    assert "USD 0.00150 per query" in lines[0] and "NOT MEASURED" in lines[1]


def test_a_model_without_a_price_leaves_the_cost_not_measured(con, tmp_path):
    mid, target, _ = build(con, tmp_path, priced=(SOURCE,))
    comparison = compare.load(con, mid, target)
    cost = compare.cost(comparison, comparison.items)
    assert cost.missing_prices == [TARGET]
    assert cost.status == compare.NOT_MEASURED and cost.unmeasured == ["target"]
    assert f"python -m core price {TARGET} --input" in cost.next_step
    assert cost.source.per_query == pytest.approx(SOURCE_PER_QUERY)


def test_one_item_and_a_one_item_stratum_give_figures_not_errors(con, tmp_path):
    mid, target, _ = build(con, tmp_path, n=3, strata=("lookup", "lookup", "reasoning"))
    comparison = compare.load(con, mid, target)
    one = compare.select(comparison, "reasoning")
    assert len(one) == 1
    speed = compare.speed(one)
    # Item i02: TTFT 202 ms on both runs; the only resample is the item itself.
    assert speed.ttft[0].source_ms.estimate == 202.0
    assert speed.ttft[0].increase_ms.to_dict() == {
        "estimate": 0.0,
        "low": 0.0,
        "high": 0.0,
        "lower_one_sided": 0.0,
        "upper_one_sided": 0.0,
    }
    assert speed.measures["ttft"].status == compare.MEASURED
    assert compare.quality(one, "correctness", 0.03).target_pass_rate.estimate == 1.0
    assert compare.cost(comparison, one).target.per_query == pytest.approx(TARGET_PER_QUERY)
    strata = present.by_stratum(compare.figures(comparison, comparison.items), "correctness")
    assert strata["items"].tolist() == [2, 1]
    assert len(present.quality(compare.figures(comparison, one), comparison)) == 1
    for kind in compare.BEHIND:
        compare.items_behind(one, kind)
    assert len(compare.call_breakdown(con, comparison, one)) == 0


def test_an_empty_selection_gives_empty_figures_not_errors(con, tmp_path):
    mid, target, _ = build(con, tmp_path, n=4)
    comparison = compare.load(con, mid, target)
    none = compare.select(comparison, "no such stratum")
    assert none.empty
    boot = compare.bootstrap_for(none)
    figures = compare.figures(comparison, none)
    assert present.quality(figures, comparison)["source pass"].tolist() == ["—"]
    # Withheld source and target figures show "—", the difference its 0 labelled pairs (since
    # 91e5fc3: a withheld figure with labels read "SME labels 0").
    assert present.sme_corrected(figures)["SME labels"].tolist() == ["—", "—", 0]
    assert present.by_stratum(figures, "correctness").empty
    speed = compare.speed(none, boot)
    assert speed.measures["ttft"].status == compare.NOT_MEASURED
    assert present.percentiles(speed, "latency")["target"].tolist() == ["—"] * 3
    cost = compare.cost(comparison, none, boot)
    assert cost.target.per_query is None and cost.roi is None
    present.cost_lines(cost, 0, 1_000_000)
    present.failure_rates(speed)
    assert present.latencies(none).empty
    for kind in compare.BEHIND:
        assert compare.items_behind(none, kind).empty
    assert compare.call_breakdown(con, comparison, none).empty


# --- sign-off -----------------------------------------------------------------------------------


def test_signoff_without_ttft_is_not_yet_and_says_how_to_measure_it(con, tmp_path):
    mid, target, source = build(con, tmp_path, source=TOKENS, target=TOKENS)
    report = signoff.evaluate(con, mid, target)
    ttft = criterion_of(report, "Speed: TTFT")
    assert ttft.status == signoff.NOT_MEASURED
    assert "python -m core run" in ttft.next_step and ttft.settle == ttft.next_step
    assert source in " ".join(ttft.evidence) and target in " ".join(ttft.evidence)
    # Every other criterion is still decided on its figures: the cost passes (21.2 days).
    assert criterion_of(report, "Cost: ROI").status == signoff.PASS
    assert criterion_of(report, "Quality: correctness").status != signoff.NOT_MEASURED
    assert report.decision == signoff.NOT_YET
    reason = next(r for r in report.reasons if r.startswith("Speed: TTFT"))
    assert "NOT MEASURED" in reason and "python -m core run" in reason
    assert report.speed.measures["latency"].status == signoff.NOT_MEASURED
    data = json.loads(signoff.to_json(report))
    assert criterion(data, "Speed: TTFT")["status"] == "NOT MEASURED"
    page = signoff.to_html(report)
    assert "NOT MEASURED" in page and "python -m core run" in page
    assert present.criteria(report).set_index("criterion").loc["Speed: TTFT", "status"] == (
        "NOT MEASURED"
    )
    assert present.ttft(report)["ms"].isna().all() and len(present.pass_rates(report)) == 2


def test_signoff_with_ttft_on_one_side_names_the_run_without_it(con, tmp_path):
    mid, target, source = build(con, tmp_path, source=ALL, target=TOKENS)
    report = signoff.evaluate(con, mid, target)
    ttft = criterion_of(report, "Speed: TTFT")
    assert ttft.status == signoff.NOT_MEASURED
    evidence = " ".join(ttft.evidence)
    assert f"target run {target}" in evidence and source not in ttft.next_step
    # The measured side's figures still appear: 200..239 ms, p50 219.5, p90 235.1.
    assert "source TTFT p50 220 ms, p90 235 ms (40 items)" in evidence
    # The canary plan still takes its TTFT ceiling from the measured source.
    assert any("TTFT p50" in check for check in report.canary[0].success)


def test_signoff_without_tokens_leaves_the_cost_not_measured(con, tmp_path):
    mid, target, _ = build(con, tmp_path, target=NO_TOKENS)
    report = signoff.evaluate(con, mid, target)
    cost = criterion_of(report, "Cost: ROI")
    assert cost.status == signoff.NOT_MEASURED
    assert "input_tokens" in cost.next_step and target in cost.next_step
    # TTFT is measured on both and equal (200..239 ms each): it passes.
    assert criterion_of(report, "Speed: TTFT").status == signoff.PASS
    assert report.decision == signoff.NOT_YET
    assert any(r.startswith("Cost: ROI: NOT MEASURED") for r in report.reasons)


def test_signoff_on_a_one_item_dataset_decides_nothing_on_one_item(con, tmp_path):
    mid, target, _ = build(con, tmp_path, n=1)
    report = signoff.evaluate(con, mid, target)
    assert report.decision == signoff.NOT_YET
    assert criterion_of(report, "Speed: TTFT").status == signoff.OPEN
    quality = criterion_of(report, "Quality: correctness")
    assert quality.status == signoff.OPEN and "1 paired item" in quality.evidence[0]
    signoff.to_html(report)
    present.criteria(report), present.pass_rates(report), present.ttft(report)


def test_not_measured_is_never_a_pass():
    every = {k: True for k in signoff.CHECKLIST}
    signed = [signoff.Approval("SRE", "approve", stale=False, checklist=every)]
    passing = signoff.Criterion("Quality", signoff.PASS, "r", ["e"])
    unmeasured = signoff.Criterion(
        "Speed: TTFT", signoff.NOT_MEASURED, "r", ["e"], "measure it", next_step="measure it"
    )
    assert signoff.decide([passing], signed)[0] == signoff.GO
    decision, reasons = signoff.decide([passing, unmeasured], signed)
    assert decision == signoff.NOT_YET
    assert reasons == ["Speed: TTFT: NOT MEASURED — measure it"]
    failing = signoff.Criterion("Cost: ROI", signoff.FAIL, "r", ["e"])
    assert signoff.decide([failing, unmeasured], signed) == (signoff.NO_GO, ["Cost: ROI fails"])


# --- command line -------------------------------------------------------------------------------


def test_cli_reports_say_not_measured(tmp_path, capsys):
    path = tmp_path / "cli.duckdb"
    con = db.connect(str(path))
    mid, _, _ = build(con, tmp_path, target=TOKENS)
    con.close()
    base = ["--db", str(path), "report"]
    assert cli.main([*base, "compare", "--migration", mid]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["speed"]["measures"]["ttft"]["status"] == "NOT MEASURED"
    assert figures["speed"]["measures"]["ttft"]["unmeasured"] == ["target"]
    assert figures["speed"]["ttft"][0]["source_ms"]["estimate"] == pytest.approx(219.5)
    assert figures["cost"]["status"] == "MEASURED"
    assert cli.main([*base, "signoff", "--migration", mid, "--gate"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["decision"] == "NOT YET"
    assert criterion(report, "Speed: TTFT")["status"] == "NOT MEASURED"


# --- pages --------------------------------------------------------------------------------------


@pytest.fixture
def page_db(tmp_path, monkeypatch):
    path = tmp_path / "page.duckdb"
    con = db.connect(str(path))
    # No TTFT on either run, latency on both, no token counts on the target.
    build(con, tmp_path, source=("latency_ms", *TOKENS), target=("latency_ms",))
    con.close()
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    monkeypatch.setenv("SWITCHYARD_DEMO", "0")
    return path


def test_compare_page_shows_not_measured_plainly(page_db):
    at = app_page("pages/compare.py", "owner", "eval_owner")
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("TTFT: NOT MEASURED") and "python -m core run" in w for w in warnings)
    assert any(w.startswith("Cost: NOT MEASURED") and "input_tokens" in w for w in warnings)
    assert not any(w.startswith("Total latency: NOT MEASURED") for w in warnings)
    for kind in range(len(at.selectbox(key="compare.kind").options)):
        at.selectbox(key="compare.kind").select_index(kind).run()
        assert not at.exception


def test_signoff_page_shows_not_measured_plainly(page_db):
    at = app_page("pages/signoff.py", "manager", "manager")
    assert not at.exception
    assert any("NOT YET" in w.value and "NOT MEASURED" in w.value for w in at.warning)
    criteria = at.table[0].value.set_index("criterion")  # st.table since issue 16
    assert criteria.loc["Speed: TTFT", "status"] == "NOT MEASURED"
    assert criteria.loc["Cost: ROI", "status"] == "NOT MEASURED"
    assert any(w.value.startswith("Speed: TTFT: NOT MEASURED") for w in at.warning)


def test_a_batch_run_without_ttft_is_told_to_stream_an_online_sample():
    """A Bedrock batch job times no call: the next step names the online sample, not a rerun."""
    import importlib

    import pandas as pd

    # The package's `speed` is the function of the same name; the module is imported by path.
    speed = importlib.import_module("core.analysis.compare.speed")
    items = pd.DataFrame({"source_ttft": [210.0, 220.0], "target_ttft": [None, None]})
    items.attrs["runs"] = {
        "source": {"run_id": "run-s", "model_id": SOURCE, "dataset_id": "d@1", "origin": "native"},
        "target": {
            "run_id": "run-b",
            "model_id": TARGET,
            "dataset_id": "d@1",
            "origin": "bedrock-batch",
        },
    }
    found = speed.coverage(items, "ttft")
    assert found.unmeasured == ["target"]
    assert found.next_step == (
        "TTFT is not recorded on the target run run-b (tgt-model): a batch job does not time"
        " its calls; stream a stratified sample of its items"
        " (`python -m core run --resume run-b --online-sample 200`)"
    )
