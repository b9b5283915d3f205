"""Fixtures for the web tests: a fresh application per test, CSRF-aware helpers, and PostgreSQL.

PostgreSQL: ``EVALKIT_TEST_PG_URL`` if set; otherwise, when Debian's server binaries are present, a
throw-away cluster is started in a temporary directory (as the ``postgres`` user when run as root).
The round tests run against it too, or are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web stack (FastAPI) is not installed: pip install -e .")

from fastapi.testclient import TestClient  # noqa: E402

from web_helpers import ADMIN, PASSWORD, Browser, make_app  # noqa: E402


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_ADMIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("EVALKIT_ADMIN_USER", ADMIN)
    application = make_app(f"sqlite:///{tmp_path / 'web.db'}")
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture
def browser(client):
    return Browser(client)


# ---------------------------------------------------------------------------- PostgreSQL
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_cluster():
    """Start a temporary PostgreSQL cluster; returns (url, stop) or (None, reason)."""
    bindir = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None) if Path(
        "/usr/lib/postgresql").exists() else None
    if bindir is None or not (bindir / "initdb").exists():
        return None, "PostgreSQL server binaries not found (Debian package 'postgresql')"
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return None, "psycopg2 is not installed (pip install -e '.[postgres]')"
    base = Path(tempfile.mkdtemp(prefix="evalkit-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return None, "running as root without runuser: cannot start PostgreSQL"
        shutil.chown(base, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", _free_port()
    run = lambda *cmd: subprocess.run([*as_user, *map(str, cmd)], capture_output=True, text=True, timeout=120)  # noqa: E731
    r = run(bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust")
    if r.returncode:
        return None, f"initdb failed: {r.stderr.strip()[:200]}"
    r = run(bindir / "pg_ctl", "-D", data, "-l", base / "log", "-w", "-o",
            f"-k {base} -p {port} -c listen_addresses=''", "start")
    if r.returncode:
        return None, f"PostgreSQL did not start: {r.stderr.strip()[:200]}"

    def stop():
        run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)

    return (f"postgresql+psycopg2://postgres@/postgres?host={base}&port={port}", stop)


@pytest.fixture(scope="session")
def pg_url():
    url = os.environ.get("EVALKIT_TEST_PG_URL")
    if url:
        yield url
        return
    url, stop = _start_cluster()
    if url is None:
        pytest.skip(f"PostgreSQL round tests skipped: {stop}")
    yield url
    stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def round_app(request, tmp_path, monkeypatch):
    """The application on SQLite and, when a server is available, on PostgreSQL (a fresh schema each time)."""
    monkeypatch.setenv("EVALKIT_ADMIN_PASSWORD", PASSWORD)
    if request.param == "sqlite":
        application = make_app(f"sqlite:///{tmp_path / 'rounds.db'}")
    else:
        from sqlalchemy import create_engine, text

        url = request.getfixturevalue("pg_url")
        eng = create_engine(url)
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        eng.dispose()
        application = make_app(url)
    yield application
    application.state.engine.dispose()
