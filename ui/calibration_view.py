"""The Calibration page's sections: each owns its ``calibration.*`` keys, takes what core
computed and renders it (tables from ui.calibration_present, the chart from ui.charts)."""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import streamlit as st

from core import exports, formatting
from core.analysis import calibration
from core.analysis import pairwise as tournaments
from core.catalog import migrations, runs
from ui import calibration_present as present
from ui import charts


def run_chooser(con: duckdb.DuckDBPyConnection, chosen: dict) -> dict:
    """The migration's source, target and candidate runs (read once, not once per run)."""
    wanted = {
        migrations.source_run(con, chosen["migration_id"]),
        *migrations.target_runs(con, chosen["migration_id"]),
    }
    run_list = [r for r in runs.list_runs(con, chosen["dataset_id"]) if r["run_id"] in wanted]
    return st.selectbox("Run", run_list, key="calibration.run", format_func=present.run_label)


def selection(frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The pairs of the chosen stratum and judge version, per label or majority vote; and the
    stratum ('all' for every one)."""
    left, middle, right = st.columns(3)
    stratum = left.selectbox(
        "Stratum", ["all", *sorted(frame["stratum"].unique())], key="calibration.stratum"
    )
    versions = sorted(frame["judge_version"].dropna().unique())
    version = middle.selectbox("Judge version", ["all", *versions], key="calibration.version")
    vote = right.toggle(
        "Majority vote per item",
        key="calibration.majority",
        help="One pair per item (the SMEs' majority) instead of one per label.",
    )
    frame = calibration.select(
        frame, None if stratum == "all" else stratum, None if version == "all" else version
    )
    if vote:
        frame = calibration.majority(frame)
        st.caption("Majority-vote view: one pair per item.")
    return frame, stratum


def figures(result: calibration.MetricReport) -> None:
    """The warning and advice, then judge vs SMEs, weighted beside unweighted."""
    if result.warning:
        st.warning(result.warning, icon=":material/warning:")
    for line in result.advice:
        st.info(line)
    st.subheader("Judge vs SMEs (pass/fail; 'fail' is what the judge should catch)")
    st.dataframe(formatting.table(present.figures_table(result)), hide_index=True)
    st.caption(
        "Weighted: each label counts 1 / (inclusion probability × labels on its item), so "
        "the figures speak for the whole dataset. Unweighted: what the sample shows. "
        "Intervals are 95%. Weighted proportions: Cochran's stratified estimator (precision "
        "and recall as domain ratios) with Wilson at the design's effective n; unweighted: "
        "Wilson; κ, AC1, F1, ρ: stratified bootstrap."
    )
    for column, (label, value) in zip(st.columns(2), present.pass_rates(result), strict=True):
        column.metric(label, value)


def threshold(result: calibration.MetricReport, sweep: calibration.Sweep) -> bool:
    """The sweep's chart and the recommendation; True when the owner applies it."""
    st.subheader("Pass threshold")
    st.altair_chart(charts.threshold_sweep(sweep.table))
    st.write(present.threshold_line(result, sweep.best))
    nothing = math.isnan(sweep.best.estimate)  # too few labels, or κ flat across thresholds
    return st.button("Apply the recommended threshold", key="calibration.apply", disabled=nothing)


def sme_agreement(smes: calibration.SmeAgreement) -> None:
    st.subheader("SME vs SME")
    if smes.items == 0:
        st.info(smes.advice)
        return
    st.dataframe(formatting.table(present.sme_table(smes)), hide_index=True, key="calibration.smes")
    st.caption(
        f"{smes.items} items labelled by two or more SMEs. Pooled: every SME together "
        "(per stratum below it); 'A vs B': the items both labelled. Intervals are 95%: "
        "stratified bootstrap over items for α and κ, Wilson for shares."
    )


def pairwise_agreement(con: duckdb.DuckDBPyConnection, run_id: str, stratum: str) -> None:
    """Pairwise agreement on every pair of runs of the run's dataset version (all strata):
    each judge against the reviewers, and reviewer against reviewer."""
    st.subheader("Pairwise agreement: judges and reviewers")
    found = tournaments.load(con, run_id)
    if not found:
        st.info(
            "No pairwise votes on this dataset version: import a tournament or a judge's "
            "verdicts on the Data page (Import pairwise verdicts), or have SMEs compare pairs."
        )
    for votes in found:
        result = tournaments.tournament(votes)
        st.caption(present.tournament_caption(result))
        if result.advice:
            st.info(result.advice)
        else:
            st.dataframe(formatting.table(present.tournament_table(result)), hide_index=True)
    if stratum != "all" and found:
        st.caption("Pairwise figures cover every stratum; the stratum choice above is not applied.")


def disagreements(frame: pd.DataFrame) -> None:
    """Where judge and SME disagree, most confident judge first, with a CSV export."""
    st.subheader("Disagreements")
    rows = present.disagreements_table(frame)
    if rows.empty:
        st.info("Judge and SMEs agree on every labelled output.")
    else:
        st.dataframe(present.disagreements_shown(rows), hide_index=True)
        st.download_button(
            "Export CSV",
            exports.csv_text(rows),
            "disagreements.csv",
            "text/csv",
            key="calibration.export",
        )
    st.caption(f"{len(frame)} pairs · {pd.Series(frame['reviewer']).nunique()} reviewers")
