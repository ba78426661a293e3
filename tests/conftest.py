"""Shared fixtures: the network guard, an empty migrated database, a small seeded one."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

os.environ.setdefault("SWITCHYARD_DEMO_SEED", "20261126")
# Pages under AppTest share this process: a test runs its jobs itself (core.jobs.worker), so
# no worker thread of an earlier test's app takes them. Apps in browser tests run their own.
os.environ["SWITCHYARD_APP_WORKER"] = "0"
import core  # noqa: F401  (telemetry off before any test imports ragas or deepeval)
from core.catalog import runs
from core.importers import files
from core.store import db

DATA = Path(__file__).parent / "data"
SOURCE_MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
TARGET_MODEL = "amazon.nova-pro-v1:0"

_real_connect = socket.socket.connect


def _loopback_only(sock, address):
    """Fail any connection that leaves the machine; Unix sockets and loopback are fine."""
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = ipaddress.ip_address(socket.gethostbyname(host)) if host != "localhost" else None
        if ip is not None and not ip.is_loopback:
            raise ConnectionRefusedError(f"test network guard: connection to {address!r} refused")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True, scope="session")
def network_guard():
    socket.socket.connect = _loopback_only
    yield
    socket.socket.connect = _real_connect


ON_POSTGRES = os.environ.get("SWITCHYARD_TEST_BACKEND") == "postgresql"
if ON_POSTGRES:  # app processes on one PostgreSQL database share a configured cookie key
    os.environ.setdefault("SWITCHYARD_COOKIE_KEY", "test-key-" + "k" * 40)


@pytest.fixture(autouse=True)
def aws_offline(monkeypatch):
    """boto3 never finds real credentials or regions in tests."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of a PostgreSQL server for the tests: the one scripts/test.sh started
    (SWITCHYARD_TEST_PG), else a throwaway cluster started here for the session."""
    given = os.environ.get("SWITCHYARD_TEST_PG")
    if given:
        os.environ["SWITCHYARD_TEST_PG_SERVER"] = given
        yield given
        return
    import shutil
    import tempfile

    from tests import pg_cluster

    # Not under pytest's temporary folder: run as root, the server runs as the postgres user,
    # who cannot enter pytest's 0700 folders.
    folder = Path(tempfile.mkdtemp(prefix="switchyard-pg-"))
    url = pg_cluster.start(folder)
    os.environ["SWITCHYARD_TEST_PG_SERVER"] = url
    yield url
    pg_cluster.stop(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the test server, dropped afterwards."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(postgres_server, autocommit=True)
    admin.execute(f"CREATE DATABASE {name}")
    yield postgres_server.rsplit("/", 1)[0] + "/" + name
    admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    admin.close()


@pytest.fixture
def con(request):
    """An empty, migrated database: in memory, or a fresh PostgreSQL database when
    SWITCHYARD_TEST_BACKEND=postgresql."""
    if ON_POSTGRES:
        url = request.getfixturevalue("postgres_url")
        connection = db.connect(url)
        yield connection
        connection.close()
        from core.store import pg_pool

        pg_pool.close_pools()
        return
    connection = db.connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture
def golden(con):
    """The golden fixture imported as fin@1 (6 items, a source run, 6 imported labels)."""
    return files.import_dataset(
        con, str(DATA / "golden.csv"), "fin", actor="tester", model_id=SOURCE_MODEL
    )


def import_run(con, path, **spec):
    """Import a run file against fin@1 with the target model unless told otherwise."""
    spec.setdefault("model_id", TARGET_MODEL)
    fmt = spec.pop("fmt", None)
    result, _notes = files.import_run(
        con, str(path), runs.RunSpec("fin@1", **spec), actor="tester", fmt=fmt
    )
    return result


def golden_migration(con, criteria=None, prices=True) -> str:
    """A migration "canary" of the golden fixture (fin@1): its source run against
    run_native.csv as the target; the list prices loaded unless told otherwise."""
    from core.catalog import migrations, models

    if prices:
        models.load_price_file(con, "tester")
    golden = files.import_dataset(
        con, str(DATA / "golden.csv"), "fin", actor="tester", model_id=SOURCE_MODEL
    )
    target = import_run(con, DATA / "run_native.csv", role="target").run_id
    return migrations.create(
        con, "canary", golden.source_run.run_id, [target], actor="tester", criteria=criteria
    )


class HeldDatabase:
    """Another process holding the DuckDB file open, as the running app does."""

    def __init__(self, path) -> None:
        import subprocess
        import sys

        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import duckdb, time; c = duckdb.connect({str(path)!r});"
                " print('ready', flush=True); time.sleep(60)",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout.readline().strip() == "ready"

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.proc.kill()
        self.proc.wait()


DEMO_SEED = 20261126
ROOT = Path(__file__).resolve().parent.parent


def _new_pg_database(server: str, template: str | None = None) -> str:
    """A new database on the test server (a copy of ``template`` if given); its URL."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    return server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory, request):
    """demo_files(n_items): a demo database of that size, built once per session (a DuckDB
    file, or with SWITCHYARD_TEST_BACKEND=postgresql a template database on the test
    server). Tests that write work on a copy (demo_copy)."""
    from core import demo

    built: dict[tuple[int, bool], Path | str] = {}

    def build(n_items: int = 1200, postgres: bool = ON_POSTGRES) -> Path | str:
        if (n_items, False) not in built:
            path = tmp_path_factory.mktemp("demo") / f"demo-{n_items}.duckdb"
            connection = db.connect(str(path))
            demo.install(connection, DEMO_SEED, n_items=n_items)
            connection.close()
            built[n_items, False] = path
        if postgres and (n_items, True) not in built:
            built[n_items, True] = _pg_template(request, built[n_items, False])
        return built[n_items, postgres]

    return build


