"""`evalkit serve`: a web application for HR offices (check a file; run a province's rating round).

Needs the ``web`` extra: ``pip install 'evalkit[web]'``. Start it with ``evalkit serve`` or
:func:`serve`; build the ASGI application with :func:`evalkit.web.app.create_app`.
"""

from __future__ import annotations


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
