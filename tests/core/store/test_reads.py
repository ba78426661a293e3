"""core.store.reads: an analysis statement gives the same frame on either backend (this
module runs in both passes of scripts/test.sh)."""

from __future__ import annotations

import pandas as pd

from core.store import reads


def test_a_pivot_reads_the_same_on_either_backend(con, golden):
    run = con.execute("SELECT run_id FROM run").fetchone()[0]  # the golden set's source run
    con.execute("DELETE FROM judge_score")
    con.executemany(
        "INSERT INTO judge_score (run_id, item_id, metric, judge, score, threshold, passed)"
        " VALUES (?, ?, ?, 'j', ?, 0.5, ?)",
        [(run, "q1", "a", 0.9, True), (run, "q1", "b", 0.2, False), (run, "q2", "a", 0.4, False)],
    )
    sql = (
        "SELECT item_id, max(score) FILTER (WHERE metric = 'a') AS a,"
        " bool_and(passed) AS passed FROM judge_score WHERE run_id = ? GROUP BY item_id"
        " ORDER BY item_id"
    )
    got = reads.frame(
        con,
        sql,
        [run],
        {"judge_score": reads.Read("SELECT * FROM judge_score WHERE run_id = ?", [run])},
    )
    expected = pd.DataFrame({"item_id": ["q1", "q2"], "a": [0.9, 0.4], "passed": [False, False]})
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_several_statements_read_the_same_rows_once(con, golden, monkeypatch):
    run = con.execute("SELECT run_id FROM run").fetchone()[0]
    con.execute("DELETE FROM judge_score")
    con.executemany(
        "INSERT INTO judge_score (run_id, item_id, metric, judge, score, threshold, passed)"
        " VALUES (?, ?, ?, 'j', ?, 0.5, ?)",
        [(run, "q1", "a", 0.9, True), (run, "q1", "b", 0.2, False), (run, "q2", "a", 0.4, False)],
    )
    served = []
    execute = type(con).execute

    def counted(self, sql, parameters=None):
        served.append(str(sql))
        return execute(self, sql, parameters)

    monkeypatch.setattr(type(con), "execute", counted)
    read = reads.Read("SELECT run_id, item_id, metric, passed FROM judge_score WHERE run_id = ?")
    with reads.Local(con, {"judge_score": reads.Read(read.sql, [run])}) as local:
        metrics = local.execute("SELECT DISTINCT metric FROM judge_score ORDER BY 1").fetchall()
        rates = local.execute(
            "SELECT metric, avg(passed::INT) FROM judge_score GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert metrics == [("a",), ("b",)]
    assert rates == [("a", 0.5), ("b", 0.0)]
    # On PostgreSQL the server answered the one read; on the DuckDB file, each statement.
    if reads.on_postgres(con):
        assert served == [read.sql]
    else:
        assert len(served) == 2 and read.sql not in served


def _count_reads(con, monkeypatch) -> list[str]:
    served: list[str] = []
    execute = type(con).execute

    def counted(self, sql, parameters=None):
        served.append(str(sql))
        return execute(self, sql, parameters)

    monkeypatch.setattr(type(con), "execute", counted)
    return served


def test_rows_that_cannot_change_are_read_once_per_key(con, golden, monkeypatch):
    served = _count_reads(con, monkeypatch)
    sql = "SELECT item_id, stratum FROM item WHERE dataset_id = ?"
    for content in ("hash-1", "hash-1", "hash-2", "hash-1"):
        kept = reads.Read(sql, ["fin@1"], kept_as=("item", "fin@1", content))
        with reads.Local(con, {"item": kept}) as local:
            assert local.execute("SELECT count(*) FROM item").fetchone()[0] == 6
    if reads.on_postgres(con):  # a new content hash is read; a known one is not again
        assert served.count(sql) == 2
    else:  # the DuckDB file is read in place every time
        assert sql not in served


def test_a_comparison_keeps_a_frozen_datasets_items_but_not_a_drafts(con, monkeypatch):
    from core.analysis import compare
    from tests.conftest import golden_migration

    mid = golden_migration(con)  # the migration froze fin@1
    target = con.execute("SELECT run_id FROM run WHERE role = 'target'").fetchone()[0]
    served = _count_reads(con, monkeypatch)
    first = compare.load(con, mid, target)
    second = compare.load(con, mid, target)
    pd.testing.assert_frame_equal(first.items, second.items)
    items = [s for s in served if s.startswith("SELECT dataset_id, item_id")]
    assert len(items) == (1 if reads.on_postgres(con) else 0)
    con.execute("UPDATE dataset SET frozen_at = NULL")  # as if a draft: read every time
    compare.load(con, mid, target)
    items = [s for s in served if s.startswith("SELECT dataset_id, item_id")]
    assert len(items) == (2 if reads.on_postgres(con) else 0)
