"""The reservation expiry job: due when a payment's stock holds lapse (``stock.reserve`` queues it), it
releases the holds of a payment still waiting on its buyer (3D Secure) once they expire. A payment whose
outcome is unknown (PROCESSING, after a processor timeout) keeps its holds: retry_payment will settle it.
The job's clock is the worker's (tests move it), so lapsed holds can be tested without waiting (guide:
docs/jobs.md)."""

from __future__ import annotations

from sqlalchemy import func, select

from flint_core.catalog import stock
from flint_core.payments.lifecycle import PaymentStatus
from flint_core.platform import queue
from flint_core.platform.context import system_context
from flint_core.store.tables import InventoryReservation, PaymentIntent


@queue.handler(stock.EXPIRE_RESERVATIONS)
def expire_reservations(claim: queue.Claim) -> None:
    """Release the payment's holds that expired by the worker's now; look again at the next expiry while
    some are still held."""
    db, payment_intent_id, now = claim.db, claim.payload["payment_intent_id"], claim.now
    with db.transaction() as session:
        pi = session.execute(select(PaymentIntent.merchant_id, PaymentIntent.env_id, PaymentIntent.status)
                             .where(PaymentIntent.payment_intent_id == payment_intent_id)).one_or_none()
        if pi is None:
            claim.finish(session)
            return
        if pi.status == PaymentStatus.PROCESSING:  # it may still succeed: its holds wait
            claim.retry_at(session, now + queue.LOOK_AGAIN, reset_attempts=True)
            return
        ctx = system_context(session, pi.merchant_id, pi.env_id, operation="adjust_inventory",
                             settings=claim.settings, now=now, db=db)
        stock.release(ctx, payment_intent_id, lapsed_before=now)
        later = session.scalar(select(func.min(InventoryReservation.expires_at)).where(
            InventoryReservation.payment_intent_id == payment_intent_id, InventoryReservation.status == stock.HELD))
        if later is None:
            claim.finish(session)
        else:
            claim.retry_at(session, later, reset_attempts=True)
