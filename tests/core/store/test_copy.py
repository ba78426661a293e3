"""`python -m core store copy`: DuckDB → PostgreSQL → DuckDB keeps every row, every dataset's
content hash and the sign-off report byte for byte; a copy into a database holding data, or
one that reads back differently, is refused and leaves nothing behind. PostgreSQL is the
throwaway cluster of tests/pg_cluster.py."""

import json
from pathlib import Path

import psycopg
import pytest

import cli
from core import store_copy as copy
from core.errors import InputError
from core.store import db, sql


def signoff_json(path, capsys) -> dict:
    con = db.connect(str(path))
    migration = db.scalar(con, "SELECT migration_id FROM migration")
    con.close()
    assert cli.main(["--db", str(path), "report", "signoff", "--migration", migration,
                     "--format", "json"]) == 0  # fmt: skip
    return json.loads(capsys.readouterr().out)


def counts(path) -> dict[str, int]:
    con = db.connect(str(path))
    try:
        return db.row_counts(con)
    finally:
        con.close()


def pg_counts(url) -> dict[str, int]:
    with psycopg.connect(url) as con:
        statements = {
            t: sql.compose("SELECT count(*) FROM {t}", t=sql.name(t)) for t in db.DATA_TABLES
        }
        return {t: con.execute(str(q).encode()).fetchone()[0] for t, q in statements.items()}


def test_duckdb_to_postgresql_and_back_keeps_hashes_and_the_signoff_report(
    demo_copy, postgres_url, tmp_path, capsys
):
    source = demo_copy(200)
    back = tmp_path / "back.duckdb"
    assert cli.main(["store", "copy", "--from", str(source), "--to", postgres_url]) == 0
    there = capsys.readouterr()
    hashed = "the content hash of 1 dataset version was recomputed from the copy and matches"
    assert hashed in there.out
    assert "financial-qa-10k@1: sha256" in there.err
    assert cli.main(["store", "copy", "--from", postgres_url, "--to", str(back)]) == 0
    capsys.readouterr()
    assert counts(back) == counts(source)
    assert pg_counts(postgres_url) == counts(source)
    assert signoff_json(back, capsys) == signoff_json(source, capsys)
    con = db.connect(str(back))
    try:
        (dataset_id,) = con.execute("SELECT dataset_id FROM dataset").fetchone()
        from core.catalog import datasets

        assert datasets.verify(con, dataset_id).matches
        # Keys from sequences go on after the copied ones: a new audit row gets the next seq.
        top = db.scalar(con, "SELECT max(seq) FROM audit")
        con.execute("INSERT INTO audit (actor, action, entity, entity_id) VALUES ('t','t','t','t')")
        assert db.scalar(con, "SELECT max(seq) FROM audit") == top + 1
    finally:
        con.close()


def test_a_copy_into_a_database_holding_data_is_refused_and_changes_nothing(demo_copy, tmp_path):
    source, other = demo_copy(200), demo_copy(200, "other.duckdb")
    before = counts(other)
    with pytest.raises(InputError, match="already holds data"):
        copy.copy(str(source), str(other))
    assert counts(other) == before


def test_a_copy_that_reads_back_differently_is_rolled_back(demo_copy, postgres_url, monkeypatch):
    source = demo_copy(200)
    write = copy.PgEnd.write

    def lossy(self, table, rows):  # a row lost on the way, as a faulty driver might
        write(self, table, rows[1:] if table.name == "item" else rows)

    monkeypatch.setattr(copy.PgEnd, "write", lossy)
    with pytest.raises(InputError, match="item differs after the copy"):
        copy.copy(str(source), postgres_url)
    assert set(pg_counts(postgres_url).values()) == {0}  # rolled back: nothing kept


def test_a_vacuum_that_fails_after_the_commit_keeps_the_copy_and_says_so(
    demo_copy, postgres_url, monkeypatch, caplog
):
    source = demo_copy(200)
    execute = psycopg.Connection.execute

    def no_vacuum(self, query, *args, **kwargs):  # e.g. cancelled by an administrator
        if query == "VACUUM (ANALYZE)":
            raise psycopg.errors.QueryCanceled("canceling statement due to user request")
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", no_vacuum)
    result = copy.copy(str(source), postgres_url)
    monkeypatch.undo()
    assert pg_counts(postgres_url) == counts(source)  # the copy is kept, complete
    assert result.rows["item"] == counts(source)["item"]
    assert "the copy is complete, but VACUUM (ANALYZE) after it failed" in caplog.text
    assert "canceling statement" in caplog.text


def test_a_failed_copy_to_a_new_file_leaves_no_file(demo_copy, tmp_path, monkeypatch):
    source, target = demo_copy(200), tmp_path / "new.duckdb"
    monkeypatch.setattr(copy, "_fingerprint", lambda rows: len(rows))  # reads back the same
    write = copy.DuckEnd.write

    def changed(self, table, rows):
        if table.name == "item":  # a prompt altered on the way: the dataset hash catches it
            rows = [(r[0], r[1], r[2] + " ", *r[3:]) for r in rows]
        write(self, table, rows)

    monkeypatch.setattr(copy.DuckEnd, "write", changed)
    with pytest.raises(InputError, match="its items hash to"):
        copy.copy(str(source), str(target))
    assert not target.exists()


def test_the_same_database_on_both_sides_is_refused(demo_copy):
    source = str(demo_copy(200))
    with pytest.raises(InputError, match="same database"):
        copy.copy(source, source)


def test_a_postgresql_server_that_does_not_answer_is_a_plain_error_not_a_folder(tmp_path, capsys):
    url = "postgresql://team:secret@127.0.0.1:1/switchyard"  # nothing listens on port 1
    assert cli.main(["--db", url, "list"]) == 1
    error = capsys.readouterr().err
    assert "cannot connect to PostgreSQL at postgresql://team:***@127.0.0.1:1/switchyard" in error
    assert "secret" not in error and "Traceback" not in error
    # the URL may come from --to or --from, not only from SWITCHYARD_DB
    db.connect(str(tmp_path / "a.duckdb")).close()
    assert cli.main(["store", "copy", "--from", str(tmp_path / "a.duckdb"), "--to", url]) == 1
    assert "credentials in that URL (--db, --to, --from" in capsys.readouterr().err
    assert not (tmp_path / "postgresql:").exists() and not Path("postgresql:").exists()


def test_a_missing_source_file_is_refused_and_no_file_is_made(tmp_path):
    missing, target = tmp_path / "nope.duckdb", tmp_path / "x.duckdb"
    with pytest.raises(InputError, match="no such database file"):
        copy.copy(str(missing), str(target))
    assert not missing.exists() and not target.exists()
