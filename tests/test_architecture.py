"""Rules of the codebase that a test can hold: layering, documentation, no network."""

import ast
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cli import COMMANDS
from core import telemetry
from core.store import settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: p.name)
def test_core_never_imports_streamlit(path):
    assert "streamlit" not in imported_modules(path)


# The layers inside core/, lowest first. A module imports its own group or a lower one; the
# groups of one rank (importers, review, llm) may use each other, and the loop test below keeps
# them from going round in a circle. core/__init__ only sets telemetry up.
RANKS = {
    "types": 0,
    "errors": 0,
    "telemetry": 0,
    "core": 1,
    "formatting": 1,
    "exports": 1,
    "render": 1,
    "store": 2,
    "catalog": 3,
    "store_copy": 4,  # moves a whole store; verifies dataset hashes through the catalog
    "importers": 4,
    "review": 4,
    "llm": 4,
    "analysis": 5,
    "jobs": 5,  # runs the llm group's work on workers
    "demo": 6,
    "__main__": 7,
}
# Imports against the layers, each with its reason. Nothing else may join this list.
UPWARD = {
    ("core.__main__", "cli"): "`python -m core` runs the command line",
    ("core.store.db", "core.catalog.metrics"): "connect() seeds the metric catalog (local import)",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


CODE = {
    module_name(path): path
    for folder in ("core", "cli", "ui", "pages")
    for path in sorted((ROOT / folder).rglob("*.py"))
}


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def import_targets(module: str, top_level_only: bool = False) -> set[str]:
    """The project modules ``module`` imports: ``from a.b import c`` is ``a.b.c`` when that is a
    module, else ``a.b``. With ``top_level_only``, only what runs at import time (not imports
    inside functions or under ``if TYPE_CHECKING``)."""
    path = CODE[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes: list) -> None:
        for node in nodes:
            if top_level_only and (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or _is_type_checking(node)
            ):
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    found.add(full if full in CODE else base)
            visit(list(ast.iter_child_nodes(node)))

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return {name for name in found if name.split(".")[0] in ("core", "cli", "ui", "pages", "app")}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


CORE = sorted(m for m in CODE if m.split(".")[0] == "core")


@pytest.mark.parametrize("module", CORE)
def test_core_imports_only_its_own_layer_or_lower_ones(module):
    upward = []
    for target in sorted(import_targets(module)):
        if (module, target) in UPWARD:
            continue
        if not target.startswith("core"):
            upward.append(target)  # ui, pages, cli or app: core is below all of them
        elif layer(target) != layer(module) and RANKS[layer(target)] > RANKS[layer(module)]:
            upward.append(target)
    assert upward == [], f"{module} imports a higher layer: {upward}"


def test_every_core_group_has_a_rank():
    assert {layer(m) for m in CORE} <= set(RANKS)


def test_the_recorded_upward_imports_are_still_there():
    # An exception that is no longer needed leaves the list.
    assert [pair for pair in UPWARD if pair[1] not in import_targets(pair[0])] == []


@pytest.mark.parametrize("folder", ["core", "cli", "ui"])
def test_no_import_loops(folder):
    """No circle of imports that run at import time (function-local imports are deferred)."""
    graph = {m: import_targets(m, top_level_only=True) & set(CODE) for m in CODE}
    loops = [loop for loop in strongly_connected(graph) if len(loop) > 1]
    assert [loop for loop in loops if any(m.split(".")[0] == folder for m in loop)] == []


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (the graph is small)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
    return found


def test_the_loop_finder_finds_a_loop():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert [c for c in strongly_connected(graph) if len(c) > 1] == [["a", "b", "c"]]


@pytest.mark.parametrize("folder", ["ui", "cli"])
def test_ui_and_cli_never_import_pages_or_each_other(folder):
    other = {"ui": "cli", "cli": "ui"}[folder]
    wrong = {
        (m, t)
        for m in CODE
        if m.split(".")[0] == folder
        for t in import_targets(m)
        if t.split(".")[0] in ("pages", "app", other)
    }
    assert wrong == set()


def test_pages_are_at_most_80_lines():
    lengths = {p.name: len(p.read_text().splitlines()) for p in (ROOT / "pages").glob("*.py")}
    assert {name: n for name, n in lengths.items() if n > 80} == {}


# A module a newcomer reads in one sitting; declarative tables are exempt, each with its reason.
MODULE_LINES = 400
LONG_TABLES = {"core/catalog/builtin_metrics.py": "the metric catalog, one entry per metric"}
# "About 60 lines": a function that does one thing, with its docstring.
FUNCTION_LINES = 62


def test_no_core_cli_or_ui_module_is_over_400_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in CODE.values()
        if (n := len(path.read_text().splitlines())) > MODULE_LINES
    }
    assert {name: n for name, n in long.items() if name not in LONG_TABLES} == {}


def test_no_function_is_over_about_60_lines():
    long = {
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}": node.end_lineno - node.lineno + 1
        for path in CODE.values()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > FUNCTION_LINES
    }
    assert long == {}


def test_core_does_not_import_judge_libraries_at_start():
    # ragas and deepeval take seconds to import: only the judge runner may load them.
    code = (
        "import cli, core.demo, core.importers.files, sys; print('ragas' in sys.modules,"
        " 'deepeval' in sys.modules, 'streamlit' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert out.split() == ["False", "False", "False"]


@pytest.mark.parametrize("name", list(settings.SETTINGS))
def test_every_setting_is_documented(name):
    assert settings.SETTINGS[name].env in README


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_cli_command_is_documented(command):
    assert f"python -m core {command}" in README


def test_telemetry_is_off_for_ragas_deepeval_and_streamlit():
    assert os.environ["RAGAS_DO_NOT_TRACK"] == "true"
    assert os.environ["DEEPEVAL_TELEMETRY_OPT_OUT"] == "YES"
    assert os.environ["DEEPEVAL_DISABLE_DOTENV"] == "1"
    assert telemetry.SETTINGS["RAGAS_DO_NOT_TRACK"] == "true"
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "gatherUsageStats = false" in config


def test_network_guard_refuses_the_internet_and_allows_loopback():
    with pytest.raises(ConnectionRefusedError, match="network guard"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with socket.create_connection(server.getsockname(), timeout=1):
        pass
    server.close()


def test_no_database_file_is_committed():
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT).stdout
    assert ".duckdb" not in tracked
