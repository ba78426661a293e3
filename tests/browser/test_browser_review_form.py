"""The review form in Chromium: keys draw their choice without a server run, pass/fail follows
the score unless the SME sets it, submit moves on at once and the label is stored as chosen,
an earlier label reopens with its choices, and typing in the notes is not a shortcut.

The steps are one SME's session, run in order by one test on one page; the last stops the
server (the app holds the DuckDB file) and reads what was stored.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.review import queue
from core.store import db
from tests.browser.conftest import Server, demo_db
from tests.browser.test_browser import ARGS, CHROMIUM, idle, playwright_api, sign_in
from tests.conftest import app_database

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

# Counts the app's script runs: Streamlit marks the app "running" for each one.
EXPECTED: dict[str, list[tuple]] = {}  # item -> its label rows, as each step left them
RUNS = """() => {
  window.__runs = 0;
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'running') window.__runs += 1;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    path = demo_db(tmp_path_factory.mktemp("form"), 20261201)
    running = Server(path)
    yield running, path
    running.stop()


@pytest.fixture(scope="module")
def page(served):
    server, _ = served
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
        sign_in(page, server.url, "sme3")
        page.wait_for_selector(".rv-item", timeout=30_000)
        yield page
        chromium.close()


def shown(page) -> str:
    return page.inner_text(".rv-item").removeprefix("Item ")


def pressed(page, key: str) -> bool:
    return page.get_attribute(f'[data-key="{key}"]', "aria-pressed") == "true"


def verdict(page, side: str) -> str:
    return page.get_attribute(f'[data-key="{side}-verdict"]', "data-state")


def stored(path, item_id: str) -> list[tuple]:
    con = db.connect(app_database(path))
    try:
        return con.execute(
            "SELECT shown_side, score, passed, failure_modes, safety_flag, preference, notes"
            " FROM label WHERE reviewer = 'sme3' AND item_id = ? ORDER BY 1",
            [item_id],
        ).fetchall()
    finally:
        con.close()


def done(page, n: int) -> None:
    page.wait_for_selector(f"text=/^{n} of \\d+ done/", timeout=30_000)
    page.wait_for_selector(".rv-status:text-is('')", state="attached", timeout=30_000)
    idle(page)


