"""Schema migrations and the connection rules."""

import duckdb
import pytest

from core.errors import DatabaseLockedError
from core.store import db
from tests.conftest import HeldDatabase


def test_migrations_create_every_table_on_an_empty_database(con):
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert set(db.DATA_TABLES) | {"schema_migrations"} <= tables
    recorded = con.execute("SELECT number, name FROM schema_migrations").fetchall()
    assert recorded == [(n, name) for n, name, _ in db.migrations()]


def test_migrate_twice_applies_nothing_new(con):
    assert db.migrate(con) == []


def test_a_failing_migration_leaves_no_trace(tmp_path, monkeypatch):
    (tmp_path / "001_good.sql").write_text("CREATE TABLE a (x INTEGER);")
    (tmp_path / "002_bad.sql").write_text("CREATE TABLE b (x INTEGER); SELECT * FROM nowhere;")
    monkeypatch.setattr(db, "SCHEMA_DIR", tmp_path)
    con = duckdb.connect(":memory:")
    with pytest.raises(duckdb.CatalogException):
        db.migrate(con)
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert "a" in tables and "b" not in tables
    assert con.execute("SELECT number FROM schema_migrations").fetchall() == [(1,)]


def test_migration_files_are_numbered_snake_case():
    numbers = [n for n, _, _ in db.migrations()]
    assert numbers == sorted(set(numbers))


def test_a_second_process_is_told_the_file_is_in_use(tmp_path):
    path = tmp_path / "held.duckdb"
    with HeldDatabase(path), pytest.raises(DatabaseLockedError, match="in use by another"):
        db.connect(str(path))


def test_cursors_of_one_connection_work_from_threads(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    con = db.connect(str(tmp_path / "t.duckdb"))

    def count(_):
        return con.cursor().execute("SELECT count(*) FROM dataset").fetchone()[0]

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(count, range(20))) == [0] * 20
