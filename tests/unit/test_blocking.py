"""Where a face on an event loop runs blocking work (flint_core.platform.blocking)."""

from __future__ import annotations

import threading

import anyio
import pytest

from flint_core import Database, blocking


@pytest.mark.parametrize(("operation", "key", "calls_out"), [
    ("pay_order", "sk_live_abc", True),       # a live-mode charge reaches Stripe
    ("create_refund", "rk_live_abc", True),
    ("pay_order", "sk_test_abc", False),      # test mode: the in-process simulator
    ("pay_order", None, False),               # refused before it runs
    ("get_order", "sk_live_abc", False),      # no processor call
    ("no_such_operation", "sk_live_abc", False),
    (None, "sk_live_abc", False),
])
def test_only_a_live_money_movement_may_call_out(operation: str | None, key: str | None, calls_out: bool) -> None:
    assert blocking.may_call_out(operation, key) is calls_out


def _thread_of(db: Database, *, calls_out: bool) -> threading.Thread:
    async def main() -> threading.Thread:
        return await blocking.run(db, threading.current_thread, calls_out=calls_out)

    return anyio.run(main)


def test_sqlite_work_stays_on_the_loop_thread_unless_it_calls_out(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'flint.db'}")
    assert _thread_of(db, calls_out=False) is threading.current_thread()
    assert _thread_of(db, calls_out=True) is not threading.current_thread()


def test_postgresql_work_always_runs_in_a_worker_thread() -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connected: the work touches no database
    assert _thread_of(db, calls_out=False) is not threading.current_thread()
