"""`evalkit serve`: a web application for HR offices (check a file; run a province's rating round).

Part of the core install. Start it with ``evalkit serve`` or
:func:`serve`; build the ASGI application with :func:`evalkit.web.app.create_app`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def serve(host: str = "127.0.0.1", port: int = 8000, db_url: str | None = None) -> None:
    """Run the application with uvicorn (migrating the database first)."""
    import uvicorn

    from .app import Settings, create_app

    uvicorn.run(create_app(Settings.from_env(db_url)), host=host, port=port, log_level="info")


def create_admin(username: str, password: str, db_url: str | None = None) -> None:
    """Create the administrator ``username`` (or set a new password) in the database at ``db_url``."""
    from . import db as D
    from .app import Settings
    from .security import hash_password

    engine = D.make_engine(Settings.from_env(db_url).db_url)
    D.migrate(engine)
    with D.sessions(engine)() as s:
        D.ensure_admin(s, username, hash_password(password))
    engine.dispose()


@contextmanager
def running(app, timeout: float = 10.0) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a background thread; yields its base URL, stops on exit.

    For browser tests, load benchmarks and screenshots: the real server, nothing mocked.
    """
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the web application did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
