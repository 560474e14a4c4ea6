"""Prefixed, time-sortable ids: ``ord_01jd8x...``.

26 Crockford base32 characters after the prefix: 48 bits of milliseconds since the epoch, then 80 random
bits (the ULID layout). Ids sort by creation time, so keyset pagination on the id is stable under inserts.
"""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"

PREFIXES = {
    "order": "ord", "line_item": "li", "payment_intent": "pi", "refund": "re", "customer": "cus",
    "item": "item", "coupon": "cpn", "order_coupon": "oc", "service_charge": "sc", "checkout_session": "cs",
    "payment_link": "plink", "invoice": "inv", "plan": "plan", "subscription": "sub", "event": "evt",
    "webhook_endpoint": "we", "request": "req", "api_key": "key", "sandbox": "sbx", "merchant": "mch",
    "dispute": "dp", "transaction": "txn", "payout": "po", "activity": "act", "tax_rate": "txr",
}


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(kind: str, *, now_ms: int | None = None) -> str:
    """A new id for an object of ``kind`` (a key of PREFIXES)."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    return f"{PREFIXES[kind]}_{_encode(ms, 10)}{_encode(secrets.randbits(80), 16)}"


def prefix_of(object_id: str) -> str:
    return object_id.split("_", 1)[0]
