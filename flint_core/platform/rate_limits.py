"""Rate limits: request budgets shared by every server worker, kept in the database (``rate_limit_buckets``).

Each budget is a GCRA bucket (the "generic cell rate algorithm", a token bucket stored as one number): a
sustained ``rate`` per second and a ``burst``. The row holds the theoretical arrival time (TAT) of the next
request in microseconds; a request is admitted when pushing the TAT one interval later leaves it at most
``burst`` intervals ahead of now. Admission is ONE statement for all of a request's buckets, an upsert whose DO
UPDATE only fires when the request fits (``INSERT .. ON CONFLICT DO UPDATE .. WHERE .. RETURNING``):
the conflict row locks serialise concurrent workers on PostgreSQL, and SQLite write transactions are
serialised anyway. The runtime spends in the request's own transaction, as late as it can (just before
its first commit), so the bucket rows stay locked only for a moment. If any bucket is over budget the
transaction rolls back, so a refused request costs no budget and has no effect.

Budgets (see docs/rate-limits.md): per API key, per merchant and mode (all of a merchant's sandboxes
share the test budget), and per client address for calls made without a key (``create_merchant``).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, text

from flint_core.kernel.errors import FlintError
from flint_core.store.tables import RateLimitBucket

_US = 1_000_000


@dataclass(frozen=True, slots=True)
class Budget:
    """``rate`` requests per second sustained, up to ``burst`` at once. A rate of 0 switches it off."""

    rate: int
    burst: int

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    @property
    def interval_us(self) -> int:
        return max(1, _US // self.rate)

    @property
    def policy(self) -> str:
        """The ``RateLimit-Policy`` item (IETF draft syntax): ``100;w=1;burst=200``."""
        return f"{self.rate};w=1;burst={self.burst}"

    @classmethod
    def parse(cls, text: str) -> Budget:
        """``RATE[:BURST]`` (requests per second; burst defaults to twice the rate), or ``0``/``off``."""
        value = text.strip().lower()
        if value in ("0", "off", "none"):
            return cls(0, 0)
        match = re.fullmatch(r"(\d+)(?:\s*[:/,]\s*(\d+))?", value)
        if not match or int(match[1]) == 0:
            raise ValueError(f"rate limit {text!r}: use RATE[:BURST], e.g. 100:200, or 0 to switch it off")
        rate = int(match[1])
        burst = int(match[2]) if match[2] else 2 * rate
        if burst < 1:
            raise ValueError(f"rate limit {text!r}: the burst must be at least 1")
        return cls(rate, burst)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The server's budgets (``Settings.rate_limits``; `flint serve --rate-limit-*` / ``FLINT_RATE_LIMIT_*``)."""

    per_key: Budget = field(default_factory=lambda: Budget(100, 200))
    per_merchant: Budget = field(default_factory=lambda: Budget(500, 1000))  # per merchant and mode
    per_client: Budget = field(default_factory=lambda: Budget(20, 100))  # keyless calls, per client address


@dataclass(frozen=True, slots=True)
class Quota:
    """One bucket's state after a request: what the rate-limit headers say."""

    name: str  # key | merchant | client
    budget: Budget
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after_seconds: int | None = None  # set when the request was refused

    @property
    def allowed(self) -> bool:
        return self.retry_after_seconds is None

    def headers(self) -> dict[str, str]:
        headers = {"RateLimit-Limit": str(self.budget.burst), "RateLimit-Remaining": str(self.remaining),
                   "RateLimit-Reset": str(self.reset_seconds), "RateLimit-Policy": self.budget.policy}
        if self.retry_after_seconds is not None:
            headers["Retry-After"] = str(self.retry_after_seconds)
        return headers

    def as_meta(self) -> dict[str, object]:
        """The same facts for faces without headers (MCP ``_meta``)."""
        return {"budget": self.name, "limit": self.budget.burst, "remaining": self.remaining,
                "reset_seconds": self.reset_seconds, "policy": self.budget.policy}


