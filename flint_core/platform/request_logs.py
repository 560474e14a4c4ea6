"""Request logs: one row per request on every face (``request_logs`` + ``request_log_objects``).

``runtime.invoke`` builds an :class:`Entry` as the request goes (caller, touched ids, rate-limit state)
and adds it once the outcome is known, to the request's own transaction (a write, a refusal, a replay, a
read on PostgreSQL) or to a read's bookkeeping transaction on SQLite; a request refused for its budget or
its key, or whose transaction failed, is written in one short transaction of its own (:func:`write`).
Writing a log never fails the request: a failure is logged and swallowed. Requests that cannot be
attributed to a merchant (no key, an unknown key, public docs calls) are not stored.

Parameters are stored redacted (see :func:`redact` and docs/request-logs.md): card numbers, CVCs,
expiry dates, API key and webhook secrets, and any field named like a secret or password.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from sqlalchemy import Connection, text
from sqlalchemy.dialects import postgresql, sqlite

from flint_core.platform.auth import Principal
from flint_core.processors.cards import CARD_LIKE, luhn_ok
from flint_core.store.db import Database
from flint_core.store.tables import RequestLog, RequestLogObject

log = logging.getLogger("flint.request_logs")

REDACTED = "[REDACTED]"
MAX_PARAMS_CHARS = 32_000  # larger parameter sets are stored as their top-level field names only
# Field names whose values are always hidden. Matched against the whole name and its `_`-separated parts.
SECRET_NAMES = frozenset({"secret", "password", "passwd", "passphrase", "cvc", "cvv", "csc", "cvc2", "pin",
                          "expiry", "exp", "exp_month", "exp_year", "card_number", "api_key", "authorization",
                          "access_token", "refresh_token", "private_key", "signing_secret", "credentials"})
SECRET_PARTS = frozenset({"secret", "password", "passwd", "cvc", "cvv", "credentials"})
# Secrets recognised by their shape wherever they appear inside a string.
SECRET_VALUE = re.compile(r"\b((?:sk|rk)_(?:test|live)_|whsec_)[A-Za-z0-9+/=_-]{6,}")
CARD_IN_TEXT = re.compile(r"(?<![0-9])[0-9](?:[ .\-/]?[0-9]){11,18}(?![0-9])")
OBJECT_ID = re.compile(r"^[a-z]{2,6}_[0-9a-z]{26}$")  # ids.new_id's shape: what counts as a touched id


@dataclass(frozen=True, slots=True)
class Transport:
    """What the face knows about a request: ``method``/``path`` as logged, and the client's address."""

    method: str
    path: str
    client: str | None = None


def _secret_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_NAMES or any(part in SECRET_PARTS for part in lowered.split("_"))


def _clean(text: str, limit: int | None = None) -> str:
    """Storable on every backend: no NUL bytes, no lone surrogates (PostgreSQL rejects both)."""
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return text if limit is None else text[:limit]


def _redact_text(text: str) -> str:
    text = _clean(text)
    if CARD_LIKE.match(text.strip()):
        digits = re.sub(r"\D", "", text)
        return f"[REDACTED card ending {digits[-4:]}]"
    text = SECRET_VALUE.sub(lambda m: f"{m[1]}{REDACTED}", text)
    if len(text) < 12:
        return text
    # inside free text only Luhn-valid digit runs count as cards (fewer false alarms on long numbers)
    return CARD_IN_TEXT.sub(lambda m: REDACTED if luhn_ok(re.sub(r"\D", "", m[0])) else m[0], text)