def keys_draw_their_choice_without_a_server_run(page):
    page.evaluate(RUNS)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("2")  # A: 2, a fail by its score
    assert pressed(page, "A-score-2") and verdict(page, "A") == "fail"
    page.keyboard.press("q")  # A: set to pass by hand
    page.keyboard.press("x")  # A: safety flag
    page.keyboard.press("0")  # B: 5, a pass by its score
    page.keyboard.press("t")
    page.click('[data-key="B-mode-verbosity"]')
    assert verdict(page, "A") == "pass" and pressed(page, "A-safety")
    assert pressed(page, "B-score-5") and verdict(page, "B") == "pass"
    assert pressed(page, "preference-tie") and pressed(page, "B-mode-verbosity")
    assert page.inner_text(".rv-summary") == (
        "Chosen: A 2 ✓ pass · ⚑ safety · B 5 ✓ pass (verbosity) · better tie"
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.__runs") == 0  # drawn in the browser alone


def the_mask_toggle_keeps_the_choices_and_the_keys(page):
    summary = page.inner_text(".rv-summary")
    page.get_by_text("Mask PII").click()  # a server run: the texts come back masked
    idle(page)
    assert page.inner_text(".rv-summary") == summary  # the choices survive the redraw
    page.keyboard.press("y")  # the focused toggle does not swallow the keys
    assert pressed(page, "B-safety")
    page.keyboard.press("y")
    assert not pressed(page, "B-safety")


def typing_notes_is_not_a_shortcut_and_ctrl_enter_submits_them(page):
    item = shown(page)
    page.click(".rv-notes")
    page.keyboard.type("s1 q tab")  # would skip, score and toggle if taken as keys
    assert shown(page) == item and pressed(page, "A-score-2")
    page.keyboard.press("Control+Enter")
    page.wait_for_function(f"() => document.querySelector('.rv-item').innerText !== 'Item {item}'")
    done(page, 1)
    EXPECTED[item] = [
        ("A", 2, True, [], True, "tie", "s1 q tab"),
        ("B", 5, True, ["verbosity"], False, "tie", "s1 q tab"),
    ]


def submit_moves_on_before_the_server_answers(page):
    item = shown(page)
    EXPECTED[item] = [("A", 4, True, [], False, "A", None), ("B", 4, True, [], False, "A", None)]
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate(RUNS)
    for key in ("4", "9", "a"):
        page.keyboard.press(key)
    page.set_viewport_size({"width": 1280, "height": 500})  # a laptop with the console open
    page.locator('[data-key="submit"]').scroll_into_view_if_needed()
    assert page.locator(".rv-item").bounding_box()["y"] < 0  # scrolled down to the controls
    page.keyboard.press("Control+Enter")
    # The next item is drawn from what the server sent with this one, before any run ends.
    assert shown(page) != item
    assert page.inner_text(".rv-status") == "Saving…"
    assert not pressed(page, "A-score-4")  # a fresh item, no choices carried over
    assert page.locator(".rv-item").bounding_box()["y"] >= 0  # read from its top
    page.set_viewport_size({"width": 1280, "height": 800})
    done(page, 2)


def an_incomplete_label_is_refused_in_the_browser(page):
    item = shown(page)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate(RUNS)
    page.keyboard.press("3")
    page.keyboard.press("Control+Enter")
    assert page.inner_text(".rv-error") == "Response B: choose a score from 1 to 5"
    page.keyboard.press("8")
    page.keyboard.press("Control+Enter")
    assert page.inner_text(".rv-error") == "choose which response is better: A, B or tie"
    page.wait_for_timeout(300)
    assert shown(page) == item and page.evaluate("window.__runs") == 0


def back_reopens_the_last_label_and_pass_fail_follows_a_new_score(page):
    page.keyboard.press("a")
    page.keyboard.press("Control+Enter")
    done(page, 3)
    # Reopen the last labelled item: A 3, B 3 (pass by score), A is better.
    page.keyboard.press("ArrowLeft")
    page.wait_for_selector("text=You labelled this item already", timeout=30_000)
    idle(page)
    item = shown(page)
    assert pressed(page, "A-score-3") and pressed(page, "preference-A")
    assert verdict(page, "B") == "pass"
    page.keyboard.press("w")  # B: fail by hand; the stored pass is not kept against it
    page.keyboard.press("6")  # B: a new score 1; the explicit fail stands
    page.keyboard.press("1")  # A: a new score 1; pass/fail follows it
    assert verdict(page, "A") == "fail" and verdict(page, "B") == "fail"
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=/^3 of \\d+ done/", timeout=30_000)
    page.wait_for_selector(".rv-status:text-is('')", state="attached", timeout=30_000)
    assert re.fullmatch(r"\S+", shown(page))
    EXPECTED[item] = [("A", 1, False, [], False, "A", None), ("B", 1, False, [], False, "A", None)]


def every_label_is_stored_as_chosen_and_once(served):
    server, path = served
    server.stop()  # the app holds the DuckDB file while it runs
    for item, rows in EXPECTED.items():
        assert stored(path, item) == rows, item
    con = db.connect(app_database(path))
    try:
        counts = con.execute(
            "SELECT count(*), count(DISTINCT (item_id, shown_side)) FROM label"
            " WHERE reviewer = 'sme3'"
        ).fetchone()
        progress = queue.progress(con, "sme3")
    finally:
        con.close()
    assert counts == (6, 6) and progress.done == 3  # three items, two responses each


def test_one_sme_session_by_keyboard(page, served):
    """The steps above, in order, on one page (they are one session: run apart, or spread
    over workers, they would not hold)."""
    keys_draw_their_choice_without_a_server_run(page)
    the_mask_toggle_keeps_the_choices_and_the_keys(page)
    typing_notes_is_not_a_shortcut_and_ctrl_enter_submits_them(page)
    submit_moves_on_before_the_server_answers(page)
    an_incomplete_label_is_refused_in_the_browser(page)
    back_reopens_the_last_label_and_pass_fail_follows_a_new_score(page)
    every_label_is_stored_as_chosen_and_once(served)
