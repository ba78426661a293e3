"""A team's own migration, walked in a real browser from an empty database, by clicks only.

The owner imports the golden set and two DeepEval runs (tests/data/real) on the Data page,
starts the migration on Home and draws a sample for sme1; sme1 reviews three items; the owner
reads Calibration and Compare; the manager approves on Sign-off and downloads the report.
Skipped when /usr/bin/chromium is missing, like tests/browser/test_browser.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.browser.test_browser import CHROMIUM, Server, auth_cookie, idle, sign_in, wait_for
from tests.browser.test_browser import browser as browser  # the module-scoped Chromium fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]
playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "data" / "real"
SONNET = "anthropic.claude-3-5-sonnet-20241022-v2:0"
NOVA = "amazon.nova-pro-v1:0"
NAME = "Sonnet to Nova Pro, by clicks"
WAIT = 30_000
EXCEPTION = '[data-testid="stException"]'


def widget(page, key: str):
    """The element container Streamlit gives a widget's key (dots become dashes)."""
    return page.locator(f".st-key-{key.replace('.', '-')}")


def no_exception(page) -> None:
    idle(page)
    boxes = page.locator(EXCEPTION)
    assert boxes.count() == 0, boxes.first.inner_text()


def open_page(page, title: str, heading: str | None = None) -> None:
    """Go to a page through the sidebar menu, as a user would."""
    link = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').get_by_role(
        "link", name=title
    )
    shown = page.get_by_role("heading", name=heading or title, exact=True)
    for _attempt in range(3):  # a click during the sign-in's last rerun can be lost
        idle(page)
        link.click()
        try:
            shown.wait_for(timeout=10_000)
            break
        except playwright_api.TimeoutError:
            pass
    else:
        raise AssertionError(f"the {title} page did not open")
    no_exception(page)


def choose(page, key: str, option) -> None:
    """Pick an option of a selectbox or multiselect: type to filter its list, click it."""
    box = widget(page, key).get_by_role("combobox")
    exact = isinstance(option, str)
    for _attempt in range(3):  # the list opens once the widget has hydrated
        box.click()
        if exact:  # long lists draw only the options in view
            box.fill(option)
        try:
            page.get_by_role("option", name=option, exact=exact).first.click(timeout=5_000)
            break
        except playwright_api.TimeoutError:
            page.keyboard.press("Escape")
            idle(page)
    else:
        raise AssertionError(f"option {option!r} of {key} could not be chosen")
    idle(page)


def options(page, key: str) -> list[str]:
    """The options a selectbox offers (its list opened, read, closed)."""
    box = widget(page, key).get_by_role("combobox")
    for _attempt in range(3):  # the list opens once the widget has hydrated
        box.click()
        try:
            page.get_by_role("option").first.wait_for(timeout=5_000)
            break
        except playwright_api.TimeoutError:
            idle(page)
    names = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    idle(page)
    return names


def selected(page, key: str) -> str:
    """What a selectbox shows (its combobox input's value)."""
    return widget(page, key).get_by_role("combobox").input_value()


def type_number(page, key: str, value: str) -> None:
    field = widget(page, key).locator("input")
    field.fill(value)
    field.press("Enter")
    idle(page)


def upload(page, form, path: Path) -> None:
    """Choose a file in a form's uploader; return once the server has stored it."""
    with page.expect_response(
        lambda r: "/_stcore/upload_file/" in r.url and r.request.method == "PUT", timeout=WAIT
    ) as stored:
        form.locator('input[type="file"]').set_input_files(str(path))
    assert stored.value.ok
    idle(page)


