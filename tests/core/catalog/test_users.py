"""Users: seeded from the sign-in configuration, bcrypt hashes only, changes audited."""

import bcrypt
import pytest

from core.catalog import users
from core.errors import InputError


@pytest.fixture
def seeded(con):
    users.seed(con, users.load_config(users.EXAMPLE_FILE))
    return con


def test_example_users_are_seeded_once_and_flagged_as_demo(seeded):
    assert [u.username for u in users.list_users(seeded)] == [
        "admin",
        "manager",
        "owner",
        "sme1",
        "sme2",
        "sme3",
    ]
    assert users.seed(seeded, users.load_config(users.EXAMPLE_FILE)) == 0
    assert users.demo_users_enabled(seeded) == ["admin", "manager", "owner", "sme1", "sme2", "sme3"]
    # Issue 12: the shipped example's published cookie key is never used (a random key is
    # generated per install), so the example configuration no longer runs on it.
    assert not users.load_config(users.EXAMPLE_FILE).example_key


def test_demo_passwords_verify_against_the_stored_hashes(seeded):
    creds = users.credentials(seeded)["usernames"]
    assert bcrypt.checkpw(b"demo-sme1", creds["sme1"]["password"].encode())
    assert creds["sme1"]["roles"] == ["sme"]


def test_added_user_is_stored_as_a_hash_only_and_audited(seeded):
    users.add(seeded, "dana", "Dana Lee", "a long passphrase", ["sme", "manager"], actor="admin")
    stored = seeded.execute(
        "SELECT password_hash, roles FROM app_user WHERE username = 'dana'"
    ).fetchone()
    assert stored[0].startswith("$2b$") and "passphrase" not in stored[0]
    assert stored[1] == ["manager", "sme"]
    dump = str(seeded.execute("SELECT * FROM audit").fetchall())
    assert "a long passphrase" not in dump and "add_user" in dump


def test_disable_and_roles(seeded):
    users.update(seeded, "sme2", actor="admin", disabled=True)
    assert "sme2" not in users.credentials(seeded)["usernames"]
    assert "sme2" not in users.reviewers(seeded)
    users.update(seeded, "sme2", actor="admin", disabled=False, roles=["sme", "eval_owner"])
    assert users.get(seeded, "sme2").roles == ("eval_owner", "sme")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda c: users.add(c, "Bad Name", "x", "long enough pw", ["sme"], actor="a"),
            "lowercase",
        ),
        (lambda c: users.add(c, "newbie", "x", "short", ["sme"], actor="a"), "at least 10"),
        (
            lambda c: users.add(c, "newbie", "x", "long enough pw", ["boss"], actor="a"),
            "one or more",
        ),
        (
            lambda c: users.add(c, "sme1", "x", "long enough pw", ["sme"], actor="a"),
            "already exists",
        ),
        (
            lambda c: users.update(c, "admin", actor="admin", disabled=True),
            "cannot disable yourself",
        ),
        (lambda c: users.update(c, "admin", actor="admin", roles=["sme"]), "own admin role"),
    ],
)
def test_bad_user_changes_are_refused(seeded, call, message):
    with pytest.raises(InputError, match=message):
        call(seeded)


def test_cookie_key_comes_from_the_environment_when_set(monkeypatch):
    monkeypatch.setenv("SWITCHYARD_COOKIE_KEY", "a-real-secret")
    config = users.load_config(users.EXAMPLE_FILE)
    assert config.cookie_key == "a-real-secret" and not config.example_key
