"""The canary in a real browser: on the demo, the owner opens the Canary page (stage 2 holds
for time), ingests a log file (still HOLD), ingests a second one whose canary answers are
4 s slower (ROLL BACK, with the crossed checks' intervals as evidence), and downloads the
rollback recipe (LiteLLM config with the canary's weight 0).
Skipped when /usr/bin/chromium is missing, like tests/browser/test_browser.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from core import demo
from core.store import db
from tests.browser.conftest import Server
from tests.browser.test_browser import CHROMIUM, idle, sign_in
from tests.browser.test_browser import browser as browser  # the module-scoped Chromium fixture
from tests.browser.test_browser_own_migration import no_exception, open_page, success, upload
from tests.conftest import app_database

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]
playwright_api = pytest.importorskip("playwright.sync_api")

SOURCE = "anthropic.claude-3-5-sonnet-20241022-v2:0"
TARGET = "amazon.nova-pro-v1:0"
WAIT = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from core.catalog import users

    path = tmp_path_factory.mktemp("canary") / "app.duckdb"
    con = db.connect(app_database(path))
    demo.install(con, 20261126, n_items=200)
    users.seed(con, users.load_config(users.EXAMPLE_FILE))
    con.close()
    running = Server(path)
    yield running
    running.stop()


def log_file(path: Path, n: int, seed: int, slower_ms: float) -> Path:
    """n requests over the last 20 seconds (after the demo migration was created), a quarter
    to the target, whose TTFT and latency are ``slower_ms`` longer; as the native Parquet."""
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC).replace(tzinfo=None)
    canary = rng.random(n) < 0.25
    ttft = np.where(canary, 390.0, 620.0) * rng.lognormal(0, 0.3, n) + canary * slower_ms
    frame = pd.DataFrame(
        {
            "request_id": [f"{path.stem}-{i}" for i in range(n)],
            "ts": [now - timedelta(seconds=20) + timedelta(seconds=20 * i / n) for i in range(n)],
            "model_id": np.where(canary, TARGET, SOURCE),
            "ttft_ms": ttft,
            "latency_ms": ttft + rng.lognormal(np.log(1500), 0.3, n),
            "input_tokens": 1400,
            "output_tokens": 100,
            "stratum": "lookup",
        }
    )
    frame.to_parquet(path, index=False)
    return path


def ingest(page, path: Path, seen: tuple[str, ...] = ()) -> str:
    form = page.locator('[data-testid="stForm"]').filter(has_text="Traffic log file")
    if not form.is_visible():
        page.get_by_text("Ingest traffic logs").click()
        idle(page)
    upload(page, form, path)
    form.get_by_role("button", name="Ingest").click()
    # The whole suite shares 2 cores: a 40,000-request file has taken over 30 s there.
    return success(page, rf"{path.name}: [\d,]+ requests", seen, WAIT, path.name)


def verdict(page, word: str) -> None:
    page.get_by_text(f"Stage 2 (25% to the target): {word}", exact=True).wait_for(timeout=WAIT)
    no_exception(page)


def test_owner_ingests_sees_hold_then_roll_back_and_downloads_the_rollback(
    browser, server, tmp_path
):
    page = browser.new_context(accept_downloads=True).new_page()
    sign_in(page, server.url, "owner")
    open_page(page, "Canary")
    verdict(page, "HOLD")
    assert page.locator("li").filter(has_text="time: stage 2 has run 24").count() == 1

    first = ingest(page, log_file(tmp_path / "calm.parquet", 2_000, 1, 0.0))
    assert first.startswith("calm.parquet: 2,000 requests")
    verdict(page, "HOLD")

    # A file from before the canary's window is refused, named as the user knows it (not the
    # server's temp copy), with the window's start to the second.
    stale = pd.read_parquet(log_file(tmp_path / "x.parquet", 20, 3, 0.0))
    stale["ts"] = pd.Timestamp("2020-01-01 00:00:00")
    stale.to_parquet(tmp_path / "old.parquet", index=False)
    form = page.locator('[data-testid="stForm"]').filter(has_text="Traffic log file")
    upload(page, form, tmp_path / "old.parquet")
    form.get_by_role("button", name="Ingest").click()
    refused = page.locator('[data-testid="stAlertContentError"]').filter(has_text="old.parquet")
    refused.wait_for(timeout=WAIT)
    text = refused.inner_text()
    assert text.startswith("old.parquet, row 1") and "before the canary's window" in text
    assert "switchyard-upload" not in text and not re.search(r"\d\d:\d\d:\d\d\.\d", text)

    ingest(page, log_file(tmp_path / "slow.parquet", 40_000, 2, 4_000.0), (first,))
    verdict(page, "ROLL BACK")
    evidence = page.locator('[data-testid="stMarkdownContainer"] li').all_inner_texts()
    crossed = [e for e in evidence if e.startswith(("ttft_p90:", "latency_p90:"))]
    assert crossed and all("against a limit of" in e for e in crossed), evidence

    with page.expect_download(timeout=WAIT) as got:
        page.get_by_role("button", name="Rollback: LiteLLM config").click()
    config = yaml.safe_load(Path(got.value.path()).read_text())
    weights = {
        d["litellm_params"]["model"]: d["litellm_params"]["weight"] for d in config["model_list"]
    }
    # The rollback routes everything to the source, which is the config's only deployment.
    assert weights == {f"bedrock/{SOURCE}": 100}
    assert got.value.suggested_filename.endswith("-rollback.yaml")
    page.context.close()