def success(
    page, pattern: str, seen: tuple[str, ...] = (), wait_ms: float = WAIT, file: str = ""
) -> str:
    """The success message matching ``pattern`` (one not in ``seen``: an earlier import's
    message stays on screen while the next import runs). An exception, or a new error naming
    ``file``, shown instead fails at once with its text."""
    boxes = page.locator('[data-testid="stAlertContentSuccess"]')
    errors = page.locator(EXCEPTION)
    if file:
        errors = page.locator('[data-testid="stAlertContentError"]', has_text=file).or_(errors)
    found = re.compile(pattern)
    before = set(errors.all_inner_texts())  # an earlier refusal, stale while this one runs

    def fresh() -> list[str]:
        shown = [t for t in errors.all_inner_texts() if t not in before]
        assert not shown, f"expected a message matching {pattern!r}, the page shows {shown}"
        return [t for t in boxes.all_inner_texts() if found.search(t) and t not in seen]

    wait_for(fresh, wait_ms / 1000)
    no_exception(page)
    (shown,) = fresh()
    return shown


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("text=Signed out.", timeout=WAIT)
    wait_for(lambda: not auth_cookie(page.context))  # else the next visit signs back in


def import_files(page) -> None:
    open_page(page, "Data")
    page.get_by_text("No dataset yet: import a golden file below.").wait_for(timeout=WAIT)

    golden = page.locator('[data-testid="stForm"]').filter(has_text="Import dataset")
    upload(page, golden, ROOT / "tests" / "data" / "golden.csv")
    widget(page, "data.golden.name").locator("input").fill("fin")
    widget(page, "data.golden.model").locator("input").fill(SONNET)
    choose(page, "data.golden.metric", "correctness")
    golden.get_by_role("button", name="Import dataset").click()
    shown = success(page, r"^dataset fin@1: 6 items")
    assert "6 judge scores over 1 metric (correctness)" in shown

    seen = (shown,)
    for folder, model, role in (
        ("deepeval_source", SONNET, "source"),
        ("deepeval_target", None, "target"),
    ):
        page.get_by_role("tab", name="Import an evaluation run").click()
        idle(page)
        form = page.locator('[data-testid="stForm"]').filter(has_text="Import run")
        upload(page, form, next((REAL / folder).glob("test_run_*.json")))
        # The form keeps the last import's values: the target's model id is its file's own.
        widget(page, "data.run.model").locator("input").fill(model or "")
        choose(page, "data.run.role", role)
        form.get_by_role("button", name="Import run").click()
        shown = success(page, r"^run run-\w+ on fin@1: 6 rows read, 6 outputs added", seen)
        assert "36 judge scores over 6 metrics" in shown and "correctness" in shown
        page.get_by_text("Correctness [GEval] read as correctness").first.wait_for(timeout=WAIT)
        seen += (shown,)
    # The page reran after each import: its lists show the dataset and runs.
    assert page.get_by_text("No dataset yet").count() == 0
    assert page.get_by_text("No run yet").count() == 0


def start_migration(page) -> None:
    open_page(page, "Home", "Switchyard")
    page.get_by_text("No migration yet.").first.wait_for(timeout=WAIT)
    page.locator('[data-testid="stExpander"] summary').filter(has_text="New migration").click()
    choose(page, "home.new.dataset", "fin@1")
    # The golden file's own run is a source too: take the DeepEval one.
    choose(page, "home.new.source", re.compile(rf"^{re.escape(SONNET)} · .* on fin@1 \(run-"))
    targets = widget(page, "home.new.targets")
    if NOVA not in targets.inner_text():
        choose(page, "home.new.targets", re.compile(rf"^{re.escape(NOVA)} · "))
    assert NOVA in targets.inner_text()
    shared = page.get_by_text(re.compile(r"^Metrics the runs share: "))
    shared.wait_for(timeout=WAIT)
    assert "bias" in shared.inner_text() and "correctness" in shared.inner_text()
    widget(page, "home.new.name").locator("input").fill(NAME)
    page.keyboard.press("Tab")
    idle(page)
    widget(page, "home.new.go").get_by_role("button", name="Start migration").click()
    idle(page)
    page.get_by_role("heading", name=NAME).wait_for(timeout=WAIT)
    page.get_by_text(re.compile(r"Draw a review sample")).first.wait_for(timeout=WAIT)
    no_exception(page)


def draw_sample(page) -> None:
    open_page(page, "Sampling")
    assert selected(page, "sampling.migration") == NAME
    type_number(page, "sampling.fail", "100")
    type_number(page, "sampling.pass", "100")
    choose(page, "sampling.reviewers", "sme1")
    page.keyboard.press("Escape")  # close the multiselect's list
    page.get_by_text(re.compile(r"^Preview: 6 of 6 items$")).wait_for(timeout=WAIT)
    widget(page, "sampling.create").get_by_role("button", name="Create sample").click()
    success(page, r"^Sample \S+ created and assigned to sme1\.")


