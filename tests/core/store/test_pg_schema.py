"""The PostgreSQL variants of the schema migrations: applied once, and the same schema as
DuckDB's — tables, columns, types, keys, indexes, defaults — with CHECKs that refuse the same
rows. Each test runs on a fresh database of the throwaway test cluster (tests/pg_cluster.py)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import duckdb
import psycopg
import pytest

from core.store import db, pg

# DuckDB's type (information_schema.columns.data_type) -> what the PostgreSQL column may be
# (format_type). JSON is stored as TEXT on PostgreSQL (001_initial.sql says why), so a JSON
# column must be text there, never json or jsonb.
TYPES = {
    "VARCHAR": {"character varying", "text"},
    "INTEGER": {"integer"},
    "BIGINT": {"bigint"},
    "DOUBLE": {"double precision"},
    "BOOLEAN": {"boolean"},
    "TIMESTAMP": {"timestamp without time zone"},
    "DATE": {"date"},
    "VARCHAR[]": {"character varying[]", "text[]"},
    "JSON": {"text"},
}


@pytest.fixture(scope="module")
def duck():
    con = db.connect(":memory:")
    yield con
    con.close()


@pytest.fixture
def pgc(postgres_url):
    """A migrated PostgreSQL database, autocommit: a refused insert spoils no transaction."""
    pg.connect(postgres_url).close()
    con = psycopg.connect(postgres_url, autocommit=True)
    yield con
    con.close()


def duck_tables(duck) -> list[str]:
    rows = duck.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def duck_columns(duck, table: str) -> list[tuple[str, bool, str]]:
    return duck.execute(
        "SELECT column_name, is_nullable = 'YES', data_type FROM information_schema.columns"
        " WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()


def pg_columns(pgc, table: str) -> list[tuple[str, bool, str]]:
    return pgc.execute(
        "SELECT a.attname, NOT a.attnotnull, format_type(a.atttypid, a.atttypmod)"
        " FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0"
        " AND NOT a.attisdropped ORDER BY a.attnum",
        [f"public.{table}"],
    ).fetchall()


def test_connect_applies_every_migration_once(postgres_url):
    con = pg.connect(postgres_url)
    first = con.execute(
        "SELECT number, name, applied_at FROM schema_migrations ORDER BY number"
    ).fetchall()
    con.close()
    assert [(n, name) for n, name, _at in first] == [(n, name) for n, name, _ in db.migrations()]
    assert len(first) == 16

    again = pg.connect(postgres_url)
    assert pg.migrate(again) == []
    assert (
        again.execute(
            "SELECT number, name, applied_at FROM schema_migrations ORDER BY number"
        ).fetchall()
        == first
    )
    again.close()


def test_every_variant_names_its_duckdb_migration():
    variants = pg.pg_migrations()
    assert [(n, name) for n, name, _ in variants] == [(n, name) for n, name, _ in db.migrations()]
    for number, name, sql in variants:
        assert f"PostgreSQL variant of {name}.sql" in sql, number


def test_tables_columns_types_and_nullability_match_duckdb(duck, pgc):
    tables = duck_tables(duck)
    pg_tables = [
        r[0]
        for r in pgc.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ).fetchall()
    ]
    assert pg_tables == tables
    problems = []
    for table in tables:
        theirs = pg_columns(pgc, table)
        ours = duck_columns(duck, table)
        if [c[:2] for c in theirs] != [c[:2] for c in ours]:
            problems.append(f"{table}: columns or nullability {theirs} vs DuckDB {ours}")
            continue
        for (name, _null, duck_type), (_n, _nn, pg_type) in zip(ours, theirs, strict=True):
            if pg_type not in TYPES[duck_type]:
                problems.append(f"{table}.{name}: {pg_type} for DuckDB's {duck_type}")
    assert problems == []


def test_keys_unique_constraints_and_foreign_keys_match_duckdb(duck, pgc):
    def duck_keys(kind: str) -> set[tuple]:
        rows = duck.execute(
            "SELECT table_name, constraint_column_names, referenced_table,"
            " referenced_column_names FROM duckdb_constraints() WHERE constraint_type = ?",
            [kind],
        ).fetchall()
        return {
            (t, tuple(cols), ref or None, tuple(refcols or ())) for t, cols, ref, refcols in rows
        }

    def pg_keys(contype: str) -> set[tuple]:
        rows = pgc.execute(
            "SELECT c.conrelid::regclass::text,"
            " ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)"
            "   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),"
            " CASE WHEN c.confrelid <> 0 THEN c.confrelid::regclass::text END,"
            " ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)"
            "   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)"
            " FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace"
            " WHERE s.nspname = 'public' AND c.contype = %s",
            [contype],
        ).fetchall()
        return {(t, tuple(cols), ref, tuple(refcols)) for t, cols, ref, refcols in rows}

    assert pg_keys("p") == duck_keys("PRIMARY KEY")
    assert pg_keys("u") == duck_keys("UNIQUE")
    assert pg_keys("f") == duck_keys("FOREIGN KEY")


def test_check_constraints_per_table_match_duckdb(duck, pgc):
    duck_checks = dict(
        duck.execute(
            "SELECT table_name, count(*) FROM duckdb_constraints()"
            " WHERE constraint_type = 'CHECK' GROUP BY ALL"
        ).fetchall()
    )
    pg_checks = dict(
        pgc.execute(
            "SELECT c.conrelid::regclass::text, count(*) FROM pg_constraint c"
            " JOIN pg_namespace s ON s.oid = c.connamespace"
            " WHERE s.nspname = 'public' AND c.contype = 'c' GROUP BY 1"
        ).fetchall()
    )
    assert pg_checks == duck_checks


def test_indexes_views_sequences_and_macros_match_duckdb(duck, pgc):
    duck_indexes = {
        (name, table, unique, tuple(cols.strip("[]").split(", ")))  # '[a, b]': a string
        for name, table, unique, cols in duck.execute(
            "SELECT index_name, table_name, is_unique, expressions FROM duckdb_indexes()"
        ).fetchall()
    }
    pg_indexes = {
        (name, table, unique, tuple(cols))
        for name, table, unique, cols in pgc.execute(
            "SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, i.indisunique,"
            # each key as written: a column's name, or an expression
            " ARRAY(SELECT pg_get_indexdef(i.indexrelid, k.o::int, true)"
            "   FROM unnest(i.indkey) WITH ORDINALITY k(n, o) ORDER BY k.o)"
            " FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
            " JOIN pg_namespace s ON s.oid = t.relnamespace"
            " WHERE s.nspname = 'public'"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        ).fetchall()
    }
    # Beside DuckDB's, the lookup indexes only PostgreSQL needs (functions/postgresql.sql).
    lookups = {
        ("output_by_item", "output", False, ("item_id", "run_id")),
        ("judge_score_by_item", "judge_score", False, ("item_id", "run_id")),
        (
            "judge_score_judges",
            "judge_score",
            False,
            ("run_id", "metric", "judge", "COALESCE(judge_version, ''::character varying)"),
        ),
    }
    assert lookups <= pg_indexes
    assert pg_indexes - lookups == duck_indexes
    assert duck_indexes  # label_once at least

    def names(con, sql: str) -> set[str]:
        return {r[0] for r in con.execute(sql).fetchall()}

    assert names(pgc, "SELECT viewname FROM pg_views WHERE schemaname = 'public'") == names(
        duck, "SELECT view_name FROM duckdb_views() WHERE NOT internal"
    )
    assert names(pgc, "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'") == names(
        duck, "SELECT sequence_name FROM duckdb_sequences()"
    )
    # DuckDB's macros are SQL functions on PostgreSQL, beside the DuckDB built-ins the
    # code's SQL uses (core/store/schema/functions/postgresql.sql).
    builtins = set(
        re.findall(r"CREATE OR REPLACE (?:FUNCTION|AGGREGATE) (\w+)", pg.FUNCTIONS.read_text())
    )
    assert "to_seconds" in builtins and "any_value" in builtins
    assert names(
        pgc,
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace s ON s.oid = p.pronamespace"
        " WHERE s.nspname = 'public'",
    ) - builtins == names(
        duck,
        "SELECT function_name FROM duckdb_functions() WHERE NOT internal"
        " AND function_type IN ('macro', 'table_macro')",
    )


_NEXTVAL = re.compile(r"^nextval\('(\w+)'(?:::regclass)?\)$")


def _default_kind(con, expression: str | None, column_type: str):
    """What a column default gives: nothing, the UTC clock, a sequence's next value, or a
    value — evaluated on the backend that holds it."""
    if expression is None:
        return None
    if expression in ("current_timestamp", "(now() AT TIME ZONE 'UTC'::text)"):
        return "utc now"
    if found := _NEXTVAL.match(expression):
        return ("nextval", found[1])
    cast = (
        "VARCHAR[]" if column_type.endswith("[]") else "VARCHAR" if column_type == "JSON" else None
    )
    value = con.execute(f"SELECT CAST({expression} AS {cast})" if cast else f"SELECT {expression}")
    return ("value", value.fetchone()[0])


def test_column_defaults_give_the_same_values(duck, pgc):
    problems = []
    for table in duck_tables(duck):
        ours = duck.execute(
            "SELECT column_name, column_default, data_type FROM information_schema.columns"
            " WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
        theirs = dict(
            pgc.execute(
                "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a"
                " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                " WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped",
                [f"public.{table}"],
            ).fetchall()
        )
        for column, default, column_type in ours:
            want = _default_kind(duck, default, column_type)
            got = _default_kind(pgc, theirs[column], column_type)
            if want != got:
                problems.append(f"{table}.{column}: {theirs[column]!r} vs DuckDB {default!r}")
    assert problems == []


# --- CHECK constraints: the same rows refused on both -----------------------------------------

PARENTS = [
    "INSERT INTO dataset (dataset_id, name, version, sha256, item_count, created_by)"
    " VALUES ('d@1', 'd', 1, 'x', 0, 't')",
    "INSERT INTO model (model_id) VALUES ('m')",
    "INSERT INTO run (run_id, name, dataset_id, model_id, origin, created_by)"
    " VALUES ('a', 'a', 'd@1', 'm', 'demo', 't'), ('B', 'B', 'd@1', 'm', 'demo', 't')",
    "INSERT INTO migration (migration_id, name, dataset_id, source_run_id, created_by)"
    " VALUES ('mig', 'mig', 'd@1', 'a', 't')",
    "INSERT INTO sample (sample_id, migration_id, name, run_a, params, seed, created_by)"
    " VALUES ('s', 'mig', 's', 'a', '{}', 1, 't')",
]

LABEL = {"dataset_id": "d@1", "item_id": "i", "run_id": "a", "reviewer": "r"}
JOB = {"job_id": "j", "kind": "run", "params": "{}", "created_by": "t"}
FRAME = {"migration_id": "mig", "request_id": "q", "sample_id": "s", "arm": "canary"}
FRAME.update(pool="pass", drawn=True)
VOTE = {"dataset_id": "d@1", "item_id": "i", "voter": "v", "voter_kind": "judge"}
VOTE.update(winner="a")
PRICE = {"model_id": "m", "effective_date": date(2026, 1, 1), "recorded_by": "t"}

# (table, a row accepted on both, the same row with one change refused on both)
CHECKS = {
    "label score 1..5": ("label", {**LABEL, "score": 5}, {"score": 6}),
    "job status": ("job", {**JOB, "status": "cancelled"}, {"status": "paused"}),
    "job progress 0..1": ("job", {**JOB, "progress": 1.0}, {"progress": 1.5}),
    "frame inclusion_prob > 0": (
        "canary_review_frame",
        {**FRAME, "inclusion_prob": 1.0},
        {"inclusion_prob": 0.0},
    ),
    "frame inclusion_prob <= 1": (
        "canary_review_frame",
        {**FRAME, "inclusion_prob": 0.25},
        {"inclusion_prob": 1.01},
    ),
    "item split": (
        "item",
        {"dataset_id": "d@1", "item_id": "i", "prompt": "p", "split": "holdout"},
        {"split": "test"},
    ),
    "price >= 0": (
        "model_price",
        {**PRICE, "input_per_1k": 0.0, "output_per_1k": 0.1},
        {"input_per_1k": -0.001},
    ),
    # byte order, as DuckDB and Python compare: 'B' < 'a' (a linguistic collation says no)
    "vote run_a < run_b": (
        "pairwise_vote",
        {**VOTE, "run_a": "B", "run_b": "a"},
        {"run_a": "a", "run_b": "B"},
    ),
}


def _insert(con, table: str, row: dict, mark: str):
    columns = ", ".join(row)
    marks = ", ".join([mark] * len(row))
    return con.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))


def _backends(pgc):
    duck = db.connect(":memory:")
    for statement in PARENTS:
        duck.execute(statement)
        pgc.execute(statement)
    return duck


@pytest.mark.parametrize("case", list(CHECKS))
def test_a_check_refuses_the_same_row_on_both_backends(pgc, case):
    table, good, change = CHECKS[case]
    duck = _backends(pgc)
    bad = {**good, **change}
    with pytest.raises(duckdb.ConstraintException, match="CHECK"):
        _insert(duck, table, bad, "?")
    with pytest.raises(psycopg.errors.CheckViolation):
        _insert(pgc, table, bad, "%s")
    _insert(duck, table, good, "?")
    _insert(pgc, table, good, "%s")
    assert duck.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)
    assert pgc.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)
    duck.close()


def test_array_defaults_are_empty_lists_and_not_null_on_both(pgc):
    duck = _backends(pgc)
    item = {"dataset_id": "d@1", "item_id": "i", "prompt": "p"}
    _insert(duck, "item", item, "?")
    _insert(pgc, "item", item, "%s")
    _insert(duck, "label", LABEL, "?")
    _insert(pgc, "label", LABEL, "%s")
    for con in (duck, pgc):
        assert con.execute("SELECT tags, stratum, split FROM item").fetchone() == ([], "all", "dev")
        assert con.execute("SELECT label_id, failure_modes FROM label").fetchone() == (1, [])
    with pytest.raises(duckdb.ConstraintException):
        _insert(duck, "item", {**item, "item_id": "j", "tags": None}, "?")
    with pytest.raises(psycopg.errors.NotNullViolation):
        _insert(pgc, "item", {**item, "item_id": "j", "tags": None}, "%s")
    duck.close()


def test_timestamp_defaults_store_utc_whatever_the_session_zone(pgc):
    pgc.execute("SET TIME ZONE 'America/New_York'")
    pgc.execute(PARENTS[0])
    stored = pgc.execute("SELECT created_at FROM dataset").fetchone()[0]
    utc_now = datetime.now(UTC).replace(tzinfo=None)  # the naive UTC both backends store
    assert abs(stored - utc_now) < timedelta(minutes=1)


def test_json_text_survives_a_round_trip_byte_for_byte(pgc):
    """Text DuckDB's JSON type accepts, PostgreSQL's json type would refuse or re-read."""
    duck = _backends(pgc)
    texts = ['{"b": 1 ,  "a":[2,]}', "NaN", '{"a":1,"a":2}', '"caf\\u00e9 \u00e9"']
    for n, text in enumerate(texts):
        duck.execute(
            "INSERT INTO audit (actor, action, entity, entity_id, after) VALUES ('t', 'x', 'e',"
            " ?, ?)",
            [str(n), text],
        )
    rows = duck.execute("SELECT entity_id, after FROM audit ORDER BY seq").fetchall()
    for entity_id, after in rows:
        _insert(
            pgc,
            "audit",
            {"actor": "t", "action": "x", "entity": "e", "entity_id": entity_id, "after": after},
            "%s",
        )
    back = pgc.execute("SELECT entity_id, after FROM audit ORDER BY seq").fetchall()
    assert back == rows
    assert [after for _id, after in back] == texts
    duck.close()


def test_prices_in_force_gives_the_same_rows_on_both(pgc):
    duck = _backends(pgc)
    prices = [
        ("m", date(2026, 1, 1), 1.0, datetime(2026, 1, 1, 9)),
        ("m", date(2026, 1, 1), 2.0, datetime(2026, 1, 1, 10)),  # recorded later: wins
        ("m", date(2026, 3, 1), 3.0, datetime(2026, 1, 2)),
        ("Z", date(2026, 2, 1), 4.0, datetime(2026, 1, 2)),
        ("a", date(2025, 12, 1), 5.0, datetime(2026, 1, 2)),
    ]
    for con, mark in ((duck, "?"), (pgc, "%s")):
        con.execute("INSERT INTO model (model_id) VALUES ('Z'), ('a')")
        for model_id, effective, price, recorded in prices:
            _insert(
                con,
                "model_price",
                {
                    "model_id": model_id,
                    "effective_date": effective,
                    "input_per_1k": price,
                    "output_per_1k": price,
                    "recorded_at": recorded,
                    "recorded_by": "t",
                },
                mark,
            )
    for on in (date(2026, 2, 1), date(2026, 3, 1), datetime(2026, 2, 28, 23, 59), date(2025, 1, 1)):
        want = duck.execute("SELECT * FROM prices_in_force(?)", [on]).fetchall()
        got = pgc.execute("SELECT * FROM prices_in_force(%s)", [on]).fetchall()
        assert got == want, on
    assert [r[0] for r in want] == []
    assert [
        r[:3]
        for r in duck.execute("SELECT * FROM prices_in_force(?)", [date(2026, 2, 1)]).fetchall()
    ] == [("Z", date(2026, 2, 1), 4.0), ("a", date(2025, 12, 1), 5.0), ("m", date(2026, 1, 1), 2.0)]
    duck.close()


def test_byte_order_holds_in_a_database_with_a_linguistic_collation(postgres_server):
    """run_a < run_b and prices_in_force's order compare bytes, as DuckDB does, even where
    the database collates by language (ICU en-US puts 'a' before 'B')."""
    name = f"t_icu_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(postgres_server, autocommit=True)
    admin.execute(
        f"CREATE DATABASE {name} LOCALE_PROVIDER icu ICU_LOCALE 'en-US' TEMPLATE template0"
    )
    try:
        url = postgres_server.rsplit("/", 1)[0] + "/" + name
        pg.connect(url).close()
        with psycopg.connect(url, autocommit=True) as con:
            assert con.execute("SELECT 'a' < 'B'").fetchone() == (True,)  # linguistic here
            _backends(con).close()
            _insert(con, "pairwise_vote", {**VOTE, "run_a": "B", "run_b": "a"}, "%s")
            with pytest.raises(psycopg.errors.CheckViolation):
                _insert(con, "pairwise_vote", {**VOTE, "run_a": "a", "run_b": "B"}, "%s")
            con.execute("INSERT INTO model (model_id) VALUES ('Z'), ('a')")
            for model_id in ("a", "m", "Z"):
                _insert(
                    con,
                    "model_price",
                    {**PRICE, "model_id": model_id, "input_per_1k": 1.0, "output_per_1k": 1.0},
                    "%s",
                )
            rows = con.execute("SELECT model_id FROM prices_in_force(%s)", [date(2026, 2, 1)])
            assert [r[0] for r in rows.fetchall()] == ["Z", "a", "m"]
    finally:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()
