"""No traceback reaches a user of the app: a database held by another process is retried,
then named plainly; a form's unexpected failure is a plain message; an upload is deleted
after its import, whether it succeeded or not."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from core.catalog import models, runs
from core.errors import InputError
from core.importers import files
from core.store import db
from tests.conftest import DATA, SOURCE_MODEL, HeldDatabase, plain, run_jobs, signed_in
from ui import imports, store


def test_a_held_database_is_retried_then_named_without_a_traceback(tmp_path, monkeypatch):
    path = tmp_path / "held.duckdb"
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    with HeldDatabase(path) as held:
        at = signed_in("app.py", username=None, timeout=120)
        started = time.monotonic()
        at.run()
        waited = time.monotonic() - started
        pid = held.proc.pid
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith("Switchyard cannot open its database")
    assert f"PID {pid}" in error.value and "command-line import" in error.value
    assert "Stop the app" not in error.value  # the CLI's advice, wrong here
    assert "held.duckdb" in error.value and str(tmp_path) not in error.value  # no server paths
    assert waited >= store.WAIT_S


def test_the_app_opens_once_a_short_hold_ends(tmp_path, monkeypatch):
    path = tmp_path / "briefly.duckdb"
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    monkeypatch.setenv("SWITCHYARD_DEMO", "0")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True);"
            " time.sleep(2)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        at = signed_in("app.py", username=None, timeout=120).run()
    finally:
        holder.kill()
        holder.wait()
    assert not at.exception and not at.error


def test_a_judge_library_missing_is_a_plain_message(demo_page_db, monkeypatch):
    path = demo_page_db(200)
    # The library's absence is real to the import system: `from ragas... import` fails.
    monkeypatch.setitem(sys.modules, "ragas.dataset_schema", None)
    at = signed_in("pages/runs.py", timeout=120).run()
    at.multiselect(key="runs.j_metrics").set_value(["ragas_faithfulness"])
    form = next(b for b in at.button if b.label == "Score")
    form.click().run()
    run_jobs(path)  # the scoring job fails on its worker; the page shows why, plainly
    at.run()
    assert not at.exception
    assert any(
        "is not installed on the server" in plain(w.value)
        and "ragas.dataset_schema" in plain(w.value)
        for w in at.warning
    )


@pytest.mark.parametrize("good", [True, False])
def test_an_upload_is_deleted_after_its_import(con, tmp_path, good):
    data = (DATA / "golden.csv").read_bytes()
    planned = tmp_path / f"{imports.UPLOAD_PREFIX}x" / "golden.csv"
    with imports.saved_upload(planned, data if good else data[:40]) as path:
        assert path.read_bytes()[:10] == data[:10]
        assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
        try:
            files.import_dataset(
                con, str(path), "up", actor="t", label="golden.csv", model_id=SOURCE_MODEL
            )
        except InputError as exc:
            assert not good and str(exc).startswith("golden.csv")
    assert not planned.exists() and not planned.parent.exists()
    if good:
        assert [r["role"] for r in runs.list_runs(con, "up@1")] == ["source"]


def test_the_apps_first_start_on_a_new_database_loads_the_list_prices(tmp_path, monkeypatch):
    # A team that starts the app without the demo and without `init` once read "no price" on
    # every page although data/prices.csv ships both models' prices.
    path = tmp_path / "new.duckdb"
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    monkeypatch.setenv("SWITCHYARD_DEMO", "0")
    at = signed_in("app.py", username=None, timeout=120)
    at.run()
    assert not at.exception
    with (models.PRICE_FILE).open(encoding="utf-8") as fh:
        shipped = sum(1 for _ in fh) - 1  # the header
    con = store.cursor()
    assert db.scalar(con, "SELECT count(*) FROM model_price") == shipped
    assert db.scalar(con, "SELECT count(*) FROM dataset") == 0  # no demo was asked for
