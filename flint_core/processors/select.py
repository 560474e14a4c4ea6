"""Which processor serves an environment: the simulator in test mode, Stripe in live mode."""

from __future__ import annotations

from flint_core.kernel.errors import FlintError
from flint_core.processors.base import PaymentProcessor
from flint_core.processors.simulator import Simulator
from flint_core.store.db import Database
from flint_core.store.tables import LIVE


def processor_for(db: Database, env_id: str, *, stripe_api_key: str | None,
                  crash_after_call: bool = False) -> PaymentProcessor:
    """The simulator in test mode; Stripe in live mode when the server has a Stripe key."""
    if env_id != LIVE:
        return Simulator(db, env_id, crash_after_call=crash_after_call)
    if not stripe_api_key:
        raise FlintError("processor_not_configured")
    from flint_core.processors.stripe import StripeProcessor  # imported when used: the Stripe SDK is slow to load

    return StripeProcessor(stripe_api_key)
