"""Many orders in seconds: copies of a few orders made through the API, written straight into SQLite.

A copy keeps every column of its template (status, customer, amounts, scope) and gets new ids in the
format of ``flint_core.kernel.ids`` (a ULID: 48 bits of milliseconds, then 80 random bits, in Crockford
base32) dated before its templates, 10 ms apart, so copies sort by creation time as real orders do and
the templates stay the newest. The columns are read from the database itself, so this works on the
schema of whatever checkout is measured. It never imports Flint.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from itertools import cycle
from pathlib import Path

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
# An order's own parts, copied with it (payments and refunds are left out: their rows refer to more rows)
PART_TABLES = ("order_line_items", "order_coupons", "order_service_charges")
BATCH = 5000


def _encode(value: int, length: int) -> str:
    return "".join(_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(length)))


def new_id(prefix: str, time_part: str) -> str:
    """An id of the given 10-character time part (see _encode) and a random part: 16 hex digits (64 random
    bits; hex digits are in the ids' alphabet), which is much faster to make than 80 bits in base32."""
    return f"{prefix}_{time_part}{os.urandom(8).hex()}"


def _ms_of(object_id: str) -> int:
    encoded = object_id.split("_", 1)[1][:10]
    value = 0
    for char in encoded:
        value = value * 32 + _ALPHABET.index(char)
    return value


def _sqlite_time(ms: int) -> str:
    """How SQLAlchemy stores a naive UTC datetime in SQLite."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class _Table:
    """One table's columns as the database has them, and copies of its rows with some columns changed."""

    def __init__(self, db: sqlite3.Connection, name: str) -> None:
        info = db.execute(f"PRAGMA table_info({name})").fetchall()
        self.name = name
        self.columns = [row[1] for row in info]
        self.position = {column: i for i, column in enumerate(self.columns)}
        self.key = next(row[1] for row in info if row[5] == 1)  # the primary key column
        self.insert = (f"INSERT INTO {name} ({', '.join(self.columns)}) "
                       f"VALUES ({', '.join('?' for _ in self.columns)})")
        self.copies: list[tuple[object, ...]] = []

    def rows(self, db: sqlite3.Connection, order_id: str) -> list[tuple[object, ...]]:
        return db.execute(f"SELECT {', '.join(self.columns)} FROM {self.name} WHERE order_id = ?",
                          (order_id,)).fetchall()

    def add_copy(self, row: tuple[object, ...], **changes: object) -> None:
        copy = list(row)
        for column, value in changes.items():
            copy[self.position[column]] = value
        self.copies.append(tuple(copy))

    def write_copies(self, db: sqlite3.Connection) -> None:
        db.executemany(self.insert, self.copies)
        self.copies = []


def clone_orders(database: Path, template_ids: list[str], copies: int) -> None:
    """Add `copies` orders to the database, cycling through the templates (all of one merchant)."""
    db = sqlite3.connect(database, timeout=60)
    # a bulk load: no fsync per batch and one checkpoint at the end (the server's settings are its own)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -200000")
    try:
        orders = _Table(db, "orders")
        existing = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        parts = [_Table(db, name) for name in PART_TABLES if name in existing]
        templates = [(orders.rows(db, order_id)[0], [(part, part.rows(db, order_id)) for part in parts])
                     for order_id in template_ids]
        oldest_ms = min(_ms_of(order_id) for order_id in template_ids)
        for n, (order, order_parts) in zip(range(copies), cycle(templates)):
            ms = oldest_ms - (copies - n) * 10
            time_part, when = _encode(ms, 10), _sqlite_time(ms)
            order_id = new_id("ord", time_part)
            orders.add_copy(order, order_id=order_id, created_at=when, updated_at=when)
            for part, rows in order_parts:
                for row in rows:
                    prefix = str(row[part.position[part.key]]).split("_")[0]
                    part.add_copy(row, **{part.key: new_id(prefix, time_part), "order_id": order_id,
                                          "created_at": when})
            if n % BATCH == BATCH - 1 or n == copies - 1:
                with db:  # one transaction per batch: the server may be reading meanwhile
                    for table in (orders, *parts):
                        table.write_copies(db)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
