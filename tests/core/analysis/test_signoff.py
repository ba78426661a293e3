"""Sign-off on the demo: criteria decided with evidence, approvals that go stale, exports."""

import json
import re
from dataclasses import replace

import pytest

import cli
from core.analysis import signoff
from core.catalog import migrations, models
from core.errors import InputError, NotFoundError
from core.review import labels, queue
from core.review.queue import ResponseLabel
from core.store import db
from tests.conftest import app_page


@pytest.fixture
def con(demo_con):
    return demo_con(1200)


def ids(con):
    mid = con.execute("SELECT migration_id FROM migration").fetchone()[0]
    runs = dict(con.execute("SELECT role, run_id FROM run").fetchall())
    return mid, runs


def statuses(report) -> dict[str, str]:
    return {c.name: c.status for c in report.criteria}


def test_the_demo_candidates_come_out_differently(con):
    mid, runs = ids(con)
    nova = signoff.evaluate(con, mid, runs["target"])
    opus = signoff.evaluate(con, mid, runs["candidate"])
    assert nova.decision == signoff.NOT_YET
    assert opus.decision == signoff.NO_GO
    assert statuses(nova)["Speed: TTFT"] == signoff.PASS
    assert statuses(nova)["Cost: ROI"] == signoff.PASS
    assert statuses(opus)["Speed: TTFT"] == signoff.FAIL
    assert statuses(opus)["Cost: ROI"] == signoff.FAIL
    assert statuses(opus)["Quality: correctness"] == signoff.PASS
    assert "Speed: TTFT fails" in opus.reasons and "Cost: ROI fails" in opus.reasons
    for report in (nova, opus):
        assert report.decided_on == "holdout"
        for criterion in report.criteria:
            assert criterion.rule and criterion.evidence
            if criterion.status == signoff.OPEN:
                assert criterion.settle, criterion.name


def test_quality_evidence_carries_the_numbers_and_the_sme_correction(con):
    mid, runs = ids(con)
    report = signoff.evaluate(con, mid, runs["target"])
    quality = next(c for c in report.criteria if c.name == "Quality: correctness")
    text = " ".join(quality.evidence)
    assert re.search(r"lower 95% bound 0\.\d{3}", text)
    assert "McNemar" in text and "SME-corrected difference" in text
    corrected = report.sme_corrected["correctness"]
    assert corrected.target.labelled > 20
    assert corrected.difference.low < corrected.difference.high


def test_approval_binds_to_the_evidence_and_goes_stale_after_a_new_label(con):
    mid, runs = ids(con)
    target = runs["target"]
    before = db.row_counts(con)
    signoff.record_approval(
        con, mid, target, "SRE", "approve", actor="manager", checklist={"audit_logging": True}
    )
    report = signoff.evaluate(con, mid, target)
    sre = next(a for a in report.approvals if a.role == "SRE")
    assert sre.decision == "approve" and not sre.stale and sre.decided_by == "manager"
    assert not any("Audit logging" in item for item in report.checklist_open)
    assert db.row_counts(con)["approval"] == before["approval"] + 1
    # An SME labels one more item of the demo's review sample: the evidence changed.
    slot = queue.next_slot(con, "sme1")
    responses = [ResponseLabel(side, 4, None) for side in ("A", "B")]
    labels.submit(con, slot.sample_id, slot.item_id, "sme1", responses, "tie")
    report = signoff.evaluate(con, mid, target)
    sre = next(a for a in report.approvals if a.role == "SRE")
    assert sre.stale
    assert any("SRE's approval is stale" in r for r in report.reasons)
    audit = con.execute(
        "SELECT actor, after FROM audit WHERE action = 'record_approval'"
    ).fetchall()
    assert audit[0][0] == "manager" and json.loads(audit[0][1])["stakeholder"] == "SRE"


def test_criteria_and_price_changes_also_make_approvals_stale(con):
    mid, runs = ids(con)
    target = runs["target"]
    signoff.record_approval(con, mid, target, "Product owner", "approve", actor="manager")
    first = signoff.snapshot_hash(signoff.snapshot(con, mid, target))
    migrations.update_criteria(con, mid, {"quality_margin": 0.05}, actor="owner")
    second = signoff.snapshot_hash(signoff.snapshot(con, mid, target))
    from datetime import date

    models.add_price(con, "amazon.nova-pro-v1:0", date.today(), 0.0007, 0.003, actor="owner")
    third = signoff.snapshot_hash(signoff.snapshot(con, mid, target))
    assert len({first, second, third}) == 3
    owner = next(a for a in signoff.approvals(con, mid, target, third) if a.role == "Product owner")
    assert owner.stale


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stakeholder": "Intern", "decision": "approve"}, "not a stakeholder"),
        ({"stakeholder": "SRE", "decision": "maybe"}, "approve or reject"),
        ({"stakeholder": "SRE", "decision": "reject"}, "say why"),
        ({"stakeholder": "SRE", "decision": "approve", "checklist": {"vibes": True}}, "unknown"),
    ],
)
def test_bad_approvals_are_refused_and_write_nothing(con, kwargs, message):
    mid, runs = ids(con)
    before = db.row_counts(con)
    with pytest.raises(InputError, match=message):
        signoff.record_approval(con, mid, runs["target"], actor="manager", **kwargs)
    assert db.row_counts(con) == before


