"""The app's one DuckDB connection must leave no query open.

DuckDB frees a committed transaction's undo memory only once no query older than it is still
open. The connection ui.store caches kept its last setup statement's result open for the life
of the server, so every later write's undo memory stayed: the review server grew by about
0.26 MB per submit (issue 16; measured with bench/memprobe.py, DuckDB's own duckdb_memory()
tag TRANSACTION growing by the same amount as the process's resident memory).
"""

from core.store import db, writes
from ui import store

WRITES = 200


def _transaction_bytes(con) -> int:
    row = con.execute(
        "SELECT memory_usage_bytes FROM duckdb_memory() WHERE tag = 'TRANSACTION'"
    ).fetchone()
    return row[0] if row else 0


def test_writes_through_the_apps_cursors_free_their_undo_memory(demo_page_db, monkeypatch):
    demo_page_db(300)
    monkeypatch.setenv("SWITCHYARD_DEMO", "0")
    store._connection.clear()
    try:
        first = store.cursor()
        slot = first.execute("SELECT sample_id, item_id, reviewer FROM assignment LIMIT 1")
        sample_id, item_id, reviewer = slot.fetchone()
        first.close()
        for _ in range(WRITES):  # as a submit does: one UPDATE of an assignment, committed
            con = store.cursor()
            with db.transaction(con):
                writes.mark_done(con, sample_id, item_id, reviewer)
            con.close()
        probe = store.cursor()
        held = _transaction_bytes(probe)
        probe.close()
    finally:
        store._connection.clear()
    # While the setup query stayed open each of the 200 committed updates kept its undo buffer
    # (256 KiB each: 52,432,896 bytes measured in all); with none open DuckDB frees them.
    assert held < 1_000_000, f"{held / 2**20:.1f} MB of committed transactions still held"
