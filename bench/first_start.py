"""First start, as the README tells a new user: a fresh clone with a virtual environment inside
it, ``python -m core demo`` then ``streamlit run serve.py``.

Measures, in Debian's Chromium on 127.0.0.1: the demo build, and the seconds from launching
``streamlit run`` to the sign-in form on screen, on the fresh database (just built) and again on
the database already built. Between the two the app runs for ``--minutes`` while files are
written into the ``.venv`` (as ``pip install`` does) and the page is reloaded every 30 s; the
server's log is then searched for file-watcher warnings ("Inotify queue overflowed" filled it
once), tracebacks and errors.

    python bench/first_start.py [--minutes 10]
    python bench/first_start.py --smoke   # a 12-second run (CI)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

from bench.smoke import check  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WARNINGS = ("inotify", "overflow", "watchdog", "traceback", "error")
SIGN_IN_GOAL_S = 3.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_clone(target: Path) -> Path:
    """What `git clone` gives a new user: the committed project, then a real .venv inside."""
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)  # noqa: S603, S607
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "venv", "--system-site-packages", str(target / ".venv")], check=True
    )
    return target


def churn(venv: Path, round_: int) -> int:
    """Write a package's worth of files into the .venv and remove the last round's, as pip
    does when it installs and upgrades; returns the files written."""
    site = next((venv / "lib").glob("python3*/site-packages"))
    shutil.rmtree(site / f"churn{round_ - 1}", ignore_errors=True)
    written = 0
    for folder in range(40):
        package = site / f"churn{round_}" / f"mod{folder}"
        package.mkdir(parents=True, exist_ok=True)
        for name in range(25):
            (package / f"m{name}.py").write_text("x = 1\n")
            written += 1
    return written


def start_to_sign_in(project: Path, env: dict, log: Path, browser) -> tuple:
    """Launch the README's `streamlit run serve.py`: seconds until the server answers and until
    the sign-in form shows."""
    from playwright.sync_api import Error

    port = free_port()
    launched = time.monotonic()
    proc = subprocess.Popen(  # noqa: S603  (our own fixed command)
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port)],
        cwd=project,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )
    page = browser.new_page()
    while True:
        try:
            page.goto(f"http://127.0.0.1:{port}/", timeout=5_000)
            break
        except Error:
            if time.monotonic() - launched > 90 or proc.poll() is not None:
                raise RuntimeError(f"streamlit did not start; see {log}") from None
            time.sleep(0.05)
    answered = time.monotonic() - launched
    page.get_by_label("Username", exact=True).wait_for(timeout=60_000)
    return (
        proc,
        page,
        {
            "server_answered_s": round(answered, 2),
            "sign_in_form_s": round(time.monotonic() - launched, 2),
        },
    )


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def run(tmp: Path, minutes: float) -> dict:
    from playwright.sync_api import sync_playwright

    project = fresh_clone(tmp / "switchyard")
    env = {**os.environ, "SWITCHYARD_DB": str(tmp / "switchyard.duckdb")}
    for name in ("SWITCHYARD_DEMO", "SWITCHYARD_COOKIE_KEY"):
        env.pop(name, None)
    started = time.monotonic()
    built = subprocess.run(
        [sys.executable, "-m", "core", "demo"], cwd=project, env=env, capture_output=True, text=True
    )
    if built.returncode:
        raise RuntimeError(built.stderr)
    build_s = round(time.monotonic() - started, 1)
    log = tmp / "streamlit.log"
    files = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        proc, page, fresh_s = start_to_sign_in(project, env, log, browser)
        try:
            deadline = time.monotonic() + minutes * 60
            round_ = 0
            while time.monotonic() < deadline:
                round_ += 1
                files += churn(project / ".venv", round_)
                page.reload()
                page.get_by_label("Username", exact=True).wait_for(timeout=60_000)
                time.sleep(max(0.0, min(30.0, deadline - time.monotonic())))
            alive = proc.poll() is None
        finally:
            stop(proc)
        proc, _page, built_s = start_to_sign_in(project, env, log, browser)
        stop(proc)
        browser.close()
    text = log.read_text(errors="replace")
    found = {w: text.lower().count(w) for w in WARNINGS if w in text.lower()}
    return {
        "demo_build_s": build_s,
        "after_launch_fresh_db": fresh_s,
        "after_launch_built_db": built_s,
        "minutes_run": minutes,
        "venv_files_written": files,
        "server_alive_at_end": alive,
        "log_lines": len(text.splitlines()),
        "log_warnings": found,
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
            f" load average {os.getloadavg()[0]:.1f} at the end"
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--smoke", action="store_true", help="a 12-second run for CI")
    args = parser.parse_args()
    minutes = 0.2 if args.smoke else args.minutes
    with tempfile.TemporaryDirectory() as tmp:
        result = run(Path(tmp), minutes)
    print(json.dumps(result, indent=2))
    if not args.smoke:
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "first_start.json").write_text(json.dumps(result, indent=2))
    check(result, "demo_build_s")
    if not result["server_alive_at_end"] or result["log_warnings"]:
        raise SystemExit(f"the app died or its log has warnings: {result['log_warnings']}")


if __name__ == "__main__":
    main()
