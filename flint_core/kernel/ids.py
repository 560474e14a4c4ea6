"""Prefixed, time-sortable ids: ``ord_01jd8x...``.

26 Crockford base32 characters after the prefix: 48 bits of milliseconds since the epoch, then 80 random
bits (the ULID layout). Ids sort by creation time, so keyset pagination on the id is stable under inserts.
"""

from __future__ import annotations

import secrets
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"

PREFIXES = {
    "order": "ord", "line_item": "li", "payment_intent": "pi", "refund": "re", "customer": "cus",
    "item": "item", "coupon": "cpn", "order_coupon": "oc", "service_charge": "sc", "checkout_session": "cs",
    "payment_link": "plink", "invoice": "inv", "plan": "plan", "subscription": "sub", "event": "evt",
    "webhook_endpoint": "we", "request": "req", "api_key": "key", "sandbox": "sbx", "merchant": "mch",
    "dispute": "dp", "transaction": "txn", "payout": "po", "activity": "act", "tax_rate": "txr",
    "preview": "prv", "webhook_delivery": "whd", "variation": "var", "inventory_adjustment": "invadj",
    "inventory_reservation": "invres", "payment_method": "pm", "setup_intent": "seti",
    "notification": "ntf",
}


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


_lock = threading.Lock()
_last = (0, 0)  # (ms, random part) of the previous id made by this process


def new_id(kind: str, *, now_ms: int | None = None) -> str:
    """A new id for an object of ``kind`` (a key of PREFIXES). Within one process ids strictly increase:
    a second id in the same millisecond takes the previous random part plus one (monotonic ULIDs)."""
    global _last
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    with _lock:
        last_ms, last_rand = _last
        if ms <= last_ms and last_rand + 1 < 2**80:
            ms, rand = last_ms, last_rand + 1
        else:
            rand = secrets.randbits(79)  # headroom so increments never overflow in practice
        _last = (ms, rand)
    return f"{PREFIXES[kind]}_{_encode(ms, 10)}{_encode(rand, 16)}"


def prefix_of(object_id: str) -> str:
    return object_id.split("_", 1)[0]
