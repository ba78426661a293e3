"""Which pages each role sees. app.py builds the menu from this; every page also enforces
its own roles (ui.auth.require), since a deep link can reach it directly."""

from __future__ import annotations

from dataclasses import dataclass

from core.types import Role

# Who sees what: owners run the evaluation, managers also read where it stands and decide.
OWNERS: frozenset[Role] = frozenset({"eval_owner", "admin"})
DECIDERS: frozenset[Role] = OWNERS | {"manager"}


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    url: str
    roles: frozenset[Role]


PAGES = (
    PageSpec(
        "pages/home.py",
        "Home",
        ":material/home:",
        "home",
        DECIDERS,
    ),
    PageSpec("pages/review.py", "Review", ":material/rate_review:", "review", frozenset({"sme"})),
    PageSpec(
        "pages/data.py",
        "Data",
        ":material/database:",
        "data",
        DECIDERS,
    ),
    PageSpec(
        "pages/sampling.py",
        "Sampling",
        ":material/filter_alt:",
        "sampling",
        OWNERS,
    ),
    PageSpec(
        "pages/calibration.py",
        "Calibration",
        ":material/balance:",
        "calibration",
        OWNERS,
    ),
    PageSpec(
        "pages/runs.py",
        "Runs",
        ":material/play_circle:",
        "runs",
        OWNERS,
    ),
    PageSpec(
        "pages/metrics.py",
        "Metrics",
        ":material/straighten:",
        "metrics",
        OWNERS,
    ),
    PageSpec(
        "pages/compare.py",
        "Compare",
        ":material/compare_arrows:",
        "compare",
        OWNERS,
    ),
    PageSpec(
        "pages/signoff.py",
        "Sign-off",
        ":material/task_alt:",
        "signoff",
        DECIDERS,
    ),
    PageSpec("pages/canary.py", "Canary", ":material/alt_route:", "canary", DECIDERS),
    PageSpec("pages/admin.py", "Users", ":material/group:", "admin", frozenset({"admin"})),
)


def pages_for(roles: tuple[Role, ...] | list[Role]) -> list[PageSpec]:
    return [p for p in PAGES if p.roles & set(roles)]
