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

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
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
