"""Statements from generated expressions are composed of Sql parts only: a bare string (a
value from a file or a user) cannot reach one."""

import duckdb
import pytest

from core.store import sql


def test_compose_fills_names_and_constants_and_runs():
    hostile = 'm", (SELECT 1) AS "leak'  # issue 12's metric name
    statement = sql.compose(
        "SELECT {value} AS {name}, {n} AS n",
        value=sql.constant("it's"),
        name=sql.name(hostile),
        n=sql.number(3),
    )
    con = duckdb.connect()
    cursor = con.execute(statement.text)
    assert [d[0] for d in cursor.description] == [hostile, "n"]
    assert cursor.fetchall() == [("it's", 3)]


@pytest.mark.parametrize("part", ["x = 1; DROP TABLE label", 3, None])
def test_compose_and_join_refuse_anything_but_sql(part):
    with pytest.raises(TypeError, match="must be Sql"):
        sql.compose("SELECT {x}", x=part)
    with pytest.raises(TypeError, match="must be Sql"):
        sql.join(", ", [sql.name("a"), part])


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "3"])
def test_number_takes_finite_numbers_only(bad):
    with pytest.raises(TypeError, match="finite"):
        sql.number(bad)