def review_three(page) -> None:
    page.wait_for_selector("text=/^0 of 6 done$/", timeout=WAIT)
    no_exception(page)
    for done in range(1, 4):
        shown = page.get_by_text(re.compile(r"^Item q\d+$")).inner_text()
        page.evaluate("document.activeElement && document.activeElement.blur()")
        for key in ("4", "7", "a"):  # A scores 4, B scores 2, A is better
            page.keyboard.press(key)
            idle(page)
        page.keyboard.press("Control+Enter")
        page.wait_for_selector(f"text=/^{done} of 6 done$/", timeout=WAIT)
        no_exception(page)
        assert page.get_by_text(re.compile(r"^Item q\d+$")).inner_text() != shown


def read_calibration_and_compare(page) -> None:
    open_page(page, "Calibration")
    assert selected(page, "calibration.migration") == NAME
    page.get_by_text("Judge vs SMEs", exact=False).first.wait_for(timeout=WAIT)
    page.get_by_text(re.compile(r"^3 pairs · 1 reviewers$")).wait_for(timeout=WAIT)
    no_exception(page)

    open_page(page, "Compare")
    page.locator('[data-testid="stTable"]').first.wait_for(timeout=WAIT)  # quality (st.table)
    page.get_by_text(re.compile(r"^6 paired items\.")).wait_for(timeout=WAIT)
    page.get_by_role("tab", name="Speed").click()
    idle(page)
    page.get_by_text(re.compile(r"^TTFT: NOT MEASURED")).first.wait_for(timeout=WAIT)
    no_exception(page)
    page.get_by_role("tab", name="Items").click()
    idle(page)
    names = options(page, "compare.kind_metric")
    for name in ("answer_relevancy", "bias", "correctness", "faithfulness", "toxicity"):
        assert name in names, names
    choose(page, "compare.kind_metric", "bias")
    assert selected(page, "compare.kind_metric") == "bias"
    no_exception(page)


def approve_and_export(page) -> None:
    open_page(page, "Sign-off")
    page.wait_for_selector("text=Not decided:", timeout=WAIT)
    form = page.locator('[data-testid="stForm"]').filter(has_text="Record the decision")
    choose(page, "signoff.role", "SME lead")
    form.get_by_text("approve", exact=True).click()
    form.get_by_label("Comment (required to reject)").fill("Reviewed three items myself")
    form.get_by_role("button", name="Record the decision").click()
    idle(page)
    page.wait_for_selector("text=Approved on the current evidence: SME lead", timeout=WAIT)
    no_exception(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="HTML report").click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"<h1>Sign-off: {NAME}</h1>" in report
    assert "SME lead" in report and "approve" in report
    assert "Reviewed three items myself" in report
    with page.expect_download() as download:
        page.get_by_role("button", name="JSON").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["migration"] == NAME and data["target_model"] == NOVA
    lead = next(a for a in data["approvals"] if a["role"] == "SME lead")
    assert lead["decision"] == "approve" and not lead["stale"]


def test_own_migration_from_an_empty_database_by_clicks(browser, tmp_path, monkeypatch):
    monkeypatch.setenv("SWITCHYARD_DEMO", "0")  # no demo migration: the database starts empty
    server = Server(tmp_path / "own.duckdb")
    try:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(WAIT)
        sign_in(page, server.url, "owner")
        import_files(page)
        start_migration(page)
        draw_sample(page)
        sign_out(page)

        sign_in(page, server.url, "sme1")
        review_three(page)
        sign_out(page)

        sign_in(page, server.url, "owner")
        read_calibration_and_compare(page)
        sign_out(page)

        sign_in(page, server.url, "manager")
        approve_and_export(page)
        context.close()
    except BaseException:
        page.screenshot(path=str(tmp_path / "failed.png"), full_page=True)
        (tmp_path / "failed.txt").write_text(page.inner_text("body"), encoding="utf-8")
        raise
    finally:
        server.stop()
