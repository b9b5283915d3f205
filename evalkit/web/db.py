"""Storage for rating rounds: SQLAlchemy 2 models, the engine, and Alembic migrations at start-up.

SQLite file by default (``sqlite:///evalkit-web.db``), PostgreSQL by URL
(``postgresql+psycopg2://user:pass@host/db``). The schema is created and upgraded only by the
migrations shipped in ``evalkit/web/migrations``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import (JSON, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint,
                        create_engine, event, select)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

DEFAULT_DB_URL = "sqlite:///evalkit-web.db"
MIGRATIONS = Path(__file__).parent / "migrations"


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class Base(DeclarativeBase):
    pass


class Setting(Base):
    """Key–value settings kept across restarts (the session-signing key)."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Admin(Base):
    __tablename__ = "admin"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class Round(Base):
    """A rating round: one year, one rule, many agencies."""

    __tablename__ = "rating_round"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    policy: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    agencies: Mapped[list["Agency"]] = relationship(back_populates="round", order_by="Agency.id",
                                                    cascade="all, delete-orphan")


class Agency(Base):
    """An agency in a round; ``token`` is its upload link's secret."""

    __tablename__ = "agency"
    __table_args__ = (UniqueConstraint("round_id", "name", name="uq_agency_round_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rating_round.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    round: Mapped[Round] = relationship(back_populates="agencies")
    submissions: Mapped[list["Submission"]] = relationship(back_populates="agency", order_by="Submission.version",
                                                           cascade="all, delete-orphan")

    @property
    def latest(self) -> "Submission | None":
        return self.submissions[-1] if self.submissions else None


class Submission(Base):
    """One uploaded version: the file, its SHA-256, when, and the check's result summary."""

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("agency_id", "version", name="uq_submission_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    file_type: Mapped[str] = mapped_column(String(8))
    original_name: Mapped[str] = mapped_column(String(255))  # shown only, never used as a path
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    status: Mapped[str] = mapped_column(String(16))  # compliant | over | undecided | unusable
    summary: Mapped[dict] = mapped_column(JSON)
    agency: Mapped[Agency] = relationship(back_populates="submissions")


def iso_utc(value: dt.datetime | None) -> str | None:
    """A stored time as ISO 8601 in UTC (SQLite gives back naive times; they were stored in UTC)."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).isoformat()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys and a tolerant busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # pragma: no cover - trivial
            cur = conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def get_setting(db: Session, key: str) -> str | None:
    row = db.get(Setting, key)
    return row.value if row else None


def ensure_admin(db: Session, username: str, password_hash: str) -> None:
    """Create the administrator, or set a new password for an existing one."""
    admin = db.scalar(select(Admin).where(Admin.username == username))
    if admin is None:
        db.add(Admin(username=username, password_hash=password_hash))
    else:
        admin.password_hash = password_hash
    db.commit()


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)
