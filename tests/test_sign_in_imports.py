"""The sign-in form does not wait for the statistics: what serve.py and app.py import before it
is drawn loads no scipy (seconds on a cold start); the analyses are imported in the background
while the user types (ui.store.warm_up)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

SIGN_IN_PATH = "import streamlit, core, ui.session_routes, ui.auth, ui.navigation, ui.store"


def python(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.strip()


def test_the_sign_in_path_loads_no_statistics():
    assert python(f"{SIGN_IN_PATH}, sys; print('scipy' in sys.modules)") == "False"


def test_the_sign_in_path_loads_no_pandas():
    # pandas took 0.3 of the path's 0.46 s, through one type annotation of the store's writes.
    assert python(f"{SIGN_IN_PATH}, sys; print('pandas' in sys.modules)") == "False"


def test_warm_up_imports_the_pages_modules_in_the_background_once():
    code = (
        f"{SIGN_IN_PATH}, sys, threading\n"
        "ui.store.warm_up(); ui.store.warm_up()\n"
        "warm = [t for t in threading.enumerate() if t.name == 'switchyard-warm-up']\n"
        "[t.join(120) for t in warm]\n"
        "print(len(warm), 'scipy.stats' in sys.modules, 'core.analysis.signoff' in sys.modules)"
    )
    assert python(code) == "1 True True"
