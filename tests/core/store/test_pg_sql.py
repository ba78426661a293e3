"""DuckDB's dialect on PostgreSQL: each translation rule of core.store.pg_sql, and the same
statements giving the same answers on both engines (a fresh database on the test server)."""

from datetime import datetime
from decimal import Decimal

import duckdb
import psycopg
import pytest

from core.store import pg_route, pg_sql


def one(sql: str) -> pg_sql.Translated:
    (statement,) = pg_sql.translate(sql)
    return statement


def test_placeholders_become_psycopgs_in_the_order_they_appear():
    positional = one("SELECT ? WHERE a = ? AND b LIKE '%x%'")
    assert positional.text == "SELECT %s WHERE a = %s AND b LIKE '%%x%%'"
    assert positional.bind([1, 2]) == [1, 2]
    numbered = one("SELECT $2, $1, $2")
    assert numbered.bind(["a", "b"]) == ["b", "a", "b"]
    named = one("SELECT $worker, $now, $worker")
    assert named.bind({"worker": "w", "now": 5}) == ["w", 5, "w"]
    cast = one("SELECT unnest(?::VARCHAR[])")  # sqlglot cannot parse ?::TYPE itself
    assert cast.text == "SELECT UNNEST(CAST(%s AS TEXT[]))"
    assert isinstance(one("SELECT unnest(?)").bind([[]])[0], pg_sql.EmptyList)


@pytest.mark.parametrize(
    ("duck", "postgres"),
    [
        ("SELECT a, sum(b) FROM t GROUP BY ALL", "SELECT a, SUM(b) FROM t GROUP BY 1"),
        (
            "SELECT epoch_ms(ts) FROM t",
            "SELECT CAST(EXTRACT(epoch FROM ts) * 1000 AS BIGINT) FROM t",
        ),
        (
            "SELECT quantile(x, 0.9) FROM t",
            "SELECT PERCENTILE_DISC(0.9) WITHIN GROUP (ORDER BY x) FROM t",
        ),
        (
            "SELECT avg(passed::DOUBLE) FROM t",
            "SELECT AVG(CAST(CAST(passed AS INT) AS DOUBLE PRECISION)) FROM t",
        ),
        (
            "SELECT CAST(a > 1 AS UTINYINT) FROM t",
            "SELECT CAST(CAST(a > 1 AS INT) AS SMALLINT) FROM t",
        ),
        ("SELECT * FROM (SELECT 1)", "SELECT * FROM (SELECT 1) AS _sub1"),
        (
            "SELECT json_object('a', x) FROM t",
            "SELECT CAST(JSON_BUILD_OBJECT('a', x) AS TEXT) FROM t",
        ),
        (
            "SELECT unnest(calls::JSON[]) FROM t",
            "SELECT UNNEST(ARRAY(SELECT JSON_ARRAY_ELEMENTS(CAST(calls AS JSON)))) FROM t",
        ),
        (
            "SELECT r.rowid FROM r",
            "SELECT (CAST((CAST(CAST(r.ctid AS TEXT) AS POINT))[0] AS BIGINT)"
            " * 65536 + CAST((CAST(CAST(r.ctid AS TEXT) AS POINT))[1] AS BIGINT)) FROM r",
        ),
    ],
)
def test_each_rule(duck, postgres):
    assert one(duck).text == postgres


def test_what_runs_in_duckdb_and_what_on_the_server():
    reader = pg_route.shape("CREATE TEMP TABLE s AS SELECT * FROM read_csv(?, header = true)")
    assert (reader.kind, reader.creates, reader.temporary, reader.duckdb_only) == (
        "CREATE",
        "s",
        True,
        True,
    )
    write = pg_route.shape('INSERT INTO output (run_id) SELECT run_id FROM "stage_1"')
    assert (write.target, write.names) == ("output", frozenset({"output", "stage_1"}))
    assert pg_route.shape("SELECT * FROM d ASOF LEFT JOIN p ON d.t >= p.t").duckdb_only
    assert pg_route.shape("SELECT * FROM judge_score ORDER BY ALL").duckdb_only
    assert not pg_route.shape("SELECT * FROM job WHERE kind IN (SELECT unnest(?))").duckdb_only
    cte = pg_route.shape("WITH x AS (SELECT 1) SELECT * FROM x JOIN label USING (a)")
    assert cte.names == frozenset({"label"})


def test_an_insert_of_computed_rows_splits_into_its_target_and_its_rows():
    staged = pg_route.local_insert(
        'INSERT INTO label (item_id, "passed") WITH d AS (SELECT * FROM s) SELECT a, ? FROM d'
    )
    assert staged == pg_route.LocalInsert(
        "label", ("item_id", "passed"), "WITH d AS (SELECT * FROM s) SELECT a, ? FROM d"
    )
    assert pg_route.local_insert("INSERT INTO t SELECT * FROM s").columns is None
    # more than rows: left to the server's own path
    assert pg_route.local_insert("INSERT INTO t SELECT * FROM s ON CONFLICT DO NOTHING") is None
    assert pg_route.local_insert("INSERT OR REPLACE INTO t SELECT * FROM s") is None
    assert pg_route.local_insert("INSERT INTO t VALUES (1)") is None


