"""requirements.txt claims exact pins of everything the app installs: every package a pinned
package requires (its extras included, markers evaluated here) must be pinned too. cloudpickle
once installed unpinned."""

from __future__ import annotations

import importlib.metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT


def pins(name: str) -> dict[str, Requirement]:
    found: dict[str, Requirement] = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            found |= pins(line[3:].strip())
        elif line:
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_line_is_an_exact_pin_and_every_dependency_is_pinned(name):
    pinned = pins(name)
    loose = [str(r) for r in pinned.values() if not str(r.specifier).startswith("==")]
    assert loose == []
    unpinned: dict[str, str] = {}
    for requirement in pinned.values():
        for extra in [*requirement.extras, ""]:
            for line in importlib.metadata.requires(requirement.name) or []:
                needed = Requirement(line)
                if needed.marker and not needed.marker.evaluate({"extra": extra}):
                    continue
                if canonicalize_name(needed.name) not in pinned:
                    unpinned[needed.name] = requirement.name
    assert unpinned == {}, f"required but not pinned (needed by): {unpinned}"


def test_the_installed_versions_are_the_pinned_ones():
    pinned = pins("requirements-dev.txt")
    differ = {
        name: (str(r.specifier), importlib.metadata.version(r.name))
        for name, r in pinned.items()
        if importlib.metadata.version(r.name) != str(r.specifier)[2:]
    }
    assert differ == {}
