"""Review in the browser: submit → next item ready, and a label key → its feedback visible.

Playwright drives Debian's Chromium against ``streamlit run serve.py`` (the app) on 127.0.0.1. The
database holds 1,000,000 outputs (two runs over 500,000 items) and 100,000 labels, written
with bulk SQL into the real schema (``bench.review_loop.build``). Times are taken in the page
itself: from the keydown (a capturing listener, so Playwright's round trip is not counted) to
the first DOM mutation after which the next item is on screen (submit: the form moves on with
the item the server sent ahead), after which the server has stored the label and the script
is idle (stored), or the chosen score is drawn as chosen (key). The floor is a server round
trip on a trivial page (a caption and a button) served the same way. Then a soak of
``--soak`` submits, with the server's resident memory read from /proc before, during and
after (every ``--every`` submits). ``--probe FILE`` runs the server under bench/memprobe.py
and has it write what it holds (object types, session state, tracemalloc with
$MEMPROBE_TRACE) at each of those points.

    python bench/review_browser.py [--items 120] [--soak 2000]
    python bench/review_browser.py --items 10 --soak 600 --every 100 --probe bench/out/probe.jsonl
    python bench/review_browser.py --smoke   # 2,000 items, 12 steps, a 20-submit soak (CI)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

from bench.review_loop import build  # noqa: E402
from bench.smoke import check  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SIZES = (500_000, 50_000, 2_400)  # items, items labelled side by side, the SME's queue
SMOKE = (2_000, 200, 60)
TRIVIAL = """
import streamlit as st
st.session_state.setdefault("n", 0)
def bump():
    st.session_state.n += 1
