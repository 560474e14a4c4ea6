"""Where a face that runs on an event loop runs Flint's blocking work (``invoke``, a key check).

On SQLite the work stays on the loop's own thread. The database is a file this process reads from its page
cache, Python holds the GIL for nearly all of a request, and in-process writers queue on one lock anyway
(``store.db``), so a worker thread buys no concurrency; it costs a hand-off each way and, under load, the
threads fight over the GIL and the writer lock while it is held. Measured under wrk (16 connections, one
process, docs/benchmarks.md): whoami 160-270 -> 370-520 req/s, get_order 126-147 -> 217-296, create_order
120-124 -> 150-182. The price: while one request runs, the loop accepts no other, which a one-process
SQLite server cannot serve in parallel in any case.

Work that may wait on another machine runs in a worker thread, so the loop keeps serving meanwhile: every
call on PostgreSQL (each statement is a network round trip), and on SQLite a call that may reach the card
processor over the network (an operation that moves money, made with a live-mode key: Stripe; a test-mode
key reaches the in-process simulator).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread

from flint_core.platform import registry
from flint_core.store.db import Database

T = TypeVar("T")


def may_call_out(operation: object, api_key: str | None) -> bool:
    """Whether calling ``operation`` (a name) with this key may wait on a server outside this process."""
    op = registry.get(operation) if isinstance(operation, str) else None
    return op is not None and op.safety.open_world and _says_live(api_key)


def _says_live(api_key: str | None) -> bool:
    """A key that claims live mode (``sk_live_...``, ``rk_live_...``); a forged one fails authentication."""
    return api_key is not None and api_key[3:8] == "live_"


async def run(db: Database, work: Callable[[], T], *, calls_out: bool = False) -> T:
    """``work()``, on the loop's thread or in a worker thread (see the module's docstring)."""
    if db.is_sqlite and not calls_out:
        return work()
    return await anyio.to_thread.run_sync(work)
