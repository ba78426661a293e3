"""Sessions with a server side (issue 12, item 3): every sign-in is a row that sign-out, a
password or role change and disabling end; failed sign-ins are throttled, then locked, and
everything is audited; the cookie key is generated per install unless one is configured."""

import hashlib
import stat
import time

import jwt
import pytest

from core.catalog import sessions, users
from core.errors import SwitchyardError
from core.store import settings


@pytest.fixture(autouse=True)
def own_db_dir(tmp_path, monkeypatch):
    """Key files land in a throwaway folder, not next to the real database."""
    monkeypatch.setenv("SWITCHYARD_DB", str(tmp_path / "app.duckdb"))


@pytest.fixture
def seeded(con):
    users.seed(con, users.load_config(users.EXAMPLE_FILE))
    return con


def actions(con, username: str) -> list[str]:
    return [
        a
        for (a,) in con.execute(
            "SELECT action FROM audit WHERE entity_id = ? ORDER BY seq", [username]
        ).fetchall()
    ]


def age_audit(con, seconds: int) -> None:
    """Move every audit entry ``seconds`` into the past (the throttle's clock)."""
    con.execute("UPDATE audit SET at_time = at_time - to_seconds(?)", [seconds])


def test_a_sign_in_is_a_session_row_and_an_audit_entry(seeded):
    session = sessions.sign_in(seeded, " sme1 ", "demo-sme1", 12)
    assert session.username == "sme1" and len(session.session_id) >= 40
    assert sessions.check(seeded, session.session_id, "sme1")
    hours = seeded.execute(
        "SELECT date_diff('minute', created_at, expires_at) / 60, ended_at FROM session"
    ).fetchall()
    assert hours == [(12.0, None)]
    assert actions(seeded, "sme1")[-1] == "sign_in"


def test_sign_out_ends_that_session_and_only_that_one(seeded):
    laptop = sessions.sign_in(seeded, "sme1", "demo-sme1", 12)
    phone = sessions.sign_in(seeded, "sme1", "demo-sme1", 12)
    sessions.sign_out(seeded, laptop.session_id, "sme1")
    assert not sessions.check(seeded, laptop.session_id, "sme1")
    assert sessions.check(seeded, phone.session_id, "sme1")
    assert actions(seeded, "sme1")[-1] == "sign_out"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"disabled": True}, "disabled"),
        ({"password": "a new long passphrase"}, "password"),
        ({"roles": ["sme", "manager"]}, "roles"),
    ],
)
def test_a_user_change_ends_all_their_sessions_at_once(seeded, change, why):
    mine = [sessions.sign_in(seeded, "sme1", "demo-sme1", 12) for _ in range(2)]
    other = sessions.sign_in(seeded, "sme2", "demo-sme2", 12)
    users.update(seeded, "sme1", actor="admin", **change)
    assert [sessions.check(seeded, s.session_id, "sme1") for s in mine] == [False, False]
    assert sessions.check(seeded, other.session_id, "sme2")
    ended = seeded.execute("SELECT DISTINCT ended_why FROM session WHERE username = 'sme1'")
    assert ended.fetchall() == [(why,)]


def test_a_change_that_keeps_roles_and_password_keeps_the_sessions(seeded):
    session = sessions.sign_in(seeded, "sme1", "demo-sme1", 12)
    users.update(seeded, "sme1", actor="admin", roles=["sme"], disabled=False)
    assert sessions.check(seeded, session.session_id, "sme1")


def test_enabling_a_user_again_does_not_revive_old_sessions(seeded):
    session = sessions.sign_in(seeded, "sme1", "demo-sme1", 12)
    users.update(seeded, "sme1", actor="admin", disabled=True)
    users.update(seeded, "sme1", actor="admin", disabled=False)
    assert not sessions.check(seeded, session.session_id, "sme1")


def test_a_page_run_notes_last_seen_at_most_once_a_minute_and_an_end_keeps_it(seeded):
    session = sessions.sign_in(seeded, "sme1", "demo-sme1", 12)

    def seen_ago() -> int:
        sql = "SELECT date_diff('second', last_seen, current_timestamp::TIMESTAMP) FROM session"
        return seeded.execute(sql).fetchone()[0]

    seeded.execute("UPDATE session SET last_seen = last_seen - INTERVAL 30 SECOND")
    assert sessions.check(seeded, session.session_id, "sme1") and seen_ago() >= 30
    seeded.execute("UPDATE session SET last_seen = last_seen - INTERVAL 1 HOUR")
    assert sessions.check(seeded, session.session_id, "sme1") and seen_ago() < 30
    seeded.execute("UPDATE session SET last_seen = last_seen - INTERVAL 1 HOUR")
    users.update(seeded, "sme1", actor="admin", disabled=True)  # the admin's click, not sme1's
    assert seen_ago() >= 3600


