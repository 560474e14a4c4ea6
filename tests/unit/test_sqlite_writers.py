"""SQLite writers in one process queue on the file's in-process writer lock (store.db._WriterConnection):
each starts when the previous one commits or rolls back, and none meets SQLite's busy handler. The proof:
with SQLite's busy timeout at zero, a writer that met another's lock would fail at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import event, text

from flint_core.store.db import Database


def busy_timeout_zero(db: Database) -> None:
    event.listen(db.write_engine, "connect", lambda connection, _record: connection.execute("PRAGMA busy_timeout=0"))


def test_concurrent_writers_in_one_process_take_turns_instead_of_failing(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    busy_timeout_zero(db)
    with db.transaction() as session:
        session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        session.execute(text("INSERT INTO counter VALUES (0)"))
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(5):
                with db.transaction() as session:
                    n = session.execute(text("SELECT n FROM counter")).scalar_one()
                    time.sleep(0.002)  # hold the lock a moment: the others must wait, not fail
                    session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with db.transaction(write=False) as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 40  # no update was lost


def test_a_rolled_back_or_failed_writer_gives_the_lock_back(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    busy_timeout_zero(db)
    for _ in range(3):
        try:
            with db.transaction() as session:
                session.execute(text("SELECT no_such_column FROM sqlite_master"))
        except Exception:  # noqa: BLE001 (the failure is the point)
            pass
    done = threading.Event()

    def other_thread() -> None:
        with db.transaction() as session:
            session.execute(text("CREATE TABLE t (x INTEGER)"))
        done.set()

    threading.Thread(target=other_thread).start()
    assert done.wait(10), "the lock of a failed transaction was never given back"


def test_reads_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with db.transaction() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    with db.transaction() as writing:
        writing.execute(text("INSERT INTO t VALUES (1)"))
        answered = []
        reader = threading.Thread(target=lambda: answered.append(
            db.run(lambda session: session.execute(text("SELECT count(*) FROM t")).scalar_one(), write=False)))
        reader.start()
        reader.join(10)
        assert answered == [0]  # the committed state, while the writer still holds its lock
