"""A team on PostgreSQL: a command-line import of 100,000 outputs runs while SMEs review in
Chromium on two app processes over the same database, and neither waits for nor breaks the
other (with a DuckDB file the app holds the file and the import would be refused)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.catalog import users
from core.store import db
from tests.browser.conftest import ROOT, Server
from tests.browser.test_browser import ARGS, CHROMIUM, idle, playwright_api, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

ROWS = 100_000
CORE = [sys.executable, "-m", "core", "--db"]
SOURCE = "anthropic.claude-3-5-sonnet-20241022-v2:0"
KEY = "team-cookie-key-" + "k" * 32


def golden_file(path: Path) -> Path:
    """A golden set of ROWS items, each with its source model's output."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "source_prompt", "ground_truth", "source_output", "latency_ms"])
        for i in range(ROWS):
            out.writerow([f"b{i:06d}", f"What was revenue in year {i}?", f"${i}M", f"{i}M", 800])
    return path


def label_one(page) -> str | None:
    """Score the shown item (A 4, B 4, A better), submit it and wait until the server has
    saved it; the item's id, or None when the SME's queue is done."""
    if page.locator(".rv-item").count() == 0:
        return None
    item = page.inner_text(".rv-item")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for key in ("4", "9", "a"):
        page.keyboard.press(key)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".rv-status:text-is('')", state="attached", timeout=60_000)
    idle(page)
    return item.removeprefix("Item ")


def test_an_import_of_100000_outputs_runs_while_two_app_processes_serve_review(pg_demo, tmp_path):
    url = pg_demo(300)
    con = db.connect(url)
    users.seed(con, users.load_config(users.EXAMPLE_FILE))
    labels_before = db.scalar(con, "SELECT count(*) FROM label WHERE origin = 'app'")
    con.close()
    env = {"SWITCHYARD_DEMO": "0", "SWITCHYARD_COOKIE_KEY": KEY}
    servers = [Server(url, env=env), Server(url, env=env)]  # type: ignore[arg-type]
    source = golden_file(tmp_path / "big.csv")
    importing = None
    labelled: dict[str, list[str]] = {"sme1": [], "sme2": []}
    try:
        with playwright_api.sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            pages = {}
            for server, sme in zip(servers, labelled, strict=True):
                page = chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
                sign_in(page, server.url, sme)
                page.goto(f"{server.url}/review")
                idle(page)
                page.wait_for_selector(".rv-item", timeout=30_000)
                pages[sme] = page
            # Both SMEs are on their review screen: the import starts now.
            importing = subprocess.Popen(
                [*CORE, url, "import-dataset", str(source), "--name", "big", "--model", SOURCE],
                cwd=ROOT,
                env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            # Both SMEs keep labelling, a second apart, for as long as the import runs.
            deadline = time.monotonic() + 600
            during = 0
            while importing.poll() is None:
                assert time.monotonic() < deadline, "the import did not finish in 10 minutes"
                for sme, page in pages.items():
                    item = label_one(page)
                    if item is not None:
                        labelled[sme].append(item)
                        during += 1
                    page.wait_for_timeout(1000)
            for page in pages.values():
                assert page.locator('[data-testid="stException"]').count() == 0
                assert [t for t in page.locator(".rv-error").all_inner_texts() if t] == []
            chromium.close()
        out, err = importing.communicate(timeout=60)
    finally:
        if importing is not None and importing.poll() is None:
            importing.kill()
        for server in servers:
            server.stop()
    assert importing.returncode == 0, err
    assert "big@1" in out + err
    assert during >= 4, labelled  # the SMEs were served while the import ran
    con = db.connect(url)
    try:
        outputs = db.scalar(
            con,
            "SELECT count(*) FROM output o JOIN run r USING (run_id) WHERE r.dataset_id = 'big@1'",
        )
        assert outputs == ROWS
        # Every submit of both SMEs was stored: two label rows (A and B) per item.
        stored = db.scalar(con, "SELECT count(*) FROM label WHERE origin = 'app'")
        submitted = sum(len(set(items)) for items in labelled.values())
        assert stored - labels_before == 2 * submitted
    finally:
        con.close()