class RateLimited(Exception):
    """Raised inside the admission transaction so it rolls back (no budget is spent on a refusal)."""

    def __init__(self, quota: Quota) -> None:
        super().__init__(quota.name)
        self.quota = quota

    def error(self) -> FlintError:
        seconds = self.quota.retry_after_seconds or 1
        return FlintError("rate_limited", retry_after_seconds=seconds, retry_after=seconds)


def epoch_us(now: datetime) -> int:
    return int(now.timestamp() * _US)


def _ceil_seconds(us: int) -> int:
    return max(0, math.ceil(us / _US))


@functools.cache
def _admit_statement(dialect: str, count: int) -> Any:
    """ONE statement spending one request from ``count`` buckets, built once per dialect and count.

    Each bucket row is upserted with its own interval and capacity (from the ``req`` values); the DO
    UPDATE only fires when the request fits, and RETURNING lists the buckets that admitted it."""
    rows = ", ".join(f"(CAST(:key{i} AS VARCHAR(120)), CAST(:first{i} AS BIGINT), CAST(:capacity{i} AS BIGINT))"
                     for i in range(count))
    start = "GREATEST(b.tat_us, :now)" if dialect == "postgresql" else "max(b.tat_us, :now)"  # scalar max in SQLite
    step = "(excluded.tat_us - :now)"  # the new row's tat is now + interval: the bucket's interval
    # (SQLite needs a WHERE before ON CONFLICT in INSERT .. SELECT)
    return text(f"""WITH req(key, first_us, capacity_us) AS (VALUES {rows})
INSERT INTO rate_limit_buckets AS b (key, tat_us) SELECT req.key, req.first_us FROM req WHERE true
ON CONFLICT (key) DO UPDATE SET tat_us = {start} + {step}
WHERE {start} + {step} - :now <= (SELECT req.capacity_us FROM req WHERE req.key = excluded.key)
RETURNING key, tat_us""")


def take(connection: Connection, buckets: list[tuple[str, str, Budget]], now: datetime) -> Quota | None:
    """Spend one request from each (name, bucket key, budget), in the caller's transaction, in one
    statement. Returns the tightest bucket (fewest requests left) for the headers, or raises RateLimited
    with a bucket that refused; the caller's transaction must then roll back so the other buckets are
    not charged."""
    active = [(name, key, budget) for name, key, budget in buckets if budget.enabled]
    if not active:
        return None
    now_us = epoch_us(now)
    values: dict[str, Any] = {"now": now_us}
    for i, (_, key, budget) in enumerate(active):
        values |= {f"key{i}": key, f"first{i}": now_us + budget.interval_us,
                   f"capacity{i}": budget.burst * budget.interval_us}
    stmt = _admit_statement(connection.dialect.name, len(active))
    admitted = {key: tat for key, tat in connection.execute(stmt, values)}
    tightest = None
    for name, key, budget in active:
        interval, capacity = budget.interval_us, budget.burst * budget.interval_us
        if key not in admitted:
            stored = connection.scalar(select(RateLimitBucket.tat_us).where(RateLimitBucket.key == key)) or now_us
            ahead = max(stored, now_us) - now_us
            wait = ahead + interval - capacity  # until one more interval fits under the burst
            raise RateLimited(Quota(name, budget, remaining=0, reset_seconds=_ceil_seconds(ahead),
                                    retry_after_seconds=max(1, _ceil_seconds(wait))))
        ahead = admitted[key] - now_us
        quota = Quota(name, budget, remaining=max(0, (capacity - ahead) // interval),
                      reset_seconds=_ceil_seconds(ahead))
        if tightest is None or (quota.remaining, quota.budget.burst) < (tightest.remaining, tightest.budget.burst):
            tightest = quota
    return tightest


def key_buckets(limits: RateLimits, *, api_key_id: str, merchant_id: str, mode: str) -> list[tuple[str, str, Budget]]:
    return [("key", f"key:{api_key_id}", limits.per_key),
            ("merchant", f"merchant:{merchant_id}:{mode}", limits.per_merchant)]


def client_buckets(limits: RateLimits, client: str) -> list[tuple[str, str, Budget]]:
    return [("client", f"client:{client[:100]}", limits.per_client)]