def test_a_rejection_makes_it_no_go_and_a_full_set_of_approvals_with_passing_criteria_go():
    passing = [signoff.Criterion("Quality", signoff.PASS, "r", ["e"])]
    every = {k: True for k in signoff.CHECKLIST}
    signed = [
        signoff.Approval("SRE", "approve", stale=False, checklist=every),
        signoff.Approval("Legal", "approve", stale=False, checklist={}),
    ]
    assert signoff.decide(passing, signed)[0] == signoff.GO
    stale = [signed[0], replace(signed[1], stale=True)]
    decision, reasons = signoff.decide(passing, stale)
    assert decision == signoff.NOT_YET and "Legal's approval is stale" in reasons[0]
    rejected = [signed[0], replace(signed[1], decision="reject")]
    assert signoff.decide(passing, rejected) == (signoff.NO_GO, ["Legal rejected"])
    partial = [replace(signed[0], checklist={}), signed[1]]
    decision, reasons = signoff.decide(passing, partial)
    assert decision == signoff.NOT_YET and all(r.startswith("checklist open") for r in reasons)
    open_criterion = [signoff.Criterion("Safety", signoff.OPEN, "r", ["e"], "review")]
    assert signoff.decide(open_criterion, signed)[0] == signoff.NOT_YET


def test_safety_flags_resolve_with_a_note_once(con):
    _mid, runs = ids(con)
    source = runs["source"]
    flags = signoff.open_flags(con, source)
    assert flags, "the demo's source run keeps real SME safety flags open"
    before = db.row_counts(con)
    with pytest.raises(InputError, match="say how"):
        signoff.resolve_flag(con, flags[0].label_id, "  ", actor="owner")
    with pytest.raises(NotFoundError):
        signoff.resolve_flag(con, 10**9, "checked", actor="owner")
    assert db.row_counts(con) == before
    signoff.resolve_flag(con, flags[0].label_id, "Verified with the SME", actor="owner")
    assert len(signoff.open_flags(con, source)) == len(flags) - 1
    with pytest.raises(InputError, match="already resolved"):
        signoff.resolve_flag(con, flags[0].label_id, "again", actor="owner")


def test_stakeholders_are_editable_and_audited(con):
    mid, _ = ids(con)
    roles = [s.role for s in signoff.stakeholders(con, mid)]
    assert roles == sorted(migrations.DEFAULT_STAKEHOLDERS)
    signoff.add_stakeholder(con, mid, "Data protection", "Dana", actor="manager")
    with pytest.raises(InputError, match="already"):
        signoff.add_stakeholder(con, mid, "Data protection", None, actor="manager")
    signoff.remove_stakeholder(con, mid, "SRE", actor="manager")
    roles = [s.role for s in signoff.stakeholders(con, mid)]
    assert "Data protection" in roles and "SRE" not in roles
    actions = [r[0] for r in con.execute("SELECT action FROM audit ORDER BY seq").fetchall()]
    assert actions[-2:] == ["add_stakeholder", "remove_stakeholder"]


def test_bad_criteria_are_refused_and_change_nothing(con):
    mid, _ = ids(con)
    before = migrations.criteria(con, mid)
    for changes, message in (
        ({"quality_margni": 0.05}, "unknown criteria"),
        ({"quality_margin": "lots"}, "must be a number"),
        ({"quality_margin": 1.5}, "margin below 1"),
        ({"canary_stages": [[50, 1, 2], [25, 1, 2]]}, "rise to 100"),
    ):
        with pytest.raises(InputError, match=message):
            migrations.update_criteria(con, mid, changes, actor="owner")
    assert migrations.criteria(con, mid) == before


def test_canary_plan_follows_the_criteria(con):
    mid, runs = ids(con)
    report = signoff.evaluate(con, mid, runs["target"])
    stages = report.canary
    assert [s.traffic_pct for s in stages] == [5, 25, 100]
    assert stages[0].duration == "24–48 h"
    source_rate = report.quality["correctness"].source_pass_rate.estimate
    triggers = " ".join(stages[0].rollback_triggers)
    assert f"{source_rate * 0.97:.1%}" in triggers
    assert "safety" in triggers and "cost per query" in triggers and "TTFT p90" in triggers