def _pg_template(request, path: Path) -> str:
    """The DuckDB demo at ``path`` copied (core.store_copy) into a template database."""
    from core import store_copy
    from core.store import pg_pool

    server = request.getfixturevalue("postgres_server")
    url = _new_pg_database(server)
    store_copy.copy(str(path), url)
    pg_pool.close_pools()  # a template must have no connections
    return url.rsplit("/", 1)[1]


def copy_demo(source: Path | str, target: Path) -> Path | str:
    """A fresh copy of a demo_files database: a file at ``target``, or a database cloned
    from the PostgreSQL template ``source``."""
    if isinstance(source, Path):
        target.write_bytes(source.read_bytes())
        return target
    return _new_pg_database(_test_server(), template=source)


_app_databases: dict[str, str] = {}


def app_database(path: Path | str) -> str:
    """The database a test names by a file ``path``: that file, or with
    SWITCHYARD_TEST_BACKEND=postgresql a new database on the test server, the same one for
    the same path (the browser tests' app processes and the test itself open it)."""
    if not ON_POSTGRES or str(path).startswith("postgresql://"):
        return str(path)
    if str(path) not in _app_databases:
        _app_databases[str(path)] = _new_pg_database(_test_server())
    return _app_databases[str(path)]


@pytest.fixture(autouse=True, scope="session")
def drop_app_databases():
    yield
    drop_pg_databases(list(_app_databases.values()))


def _test_server() -> str:
    return os.environ.get("SWITCHYARD_TEST_PG_SERVER") or os.environ["SWITCHYARD_TEST_PG"]


def drop_pg_databases(urls: list) -> None:
    """Drop the PostgreSQL databases among ``urls`` (the pools' connections closed first)."""
    import psycopg

    from core.store import pg_pool

    made = [u for u in urls if isinstance(u, str) and u.startswith("postgresql://")]
    if not made:
        return
    pg_pool.close_pools()
    with psycopg.connect(_test_server(), autocommit=True) as admin:
        for url in made:
            admin.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.fixture(scope="module")
