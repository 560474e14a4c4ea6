"""When a failed delivery is tried again, and when a failing endpoint is given up on.

The default schedule spreads 12 retries over about three days (13 attempts in all): 5 s, 5 min, 30 min,
2 h, 5 h, then 10 h seven times. Each wait gets up to 15% of random extra (never less than listed), so
endpoints that failed together do not all retry in the same second. Tests and local work shorten it with
``Settings.webhook_retry_delays`` or ``FLINT_WEBHOOK_RETRY_DELAYS="0.2,0.2,0.5"`` (seconds, one per retry).
"""

from __future__ import annotations

import os
import random
from datetime import timedelta

from flint_core.platform.settings import Settings

MINUTE, HOUR = 60.0, 3600.0
DEFAULT_DELAYS: tuple[float, ...] = (5.0, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR) + (10 * HOUR,) * 7
DEFAULT_DISABLE_AFTER = 3 * 24 * HOUR  # an endpoint failing this long is disabled when a delivery gives up
JITTER = 0.15
DELAYS_ENV, DISABLE_ENV = "FLINT_WEBHOOK_RETRY_DELAYS", "FLINT_WEBHOOK_DISABLE_AFTER_SECONDS"


def parse_delays(text: str) -> tuple[float, ...]:
    """``"5,300,1800"`` -> (5.0, 300.0, 1800.0); each delay must be a number >= 0."""
    delays = tuple(float(part) for part in text.split(",") if part.strip())
    if any(d < 0 or d != d for d in delays):
        raise ValueError(f"{DELAYS_ENV}: delays must be numbers of seconds >= 0, got {text!r}")
    return delays


def delays(settings: Settings) -> tuple[float, ...]:
    if settings.webhook_retry_delays is not None:
        return settings.webhook_retry_delays
    text = os.environ.get(DELAYS_ENV)
    return parse_delays(text) if text else DEFAULT_DELAYS


def disable_after(settings: Settings) -> timedelta:
    if settings.webhook_disable_after_seconds is not None:
        return timedelta(seconds=settings.webhook_disable_after_seconds)
    text = os.environ.get(DISABLE_ENV)
    return timedelta(seconds=float(text) if text else DEFAULT_DISABLE_AFTER)


def next_delay(settings: Settings, attempts_made: int) -> timedelta | None:
    """The wait before the next attempt after ``attempts_made`` failed ones, or None when none is left."""
    schedule = delays(settings)
    if attempts_made > len(schedule):
        return None
    base = schedule[attempts_made - 1]
    return timedelta(seconds=base * (1 + random.uniform(0, JITTER)))
