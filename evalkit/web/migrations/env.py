"""Alembic environment: runs on the connection the application passes in (no alembic.ini needed)."""

from alembic import context

from evalkit.web.db import Base


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # pragma: no cover - the app always passes one
        raise RuntimeError("run migrations through evalkit.web.db.migrate(engine)")
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):  # run by Alembic, not when a test runner imports this file
    run_migrations()
