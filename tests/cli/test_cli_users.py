"""`python -m core users`: an admin locked out of the Users page unlocks a name here."""

from cli import main
from core.catalog import sessions, users
from core.store import db, writes


def test_users_locked_lists_and_unlock_lifts_the_lock(tmp_path, monkeypatch, capsys):
    path = tmp_path / "cli.duckdb"
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    monkeypatch.setenv("SWITCHYARD_USER", "ops")
    con = db.connect(str(path))
    users.seed(con, users.load_config(users.EXAMPLE_FILE))
    with db.transaction(con):
        for _ in range(sessions.LOCK_AFTER):
            writes.audit(con, "system", "sign_in_failed", "app_user", "admin", after={"why": "x"})
    con.close()
    assert main(["users", "locked"]) == 0
    assert capsys.readouterr().out == "admin\n"
    assert main(["users", "unlock", "admin"]) == 0
    assert capsys.readouterr().out == "admin can sign in again\n"
    assert main(["users", "locked"]) == 0
    assert capsys.readouterr().out == ""
    con = db.connect(str(path))
    assert con.execute("SELECT actor FROM audit WHERE action = 'unlock_user'").fetchall() == [
        ("ops",)
    ]
    con.close()
    assert main(["users", "unlock"]) == 1
    assert "name the user" in capsys.readouterr().err
