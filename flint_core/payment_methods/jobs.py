"""The saved cards' jobs (guide: docs/jobs.md): a card setup still waiting for 3D Secure when its
``expires_at`` comes is canceled at the processor and recorded CANCELED, so no half-saved card lingers;
and 30 days before a saved card expires, ``payment_method.expiring`` says so. Both run on the worker's
clock, so tests move it instead of waiting."""

from __future__ import annotations

from sqlalchemy import select

from flint_core.payment_methods.lifecycle import PaymentMethodStatus, SetupIntentStatus
from flint_core.payment_methods.service import CARD_EXPIRING, EXPIRE_SETUP_INTENT, record_setup
from flint_core.payment_methods.views import payment_method_out
from flint_core.platform import outbox, queue
from flint_core.platform.context import processor_of, system_context
from flint_core.processors.base import ProcessorError, SetupResult, SetupStatus
from flint_core.store.tables import Customer, PaymentMethod, SetupIntent


@queue.handler(EXPIRE_SETUP_INTENT)
def expire_setup_intent(claim: queue.Claim) -> None:
    """Cancel a setup intent still REQUIRES_ACTION past its expiry; one that moved on needs nothing."""
    db, seti_id, now = claim.db, claim.payload["setup_intent_id"], claim.now
    with db.transaction(write=False) as session:
        row = session.execute(select(SetupIntent.status, SetupIntent.expires_at, SetupIntent.env_id,
                                     SetupIntent.merchant_id, SetupIntent.processor_reference)
                              .where(SetupIntent.setup_intent_id == seti_id)).one_or_none()
    if row is None or row.status != SetupIntentStatus.REQUIRES_ACTION:
        with db.transaction() as session:
            claim.finish(session)
        return
    if now < row.expires_at:
        with db.transaction() as session:
            claim.retry_at(session, row.expires_at, reset_attempts=True)
        return
    try:  # outside any transaction, like every processor call (a card never entered reached no processor)
        result = SetupResult(SetupStatus.CANCELED, "") if row.processor_reference is None else processor_of(
            db, row.env_id, claim.settings).cancel_setup(key=f"{seti_id}:cancel", reference=row.processor_reference)
    except ProcessorError as exc:
        with db.transaction() as session:
            claim.retry_at(session, now + queue.LOOK_AGAIN, error=f"ProcessorError: {exc}"[:2000])
        return
    with db.transaction() as session:
        ctx = system_context(session, row.merchant_id, row.env_id, operation="cancel_setup_intent",
                             settings=claim.settings, now=now, db=db)
        seti = session.get(SetupIntent, seti_id, with_for_update=True, populate_existing=True)
        assert seti is not None
        record_setup(ctx, seti, result)
        claim.finish(session)


@queue.handler(CARD_EXPIRING)
def card_expiring(claim: queue.Claim) -> None:
    """payment_method.expiring for a card still ACTIVE 30 days before it expires (once: the job is keyed by
    the card, and queued when it was saved)."""
    with claim.db.transaction() as session:
        pm = session.get(PaymentMethod, claim.payload["payment_method_id"])
        if pm is not None and pm.status == PaymentMethodStatus.ACTIVE:
            ctx = system_context(session, pm.merchant_id, pm.env_id, operation="get_payment_method",
                                 settings=claim.settings, now=claim.now, db=claim.db)
            default = session.scalar(select(Customer.default_payment_method_id)
                                     .where(Customer.customer_id == pm.customer_id))
            outbox.emit(ctx, "payment_method.expiring", payment_method_out(ctx, pm, default).model_dump(mode="json"))
        claim.finish(session)
