"""Hardening (issue 12): configuration kept out of git, limits on input, safe exports,
hostile names that never reach SQL as code."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_auth_configuration_is_git_ignored():
    # config/auth.yaml holds real password hashes and the cookie key.
    done = subprocess.run(
        ["git", "check-ignore", "-q", "config/auth.yaml"],
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0
