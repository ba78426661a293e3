"""The bad-input corpus (tests/data/bad, written by its make_bad.py): every file is imported
through the command the CLI runs, against a database that already holds a golden dataset and
two runs, and must be refused with its message and no table changed; the accepted list (a
byte-order mark in every text format) must import."""

from __future__ import annotations

import csv
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import cli
from core.errors import SwitchyardError
from core.store import db
from tests.conftest import DATA, ROOT, SOURCE_MODEL, TARGET_MODEL, import_run, table_counts

BAD = DATA / "bad"


def manifest(name: str) -> list[dict]:
    with (BAD / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


REFUSED = manifest("manifest.csv")
ACCEPTED = manifest("accepted.csv")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return build_template(tmp_path_factory.mktemp("bad-corpus") / "template.duckdb")


def build_template(path: Path) -> Path:
    """fin@1 (golden.csv: six items, a source run, six labels) and a target run."""
    con = db.connect(str(path))
    cli.COMMANDS["import-dataset"](
        cli.parser().parse_args(
            ["import-dataset", str(DATA / "golden.csv"), "--name", "fin", "--model", SOURCE_MODEL]
        ),
        con,
    )
    import_run(con, DATA / "run_native.csv", model_id=TARGET_MODEL, role="target")
    con.close()
    return path


def open_copy(template: Path, folder: Path):
    copy = folder / "case.duckdb"
    copy.write_bytes(template.read_bytes())
    return db.connect(str(copy))


@pytest.fixture(scope="module")
def shared(template, tmp_path_factory):
    """One copy for every refused file: each leaves it as it was (which each case checks)."""
    connection = open_copy(template, tmp_path_factory.mktemp("refused"))
    yield connection
    connection.close()


@pytest.fixture
def con(template, tmp_path):
    """A fresh copy, for a file that imports."""
    connection = open_copy(template, tmp_path)
    yield connection
    connection.close()


def run_command(con, command: str, path: Path) -> None:
    """The CLI's own handler for a manifest command line (``{file}``, ``{run}`` and
    ``{baseline}`` filled in), on ``con``."""
    runs = dict(con.execute("SELECT role, run_id FROM run").fetchall())
    line = command.format(file=shlex.quote(str(path)), run=runs["target"], baseline=runs["source"])
    args = cli.parser().parse_args(shlex.split(line))
    cli.COMMANDS[args.command](args, con)


def test_the_corpus_covers_every_kind_and_format():
    assert len(REFUSED) >= 60
    assert {c["kind"] for c in REFUSED} == {"golden", "run", "labels", "pairwise"}
    suffixes = {Path(c["file"]).suffix for c in REFUSED}
    assert {".csv", ".jsonl", ".json", ".parquet"} <= suffixes
    names = " ".join(c["file"] for c in REFUSED)
    for fmt in ("deepeval_", "ragas_", "bedrock_", "human_", "pairwise_", "labels_"):
        assert fmt in names
    for case in REFUSED + ACCEPTED:
        path = BAD / case["file"]
        assert path.exists(), case["file"]
        assert path.stat().st_size < 300 * 1024, case["file"]  # small files: limits are set low


@pytest.mark.parametrize("case", REFUSED, ids=[c["file"] for c in REFUSED])
def test_a_bad_file_is_refused_with_its_place_and_changes_no_row(shared, monkeypatch, case):
    con = shared
    if case["setting"]:
        name, _, value = case["setting"].partition("=")
        monkeypatch.setenv(name, value)
    before = table_counts(con)
    with pytest.raises(SwitchyardError) as caught:
        run_command(con, case["command"], BAD / case["file"])
    message = str(caught.value)
    assert case["file"] in message, message[:500]
    for fragment in case["expect"].split(" | "):
        assert fragment in message, (fragment, message[:500])
    assert "Traceback" not in message
    assert table_counts(con) == before


@pytest.mark.parametrize("case", ACCEPTED, ids=[c["file"] for c in ACCEPTED])
def test_an_accepted_file_imports(con, case):
    before = table_counts(con)
    run_command(con, case["command"], BAD / case["file"])
    after = table_counts(con)
    assert after != before
    assert all(after[t] >= n for t, n in before.items())


MEASURE = """
import resource, sys
from core.errors import SwitchyardError
from core.importers import files
from core.store import db
from core.store.sql import quote
con = db.connect(":memory:")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    files.import_dataset(con, sys.argv[1], "x", actor="t", model_id="m")
except SwitchyardError as exc:
    print(exc)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_a_parquet_file_that_expands_is_refused_from_its_metadata_before_it_is_read():
    # 7 KB on disk, a 200 MB prompt once decompressed: reading it first took ~400 MB more
    # memory (measured: ru_maxrss grew 398 MB) and 6 s before the field limit spoke.
    path = BAD / "golden_expands.parquet"
    assert path.stat().st_size < 8 * 1024
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    *message, grown_mb = done.stdout.strip().splitlines()
    assert "row 1, column 'source_prompt'" in message[0]
    assert "200.0 MB" in message[0] and "limit per text field" in message[0]
    assert int(grown_mb) < 50, grown_mb
