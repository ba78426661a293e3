"""The Canary page's sections: the verdict and why, the checks, their intervals over time, the
rollback drill, the owner's controls (ingest, start a stage, record a rollback), the SME
review of canary traffic and the recipe downloads. Owns the ``canary.*`` session keys."""

from __future__ import annotations

import json
import secrets
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from core import exports, render
from core.analysis.canary import course, recipe, stages, status
from core.analysis.canary import evidence as canary_evidence
from core.catalog import users
from core.errors import InputError, SwitchyardError
from core.formatting import in_unit, number, pct, table
from core.importers import canary as canary_import
from core.review import canary_sampling
from ui import charts, errors, imports

_BANNER = {stages.PROMOTE: st.success, stages.HOLD: st.warning, stages.ROLL_BACK: st.error}
_KINDS = ["jsonl", "json", "gz", "csv", "parquet"]


def verdict(result: status.CanaryStatus) -> None:
    """The current stage's verdict, its reasons, and for a ROLL BACK the evidence."""
    if result.synthetic:
        st.warning(
            "Synthetic demo: the production traffic is simulated.", icon=":material/science:"
        )
    v = result.verdict
    arms = ", ".join(f"{n:,} {arm}" for arm, n in sorted(result.requests.items()))
    _BANNER[v.verdict](f"**Stage {v.stage} ({v.share_pct:g}% to the target): {v.verdict}**")
    for line in v.reasons:
        st.markdown(f"- {render.inert(line)}")
    if v.evidence:
        st.markdown("**Evidence**")
        for line in v.evidence:
            st.markdown(f"- {render.inert(line)}")
    st.caption(
        f"{v.hours:.1f} h into the stage; {arms or 'no requests'}. Verdict stored with inputs "
        f"{result.inputs_hash[:12]}; the same inputs give the same verdict at any refresh."
    )


def stage_table(result: status.CanaryStatus) -> pd.DataFrame:
    running = result.verdict.stage
    rows = [
        {
            "Stage": s.number,
            "Traffic %": s.share_pct,
            "Hours (min–max)": f"{s.min_hours:g}–{s.max_hours:g}",
            "Started (UTC)": s.started_at,
            "Ended (UTC)": s.ended_at,
            "State": "running"
            if s.number == running and s.started_at
            else "done"
            if s.ended_at
            else "not started",
        }
        for s in result.stages
    ]
    return table(pd.DataFrame(rows))


def checks_table(result: status.CanaryStatus) -> pd.DataFrame:
    """One row per check: its interval against its limit, and the effect it can detect now."""
    rows = []
    for c in result.checks:
        rows.append(
            {
                "Check": c.name,
                "Status": c.status,
                "Critical": "yes" if c.name in result.critical else "no",
                "Estimate (95% sequence)": stages.figure(c),
                "Limit": stages.limit_of(c),
                "Detectable now": in_unit(c.mde, c.unit),
                "Control / canary": f"{c.n_control:,} / {c.n_canary:,}",
                "Why": c.why,
            }
        )
    return table(pd.DataFrame(rows))


def history_table(con, migration_id: str) -> pd.DataFrame:
    """Every stored verdict, newest first, with why and the hash of its inputs."""
    rows = canary_evidence.verdict_history(con, migration_id)
    rows["reasons"] = rows["reasons"].map(lambda text: "; ".join(json.loads(text)))
    rows["inputs_hash"] = rows["inputs_hash"].str[:12]
    return table(rows.rename(columns={"decided_at": "Decided at (UTC)"}))


def over_time(con, result: status.CanaryStatus) -> None:
    """Each check's interval over the chosen stage's traffic."""
    begun = [s.number for s in result.stages if s.started_at is not None]
    if not begun:
        return
    stage = st.selectbox("Stage", begun, index=len(begun) - 1, key="canary.stage")
    frame = status.history(con, result.migration_id, stage)
    if frame.empty:
        st.info(f"No traffic ingested for stage {stage} yet.")
        return
    limits = {c.name: c.limit for c in result.checks}
    st.altair_chart(charts.canary_sequences(frame, limits))


def drill(result: status.CanaryStatus) -> None:
    if result.drill is None:
        return
    box = {"passed": st.success, "failed": st.error, "pending": st.info}[result.drill.status]
    box(f"Rollback drill {result.drill.status.upper()}: {result.drill.why}")


def ingest_form(con, migration_id: str, actor: str) -> None:
    """Upload a log file (OTLP JSON lines, Bedrock invocation log, CSV/JSONL/Parquet)."""
    with st.form("canary.ingest"):
        upload = st.file_uploader("Traffic log file", type=_KINDS, key="canary.upload")
        fmt = st.selectbox(
            "Format",
            [None, *canary_import.FORMATS],
            key="canary.format",
            format_func=lambda f: f or "detect from the content",
        )
        submitted = st.form_submit_button("Ingest")
    done = st.session_state.pop("canary.ingested", None)
    if done:
        st.success(done)
    if not submitted:
        return
    if upload is None:
        st.error("Choose a file to ingest.")
        return
    folder = Path(tempfile.gettempdir()) / f"{imports.UPLOAD_PREFIX}{secrets.token_hex(8)}"
    target = folder / Path(upload.name).name
    with errors.plainly("The ingest"), imports.saved_upload(target, upload.getvalue()) as path:
        options = canary_import.Options(fmt=fmt)
        try:
            got = canary_import.ingest(con, str(path), migration_id, actor=actor, options=options)
        except InputError as exc:  # named as the user knows the file, not its temp copy
            raise exc.renamed(upload.name) from None
        skipped = " (skipped: the same file was ingested before)" if got.skipped else ""
        st.session_state["canary.ingested"] = (
            f"{upload.name}: {got.requests:,} requests and {got.scores:,} scores ingested{skipped}"
        )
        st.rerun()


