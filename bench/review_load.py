"""Review under load: 8 SMEs label at once on one app process, each in its own browser context.

One Chromium, a context (its own cookies) per SME, one ``streamlit run serve.py`` over the
same database as ``bench/review_browser.py`` (1,000,000 outputs, 100,000 labels), with the
open queue shared out among sme1..sme8. Each SME thinks for ``--think`` seconds, scores both
responses and a preference by keyboard, then submits; the time from the submit key to the
next item on screen, and to the label stored (the server's answer drawn, the script idle), is
taken in the page (as in review_browser). Afterwards: p95 over every submit, labels per
second over the labelling, the server's CPU per label, and the label and audit rows counted
in the database against what was submitted.

    python bench/review_load.py [--smes 8] [--labels 30] [--think 2]
    python bench/review_load.py --smoke   # 2 SMEs x 3 labels on 2,000 items (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

import bcrypt  # noqa: E402
import duckdb  # noqa: E402
import yaml  # noqa: E402

from bench.review_browser import (  # noqa: E402
    ARGS,
    CHROMIUM,
    IDLE,
    PROBE,
    SIZES,
    SMOKE,
    Server,
    build,
    chosen,
    next_on_screen,
    stored,
    summary,
)
from bench.smoke import check  # noqa: E402
from core.catalog import users  # noqa: E402
from core.store import db  # noqa: E402

SHOWN_ITEM = "() => document.querySelector('.rv-item').innerText"


def auth_file(path: Path, smes: int) -> Path:
    """A sign-in file with sme1..smeN (password demo-<name>; bcrypt's lowest cost)."""
    users = {
        f"sme{i}": {
            "name": f"SME {i}",
            "email": f"sme{i}@example.com",
            "password": bcrypt.hashpw(f"demo-sme{i}".encode(), bcrypt.gensalt(4)).decode(),
            "roles": ["sme"],
        }
        for i in range(1, smes + 1)
    }
    path.write_text(
        yaml.safe_dump({"cookie": {"name": "switchyard_auth"}, "credentials": {"usernames": users}})
    )
    return path


def share_queue(dbfile: Path, smes: int, auth: Path) -> int:
    """Deal sme1's open items out to sme1..smeN, who become the users (the example users
    were seeded by the build); returns the audit rows before labelling."""
    con = db.connect(str(dbfile))
    con.execute("DELETE FROM app_user")
    users.seed(con, users.load_config(auth))
    con.execute(
        "UPDATE assignment SET reviewer = 'sme' || (1 + position % ?)::VARCHAR"
        " WHERE reviewer = 'sme1' AND status = 'open'",
        [smes],
    )
    audit = con.execute("SELECT count(*) FROM audit").fetchone()[0]
    con.close()
    return audit


async def idle(page) -> None:
    await page.wait_for_timeout(100)
    await page.wait_for_selector(IDLE, timeout=60_000)


async def sign_in(page, url: str, username: str) -> None:
    await page.goto(url, timeout=120_000)
    await idle(page)
    await page.wait_for_timeout(800)
    await idle(page)
    for _attempt in range(3):
        await page.get_by_label("Username", exact=True).fill(username)
        await page.get_by_label("Password", exact=True).fill(f"demo-{username}")
        await page.get_by_role("button", name="Sign in").click()
        try:
            await page.wait_for_selector("text=Signed in as", timeout=30_000)
            break
        except Exception:  # Playwright's timeout: try the form again
            await idle(page)
    else:
        raise RuntimeError(f"{username} could not sign in")
    await idle(page)
    await page.wait_for_selector(".rv-item", timeout=60_000)


async def press_until(page, key: str, *conditions: str) -> list[float]:
    """Press ``key``; ms from its keydown to the page first meeting each of ``conditions``."""
    await page.evaluate(PROBE)
    await page.evaluate(
        f"() => {{ window.__t0 = null; window.__conds = [{', '.join(conditions)}];"
        " window.__ts = window.__conds.map(() => null);"
        " window.__met = window.__conds.map(() => false); }"
    )
    await page.keyboard.press(key)
    await page.wait_for_function(
        "() => window.__ts.every(t => t !== null)", timeout=60_000, polling=10
    )
    return await page.evaluate("() => window.__ts.map(t => t - window.__t0)")


async def signed_in_page(browser, url: str, username: str):
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await sign_in(page, url, username)
    await page.evaluate(PROBE)
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    return page


async def label(page, labels: int, think: float, out: list) -> None:
    """Think, score A 4 and B 4 and a tie by keyboard, submit and wait until it is stored;
    ``labels`` times. ``out`` gets (ms to the next item on screen, ms to the label stored)."""
    for _ in range(labels):
        await asyncio.sleep(think)
        await press_until(page, "4", chosen("A-score-4"))
        await press_until(page, "9", chosen("B-score-4"))
        await press_until(page, "t", chosen("preference-tie"))
        before = await page.evaluate(SHOWN_ITEM)
        out.append(await press_until(page, "Control+Enter", next_on_screen(before), stored(before)))


async def drive(server: Server, smes: int, labels: int, think: float) -> tuple[list, float, float]:
    """Sign every SME in, then let them label at once; (submit times, wall s, server CPU s)
    over the labelling alone."""
    from playwright.async_api import async_playwright

    out: list = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # one after another: eight first page loads at once time out on 2 busy cores
        pages = [await signed_in_page(browser, server.url, f"sme{i}") for i in range(1, smes + 1)]
        cpu, started = server.cpu_s(), time.monotonic()
        await asyncio.gather(*(label(page, labels, think, out) for page in pages))
        wall, cpu = time.monotonic() - started, server.cpu_s() - cpu
        await browser.close()
    return out, wall, cpu


def run(tmp: Path, sizes: tuple[int, int, int], smes: int, labels: int, think: float) -> dict:
    dbfile = tmp / "review_load.duckdb"
    dbfile.unlink(missing_ok=True)
    build(dbfile, *sizes)
    auth = auth_file(tmp / "auth.yaml", smes)
    audit_before = share_queue(dbfile, smes, auth)
    labels_before = 2 * sizes[1]
    env = {"SWITCHYARD_AUTH_FILE": str(auth)}
    server = Server(ROOT / "serve.py", dbfile, tmp / "load.log", env=env)
    try:
        submits, wall, cpu = asyncio.run(drive(server, smes, labels, think))
        rss = server.rss_mb()
    finally:
        server.stop()
    con = duckdb.connect(str(dbfile), read_only=True)
    label_rows = con.execute("SELECT count(*) FROM label").fetchone()[0] - labels_before
    audit_rows = con.execute("SELECT count(*) FROM audit WHERE action = 'submit_label'").fetchone()[
        0
    ]
    audit_all = con.execute("SELECT count(*) FROM audit").fetchone()[0] - audit_before
    con.close()
    expected = smes * labels
    return {
        "submit_to_next_ready": summary([shown for shown, _ in submits]),
        "submit_to_label_stored": summary([kept for _, kept in submits]),
        "labels_per_s": round(expected / wall, 2),
        "server_cpu_ms_per_label": round(1000 * cpu / expected, 1),
        "server_cpu_share": round(cpu / wall, 2),
        "server_rss_mb_after": rss,
        "submitted": expected,
        "label_rows_written": label_rows,
        "submit_label_audit_rows": audit_rows,
        "audit_rows_written": audit_all,
        "exact": label_rows == 2 * expected and audit_rows == expected,
        "smes": smes,
        "think_s": think,
        "wall_s": round(wall, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python"
        f" {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smes", type=int, default=8)
    parser.add_argument("--labels", type=int, default=30, help="labels per SME")
    parser.add_argument("--think", type=float, default=2.0, help="seconds before each label")
    parser.add_argument("--smoke", action="store_true", help="2 SMEs x 3 labels (for CI)")
    args = parser.parse_args()
    if args.smoke:
        with tempfile.TemporaryDirectory(prefix="bench-review-load-") as tmp:
            result = run(Path(tmp), SMOKE, 2, 3, 0.5)
        print(json.dumps(result, indent=2))
        check(result, "submit_to_next_ready.median_ms", "labels_per_s")
        assert result["exact"], result
        return
    OUT.mkdir(parents=True, exist_ok=True)
    result = run(OUT, SIZES, args.smes, args.labels, args.think)
    print(json.dumps(result, indent=2))
    (OUT / "review_load.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
