"""Due work that runs outside requests: settling PENDING refunds with the processor, and closing
checkout sessions that ended (expired, or their order was paid or canceled).

``run_forever`` runs inside `flint serve` (a daemon thread); tests call the steps directly. Each step
re-asks the processor with the refund's own key, or re-derives a session's status under a row lock, so
running it twice, or in two processes, is harmless.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlalchemy import or_, select

from flint_core import lifecycle, registry
from flint_core.auth import ALL, Principal
from flint_core.operations import checkout
from flint_core.operations.payment_views import processor_for
from flint_core.operations.refunds import settle
from flint_core.processors.base import ProcessorError
from flint_core.runtime import Context, Settings, utcnow
from flint_core.store.db import Database
from flint_core.store.models import LIVE, CheckoutSession, Order, PaymentIntent, Refund

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


def expire_checkout_sessions(db: Database, settings: Settings = Settings(), now: datetime | None = None,
                             limit: int = 500) -> int:
    """Write down the end of OPEN checkout sessions: EXPIRED past ``expires_at``, COMPLETE or CANCELED
    once their order was paid or canceled. Reads already derive this; the job makes it queryable and
    puts it in the order's activities. Returns how many sessions changed."""
    now = now or utcnow()
    with db.transaction(write=False) as session:
        due = session.execute(
            select(CheckoutSession.checkout_session_id, CheckoutSession.order_id)
            .join(Order, Order.order_id == CheckoutSession.order_id)
            .where(CheckoutSession.status == lifecycle.OPEN,
                   or_(CheckoutSession.expires_at <= now, Order.status != lifecycle.OPEN))
            .order_by(CheckoutSession.expires_at).limit(limit)).all()
    changed = 0
    for session_id, order_id in due:
        with db.transaction() as session:
            # the order first, as payments lock it; one being paid right now is left for the next round
            order = session.scalar(select(Order).where(Order.order_id == order_id).with_for_update(skip_locked=True))
            if order is None:
                continue
            cs = session.get(CheckoutSession, session_id, with_for_update=True)
            assert cs is not None
            ctx = checkout.system_context(db, session, cs, operation_name="expire_checkout_session", face="system",
                                          settings=settings, now=now)
            changed += checkout.settle(ctx, cs, order) != lifecycle.OPEN
    return changed


def run_forever(db: Database, settings: Settings, stop: threading.Event, interval: float = 2.0) -> None:
    while not stop.wait(interval):
        for step in (settle_pending_refunds, expire_checkout_sessions):
            try:
                step(db, settings)
            except Exception:  # keep the loop alive; the next round retries
                log.exception("job step %s failed", step.__name__)