def test_an_expired_session_is_refused(seeded):
    session = sessions.sign_in(seeded, "sme1", "demo-sme1", 0.5 / 3600)  # half a second
    assert sessions.check(seeded, session.session_id, "sme1")
    time.sleep(0.6)
    assert not sessions.check(seeded, session.session_id, "sme1")


def test_a_session_id_checks_only_for_its_own_user(seeded):
    session = sessions.sign_in(seeded, "sme1", "demo-sme1", 12)
    assert not sessions.check(seeded, session.session_id, "admin")
    assert not sessions.check(seeded, "made-up-id", "sme1")


def test_a_wrong_password_is_refused_audited_and_delays_the_next_try(seeded):
    with pytest.raises(sessions.SignInRefused, match="Username or password is wrong"):
        sessions.sign_in(seeded, "sme1", "guess-one", 12)
    # Even the right password waits out the delay the failure started (1 s after one).
    with pytest.raises(sessions.SignInRefused, match="wait 1 s"):
        sessions.sign_in(seeded, "sme1", "demo-sme1", 12)
    age_audit(seeded, 2)
    sessions.sign_in(seeded, "sme1", "demo-sme1", 12)
    assert actions(seeded, "sme1")[-3:] == ["sign_in_failed", "sign_in_refused", "sign_in"]
    assert sessions.throttle(seeded, "sme1").failures == 0  # a sign-in resets the count


def test_delays_grow_then_cap():
    # 2 ** (failures - 1) seconds, capped at MAX_WAIT
    assert [sessions.delay(n) for n in range(8)] == [0, 1, 2, 4, 8, 16, 30, 30]


def test_unknown_and_disabled_users_are_answered_like_a_wrong_password(seeded):
    users.update(seeded, "sme3", actor="admin", disabled=True)
    for name, password in (("nobody", "demo-nobody"), ("sme3", "demo-sme3")):
        with pytest.raises(sessions.SignInRefused, match=r"^Username or password is wrong\.$"):
            sessions.sign_in(seeded, name, password, 12)
    whys = seeded.execute(
        "SELECT entity_id, after->>'why' FROM audit WHERE action = 'sign_in_failed' ORDER BY seq"
    ).fetchall()
    assert whys == [("nobody", "unknown user"), ("sme3", "disabled")]


def test_lock_after_repeated_failures_until_an_admin_unlocks(seeded):
    for _ in range(sessions.LOCK_AFTER):
        with pytest.raises(sessions.SignInRefused, match="wrong"):
            sessions.sign_in(seeded, "owner", "not-the-password", 12)
        age_audit(seeded, sessions.MAX_WAIT)
    assert sessions.locked_users(seeded) == ["owner"]
    assert "lock_user" in actions(seeded, "owner")
    with pytest.raises(sessions.SignInRefused, match="locked after 10 failed attempts"):
        sessions.sign_in(seeded, "owner", "demo-owner", 12)
    assert sessions.unlock(seeded, "owner", actor="admin")
    assert sessions.locked_users(seeded) == []
    sessions.sign_in(seeded, "owner", "demo-owner", 12)
    assert actions(seeded, "owner")[-2:] == ["unlock_user", "sign_in"]
    actor = seeded.execute("SELECT actor FROM audit WHERE action = 'unlock_user'").fetchone()
    assert actor == ("admin",)


def test_a_very_long_username_is_cut_in_the_audit(seeded):
    with pytest.raises(sessions.SignInRefused):
        sessions.sign_in(seeded, "x" * 100_000, "whatever", 12)
    (name,) = seeded.execute(
        "SELECT entity_id FROM audit WHERE action = 'sign_in_failed'"
    ).fetchone()
    assert name == "x" * sessions.MAX_NAME


# --- the cookie key -----------------------------------------------------------------------


