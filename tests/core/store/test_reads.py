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
