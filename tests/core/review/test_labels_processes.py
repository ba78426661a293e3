"""PostgreSQL as the system of record: SMEs on several app processes submit labels at once.

Each process is its own Python interpreter with its own connection pool, as app replicas
behind a load balancer are; they submit through labels.submit (the review page's code path)
over overlapping items, so the same (item, reviewer) is written from several processes.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.store import db

pytestmark = pytest.mark.slow  # processes and a PostgreSQL demo copy: about 40 s
ROOT = Path(__file__).resolve().parents[3]
PROCESSES, SUBMITS = 4, 250

SUBMITTER = """
import json, sys
from core.review import labels
from core.review.queue import ResponseLabel
from core.store import db

url, number, slots = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
con = db.connect(url)
print("ready", flush=True)
sys.stdin.readline()  # every process starts together
for i in range(int(sys.argv[4])):
    sample_id, item_id, reviewer = slots[(number * 7 + i) % len(slots)]
    a, b = 1 + (i + number) % 5, 5 - (i * 3 + number) % 5
    labels.submit(
        con, sample_id, item_id, reviewer,
        [ResponseLabel("A", a, None), ResponseLabel("B", b, None)],
        "tie", f"process {number} submit {i}",
    )
print("done", flush=True)
"""


def test_four_processes_submitting_at_once_lose_duplicate_and_reorder_nothing(pg_demo):
    url = pg_demo(300)
    con = db.connect(url)
    slots = con.execute(
        "SELECT sample_id, item_id, reviewer FROM assignment WHERE reviewer LIKE 'sme%'"
        " ORDER BY reviewer, position LIMIT 40"
    ).fetchall()
    before = con.execute("SELECT count(*) FROM label WHERE origin = 'app'").fetchone()[0]
    assert before == 0 and len(slots) == 40
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SUBMITTER, url, str(n), json.dumps(slots), str(SUBMITS)],
            cwd=ROOT,
            # App processes on one PostgreSQL database share the cookie key (blind placement
            # is keyed from it, so each process shows an SME the same sides).
            env={**os.environ, "SWITCHYARD_COOKIE_KEY": "team-key-" + "k" * 40},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert out.strip() == "done"

    rows = con.execute(
        "SELECT count(*), count(DISTINCT sample_id || '/' || item_id || '/' || run_id || '/'"
        " || reviewer) FROM label WHERE origin = 'app'"
    ).fetchone()
    assert rows == (2 * len(slots), 2 * len(slots))  # two responses per item, no duplicates
    audits = con.execute(
        "SELECT entity_id, action, after FROM audit"
        " WHERE action IN ('submit_label', 'change_label') ORDER BY seq"
    ).fetchall()
    assert len(audits) == PROCESSES * SUBMITS
    # The first write of each key is a submit, every later one a change: the advisory lock
    # orders writers of one key, so none of them saw a stale "before".
    firsts = {}
    for entity_id, action, _after in audits:
        assert action == ("change_label" if entity_id in firsts else "submit_label")
        firsts.setdefault(entity_id, action)
    assert len(firsts) == len(slots)
    # Every final label is the last submit of its key (audit order is commit order per key).
    last = {entity_id: json.loads(after) for entity_id, _action, after in audits}
    stored = con.execute(
        "SELECT sample_id || '/' || item_id || '/' || reviewer, shown_side, score, notes"
        " FROM label WHERE origin = 'app'"
    ).fetchall()
    for key, side, score, notes in stored:
        expected = {r["side"]: r["score"] for r in last[key]["responses"]}
        assert (score, notes) == (expected[side], last[key]["notes"]), key
    done = con.execute(
        "SELECT count(*) FROM assignment WHERE status = 'done' AND reviewer LIKE 'sme%'"
    ).fetchone()[0]
    assert done == len(slots)
    con.close()