def test_the_shipped_example_key_is_never_used_a_generated_one_is(tmp_path, monkeypatch):
    monkeypatch.delenv("SWITCHYARD_COOKIE_KEY", raising=False)  # set by a PostgreSQL run
    config = users.load_config(users.EXAMPLE_FILE)
    key_file = tmp_path / users.KEY_FILE
    assert config.cookie_key != users.EXAMPLE_COOKIE_KEY and not config.example_key
    assert key_file.read_text() == config.cookie_key and len(config.cookie_key) >= 40
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert users.generated_key(str(tmp_path / "app.duckdb")) == config.cookie_key


def test_each_install_generates_its_own_key(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = users.generated_key(str(tmp_path / "a" / "x.duckdb"))
    assert first != users.generated_key(str(tmp_path / "b" / "x.duckdb"))
    assert users.generated_key(":memory:") not in (first, "")


def test_a_key_file_with_loose_permissions_is_made_owner_only(tmp_path):
    key_file = tmp_path / "c" / users.KEY_FILE
    key_file.parent.mkdir()
    key_file.write_text("k" * 43)
    key_file.chmod(0o644)
    assert users.generated_key(str(key_file.parent / "x.duckdb")) == "k" * 43
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_the_example_key_when_configured_is_refused_unless_the_demo_is_on(monkeypatch):
    monkeypatch.setenv("SWITCHYARD_COOKIE_KEY", users.EXAMPLE_COOKIE_KEY)
    monkeypatch.setenv("SWITCHYARD_DEMO", "0")
    with pytest.raises(SwitchyardError, match="published example key"):
        users.load_config(users.EXAMPLE_FILE)
    monkeypatch.setenv("SWITCHYARD_DEMO", "1")
    assert users.load_config(users.EXAMPLE_FILE).example_key  # the app warns on every page


def test_a_key_in_the_local_file_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv("SWITCHYARD_COOKIE_KEY", raising=False)  # set by a PostgreSQL run
    local = tmp_path / "auth.yaml"
    local.write_text("cookie: {name: c, key: a-long-configured-secret}\ncredentials: {}\n")
    assert users.load_config(local).cookie_key == "a-long-configured-secret"


def test_session_lifetime_is_a_setting(monkeypatch):
    assert settings.get("session_hours") == "12"
    assert users.load_config(users.EXAMPLE_FILE).session_hours == 12
    monkeypatch.setenv("SWITCHYARD_SESSION_HOURS", "0")
    with pytest.raises(SwitchyardError, match="SWITCHYARD_SESSION_HOURS"):
        users.load_config(users.EXAMPLE_FILE)


def test_a_grant_sets_the_cookie_once_and_only_its_hash_is_stored(seeded):
    session = sessions.sign_in(seeded, "sme1", "demo-sme1", 12)
    token = sessions.grant(seeded, session)
    stored = seeded.execute("SELECT grant_hash FROM session_grant").fetchall()
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(),)]
    assert sessions.redeem(seeded, token) == session
    assert sessions.redeem(seeded, token) is None  # spent
    assert sessions.redeem(seeded, "a-guessed-grant") is None


def test_an_expired_grant_or_one_of_an_ended_session_sets_no_cookie(seeded):
    session = sessions.sign_in(seeded, "sme1", "demo-sme1", 12)
    late = sessions.grant(seeded, session)
    seeded.execute("UPDATE session_grant SET expires_at = expires_at - to_seconds(?)", [61])
    assert sessions.redeem(seeded, late) is None
    ended = sessions.grant(seeded, session)
    sessions.sign_out(seeded, session.session_id, "sme1")
    assert sessions.redeem(seeded, ended) is None


def test_the_cookie_names_its_session_only_under_the_key_and_before_expiry(seeded):
    session = sessions.sign_in(seeded, "owner", "demo-owner", 12)
    key = users.generated_key(settings.db_path())
    assert sessions.read_cookie(sessions.cookie_value(session, key, 12), key) == session
    assert sessions.read_cookie(sessions.cookie_value(session, key, 12), "another-key" * 4) is None
    assert sessions.read_cookie(sessions.cookie_value(session, key, -1), key) is None
    assert sessions.read_cookie("not a token", key) is None
    assert sessions.read_cookie(None, key) is None


def test_a_cookie_a_page_script_set_before_httponly_no_longer_signs_in(seeded):
    # The claims ui/auth.py used to sign and hand to the page's cookie component.
    session = sessions.sign_in(seeded, "owner", "demo-owner", 12)
    key = users.generated_key(settings.db_path())
    claims = {"username": "owner", "sid": session.session_id, "exp_date": time.time() + 3600}
    assert sessions.read_cookie(jwt.encode(claims, key, algorithm="HS256"), key) is None
