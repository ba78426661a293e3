"""The Users and Sampling pages under AppTest, driven by their controls."""

import pytest

from core.catalog import users
from tests.conftest import app_page
from ui import store


@pytest.fixture
def dbfile(tmp_path, monkeypatch):
    monkeypatch.setenv("SWITCHYARD_DB", str(tmp_path / "pages.duckdb"))


def page(script: str, username: str, role: str):
    return app_page(f"pages/{script}", username, role, timeout=60)


def test_admin_adds_a_user_and_disables_another(dbfile):
    at = page("admin.py", "admin", "admin")
    at.text_input(key="admin.add.username").set_value("dana")
    at.text_input(key="admin.add.name").set_value("Dana Lee")
    at.text_input(key="admin.add.password").set_value("a long passphrase")
    at.multiselect(key="admin.add.roles").set_value(["sme"])
    at.button[0].click().run()
    assert not at.exception and "User dana added." in at.success[0].value
    dana = users.get(store.cursor(), "dana")
    assert dana.roles == ("sme",) and not dana.disabled
    at.selectbox(key="admin.edit.user").set_value(
        next(u for u in users.list_users(store.cursor()) if u.username == "sme2")
    )
    at.checkbox(key="admin.edit.disabled").check()
    at.button[1].click().run()
    assert "User sme2 updated." in at.success[0].value
    assert users.get(store.cursor(), "sme2").disabled


def test_admin_sees_the_error_for_a_short_password(dbfile):
    at = page("admin.py", "admin", "admin")
    at.text_input(key="admin.add.username").set_value("eve")
    at.text_input(key="admin.add.password").set_value("short")
    at.multiselect(key="admin.add.roles").set_value(["manager"])
    at.button[0].click().run()
    assert "at least 10 characters" in at.error[0].value


def test_sampling_page_previews_then_creates_a_sample(dbfile):
    at = page("sampling.py", "owner", "eval_owner")
    preview = at.dataframe[0].value
    # Headings humanised by core.formatting.label (issue 16).
    assert set(preview.columns) >= {"Stratum", "Pool", "Size", "Take", "Probability"}
    at.multiselect(key="sampling.reviewers").set_value(["sme1", "sme2"])
    at.run()
    at.button(key="sampling.create").click().run()
    assert not at.exception and "created and assigned to sme1, sme2" in at.success[0].value
    samples = store.cursor().execute("SELECT count(*) FROM sample").fetchone()[0]
    assert samples == 3  # the demo's two and this one