st.title("Trivial")
st.caption(f"Item {st.session_state.n}")
st.button("Next", key="trivial-next", shortcut="Ctrl+Enter", on_click=bump)
st.button("4", key="trivial-4", shortcut="4", on_click=bump)
"""
# Installed once per page: stamps the keydown and, for each condition, the frame painted
# after the first mutation after which it holds (a task queued from the next animation frame
# runs once that frame is drawn). Installed again after a reload (the sign-in's cookie route
# reloads the page): idempotent.
PROBE = """() => {
  if (window.__probe) return; window.__probe = true;
  window.__t0 = null; window.__conds = []; window.__ts = []; window.__met = [];
  document.addEventListener('keydown', () => { if (window.__t0 === null)
    window.__t0 = performance.now(); }, true);
  new MutationObserver(() => {
    if (window.__t0 === null) return;
    window.__conds.forEach((cond, i) => {
      if (window.__met[i] || !cond()) return;
      window.__met[i] = true;
      requestAnimationFrame(() => setTimeout(() => { window.__ts[i] = performance.now(); }));
    });
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                              characterData: true});
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run`` of a script on 127.0.0.1 with the project's .streamlit/config.toml."""

    def __init__(
        self,
        script: Path,
        dbfile: Path,
        log: Path,
        *flags: str,
        probe: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {
            **os.environ,
            "SWITCHYARD_DB": str(dbfile),
            "SWITCHYARD_DEMO": "0",
            "SWITCHYARD_COOKIE_KEY": secrets.token_hex(32),
            **(env or {}),
        }
        self.probe_file = probe
        command = [sys.executable, "-m", "streamlit", "run", str(script)]
        if probe is not None:
            probe.unlink(missing_ok=True)
            environ["MEMPROBE_OUT"] = str(probe)
            command = [sys.executable, str(ROOT / "bench" / "memprobe.py"), "run", str(script)]
        command += ["--server.address", "127.0.0.1", "--server.port", str(self.port), *flags]
        self.log = log.open("w")
        self.proc = subprocess.Popen(  # noqa: S603  (our own fixed command)
            command, cwd=ROOT, env=environ, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:  # noqa: S310
                    if r.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not start; see {log}")

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        return round(int(kb) / 1024, 1)

    def probe(self) -> None:
        """Have bench/memprobe.py write one sample, and wait for it."""
        if self.probe_file is None:
            return
        lines = self.probe_file.read_text().count("\n") if self.probe_file.exists() else 0
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.probe_file.exists() and self.probe_file.read_text().count("\n") > lines:
                return
            time.sleep(0.2)
        raise RuntimeError("the memory probe wrote nothing")

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def idle(page) -> None:
    page.wait_for_timeout(100)
    page.wait_for_selector(IDLE, timeout=60_000)


def sign_in(page, url: str, username: str, password: str | None = None) -> None:
    page.goto(url)
    idle(page)
    page.wait_for_timeout(800)  # the cookie component's rerun
    idle(page)
    for _attempt in range(3):
        page.get_by_label("Username", exact=True).fill(username)
        page.get_by_label("Password", exact=True).fill(password or f"demo-{username}")
        page.get_by_role("button", name="Sign in").click()
        try:
            page.wait_for_selector("text=Signed in as", timeout=20_000)
            break
        except Exception:  # Playwright's timeout: try the form again
            idle(page)
    else:
        raise RuntimeError(f"{username} could not sign in")
    idle(page)


def shown_item(page) -> str:
    """The item on screen: the review form's "Item …" line, or the trivial page's caption."""
    return page.evaluate(
        """() => [...document.querySelectorAll("p")].map(p => p.innerText)
             .find(t => /^Item \\S+$/.test(t)) || ''"""
    )


def timed_key(page, key: str, *conditions: str) -> list[float]:
    """Press ``key``; ms from its keydown to the frame that first shows each of ``conditions``
    (JS)."""
    page.evaluate(PROBE)
    page.evaluate(
        f"() => {{ window.__t0 = null; window.__conds = [{', '.join(conditions)}];"
        " window.__ts = window.__conds.map(() => null);"
        " window.__met = window.__conds.map(() => false); }"
    )
    page.keyboard.press(key)
    page.wait_for_function("() => window.__ts.every(t => t !== null)", timeout=20_000, polling=5)
    return page.evaluate("() => window.__ts.map(t => t - window.__t0)")


def next_ready(before: str) -> str:
    """JS: the item on screen is no longer ``before`` and the script is idle (the trivial
    page, whose every key is a server run)."""
    return (
        f"() => document.querySelector('{IDLE}') !== null && [...document.querySelectorAll('p')]"
        f".some(p => /^Item \\S+$/.test(p.innerText) && p.innerText !== {json.dumps(before)})"
    )


def next_on_screen(before: str) -> str:
    """JS: the review form shows an item other than ``before`` (the SME can go on)."""
    return (
        "() => { const item = document.querySelector('.rv-item');"
        f" return item !== null && item.innerText !== {json.dumps(before)}; }}"
    )


def stored(before: str) -> str:
    """JS: the server has answered the submit (the form no longer says "Saving…") and the
    script is idle, with an item other than ``before`` on screen."""
    return (
        f"() => ({next_on_screen(before)})() && document.querySelector('{IDLE}') !== null"
        " && document.querySelector('.rv-status').innerText === ''"
    )


def chosen(key: str) -> str:
    """JS: the form's button ``key`` (e.g. A-score-4) is drawn as chosen."""
    return f'() => document.querySelector(\'[data-key="{key}"][aria-pressed="true"]\') !== null'


def label_one(page, times: dict[str, list[float]] | None = None) -> None:
    """Score A 4 and B 4, a tie, submit; with ``times``, record key and submit latencies.
    Each step waits for the screen to show it, never a fixed pause."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    (key_ms,) = timed_key(page, "4", chosen("A-score-4"))
    timed_key(page, "9", chosen("B-score-4"))
    timed_key(page, "t", chosen("preference-tie"))
    before = shown_item(page)
    shown_ms, stored_ms = timed_key(page, "Control+Enter", next_on_screen(before), stored(before))
    if times is not None:
        times["key"].append(key_ms)
        times["submit"].append(shown_ms)
        times["stored"].append(stored_ms)


def soak_one(page) -> None:
    """Label one item fast: the three keys at once, then submit, waiting until it is stored."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for key in ("4", "9", "t"):
        page.keyboard.press(key)
    before = shown_item(page)
    timed_key(page, "Control+Enter", stored(before))


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
        "n": len(ordered),
    }


def measure_review(browser, server: Server, steps: int, soak: int, every: int = 0) -> dict:
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, server.url, "sme1")
    page.evaluate(PROBE)
    times: dict[str, list[float]] = {"key": [], "submit": [], "stored": []}
    for _ in range(steps + 5):
        label_one(page, times)
    server.probe()
    memory = [{"submits": 0, "rss_mb": server.rss_mb()}]
    for done in range(1, soak + 1):
        soak_one(page)
        if done % (every or max(1, soak // 8)) == 0 or done == soak:
            memory.append({"submits": done, "rss_mb": server.rss_mb()})
            server.probe()
    page.context.close()
    return {
        "submit_to_next_ready": summary(times["submit"][5:]),  # 5 warm-up items dropped
        "submit_to_label_stored": summary(times["stored"][5:]),
        "key_to_feedback": summary(times["key"][5:]),
        "soak_memory": memory,
    }


def measure_trivial(browser, server: Server, steps: int) -> dict:
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(server.url)
    idle(page)
    page.evaluate(PROBE)
    times = []
    for _ in range(steps + 5):
        times += timed_key(page, "Control+Enter", next_ready(shown_item(page)))
    page.context.close()
    return summary(times[5:])


def run(
    tmp: Path,
    sizes: tuple[int, int, int],
    steps: int,
    soak: int,
    flags: list[str],
    every: int = 0,
    probe: Path | None = None,
    prices: bool = False,
) -> dict:
    from playwright.sync_api import sync_playwright

    dbfile = tmp / "review_browser.duckdb"
    dbfile.unlink(missing_ok=True)
    start = time.perf_counter()
    build(dbfile, *sizes)
    if prices:  # as any database after the app's first start: its setup then only reads
        from core.catalog import models
        from core.store import db

        con = db.connect(str(dbfile))
        models.load_list_prices_if_none(con, "bench")
        con.close()
    built = round(time.perf_counter() - start, 1)
    trivial_script = tmp / "trivial.py"
    trivial_script.write_text(TRIVIAL)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        app = Server(ROOT / "serve.py", dbfile, tmp / "app.log", *flags, probe=probe)
        try:
            result = measure_review(browser, app, steps, soak, every)
            result["server_cpu_s"] = round(app.cpu_s(), 1)
        finally:
            app.stop()
        floor = Server(trivial_script, dbfile, tmp / "trivial.log", *flags)
        try:
            result["trivial_page_floor"] = measure_trivial(browser, floor, steps)
        finally:
            floor.stop()
        browser.close()
    import duckdb

    con = duckdb.connect(str(dbfile), read_only=True)
    result["labels_at_end"] = con.execute("SELECT count(*) FROM label").fetchone()[0]
    result["outputs"] = con.execute("SELECT count(*) FROM output").fetchone()[0]
    con.close()
    result["build_s"] = built
    result["flags"] = flags
    result["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" load average {os.getloadavg()[0]:.1f} at the end"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=120, help="measured items (>= 100)")
    parser.add_argument("--soak", type=int, default=2_000, help="submits in the memory soak")
    parser.add_argument("--every", type=int, default=0, help="read memory every N submits")
    parser.add_argument("--probe", type=Path, help="run the server under bench/memprobe.py")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the database and JSON")
    parser.add_argument("--prices", action="store_true", help="load the list prices first")
    parser.add_argument("--smoke", action="store_true", help="a tiny run for CI")
    parser.add_argument(
        "--streamlit", action="append", default=[], help="a server option: runner.postScriptGC=true"
    )
    args = parser.parse_args()
    args.flag = [f"--{option}" for option in args.streamlit]
    if args.smoke:
        with tempfile.TemporaryDirectory(prefix="bench-review-browser-") as tmp:
            result = run(Path(tmp), SMOKE, 12, 20, args.flag)
        print(json.dumps(result, indent=2))
        check(result, "submit_to_next_ready.median_ms", "key_to_feedback.median_ms")
        assert result["labels_at_end"] == 2 * (SMOKE[1] + 12 + 5 + 20), result
        return
    args.out.mkdir(parents=True, exist_ok=True)
    result = run(
        args.out, SIZES, args.items, args.soak, args.flag, args.every, args.probe, args.prices
    )
    print(json.dumps(result, indent=2))
    (args.out / "review_browser.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
