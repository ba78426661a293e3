"""Which pages each role sees. app.py builds the menu from this; every page also enforces
its own roles (ui.auth.require), since a deep link can reach it directly."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    url: str
    roles: frozenset[str]


PAGES = (
    PageSpec(
        "pages/home.py",
        "Home",
        ":material/home:",
        "home",
        frozenset({"eval_owner", "manager", "admin"}),
    ),
    PageSpec("pages/review.py", "Review", ":material/rate_review:", "review", frozenset({"sme"})),
    PageSpec(
        "pages/data.py",
        "Data",
        ":material/database:",
        "data",
        frozenset({"eval_owner", "manager", "admin"}),
    ),
    PageSpec(
        "pages/sampling.py",
        "Sampling",
        ":material/filter_alt:",
        "sampling",
        frozenset({"eval_owner", "admin"}),
    ),
    PageSpec(
        "pages/calibration.py",
        "Calibration",
        ":material/balance:",
        "calibration",
        frozenset({"eval_owner", "admin"}),
    ),
    PageSpec(
        "pages/runs.py",
        "Runs",
        ":material/play_circle:",
        "runs",
        frozenset({"eval_owner", "admin"}),
    ),
    PageSpec(
        "pages/metrics.py",
        "Metrics",
        ":material/straighten:",
        "metrics",
        frozenset({"eval_owner", "admin"}),
    ),
    PageSpec(
        "pages/compare.py",
        "Compare",
        ":material/compare_arrows:",
        "compare",
        frozenset({"eval_owner", "admin"}),
    ),
    PageSpec(
        "pages/signoff.py",
        "Sign-off",
        ":material/task_alt:",
        "signoff",
        frozenset({"eval_owner", "manager", "admin"}),
    ),
    PageSpec("pages/admin.py", "Users", ":material/group:", "admin", frozenset({"admin"})),
)


def pages_for(roles: tuple[str, ...] | list[str]) -> list[PageSpec]:
    return [p for p in PAGES if p.roles & set(roles)]
