"""Each role sees exactly its pages and is refused the others, deep links included."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import signed_in
from ui import navigation

ROOT = Path(__file__).resolve().parents[2]
USERS = {"sme": "sme1", "eval_owner": "owner", "manager": "manager", "admin": "admin"}
EXPECTED = {
    "sme": ["Review"],
    "eval_owner": [
        "Home",
        "Data",
        "Sampling",
        "Calibration",
        "Runs",
        "Metrics",
        "Compare",
        "Sign-off",
        "Canary",
    ],
    "manager": ["Home", "Data", "Sign-off", "Canary"],
    "admin": [
        "Home",
        "Data",
        "Sampling",
        "Calibration",
        "Runs",
        "Metrics",
        "Compare",
        "Sign-off",
        "Canary",
        "Users",
    ],
}
PAGE_FILES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))


@pytest.fixture(scope="module", autouse=True)
def demo_db(tmp_path_factory):
    import os

    old = os.environ.get("SWITCHYARD_DB")
    os.environ["SWITCHYARD_DB"] = str(tmp_path_factory.mktemp("roles") / "roles.duckdb")
    yield
    if old is None:
        del os.environ["SWITCHYARD_DB"]
    else:
        os.environ["SWITCHYARD_DB"] = old


def run(script: str, role: str | None) -> AppTest:
    return signed_in(script, USERS[role] if role else None, (role,) if role else ()).run()


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_exactly_its_pages(role):
    assert [p.title for p in navigation.pages_for([role])] == EXPECTED[role]


def test_every_page_file_is_in_the_menu_table():
    assert sorted(Path(p.path).name for p in navigation.PAGES) == PAGE_FILES


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("page", navigation.PAGES, ids=lambda p: p.url)
def test_page_admits_its_roles_and_refuses_the_others(role, page):
    at = run(page.path, role)
    assert not at.exception
    refused = [e.value for e in at.error if "has no access to this page" in e.value]
    if role in page.roles:
        assert not refused and at.title[0].value == page.title.replace("Home", "Switchyard")
    else:
        assert refused and not at.dataframe and len(at.title) == 0


@pytest.mark.parametrize("page", navigation.PAGES, ids=lambda p: p.url)
def test_deep_link_without_sign_in_shows_nothing(page):
    at = run(page.path, None)
    assert [t.label for t in at.text_input] == ["Username", "Password"]  # the sign-in form
    assert [t.value for t in at.title] == ["Switchyard"]  # and nothing of the page
    assert not at.dataframe and [b.label for b in at.button] == ["Sign in"]


def test_app_without_sign_in_shows_only_the_sign_in_form():
    at = run("app.py", None)
    assert at.title[0].value == "Switchyard"
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.dataframe
    assert any("Demo sign-in in use" in w.value for w in at.warning)


def test_a_disabled_user_is_signed_out_at_the_next_run():
    from core.catalog import users
    from ui import store  # the same per-process connection the pages use

    assert run("pages/review.py", "sme").title[0].value == "Review"
    users.update(store.cursor(), "sme1", actor="admin", disabled=True)
    try:
        signed_out = run("pages/review.py", "sme")
        assert [t.label for t in signed_out.text_input] == ["Username", "Password"]
    finally:
        users.update(store.cursor(), "sme1", actor="admin", disabled=False)


@pytest.mark.parametrize(
    ("role", "script"), [("manager", "pages/compare.py"), ("sme", "pages/data.py")]
)
def test_a_forbidden_page_through_the_menu_says_so_instead_of_redirecting(role, script):
    at = run("app.py", role)
    at.switch_page(script).run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"Your role ({role}) has no access to this page."]
    assert not at.title and not at.dataframe


def test_the_pages_folder_is_no_menu_before_sign_in():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showSidebarNavigation"] is False