def course_form(con, result: status.CanaryStatus, actor: str) -> None:
    """Record the next stage's start, or a rollback of the running stage (now, UTC)."""
    running = stages.current(result.stages)
    mid = result.migration_id
    left, right = st.columns(2)
    if result.rollback is None and running is not None:
        if not running.final and left.button(
            f"Record start of stage {running.number + 1}", key="canary.promote"
        ):
            _act(lambda: course.start_stage(con, mid, running.number + 1, actor=actor, at=_now()))
        reason = right.text_input("Why roll back", key="canary.reason")
        if right.button("Record rollback", key="canary.rollback", type="primary"):
            _act(lambda: course.record_rollback(con, mid, actor=actor, at=_now(), reason=reason))
        return
    first = result.rollback.stage if result.rollback else 1
    why = None
    if result.rollback is None:  # the first start follows a GO sign-off, or a stated reason
        why = right.text_input("Reason to start without a GO sign-off", key="canary.why")
    if left.button(f"Record start of stage {first}", key="canary.start"):
        _act(lambda: course.start_stage(con, mid, first, actor=actor, at=_now(), override=why))


def _now():
    return status.now_utc()


def _act(action) -> None:
    try:
        action()
    except SwitchyardError as exc:
        st.error(str(exc))
        return
    st.rerun()


def downloads(con, result: status.CanaryStatus) -> None:
    """The current stage's routing and its rollback (LiteLLM YAML, JSON weights), and the
    checks as CSV (spreadsheet-safe, through core.exports)."""
    plan = {"canary_stages": [[s.share_pct, s.min_hours, s.max_hours] for s in result.stages]}
    stage = result.verdict.stage
    providers = canary_evidence.providers(con, result.source_model, result.target_model)
    files = []
    for rollback in (False, True):
        made = recipe.recipe(
            result.migration_id,
            plan,
            stage,
            result.source_model,
            result.target_model,
            rollback,
            providers,
        )
        what = "Rollback" if rollback else f"Stage {stage}"
        files += [(made, "litellm", f"{what}: LiteLLM config"), (made, "json", f"{what}: JSON")]
    cols = st.columns(len(files) + 1)
    for col, (made, fmt, label) in zip(cols, files, strict=False):
        mime = "application/yaml" if fmt == "litellm" else "application/json"
        key = f"canary.download.{'rollback' if made.rollback else 'stage'}.{fmt}"
        col.download_button(label, recipe.render(made, fmt), made.filename(fmt), mime, key=key)
    cols[-1].download_button(
        "Checks (CSV)",
        exports.csv_text(checks_table(result)),
        f"{result.migration_id}-checks.csv",
        "text/csv",
        key="canary.download.checks",
    )


def review_table(con, migration_id: str) -> pd.DataFrame:
    """Per arm: canary requests the SME review draws considered, drew, labelled, flagged."""
    rows = []
    for arm in canary_sampling.review_status(con, migration_id):
        share = arm.flagged / arm.labelled if arm.labelled else None
        rows.append(
            {
                "Arm": arm.arm,
                "Considered": number(arm.considered, ",.0f"),
                "Drawn": number(arm.drawn, ",.0f"),
                "Labelled": number(arm.labelled, ",.0f"),
                "SME-flagged": number(arm.flagged, ",.0f"),
                "Flagged of labelled": pct(share),
            }
        )
    return pd.DataFrame(rows)


def review_section(con, migration_id: str, actor: str | None) -> None:
    """The SME queue from canary traffic: per-arm counts; an owner (``actor``) draws more."""
    st.dataframe(review_table(con, migration_id), hide_index=True)
    st.caption(
        "SME-flagged: an SME marked hallucination or unsafe, or raised a safety flag. SMEs see"
        " one response at a time on the Review page, never its arm, model or judge scores."
    )
    done = st.session_state.pop("canary.review.drawn", None)
    if done:
        st.success(done)
    if actor is None:
        return
    with st.form("canary.review"):
        left, right = st.columns(2)
        fail_rate = left.number_input(
            "Share of the judges' failures, per arm",
            0.001,
            1.0,
            canary_sampling.FAIL_RATE,
            0.01,
            format="%.3f",
            key="canary.review.fail",
        )
        pass_rate = right.number_input(
            "Share of the judges' passes, per arm",
            0.001,
            1.0,
            canary_sampling.PASS_RATE,
            0.005,
            format="%.3f",
            key="canary.review.pass",
        )
        smes = users.reviewers(con)
        chosen = st.multiselect("SMEs", smes, default=smes, key="canary.review.smes")
        submitted = st.form_submit_button("Draw a canary review sample")
    if not submitted:
        return
    with errors.plainly("The draw"):
        got = canary_sampling.draw(
            con,
            migration_id,
            fail_rate=fail_rate,
            pass_rate=pass_rate,
            reviewers=chosen,
            actor=actor,
        )
        waiting = (
            f"; {number(got.unjudged, ',.0f')} requests wait for a judge verdict"
            if got.unjudged
            else ""
        )
        st.session_state["canary.review.drawn"] = (
            f"Drew {number(got.drawn, ',.0f')} of {number(got.considered, ',.0f')} requests for"
            f" review ({got.sample_id}), queued for {', '.join(chosen)}{waiting}."
        )
        st.rerun()
