"""The Sampling page's forms: the sample's parameters and the top-up of one stratum; each
owns its ``sampling.*`` keys."""

from __future__ import annotations

import duckdb
import streamlit as st

from core.catalog import migrations, users
from core.errors import SwitchyardError
from core.review import sampling


def params(
    con: duckdb.DuckDBPyConnection, migration_id: str, single: bool
) -> sampling.SampleParams:
    """Rates, minimum, what a failure is, seed, regressions, overlap and reviewers."""
    left, middle, right = st.columns(3)
    fail_rate = left.number_input("Failures sampled (%)", 0.0, 100.0, 10.0, key="sampling.fail")
    pass_rate = middle.number_input("Passes sampled (%)", 0.0, 100.0, 2.0, key="sampling.pass")
    minimum = right.number_input("Minimum per stratum", 0, 1000, 5, key="sampling.min")
    metric = left.selectbox(
        "A failure is",
        ["any gating metric failed", *migrations.metrics(con, migration_id)],
        key="sampling.metric",
    )
    seed = middle.number_input("Seed", 0, 2**31 - 1, 1, key="sampling.seed")
    regressions = right.checkbox(
        "Every regression (target failed, source passed)",
        True,
        key="sampling.regressions",
        disabled=single,
    )
    overlap = left.number_input(
        "Share reviewed by several SMEs (%)", 0.0, 100.0, 0.0, key="sampling.overlap"
    )
    k = middle.number_input("SMEs on those items", 1, 10, 2, key="sampling.k")
    reviewers = st.multiselect("Assign to", users.reviewers(con), key="sampling.reviewers")
    return sampling.SampleParams(
        fail_rate=fail_rate / 100,
        pass_rate=pass_rate / 100,
        minimum=int(minimum),
        seed=int(seed),
        metric=None if metric.startswith("any") else metric,
        regressions=regressions and not single,
        overlap_share=overlap / 100,
        overlap_k=int(k),
        reviewers=tuple(reviewers),
    )


def top_up(con: duckdb.DuckDBPyConnection, samples: list[dict], actor: str) -> None:
    """Raise one stratum's rate; the inclusion probabilities stay exact."""
    with st.form("sampling.topup"):
        st.markdown("**Top up a stratum** (inclusion probabilities stay exact)")
        names = [s["sample_id"] for s in samples]
        sample = st.selectbox("Sample", names, key="sampling.top.sample")
        stratum = st.selectbox(
            "Stratum",
            sampling.strata(con, sample),
            key="sampling.top.stratum",
            format_func=lambda s: f"{s['stratum']} / {s['pool']}: {s['taken']} of {s['size']}",
        )
        rate = st.number_input("New rate (%)", 0.0, 100.0, 20.0, key="sampling.top.rate")
        if st.form_submit_button("Top up"):
            try:
                added = sampling.top_up(
                    con, sample, stratum["stratum"], stratum["pool"], rate / 100, actor=actor
                )
                st.success(f"{added} items added.")
            except SwitchyardError as exc:
                st.error(str(exc))
