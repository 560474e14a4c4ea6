"""Engines, transactions and migrations.

SQLite (the embedded default) runs in WAL mode. Its write transactions start with ``BEGIN IMMEDIATE``, and
within one process they first take the file's writer lock (:class:`_WriterConnection`): writers queue in
memory and each starts the moment the previous one commits, instead of colliding on SQLite's lock and
sleeping in its busy handler (which backs off up to 100 ms: the long tail of a busy server). The busy
timeout still arbitrates between processes (`flint serve` and `flint worker`). Read transactions use a
plain deferred ``BEGIN`` and never wait for writers. PostgreSQL uses one engine for both and relies on
row locks (``SELECT ... FOR UPDATE``) and unique constraints.

Row locks can deadlock, and connections can drop: :func:`is_transient` recognises the failures that the
same work gets past by simply running again, and :meth:`Database.run` (or :func:`retry_transient`) runs a
transaction again, from the start, a bounded number of times when one happens (docs/retries-and-recovery.md).
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, pool
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import OperationalError as WrappedOperationalError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///flint.db"  # when no URL is given (`flint`: --database-url, else $FLINT_DATABASE_URL)
MIGRATIONS = Path(__file__).with_name("migrations")
T = TypeVar("T")
log = logging.getLogger("flint.db")

# PostgreSQL SQLSTATEs after which running the same transaction again can succeed: serialization_failure
# and deadlock_detected (the server rolled this transaction back so another could go on), and the server
# shutting down or not accepting connections yet. Class 08 (connection_exception) is matched as a class.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "57P01", "57P02", "57P03"})
# How many times a transaction runs before a transient failure is given up on (and answered as retryable).
ATTEMPTS = 4
BUSY_TIMEOUT_SECONDS = 30  # SQLite: how long a writer waits for the database (in process, then its busy timeout)
_WRITER_LOCKS: dict[str, threading.Lock] = {}  # one per SQLite file in this process
_WRITER_LOCKS_GUARD = threading.Lock()


def _writer_lock(url: str) -> threading.Lock:
    database = make_url(url).database or ":memory:"
    path = database if database == ":memory:" else str(Path(database).resolve())
    with _WRITER_LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(path, threading.Lock())


class _WriterConnection(sqlite3.Connection):
    """An SQLite connection whose write transactions hold the file's in-process writer lock from ``BEGIN
    IMMEDIATE`` until COMMIT or ROLLBACK (or the connection closing, if a failure skipped both). A writer
    that waited :data:`BUSY_TIMEOUT_SECONDS` for the lock goes on without it and meets SQLite's own busy
    timeout: a stuck holder makes it fail as a transient error, never wait forever."""

    writer: threading.Lock | None = None
    holding = False

    def begin_immediate(self) -> None:
        assert self.writer is not None
        self.holding = self.writer.acquire(timeout=BUSY_TIMEOUT_SECONDS)
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if self.holding:
            self.holding = False
            self.writer.release()  # type: ignore[union-attr]

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()


def _sqlite_engine(url: str, *, write: bool) -> Engine:
    connect_args: dict[str, object] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}
    if write:
        connect_args["factory"] = _WriterConnection
    engine = create_engine(url, connect_args=connect_args, pool_size=20, max_overflow=20)
    writer = _writer_lock(url) if write else None

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        if writer is not None:
            dbapi_connection.writer = writer
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", f"busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}", "foreign_keys=ON",
                       "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # type: ignore[no-untyped-def]
        if writer is not None:
            conn.connection.dbapi_connection.begin_immediate()
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` is a database failure that says nothing about the work itself: a deadlock or
    serialization failure (PostgreSQL chose this transaction to roll back), a lost or refused connection,
    or SQLite's database staying locked past its busy timeout. Running the same transaction again may
    succeed, so the request paths retry it (:func:`retry_transient`) and, if it keeps failing, answer
    with a retryable error. Every other database error (bad data, a constraint, a bug in a query) fails
    the same way every time and is never called retryable."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:  # SQLAlchemy saw the connection break under the statement
        return True
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        # extended codes (SQLITE_BUSY_SNAPSHOT, ...) keep the primary code in their low byte
        return (getattr(orig, "sqlite_errorcode", 0) & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return sqlstate in TRANSIENT_SQLSTATES or sqlstate.startswith("08")
    # psycopg gives no SQLSTATE when it never reached the server (connection refused, lost mid-query);
    # the server's own errors, however operational (a statement timeout), always carry one
    return isinstance(exc, WrappedOperationalError) and type(orig).__module__.startswith("psycopg")


def retry_transient(work: Callable[[], T], *, attempts: int = ATTEMPTS,
                    may_retry: Callable[[], bool] = lambda: True) -> T:
    """Run ``work`` and return its result, running it again (up to ``attempts`` times in all) while it
    fails with a transient database error and ``may_retry()`` says a rerun is harmless. ``work`` must
    be a whole transaction, so a failed attempt left nothing behind. A short random pause separates the
    attempts, so the two sides of a deadlock do not collide again at once."""
    attempt = 1
    while True:
        try:
            return work()
        except Exception as exc:
            if attempt >= attempts or not is_transient(exc) or not may_retry():
                raise
            log.info("transient database failure (attempt %s of %s), running the transaction again: %s",
                     attempt, attempts, str(exc).splitlines()[0][:200])
        time.sleep(random.uniform(0.0, 0.02 * 2 ** attempt))
        attempt += 1


class Database:
    def __init__(self, url: str | None = None) -> None:
        self.url = url or DEFAULT_URL
        self.is_sqlite = make_url(self.url).get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.read_engine = _sqlite_engine(self.url, write=False)
            self.write_engine = _sqlite_engine(self.url, write=True)
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

    def run(self, work: Callable[[Session], T], *, write: bool = True) -> T:
        """``work(session)`` in one transaction, like :meth:`transaction`, run again from the start when
        the database fails it transiently (:func:`retry_transient`). ``work`` may run more than once:
        it must do nothing outside the transaction that a rerun would repeat."""

        def once() -> T:
            with self.transaction(write=write) as session:
                return work(session)

        return retry_transient(once)

    def run_core(self, work: Callable[[Connection], T]) -> T:
        """Like :meth:`run`, for work made of Core statements only: a write transaction on a plain
        connection, without the ORM session's own bookkeeping (a request's budget and log)."""

        def once() -> T:
            with self.write_engine.begin() as connection:
                return work(connection)

        return retry_transient(once)

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
    """Bring the schema at ``url`` (else DEFAULT_URL) to the newest migration (`flint migrate`)."""
    from alembic import command

    command.upgrade(alembic_config(url or DEFAULT_URL), "head")


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
