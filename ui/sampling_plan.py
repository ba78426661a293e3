"""The Sampling page's planner: how many SME labels a target interval needs, per stratum, before
a sample is drawn or as a top-up of one; owns its ``sampling.plan.*`` keys."""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import streamlit as st

from core.errors import SwitchyardError
from core.review import plan_text, planning, sampling
from core.review.design import Plan, SampleParams

METHODS = (
    "Pass rate: Cochran's stratified estimator with the finite-population correction and"
    " Neyman allocation n_h ∝ N_h·S_h (Sampling Techniques, 3rd ed., ch. 5). κ: the"
    " large-sample variance of Cohen's κ (Fleiss, Cohen & Everitt 1969), as Flack et al. (1988)"
    " and Cantor (1996) plan with it, carried through the strata by the delta method. S_h comes"
    " from the expected SME pass rate in the judge's fail and pass pools. 'Labels needed' meets"
    " both targets, with at least 2 per stratum."
)


def _targets(earlier: planning.Priors | None) -> tuple[planning.Priors, planning.Targets]:
    """The half-widths to reach and the expected SME pass rates in each judge pool."""
    priors = earlier or planning.Priors()
    a, b, c, d = st.columns(4)
    pass_rate = a.number_input(
        "Pass rate ± (points)", 0.5, 50.0, 3.0, 0.5, key="sampling.plan.pass_rate"
    )
    kappa = b.number_input("κ ±", 0.01, 1.0, 0.10, 0.01, key="sampling.plan.kappa")
    fail = c.number_input(
        "SMEs pass where the judge failed (%)",
        0.0,
        100.0,
        round(100 * priors.fail, 1),
        key="sampling.plan.prior_fail",
    )
    passed = d.number_input(
        "SMEs pass where the judge passed (%)",
        0.0,
        100.0,
        round(100 * priors.passed, 1),
        key="sampling.plan.prior_pass",
    )
    chosen = planning.Priors(fail / 100, passed / 100)
    return chosen, planning.Targets(pass_rate / 100, kappa)


def _table(result: planning.SamplePlan) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Stratum": f"{s.stratum}/{s.pool}",
                "Items (N_h)": s.size,
                "Drawn": s.drawn,
                "Labelled": s.labelled,
                "Pass rate needs": s.for_pass_rate,
                "κ needs": s.for_kappa,
                "Labels needed": s.needed,
                "More": s.more,
                # The rate that draws "Labels needed": rounded down, as the draw rounds
                # rate × N_h up (exact to the label below 10,000 items a stratum).
                "Rate (%)": math.floor(10000 * s.needed / s.size) / 100 if s.size else 0.0,
            }
            for s in result.strata
        ]
    )


def show(
    con: duckdb.DuckDBPyConnection, migration_id: str, preview: Plan, params: SampleParams
) -> None:
    """Labels per stratum for target half-widths of the SME pass rate and of κ."""
    with st.expander("Plan the labels: how many reach a target interval", expanded=True):
        earlier = planning.earlier_priors(con, migration_id)
        priors, targets = _targets(earlier)
        samples = [s["sample_id"] for s in sampling.list_samples(con, migration_id)]
        against = st.selectbox(
            "Plan for",
            [None, *samples],
            format_func=lambda s: "a new sample (the preview)" if s is None else f"top-up of {s}",
            key="sampling.plan.sample",
        )
        try:
            strata = (
                planning.frame_strata(preview)
                if against is None
                else planning.sample_strata(con, against)
            )
            result = planning.plan(strata, priors, targets, params)
        except SwitchyardError as exc:
            st.error(str(exc))
            return
        st.dataframe(_table(result), hide_index=True)
        st.markdown(plan_text.summary(result, params))
        st.caption(f"{plan_text.expectation(result, earlier)} {METHODS}")
