"""When a failed delivery is tried again, and when a failing endpoint is given up on.

The default schedule spreads 12 retries over about three days (13 attempts in all): 5 s, 5 min, 30 min,
2 h, 5 h, then 10 h seven times. Each wait gets up to 15% of random extra (never less than listed), so
endpoints that failed together do not all retry in the same second. Tests and local work shorten it with
``Settings.webhook_retry_delays`` (`flint` reads it from ``FLINT_WEBHOOK_RETRY_DELAYS="0.2,0.2,0.5"``:
seconds, one per retry); the time a failing endpoint is given is ``Settings.webhook_disable_after_seconds``
(``FLINT_WEBHOOK_DISABLE_AFTER_SECONDS``).
"""

from __future__ import annotations

import random
from datetime import timedelta

from flint_core.platform.settings import Settings

MINUTE, HOUR = 60.0, 3600.0
DEFAULT_DELAYS: tuple[float, ...] = (5.0, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR) + (10 * HOUR,) * 7
DEFAULT_DISABLE_AFTER = 3 * 24 * HOUR  # an endpoint failing this long is disabled when a delivery gives up
JITTER = 0.15


def delays(settings: Settings) -> tuple[float, ...]:
    """Seconds before each retry: the settings' schedule, else the default one."""
    return DEFAULT_DELAYS if settings.webhook_retry_delays is None else settings.webhook_retry_delays


def disable_after(settings: Settings) -> timedelta:
    """How long an endpoint may fail before a delivery that gives up disables it."""
    seconds = settings.webhook_disable_after_seconds
    return timedelta(seconds=DEFAULT_DISABLE_AFTER if seconds is None else seconds)


def next_delay(settings: Settings, attempts_made: int) -> timedelta | None:
    """The wait before the next attempt after ``attempts_made`` failed ones, or None when none is left."""
    schedule = delays(settings)
    if attempts_made > len(schedule):
        return None
    base = schedule[attempts_made - 1]
    return timedelta(seconds=base * (1 + random.uniform(0, JITTER)))