def redact(value: Any) -> Any:
    """A copy of ``value`` safe to store: secret-named fields hidden, card numbers and secrets in any
    string replaced (a card keeps its last four digits, like a receipt)."""
    if isinstance(value, dict):
        return {_clean(str(k)): REDACTED if _secret_name(str(k)) and v not in (None, "") else redact(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN is not JSON on PostgreSQL
    if value is None or isinstance(value, bool | int | float):
        return value
    return _redact_text(str(value))


def redact_url(url: str) -> str:
    """A path with its query string, safe to print (the server's access log): the query parameters are
    redacted like stored parameters, and secrets or card numbers in the path by their shape."""
    path, has_query, query = url.partition("?")
    if not has_query:
        return _redact_text(path)
    pairs = [pair for name, value in parse_qsl(query, keep_blank_values=True) for pair in redact({name: value}).items()]
    return f"{_redact_text(path)}?{urlencode(pairs, safe='[]', quote_via=quote)}"


def _bounded(params: Any) -> dict[str, Any]:
    safe = redact(params if isinstance(params, dict) else {"value": params})
    if len(json.dumps(safe, default=str)) <= MAX_PARAMS_CHARS:
        return safe
    return {"_truncated": True, "_fields": sorted(safe)[:200]}


def ids_in(arguments: Any) -> set[str]:
    """Id-valued arguments: top-level ``*_id`` strings and ``*_ids`` lists (path parameters included)."""
    found: set[str] = set()
    if not isinstance(arguments, dict):
        return found
    for name, value in arguments.items():
        if isinstance(name, str) and name.endswith("_id") and isinstance(value, str):
            found.add(value)
        elif isinstance(name, str) and name.endswith("_ids") and isinstance(value, list):
            found.update(v for v in value if isinstance(v, str))
    return {v for v in found if OBJECT_ID.match(v)}


_OWN_ID = re.compile(r'^\{"object":"(\w+)","(\w+)_id":"([a-z]{2,6}_[0-9a-z]{26})"')


def primary_id(body: str) -> str | None:
    """The returned object's own id: ``order_id`` of ``{"object":"order","order_id":...}`` (outputs put
    ``object`` and the id first, so the prefix is enough: no need to parse a large response)."""
    match = _OWN_ID.match(body)
    return match[3] if match and match[1] == match[2] else None


@dataclass
class Entry:
    """One request as it goes through ``runtime.invoke``; becomes a RequestLog row at the end."""

    request_id: str
    face: str
    operation: str | None
    transport: Transport | None
    arguments: Any
    idempotency_key: str | None
    now: datetime
    started: float = field(default_factory=time.perf_counter)
    principal: Principal | None = None
    scope: tuple[str, str] | None = None  # (merchant_id, env_id) when there is no key (create_merchant)
    touched: set[str] = field(default_factory=set)
    quota: Any = None  # rate_limits.Quota of the tightest budget, for the response headers
    logged: bool = False

    def attribute_signup(self, body: str) -> None:
        """A keyless create_merchant is the new merchant's first request: log it in its sandbox."""
        if self.principal is not None or '"merchant_signup"' not in body:
            return
        data = json.loads(body)
        merchant, sandbox = data.get("merchant") or {}, data.get("sandbox") or {}
        if merchant.get("merchant_id") and sandbox.get("sandbox_id"):
            self.scope = (merchant["merchant_id"], sandbox["sandbox_id"])
            self.touched.update({merchant["merchant_id"], sandbox["sandbox_id"]})

    @property
    def attributable(self) -> bool:
        return (self.principal is not None and self.principal.kind != "system") or self.scope is not None

    def rows(self, status: int, body: str, replayed: bool) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The log row and its object rows, or None when the request belongs to no merchant."""
        if self.principal is not None and self.principal.kind != "system":
            merchant_id, env_id, key_id = self.principal.merchant_id, self.principal.env_id, self.principal.api_key_id
        elif self.scope is not None:
            (merchant_id, env_id), key_id = self.scope, None
        else:
            return None
        error_type = error_code = None
        if status >= 400:
            try:
                error = json.loads(body).get("error") or {}
                error_type, error_code = error.get("type"), error.get("code")
            except (ValueError, AttributeError):
                pass
        touched = self.touched | ids_in(self.arguments)
        if status < 400 and (own := primary_id(body)) is not None:
            touched.add(own)
        touched = {t for t in touched if isinstance(t, str) and len(t) <= 40}
        method = self.transport.method if self.transport else "CALL"
        path = self.transport.path if self.transport else (self.operation or "")
        row = dict(request_id=self.request_id, merchant_id=merchant_id, env_id=env_id, api_key_id=key_id,
                   face=self.face[:16], operation=(self.operation or None) and self.operation[:64],
                   method=_clean(method, 16), path=_clean(path, 2048),
                   idempotency_key=_clean(self.idempotency_key, 255) if self.idempotency_key else None,
                   replayed=replayed, status=status, error_type=error_type and str(error_type)[:40],
                   error_code=error_code and str(error_code)[:64],
                   duration_ms=int((time.perf_counter() - self.started) * 1000), object_ids=sorted(touched),
                   params=_bounded(self.arguments), created_at=self.now)
        objects = [dict(request_id=self.request_id, object_id=object_id, merchant_id=merchant_id, env_id=env_id)
                   for object_id in sorted(touched)]
        return row, objects


def add(connection: Connection, entry: Entry, status: int, body: str, replayed: bool = False) -> None:
    """Write the log in the caller's transaction (commits with it). Duplicate request ids are ignored, and
    values are cut to the column sizes, so the statement cannot fail on the data."""
    try:
        built = entry.rows(status, body, replayed)
    except Exception:  # a bug building the row must not fail the request
        log.exception("request log for %s could not be built", entry.request_id)
        entry.logged = True
        return
    entry.logged = True
    if built is None:
        return
    row, objects = built
    log_insert, object_insert = _inserts(connection.dialect.name)
    connection.execute(log_insert, row)
    if objects:
        connection.execute(object_insert, objects)


@functools.cache
def _inserts(dialect: str) -> tuple[Any, Any]:
    """``INSERT .. ON CONFLICT DO NOTHING`` for both tables, built once (Core statements: no ORM unit of
    work, compiled once per dialect)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (insert(RequestLog.__table__).on_conflict_do_nothing(),
            insert(RequestLogObject.__table__).on_conflict_do_nothing())


def relax_commit(connection: Connection) -> None:
    """Let this transaction's commit return before PostgreSQL flushes it to disk. For transactions that
    write only bookkeeping (a log row, a rate-limit bucket): a database crash may lose the last fraction
    of a second of those, never a change to the merchant's data, and the request does not wait for an fsync."""
    if connection.dialect.name == "postgresql":
        connection.execute(_ASYNC_COMMIT)


_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")


def write(db: Database, entry: Entry, status: int, body: str, replayed: bool = False) -> None:
    """Write the log in a short transaction of its own; never raises."""
    if entry.logged or not entry.attributable:
        entry.logged = True
        return

    def write_in(connection: Connection) -> None:
        relax_commit(connection)
        add(connection, entry, status, body, replayed)

    try:
        db.run_core(write_in)
    except Exception:
        log.exception("request log for %s could not be written", entry.request_id)
    entry.logged = True


# Hosted pages (no key: attributed to the merchant whose checkout session or payment the page serves; the
# page's own module in flint_core.hosted finds that scope)

def write_hosted(db: Database, *, request_id: str | None, method: str, path: str, client: str | None,
                 status: int, started: float, now: datetime, scope: tuple[str, str] | None,
                 touched: set[str], operation: str | None = None, params: dict[str, Any] | None = None) -> None:
    if request_id is None or scope is None:
        return
    entry = Entry(request_id=request_id, face="hosted", operation=operation,
                  transport=Transport(method, path, client), arguments=params or {}, idempotency_key=None,
                  now=now, started=started, scope=scope, touched=set(touched))
    write(db, entry, status, "")