def test_html_export_is_self_contained_and_escapes_everything(con):
    mid, runs = ids(con)
    con.execute(
        "UPDATE migration SET name = '<script>alert(1)</script> & co' WHERE migration_id = ?",
        [mid],
    )
    report = signoff.evaluate(con, mid, runs["target"])
    page = signoff.to_html(report)
    assert "<script" not in page and "&lt;script&gt;" in page
    assert not re.search(r"(src|href)=", page)
    for criterion in report.criteria:
        assert criterion.name in page
    data = json.loads(signoff.to_json(report))
    assert data["decision"] == report.decision and data["snapshot_sha256"]


def test_cli_gate_exit_codes_and_files(demo_copy, tmp_path, capsys):
    path = demo_copy(1200, "cli.duckdb")
    con = db.connect(str(path))
    mid, runs = ids(con)
    con.close()
    base = ["--db", str(path), "report", "signoff", "--migration", mid]
    assert cli.main([*base, "--gate"]) == 3  # Nova Pro: NOT YET
    assert json.loads(capsys.readouterr().out)["decision"] == "NOT YET"
    assert cli.main([*base, "--target", runs["candidate"], "--gate"]) == 4  # Opus: NO-GO
    capsys.readouterr()
    assert cli.main([*base, "--format", "html", "--out", str(tmp_path / "s.html")]) == 0
    assert "<h2>Criteria</h2>" in (tmp_path / "s.html").read_text()
    capsys.readouterr()
    assert (
        cli.main(["--db", str(path), "report", "compare", "--migration", mid, "--split", "holdout"])
        == 0
    )
    figures = json.loads(capsys.readouterr().out)
    assert figures["quality"]["correctness"]["items"] == 281
    assert (
        cli.main(["--db", str(path), "criteria", "--migration", mid, "--set", "quality_margin=0.2"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["quality_margin"] == 0.2
    assert (
        cli.main(
            [
                "--db",
                str(path),
                "approve",
                "--migration",
                mid,
                "--stakeholder",
                "SRE",
                "--decision",
                "approve",
                "--check",
                "pii_handling",
            ]
        )
        == 0
    )
    assert "recorded" in capsys.readouterr().out
    assert (
        cli.main(
            ["--db", str(path), "price", "amazon.nova-pro-v1:0", "--input", "-1", "--output", "1"]
        )
        == 1
    )
    assert "must be a number ≥ 0" in capsys.readouterr().err
    assert (
        cli.main(
            [
                "--db",
                str(path),
                "price",
                "m",
                "--input",
                "1",
                "--output",
                "1",
                "--effective",
                "tomorrow",
            ]
        )
        == 1
    )
    assert "YYYY-MM-DD" in capsys.readouterr().err


# --- pages ----------------------------------------------------------------------------------


@pytest.fixture
def page_db(demo_copy, tmp_path, monkeypatch):
    copy = demo_copy(1200, "page.duckdb")
    monkeypatch.setenv("SWITCHYARD_DB", str(copy))
    return copy


def page(name: str, username: str, role: str):
    return app_page(f"pages/{name}.py", username, role)


def test_signoff_page_decides_and_a_manager_records_an_approval(page_db):
    at = page("signoff", "manager", "manager")
    assert not at.exception
    assert any("NOT YET" in w.value for w in at.warning)
    # Issue 16: criteria are cards (a badge each) with the table in an expander (st.table).
    criteria = at.table[0].value
    assert set(criteria["status"]) >= {"PASS", "NOT ENOUGH EVIDENCE"}
    badges = " ".join(m.value for m in at.markdown if "-badge[" in m.value)
    assert "PASS" in badges and "NOT ENOUGH EVIDENCE" in badges
    at.selectbox(key="signoff.role").set_value("SRE")
    at.text_area(key="signoff.comment").input("Dashboards and alerts ready")
    at.checkbox(key="signoff.check.audit_logging").check()
    # Nothing is chosen by default: recording without a decision records nothing.
    next(b for b in at.button if b.label == "Record the decision").click().run()
    assert [e.value for e in at.error] == ["Choose approve or reject first: nothing was recorded."]
    assert "approve" not in set(
        next(d.value for d in at.table if "stakeholder" in d.value)["decision"]
    )
    at.radio(key="signoff.decision").set_value("approve")
    next(b for b in at.button if b.label == "Record the decision").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [
        "Recorded: SRE — approve, on the evidence shown above."
    ]
    approvals = next(d.value for d in at.table if "stakeholder" in d.value.columns)
    sre = approvals[approvals["stakeholder"] == "SRE"].iloc[0]
    assert sre["decision"] == "approve" and sre["by"] == "manager"
    assert [b.label for b in at.get("download_button")] == ["HTML report", "PDF report", "JSON"]


def test_signoff_page_for_each_target_and_owners_cannot_approve(page_db):
    con = db.connect(str(page_db))
    try:
        _mid, runs = ids(con)
    finally:
        con.close()
    at = page("signoff", "owner", "eval_owner")
    for run_id in (runs["target"], runs["candidate"]):
        at.selectbox(key="signoff.target").set_value(run_id).run()
        assert not at.exception
    assert "Record the decision" not in [b.label for b in at.button]
    assert any("NO-GO" in e.value for e in at.error)


@pytest.mark.slow
def test_compare_page_for_every_stratum_split_and_items(page_db):
    at = page("compare", "owner", "eval_owner")
    assert not at.exception
    for key in ("compare.stratum", "compare.split"):
        for index in range(len(at.selectbox(key=key).options)):
            at.selectbox(key=key).select_index(index).run()
            assert not at.exception
    at.selectbox(key="compare.split").select_index(0).run()
    for kind in range(len(at.selectbox(key="compare.kind").options)):
        at.selectbox(key="compare.kind").select_index(kind).run()
        assert not at.exception
    assert len(at.dataframe) + len(at.table) >= 8  # summary tables are st.table (issue 16)


def test_compare_page_saves_roi_inputs_and_prices(page_db):
    at = page("compare", "owner", "eval_owner")
    at.number_input(key="compare.eng_days").set_value(20.0)
    submit = next(b for b in at.button if b.label == "Save")
    submit.click().run()
    assert not at.exception
    con = db.connect(str(page_db))
    try:
        mid = con.execute("SELECT migration_id FROM migration").fetchone()[0]
        assert migrations.criteria(con, mid)["engineering_days"] == 20.0
    finally:
        con.close()
    at.text_input(key="compare.price_model").input("amazon.nova-pro-v1:0")
    at.number_input(key="compare.price_in").set_value(-0.0)
    at.text_input(key="compare.currency").input("usd")
    next(b for b in at.button if b.label == "Add price").click().run()
    assert any("3-letter code" in e.value for e in at.error)


def test_evaluate_reads_the_criteria_and_prices_once(con, monkeypatch):
    from core.catalog import pricing

    mid, runs = ids(con)
    calls = {"criteria": 0, "prices": 0}

    def counted(name, function):
        def call(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return call

    monkeypatch.setattr(migrations, "criteria", counted("criteria", migrations.criteria))
    monkeypatch.setattr(pricing, "prices", counted("prices", pricing.prices))
    report = signoff.evaluate(con, mid, runs["target"])
    assert calls == {"criteria": 1, "prices": 1}
    # The snapshot built from that one reading is the one an approval is given on.
    current = signoff.snapshot_hash(signoff.snapshot(con, mid, runs["target"]))
    assert report.snapshot_sha256 == current


def test_the_analysis_modules_hold_no_sql():
    # Evidence first, then arithmetic: only the loaders (compare.evidence, signoff.evidence)
    # talk to the database; the sign-off register is core.catalog.approvals.
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "core" / "analysis"
    pure = [
        *(root / "compare" / f"{name}.py" for name in ("quality", "speed", "cost", "items")),
        *(root / "signoff" / f"{name}.py" for name in ("criteria", "canary", "decision")),
        root / "compare" / "results.py",
        root / "signoff" / "export.py",
    ]
    for path in pure:
        text = path.read_text(encoding="utf-8")
        assert ".execute(" not in text and ".fetch" not in text and ".df()" not in text, path


def test_the_snapshot_names_every_judge_and_version_of_both_runs(con):
    # PostgreSQL finds them by skipping through an index (core.catalog.approvals._judges):
    # the list must equal grouping every score, with versions NULL and several per metric.
    mid, runs = ids(con)
    target = runs["target"]
    before = signoff.snapshot(con, mid, target)["judge_versions"]
    item = con.execute("SELECT min(item_id) FROM output WHERE run_id = ?", [target]).fetchone()[0]
    con.executemany(
        "INSERT INTO judge_score (run_id, item_id, metric, judge, score, passed, judge_version)"
        " VALUES (?, ?, 'zz_tone', ?, 0.5, true, ?)",
        [
            (target, item, "judge-b", None),
            (target, item, "judge-a", "v2"),
            (target, item, "judge-a", "v10"),
        ],
    )
    after = signoff.snapshot(con, mid, target)["judge_versions"]
    grouped = con.execute(
        "SELECT DISTINCT run_id, metric, judge, judge_version FROM judge_score"
        " WHERE run_id IN (?, ?)",
        [runs["source"], target],
    ).fetchall()
    assert after == sorted({f"{r}:{m}:{j} {v or ''}" for r, m, j, v in grouped})
    assert sorted(set(after) - set(before)) == [
        f"{target}:zz_tone:judge-a v10",
        f"{target}:zz_tone:judge-a v2",
        f"{target}:zz_tone:judge-b ",
    ]