def module_demo(demo_files, tmp_path_factory):
    """module_demo(n_items): a connection to one copy of the session's demo, for a test
    module that only reads it (or writes what its own tests expect)."""
    opened = []

    made = []

    def open_copy(n_items: int = 1200):
        target = tmp_path_factory.mktemp("module-demo") / "demo.duckdb"
        made.append(copy_demo(demo_files(n_items), target))
        connection = db.connect(str(made[-1]))
        opened.append(connection)
        return connection

    yield open_copy
    for connection in opened:
        connection.close()
    drop_pg_databases(made)


@pytest.fixture
def demo_copy(demo_files, tmp_path):
    """demo_copy(n_items, name): a fresh copy of the demo database of that size (a path, or
    a PostgreSQL URL)."""

    made = []

    def copy(n_items: int = 1200, name: str = "copy.duckdb") -> Path | str:
        made.append(copy_demo(demo_files(n_items), tmp_path / name))
        return made[-1]

    yield copy
    drop_pg_databases(made)


@pytest.fixture
def pg_demo(demo_files, tmp_path):
    """pg_demo(n_items): the URL of a fresh PostgreSQL copy of the demo, whatever the backend
    of the run (for tests of PostgreSQL itself: processes writing at once, workers)."""
    made = []

    def copy(n_items: int = 1200) -> str:
        made.append(copy_demo(demo_files(n_items, postgres=True), tmp_path))
        return made[-1]

    yield copy
    drop_pg_databases(made)


@pytest.fixture
def demo_page_db(demo_copy, monkeypatch):
    """demo_page_db(n_items): a demo copy the pages under test (AppTest) open."""

    def use(n_items: int = 1200) -> Path | str:
        path = demo_copy(n_items, "page.duckdb")
        monkeypatch.setenv("SWITCHYARD_DB", str(path))
        return path

    return use


def signed_in(
    script: str,
    username: str | None = "owner",
    roles: tuple[str, ...] = ("eval_owner",),
    timeout: int = 60,
):
    """``script`` (e.g. 'pages/runs.py') under AppTest, not run yet, signed in as ``username``
    with ``roles`` (None: nobody signed in). The one sign-in helper of the page tests."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / script), default_timeout=timeout)
    if username:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["name"] = username
        at.session_state["roles"] = list(roles)
    return at


def table_counts(con) -> dict[str, int]:
    """Rows in every table of the database (not only the ones a migration listed), on
    either backend: DuckDB's temporary tables are in catalog 'temp', PostgreSQL's in a
    pg_temp schema."""
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        " AND table_schema IN ('main', 'public') AND table_catalog <> 'temp' ORDER BY 1"
    ).fetchall()
    return {t: db.scalar(con, f'SELECT count(*) FROM "{t}"') for (t,) in tables}


def plain(markdown: str) -> str:
    """Text as shown, from the markdown an element holds (``render.inert`` escapes)."""
    return markdown.replace("\\", "")


def run_jobs(path) -> list[str]:
    """Run every queued job on the database file ``path`` (as the app's worker thread would,
    which is off under AppTest); their ids."""
    from core.jobs import worker

    con = db.connect(str(path))
    try:
        runner = worker.Worker(con, heartbeat_s=0.05)
        return list(iter(runner.run_once, None))
    finally:
        con.close()


def app_page(script: str, username: str, role: str, timeout: int = 120):
    """``script`` run once in AppTest, signed in as ``username`` with one role."""
    return signed_in(script, username, (role,), timeout).run()


@pytest.fixture
def demo_con(demo_copy):
    """demo_con(n_items): an open connection to a fresh copy of the demo database."""
    opened = []

    def open_copy(n_items: int = 1200):
        connection = db.connect(str(demo_copy(n_items)))
        opened.append(connection)
        return connection

    yield open_copy
    for connection in opened:
        connection.close()


@pytest.fixture
def fake_bedrock():
    """fake_bedrock(**behaviour): a fake Bedrock runtime on 127.0.0.1, stopped afterwards."""
    from tests.fake_bedrock import Behaviour, FakeBedrock

    started = []

    def start(**behaviour):
        server = FakeBedrock(Behaviour(**behaviour))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def moto_s3():
    """boto3's S3 client against moto's in-memory S3."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3.client("s3", region_name="us-east-1")