STATEMENTS = [
    "SELECT a, count(*) AS n, avg(passed::DOUBLE) AS m FROM t GROUP BY ALL ORDER BY a",
    "SELECT quantile(c, 0.5) AS q, median(c) AS med, count_if(passed) AS k FROM t",
    "SELECT epoch_ms(ts) AS ms FROM t ORDER BY a",
    "SELECT a, c / 2 AS half FROM (SELECT * FROM t WHERE c > ?) ORDER BY a",
    "SELECT sum(c) AS s FROM t",
]


def plain(value):
    return float(value) if isinstance(value, Decimal) else value


def test_the_same_statements_answer_alike_on_both(postgres_url):
    rows = [
        ("x", True, 3, datetime(2026, 1, 1, 12)),
        ("x", False, 4, datetime(2026, 1, 2)),
        ("y", True, 10, datetime(2026, 1, 3)),
    ]
    duck = duckdb.connect()
    duck.execute("CREATE TABLE t (a VARCHAR, passed BOOLEAN, c INTEGER, ts TIMESTAMP)")
    duck.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    pg = psycopg.connect(postgres_url, autocommit=True)
    pg.execute("CREATE TABLE t (a VARCHAR, passed BOOLEAN, c INTEGER, ts TIMESTAMP)")
    with pg.cursor() as cur:
        cur.executemany("INSERT INTO t VALUES (%s, %s, %s, %s)", rows)
    for sql in STATEMENTS:
        want = duck.execute(sql, [3] if "?" in sql else []).fetchall()
        statement = one(sql)
        got = pg.execute(statement.text, statement.bind([3])).fetchall()
        assert [tuple(map(plain, r)) for r in got] == [tuple(map(plain, r)) for r in want], sql
    pg.close()
    duck.close()


def test_any_value_is_the_first_value_that_is_not_null_as_in_duckdb(postgres_url):
    # PostgreSQL 15 has no any_value: core/store/schema/functions/postgresql.sql defines it.
    from core.store import db, pg_pool

    sql = (
        "SELECT g, any_value(v) AS v, any_value(w) AS w FROM (VALUES ('a', NULL, NULL),"
        " ('a', 2, 'x'), ('a', 3, NULL), ('b', NULL, NULL)) t(g, v, w) GROUP BY g ORDER BY g"
    )
    want = duckdb.connect().execute(sql).fetchall()
    con = db.connect(postgres_url)
    try:
        assert con.execute(sql).fetchall() == want == [("a", 2, "x"), ("b", None, None)]
        functions = {r[0] for r in con.execute("SELECT proname FROM pg_proc").fetchall()}
        assert "first" not in functions  # it answered NULL; nothing used it
    finally:
        con.close()
        pg_pool.close_pools()


def test_sessions_run_without_jit_compilation(postgres_url):
    # Compiling took longer than it saved on every analysis measured (bench/RESULTS.md).
    from core.store import db, pg_pool, pg_types

    con = db.connect(postgres_url)
    try:
        assert con.execute("SELECT current_setting('jit')").fetchone() == ("off",)
        read = pg_types.read_arrow(postgres_url, "SELECT current_setting('jit') AS jit")
        assert read.to_pylist() == [{"jit": "off"}]
    finally:
        con.close()
        pg_pool.close_pools()


def test_the_old_first_aggregate_is_dropped_and_another_first_is_kept(postgres_url):
    from core.store import pg

    old = psycopg.connect(postgres_url, autocommit=True)  # as an older Switchyard made it
    old.execute(
        "CREATE FUNCTION sy_first_step(anyelement, anyelement) RETURNS anyelement"
        " LANGUAGE sql IMMUTABLE AS $$ SELECT $1 $$"
    )
    old.execute("CREATE AGGREGATE first(anyelement) (SFUNC = sy_first_step, STYPE = anyelement)")
    pg.connect(postgres_url).close()  # a process opening the database applies the functions
    names = {r[0] for r in old.execute("SELECT proname FROM pg_proc").fetchall()}
    assert "first" not in names and "sy_first_step" not in names
    # Someone else's first() (an extension's, a user's) is theirs: left alone.
    old.execute(
        "CREATE FUNCTION their_step(anyelement, anyelement) RETURNS anyelement"
        " LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT $1 $$"
    )
    old.execute("CREATE AGGREGATE first(anyelement) (SFUNC = their_step, STYPE = anyelement)")
    pg.connect(postgres_url).close()
    assert old.execute("SELECT count(*) FROM pg_proc WHERE proname = 'first'").fetchone() == (1,)
    old.close()


def test_computed_rows_land_as_the_target_columns_types(postgres_url):
    # DuckDB computed a DOUBLE for a BIGINT column (the demo's canary traffic once failed to
    # start the app on PostgreSQL) and a column of NULLs; names unquoted, in any case.
    import pyarrow as pa

    from core.store import pg_types

    pg = psycopg.connect(postgres_url, autocommit=True)
    pg.execute("CREATE TABLE t (n BIGINT, flag BOOLEAN, note VARCHAR, ts TIMESTAMP)")
    rows = pa.table(
        {
            "a": pa.array([1214.0, 2.4], pa.float64()),
            "b": pa.array([True, None]),
            "c": pa.nulls(2),
            "d": pa.array(["2026-12-01 10:00:00", None]),
        }
    )
    pg_types.insert_rows(pg, "t", ("N", "Flag", "note", "TS"), rows)
    assert pg.execute("SELECT * FROM t ORDER BY n").fetchall() == [
        (2, None, None, None),
        (1214, True, None, datetime(2026, 12, 1, 10)),
    ]
    pg.close()
