"""The canary part of the bad-input corpus (tests/data/bad/canary_*, written by
make_bad_canary.py): every file is ingested through the CLI's own handler into a migration
created 2026-11-01, and must be refused with its file, place and message, no table changed;
the accepted list (a byte-order mark, CRLF line endings) must ingest."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

import cli
from core.catalog import migrations
from core.errors import SwitchyardError
from core.importers import files
from core.store import db
from tests.conftest import DATA, SOURCE_MODEL, TARGET_MODEL, import_run, table_counts
from tests.core.importers.canary.conftest import CREATED
from tests.core.importers.test_bad_corpus import manifest

BAD = DATA / "bad"
REFUSED = manifest("canary_manifest.csv")
ACCEPTED = manifest("canary_accepted.csv")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("bad-canary") / "template.duckdb"
    con = db.connect(str(path))
    golden = files.import_dataset(
        con, str(DATA / "golden.csv"), "fin", actor="t", model_id=SOURCE_MODEL
    )
    target = import_run(con, DATA / "run_native.csv", model_id=TARGET_MODEL, role="target")
    mig = migrations.create(con, "canary", golden.source_run.run_id, [target.run_id], actor="t")
    con.execute("UPDATE migration SET created_at = ? WHERE migration_id = ?", [CREATED, mig])
    con.close()
    return path, mig


@pytest.fixture(scope="module")
def shared(template, tmp_path_factory):
    """One copy for every refused file: each leaves it as it was (which each case checks)."""
    copy = tmp_path_factory.mktemp("refused") / "case.duckdb"
    copy.write_bytes(template[0].read_bytes())
    connection = db.connect(str(copy))
    yield connection, template[1]
    connection.close()


def run_command(con, command: str, path: Path, migration: str) -> None:
    line = command.format(file=shlex.quote(str(path)), migration=migration)
    args = cli.parser().parse_args(shlex.split(line))
    cli.COMMANDS[args.command](args, con)


def test_the_canary_corpus_covers_every_format_and_fault():
    assert len(REFUSED) >= 20
    names = " ".join(c["file"] for c in REFUSED)
    for part in ("_otlp_", "_bedrock_", "_cut", "_future", "_before_window", "_duplicate_ids"):
        assert part in names
    for case in REFUSED + ACCEPTED:
        assert (BAD / case["file"]).exists(), case["file"]


@pytest.mark.parametrize("case", REFUSED, ids=[c["file"] for c in REFUSED])
def test_a_bad_canary_file_is_refused_with_its_place_and_changes_no_row(shared, monkeypatch, case):
    con, mig = shared
    if case["setting"]:
        name, _, value = case["setting"].partition("=")
        monkeypatch.setenv(name, value)
    before = table_counts(con)
    with pytest.raises(SwitchyardError) as caught:
        run_command(con, case["command"], BAD / case["file"], mig)
    message = str(caught.value)
    assert case["file"] in message, message[:500]
    for fragment in case["expect"].split(" | "):
        assert fragment in message, message[:500]
    assert table_counts(con) == before


@pytest.mark.parametrize("case", ACCEPTED, ids=[c["file"] for c in ACCEPTED])
def test_an_accepted_canary_file_ingests(template, tmp_path, case):
    copy = tmp_path / "case.duckdb"
    copy.write_bytes(template[0].read_bytes())
    con = db.connect(str(copy))
    try:
        run_command(con, case["command"], BAD / case["file"], template[1])
        assert db.scalar(con, "SELECT count(*) FROM canary_request") == 2
    finally:
        con.close()
