"""Sign-in sessions in the app (issue 12, item 3), under AppTest: every page run checks the
session's row, so a change to the user signs an open browser out at its next click; the
sign-in form is throttled and audited; an admin unlocks a locked name on the Users page.
The cookie paths (a copied or forged cookie) need a browser: tests/browser/
test_browser_sessions.py."""

import os

import pytest
from streamlit.testing.v1 import AppTest

from core.catalog import sessions, users
from core.store import db, writes
from tests.conftest import ROOT, signed_in


@pytest.fixture(scope="module", autouse=True)
def auth_db(tmp_path_factory):
    """A database of this module's own, with the demo users and no demo migration."""
    saved = {k: os.environ.get(k) for k in ("SWITCHYARD_DB", "SWITCHYARD_DEMO")}
    os.environ["SWITCHYARD_DB"] = str(tmp_path_factory.mktemp("auth") / "auth.duckdb")
    os.environ["SWITCHYARD_DEMO"] = "0"
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def cursor():
    from ui import store  # the per-process connection the pages use

    return store.cursor()


def signed_out(at: AppTest) -> bool:
    return [t.label for t in at.text_input] == ["Username", "Password"] and not at.dataframe


def session_rows(username: str) -> list[tuple]:
    return (
        cursor()
        .execute("SELECT ended_why FROM session WHERE username = ? ORDER BY created_at", [username])
        .fetchall()
    )


def audit_actions(username: str) -> list[str]:
    rows = cursor().execute("SELECT action FROM audit WHERE entity_id = ? ORDER BY seq", [username])
    return [a for (a,) in rows.fetchall()]


@pytest.mark.parametrize(
    ("username", "change"),
    [("sme1", {"password": "another long passphrase"}), ("sme2", {"roles": ["sme", "manager"]})],
    ids=["password", "roles"],
)
def test_a_user_change_signs_an_open_browser_out_at_its_next_click(username, change):
    at = signed_in("pages/review.py", username, ("sme",)).run()
    assert at.title[0].value == "Review"
    users.update(cursor(), username, actor="admin", **change)
    at.run()  # the same browser session, its next click
    assert signed_out(at) and [t.value for t in at.title] == ["Switchyard"]  # the form, not Review
    assert not at.session_state["authentication_status"]


def sign_in_form() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    return at


def submit(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    return next(b for b in at.button if b.label == "Sign in").click().run()


def test_sign_in_through_the_form_starts_a_session_and_is_audited():
    # Sign-out is clicked in a browser (test_browser_sessions): under AppTest, the runs after
    # the first draw the page without app.py's sidebar, where the button is.
    at = submit(sign_in_form(), "owner", "demo-owner")
    assert not at.exception
    assert any("Signed in as" in c.value for c in at.sidebar.caption)
    assert session_rows("owner") == [(None,)]
    assert audit_actions("owner")[-1] == "sign_in"
    at.run()  # the next click checks the same session
    assert not signed_out(at) and at.title[0].value == "Switchyard"
    assert session_rows("owner") == [(None,)]


def test_a_wrong_password_is_refused_then_the_next_try_waits():
    at = submit(sign_in_form(), "manager", "not my password")
    assert [e.value for e in at.error] == ["Username or password is wrong."]
    submit(at, "manager", "demo-manager")  # right, but too soon after a failure
    assert [e.value for e in at.error] == ["Too many failed sign-ins: wait 1 s and try again."]
    assert session_rows("manager") == []
    assert audit_actions("manager") == ["sign_in_failed", "sign_in_refused"]


def test_an_admin_unlocks_a_locked_name_on_the_users_page():
    con = cursor()
    with db.transaction(con):
        for _ in range(sessions.LOCK_AFTER):
            writes.audit(con, "system", "sign_in_failed", "app_user", "sme3", after={"why": "x"})
    assert sessions.locked_users(con) == ["sme3"]
    at = signed_in("pages/admin.py", "admin", ("admin",)).run()
    assert at.selectbox(key="admin.unlock.name").value == "sme3"
    next(b for b in at.button if b.label == "Unlock").click().run()
    assert [s.value for s in at.success] == ["sme3 can sign in again."]
    assert sessions.locked_users(con) == []
    unlocked = con.execute("SELECT actor FROM audit WHERE action = 'unlock_user'").fetchall()
    assert unlocked == [("admin",)]
