"""One writer per shared table: INSERT, UPDATE and DELETE on them live in core/store/writes.py
and its writes_*.py siblings (which it re-exports).

The check reads every SQL string in core/, cli/, ui/, pages/ and app.py through the AST, so
implicitly concatenated literals and f-strings are read as the one statement they make.
"""

import ast
import re
from pathlib import Path

import duckdb
import pytest

from core.store import writes
from core.store.sql import compose

ROOT = Path(__file__).resolve().parents[3]
WRITERS = sorted((ROOT / "core" / "store").glob("writes*.py"))
SHARED = (
    "label",
    "assignment",
    "sample",
    "sample_item",
    "approval",
    "stakeholder",
    "safety_resolution",
    "audit",
    "session",
    "job",
    "job_log",
    "job_cancel",
)
WRITE = re.compile(
    r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"
    r"\"?(" + "|".join(SHARED) + r")\"?(?!\w)",
    re.IGNORECASE,
)
# The relation API's writers, given a shared table's name.
NAME = r"\s*['\"](" + "|".join(SHARED) + r")['\"]\s*"
RELATION_WRITE = re.compile(r"\.insert_into\(" + NAME + r"\)|\.table\(" + NAME + r"\)\s*\.insert\(")


def sources() -> list[Path]:
    files = [ROOT / "app.py"]
    for folder in ("core", "cli", "ui", "pages"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return [f for f in files if f.exists()]


def strings(code: str) -> list[str]:
    """Every string literal of the module; an f-string with its placeholders as ``{}``."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.JoinedStr):
            found.append(
                "".join(
                    v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
                    for v in node.values
                )
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
    return found


def shared_writes(code: str) -> set[str]:
    """The shared tables the module's SQL writes to."""
    tables = {m.group(1).lower() for s in strings(code) for m in WRITE.finditer(s)}
    relation = {(m.group(1) or m.group(2)).lower() for m in RELATION_WRITE.finditer(code)}
    return tables | relation


@pytest.mark.parametrize(
    "path", [p for p in sources() if p not in WRITERS], ids=lambda p: str(p.relative_to(ROOT))
)
def test_shared_tables_are_written_only_in_store_writes(path):
    assert shared_writes(path.read_text()) == set(), (
        f"{path.relative_to(ROOT)} writes shared tables itself; call core.store.writes instead"
    )


def test_store_writes_writes_every_shared_table():
    # Keeps the check honest: it finds the statements where they are meant to be.
    assert set().union(*(shared_writes(w.read_text()) for w in WRITERS)) >= set(SHARED)


@pytest.mark.parametrize(
    "code",
    [
        'con.execute("INSERT INTO label (a) VALUES (?)", [1])',
        'con.execute("INSERT INTO " "label (a) VALUES (?)", [1])',
        "con.execute(f\"UPDATE assignment SET status = 'done' WHERE x = {x}\")",
        'con.execute("delete from sample_item where sample_id = ?", [s])',
        "con.execute('INSERT OR REPLACE INTO \"approval\" VALUES (?)', [1])",
        'con.table("audit").insert([1])',
    ],
)
def test_the_check_sees_a_shared_write(code):
    assert shared_writes(code)


@pytest.mark.parametrize(
    "code",
    [
        'con.execute("INSERT INTO label_runs_1 VALUES (?)", [1])',
        'con.execute("SELECT * FROM label WHERE sample_id = ?", [s])',
        'con.execute("INSERT INTO metric VALUES (?)", [1])',
        '"ON CONFLICT (sample_id) DO UPDATE SET score = excluded.score"',
    ],
)
def test_the_check_ignores_reads_and_other_tables(code):
    assert shared_writes(code) == set()


def _label(score: int, **changes) -> writes.LabelRow:
    base = dict(sample_id="smp-1", origin="app", shown_side="A", failure_modes=("omission",))
    return writes.LabelRow("fin@1", "q1", "run-1", "sme1", score, **{**base, **changes})


def test_upsert_changes_the_stored_label_and_never_duplicates(con):
    writes.upsert_labels(con, [_label(2)])
    writes.upsert_labels(con, [_label(5, notes="second look")])
    rows = con.execute("SELECT score, notes, failure_modes FROM label").fetchall()
    assert rows == [(5, "second look", ["omission"])]


def test_insert_refuses_a_second_label_of_the_same_key(con):
    assert writes.insert_labels(con, [_label(4)]) == 1
    with pytest.raises(duckdb.ConstraintException):
        writes.insert_labels(con, [_label(3)])


def test_bulk_label_insert_takes_only_label_columns(con):
    with pytest.raises(ValueError, match="not label columns: \\['label_id; --'\\]"):
        writes.insert_labels_from(con, ("item_id", "label_id; --"), compose("SELECT 1, 2"))
    with pytest.raises(TypeError, match="select must be Sql"):  # composed, never a bare str
        writes.insert_labels_from(con, ("item_id",), "SELECT 1")  # type: ignore[arg-type]
    written = writes.insert_labels_from(
        con,
        ("dataset_id", "item_id", "run_id", "reviewer", "score", "origin"),
        compose("SELECT ?, 'q' || i, 'run-1', 'sme1', 3, 'import' FROM range(4) t(i)"),
        ["fin@1"],
    )
    assert written == 4
    assert con.execute("SELECT count(*) FROM label WHERE dataset_id = 'fin@1'").fetchone() == (4,)


def test_audit_appends_before_and_after_as_json(con):
    writes.audit(con, "owner", "freeze", "dataset", "fin@1", before=None, after={"n": 6})
    row = con.execute("SELECT actor, action, entity_id, before, after FROM audit").fetchone()
    assert row == ("owner", "freeze", "fin@1", None, '{"n": 6}')
