"""Due work that runs outside requests. For now: settling PENDING refunds with the processor.

``run_forever`` runs inside `flint serve` (a daemon thread); tests call the steps directly. Each step
re-asks the processor with the refund's own key, so running it twice, or in two processes, is harmless.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from flint_core import lifecycle, registry
from flint_core.auth import ALL, Principal
from flint_core.operations.payment_views import processor_for
from flint_core.operations.refunds import settle
from flint_core.processors.base import ProcessorError
from flint_core.runtime import Context, Settings, utcnow
from flint_core.store.db import Database
from flint_core.store.models import LIVE, PaymentIntent, Refund

log = logging.getLogger("flint.jobs")


def system_context(db: Database, session, merchant_id: str, env_id: str, settings: Settings) -> Context:  # type: ignore[no-untyped-def]
    """A context acting for the system (actor ``system``, face ``system``) in one environment."""
    principal = Principal(api_key_id="system", merchant_id=merchant_id, env_id=env_id,
                          mode="live" if env_id == LIVE else "test", kind="system", scopes=frozenset({ALL}))
    op = registry.get("create_refund")
    assert op is not None
    return Context(session=session, principal=principal, operation=op, request_id=None, face="system",
                   now=utcnow(), settings=settings, db=db)


def settle_pending_refunds(db: Database, settings: Settings = Settings(), limit: int = 100) -> int:
    """Ask the processor about every PENDING refund; returns how many changed status."""
    with db.transaction(write=False) as session:
        pending = session.execute(select(Refund.refund_id, Refund.merchant_id, Refund.env_id, Refund.amount,
                                         Refund.processor_reference, PaymentIntent.processor_reference)
                                  .join(PaymentIntent, PaymentIntent.payment_intent_id == Refund.payment_intent_id)
                                  .where(Refund.status == lifecycle.PENDING).limit(limit)).all()
    changed = 0
    for refund_id, merchant_id, env_id, amount, refund_ref, charge_ref in pending:
        with db.session() as session:
            ctx = system_context(db, session, merchant_id, env_id, settings)
            processor = processor_for(ctx)
            try:
                result = (processor.refund_status(reference=refund_ref) if refund_ref else
                          processor.refund(key=f"{refund_id}:refund", reference=charge_ref or "", amount=amount))
            except ProcessorError as exc:
                log.warning("refund %s: processor unavailable (%s); will retry", refund_id, exc)
                continue
            refund = settle(ctx, refund_id, result)
            session.commit()
            changed += refund.status != lifecycle.PENDING
    return changed


def run_forever(db: Database, settings: Settings, stop: threading.Event, interval: float = 2.0) -> None:
    while not stop.wait(interval):
        try:
            settle_pending_refunds(db, settings)
        except Exception:  # keep the loop alive; the next round retries
            log.exception("job round failed")
