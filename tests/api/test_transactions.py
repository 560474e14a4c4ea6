"""How many transactions a request takes, and what each holds (runtime.invoke): a write is ONE transaction
from authentication to the request log; a read's own transaction writes nothing (on SQLite its budget and
log follow in a short bookkeeping transaction; PostgreSQL writes them in the read transaction); a refusal
is one transaction; an operation that fails rolls back, then its answer, charge and log take one more."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from flint_core import Database
from tests.api.helpers import paid_order
from tests.conftest import WORKED_EXAMPLE, Api

BOOKKEEPING = ("rate_limit_buckets", "request_logs", "request_log_objects")


@dataclass
class Transaction:
    write: bool  # began on the write engine (SQLite: BEGIN IMMEDIATE; PostgreSQL has one engine)
    statements: list[str] = field(default_factory=list)

    @property
    def tables_written(self) -> set[str]:
        written = set()
        for statement in self.statements:
            words = statement.replace("(", " ").split()
            verb = words[0].upper()
            if verb in ("INSERT", "UPDATE", "DELETE", "WITH"):
                into = next(i for i, w in enumerate(words) if w.upper() in ("INTO", "UPDATE", "FROM")) + 1
                written.add(words[into] if verb != "UPDATE" else words[1])
        return written


@contextmanager
def transactions(db: Database) -> Iterator[list[Transaction]]:
    """Every transaction begun while the block runs, with the statements it ran."""
    seen: list[Transaction] = []
    current: dict[int, Transaction] = {}

    def listeners(engine: Any, write: bool) -> list[tuple[str, Any]]:
        def begin(conn: Any) -> None:
            current[id(conn)] = Transaction(write)
            seen.append(current[id(conn)])

        def execute(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if id(conn) in current:
                current[id(conn)].statements.append(statement)

        return [("begin", begin), ("before_cursor_execute", execute)]

    engines = {db.write_engine: True, db.read_engine: False} if db.is_sqlite else {db.write_engine: True}
    registered = [(engine, name, fn) for engine, write in engines.items() for name, fn in listeners(engine, write)]
    for engine, name, fn in registered:
        event.listen(engine, name, fn)
    try:
        yield seen
    finally:
        for engine, name, fn in registered:
            event.remove(engine, name, fn)


def test_a_write_is_one_transaction_from_authentication_to_the_request_log(api: Api, db: Database) -> None:
    with transactions(db) as seen:
        created = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="one-transaction")
    assert created.status_code == 200, created.text
    assert len(seen) == 1 and seen[0].write
    assert any("FROM api_keys" in statement for statement in seen[0].statements)  # authenticated in it
    assert {"idempotency_keys", "orders", "activities", "events", *BOOKKEEPING} <= seen[0].tables_written
    with transactions(db) as seen:
        replay = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="one-transaction")
    assert replay.headers["idempotent-replayed"] == "true" and replay.text == created.text
    assert len(seen) == 1 and seen[0].tables_written == {"idempotency_keys", *BOOKKEEPING}  # the claim found it


def test_a_read_writes_only_its_bookkeeping(api: Api, db: Database) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    with transactions(db) as seen:
        assert api.get(f"/v1/orders/{order['order_id']}").status_code == 200
    if db.is_sqlite:  # the read under a plain BEGIN (no write lock), then the bookkeeping under BEGIN IMMEDIATE
        assert [t.write for t in seen] == [False, True]
        assert seen[0].tables_written == set() and seen[1].tables_written == set(BOOKKEEPING)
    else:
        assert len(seen) == 1 and seen[0].tables_written == set(BOOKKEEPING)


def test_a_refused_request_is_one_transaction_and_still_charged_and_logged(api: Api, db: Database) -> None:
    with transactions(db) as seen:
        refused = api.post("/v1/orders", {"currency": "USD", "line_items": []}, idempotency_key="refused")
    assert refused.status_code == 400, refused.text
    assert len(seen) == 1 and {"rate_limit_buckets", "request_logs"} <= seen[0].tables_written <= set(BOOKKEEPING)
    logged = api.ok("GET", "/v1/request_logs", params={"operation": "create_order", "status": 400})["data"]
    assert logged and logged[0]["idempotency_key"] == "refused"


def test_a_failed_operation_rolls_back_then_stores_its_answer_in_one_more(api: Api, db: Database) -> None:
    order = paid_order(api)
    with transactions(db) as seen:
        failed = api.post(f"/v1/orders/{order['order_id']}/cancel", {}, idempotency_key="cancel-paid")
    assert failed.status_code == 409, failed.text
    assert len(seen) == 2 and all(t.write for t in seen)
    assert seen[1].tables_written == {"idempotency_keys", *BOOKKEEPING}  # nothing of the operation's
    again = api.post(f"/v1/orders/{order['order_id']}/cancel", {}, idempotency_key="cancel-paid")
    assert again.headers["idempotent-replayed"] == "true" and again.text == failed.text
