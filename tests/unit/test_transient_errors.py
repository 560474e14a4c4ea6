"""Which database failures are transient (``store.db.is_transient``), against real exceptions from both
drivers, and the bounded retry built on it (``retry_transient``). The same predicate decides whether a
request path runs a transaction again and whether an unexpected failure is answered as retryable
(tests/api/test_transient_failures.py)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg.errors
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from flint_core.platform.runtime import unexpected_error
from flint_core.store.db import ATTEMPTS, Database, is_transient, retry_transient


def raised(run: Callable[[], object]) -> BaseException:
    with pytest.raises(Exception) as info:
        run()
    return info.value


# SQLite


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'busy.db'}", connect_args={"timeout": 0, "isolation_level": None})
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    yield engine
    engine.dispose()


def test_sqlite_locked_past_the_busy_timeout_is_transient(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as holder:
        holder.exec_driver_sql("BEGIN IMMEDIATE")  # another writer holds the database lock
        with sqlite_engine.connect() as writer:
            exc = raised(lambda: writer.exec_driver_sql("BEGIN IMMEDIATE"))
        holder.exec_driver_sql("ROLLBACK")
    assert isinstance(exc, OperationalError) and "database is locked" in str(exc)
    assert isinstance(exc.orig, sqlite3.OperationalError) and exc.orig.sqlite_errorcode == sqlite3.SQLITE_BUSY
    assert is_transient(exc)


def test_sqlite_errors_about_the_work_are_not_transient(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        conn.execute(text("INSERT INTO t (id) VALUES (1)"))
        duplicate = raised(lambda: conn.execute(text("INSERT INTO t (id) VALUES (1)")))
        missing_table = raised(lambda: conn.execute(text("SELECT * FROM nowhere")))
    assert duplicate.__class__.__name__ == "IntegrityError" and not is_transient(duplicate)
    # an OperationalError too, but one that fails the same way every time
    assert isinstance(missing_table, OperationalError) and not is_transient(missing_table)


# PostgreSQL (the test database when FLINT_TEST_DATABASE_URL names one)


@pytest.fixture
def pg(db: Database) -> Engine:
    if db.is_sqlite:
        pytest.skip("set FLINT_TEST_DATABASE_URL to a PostgreSQL database to test psycopg's errors")
    return db.write_engine


def _server_error(engine: Engine, sqlstate: str) -> BaseException:
    """The server raising ``sqlstate``, exactly as psycopg reports it."""
    with engine.connect() as conn:
        return raised(lambda: conn.execute(text(
            f"DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '{sqlstate}'; END $$")))


def test_postgres_deadlock_serialization_and_shutdown_are_transient(pg: Engine) -> None:
    for sqlstate, kind in (("40P01", psycopg.errors.DeadlockDetected), ("40001", psycopg.errors.SerializationFailure),
                           ("57P01", psycopg.errors.AdminShutdown)):
        exc = _server_error(pg, sqlstate)
        assert isinstance(exc, DBAPIError) and isinstance(exc.orig, kind), exc
        assert is_transient(exc), sqlstate


def test_a_real_deadlock_between_two_transactions_is_transient(pg: Engine) -> None:
    with pg.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS test_deadlock_rows (id INT PRIMARY KEY)"))
        conn.execute(text("INSERT INTO test_deadlock_rows VALUES (1), (2) ON CONFLICT DO NOTHING"))
    both_hold_one = threading.Barrier(2)
    errors: list[BaseException] = []

    def lock(first: int, second: int) -> None:
        try:
            with pg.begin() as conn:
                conn.execute(text("SELECT 1 FROM test_deadlock_rows WHERE id = :id FOR UPDATE"), {"id": first})
                both_hold_one.wait(10)
                conn.execute(text("SELECT 1 FROM test_deadlock_rows WHERE id = :id FOR UPDATE"), {"id": second})
        except Exception as exc:  # noqa: BLE001 - the one PostgreSQL chose to roll back
            errors.append(exc)

    threads = [threading.Thread(target=lock, args=pair) for pair in ((1, 2), (2, 1))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        with pg.begin() as conn:
            conn.execute(text("DROP TABLE test_deadlock_rows"))
    [exc] = errors
    assert isinstance(exc, DBAPIError) and isinstance(exc.orig, psycopg.errors.DeadlockDetected)
    assert is_transient(exc)


def test_a_lost_or_refused_connection_is_transient(pg: Engine) -> None:
    with pg.connect() as conn:
        killed = raised(lambda: conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())")))
    assert isinstance(killed, DBAPIError) and is_transient(killed)
    refused_engine = create_engine(pg.url.set(port=1), connect_args={"connect_timeout": 2})
    try:
        refused = raised(refused_engine.connect)
    finally:
        refused_engine.dispose()
    assert isinstance(refused, OperationalError) and getattr(refused.orig, "sqlstate", None) is None
    assert is_transient(refused)


def test_postgres_errors_about_the_work_are_not_transient(pg: Engine) -> None:
    with pg.connect() as conn:
        bad_data = raised(lambda: conn.execute(text("SELECT CAST('x' AS INTEGER)")))
    with pg.connect() as conn:
        bad_query = raised(lambda: conn.execute(text("SELECT * FROM no_such_table")))
    with pg.connect() as conn:
        conn.execute(text("CREATE TEMP TABLE once (id INT PRIMARY KEY)"))
        conn.execute(text("INSERT INTO once VALUES (1)"))
        duplicate = raised(lambda: conn.execute(text("INSERT INTO once VALUES (1)")))
    with pg.connect() as conn:
        conn.execute(text("SET statement_timeout = 1"))
        timed_out = raised(lambda: conn.execute(text("SELECT pg_sleep(1)")))
    assert [type(e).__name__ for e in (bad_data, bad_query, duplicate, timed_out)] == [
        "DataError", "ProgrammingError", "IntegrityError", "OperationalError"]
    for exc in (bad_data, bad_query, duplicate, timed_out):  # a timeout is operational, yet not transient
        assert not is_transient(exc), exc


# Beyond the database, and the retry


def test_failures_outside_the_database_are_not_transient() -> None:
    assert not is_transient(ValueError("a bug"))
    assert not is_transient(PoolTimeout("QueuePool limit reached"))


def test_unexpected_errors_are_retryable_only_when_transient_or_not_the_databases() -> None:
    deadlock = OperationalError("UPDATE", {}, psycopg.errors.DeadlockDetected("deadlock detected"))
    bad_data = DBAPIError("INSERT", {}, psycopg.errors.InvalidTextRepresentation("invalid input"))
    answers = {name: unexpected_error(exc, "req_1") for name, exc in
               (("deadlock", deadlock), ("bad_data", bad_data), ("bug", KeyError("x")))}
    assert {name: (e.code, e.http_status, e.spec.retryable, e.effect) for name, e in answers.items()} == {
        "deadlock": ("database_busy", 503, True, "none"),
        "bad_data": ("database_error", 500, False, "none"),
        "bug": ("internal_error", 500, True, "none")}
    assert answers["deadlock"].retry_after_seconds == 1
    assert unexpected_error(deadlock, "req_1", checkpointed=True).envelope("req_1", public_url="http://127.0.0.1:8000")["error"]["effect"] == "unknown"


def _deadlock() -> OperationalError:
    return OperationalError("UPDATE", {}, psycopg.errors.DeadlockDetected("deadlock detected"))


def test_retry_transient_runs_again_until_it_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("flint_core.store.db.time.sleep", lambda _seconds: None)
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _deadlock()
        return "done"

    assert retry_transient(flaky) == "done" and len(calls) == 3


def test_retry_transient_gives_up_after_its_attempts_or_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("flint_core.store.db.time.sleep", lambda _seconds: None)
    for error, may_retry, expected_calls in ((_deadlock, True, ATTEMPTS),
                                             (lambda: ValueError("bug"), True, 1),
                                             (_deadlock, False, 1)):
        calls: list[int] = []

        def failing() -> None:
            calls.append(1)
            raise error()

        with pytest.raises((OperationalError, ValueError)):
            retry_transient(failing, may_retry=lambda: may_retry)
        assert len(calls) == expected_calls
