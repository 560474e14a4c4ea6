"""Engines, transactions and migrations.

SQLite (the embedded default) runs in WAL mode. Its write transactions start with ``BEGIN IMMEDIATE`` so
concurrent writers queue on the database lock (``busy_timeout``) instead of failing when a read lock
upgrades; read transactions use a plain deferred ``BEGIN`` and never block writers. PostgreSQL uses one
engine for both and relies on row locks (``SELECT ... FOR UPDATE``) and unique constraints.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, pool
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///flint.db"
MIGRATIONS = Path(__file__).with_name("migrations")


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get("FLINT_DATABASE_URL") or DEFAULT_URL


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20,
                           max_overflow=20)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql(begin)

    return engine


class Database:
    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        self.is_sqlite = make_url(self.url).get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.read_engine = _sqlite_engine(self.url, "BEGIN")
            self.write_engine = _sqlite_engine(self.url, "BEGIN IMMEDIATE")
        else:
            self.read_engine = self.write_engine = create_engine(self.url, pool_size=20, max_overflow=20,
                                                                 pool_pre_ping=True)
        self._sessions = {
            False: sessionmaker(bind=self.read_engine, expire_on_commit=False, autoflush=True),
            True: sessionmaker(bind=self.write_engine, expire_on_commit=False, autoflush=True),
        }

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        with self._sessions[write]() as session, session.begin():
            yield session

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A session the caller commits (possibly several times); uncommitted work is rolled back."""
        with self._sessions[write]() as session:
            try:
                yield session
            finally:
                session.rollback()

    def migrate(self) -> None:
        migrate(self.url)

    def dispose(self) -> None:
        self.read_engine.dispose()
        self.write_engine.dispose()


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest migration (`flint migrate`)."""
    from alembic import command

    command.upgrade(alembic_config(database_url(url)), "head")


def describe(url: str) -> str:
    """The database for people to read: an SQLite file's absolute path (a relative one depends on the working
    directory, the usual reason two processes see different databases), a server URL without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        return f"SQLite file {Path(path).resolve()}" if path and path != ":memory:" else "in-memory SQLite"
    return parsed.render_as_string(hide_password=True)


def unready(url: str) -> str | None:
    """None when ``url`` is a database Flint has migrated to the newest revision, else what is wrong with it.
    Creates nothing: a missing SQLite file is reported, not opened (connecting would create it empty), and
    nothing is migrated. For processes that must never be the first to touch a database (`flint mcp`)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:":
            return "an in-memory SQLite database is always empty"
        if not Path(path).is_file():
            return f"there is no database file at {Path(path).resolve()}"
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return f"cannot open {describe(url)}: {reason[0] if reason else type(exc).__name__}"
    finally:
        engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    if current is None:
        return f"{describe(url)} has no Flint schema (it was never migrated)"
    if current != head:
        return f"{describe(url)} is at schema revision {current}, this Flint needs {head}"
    return None
