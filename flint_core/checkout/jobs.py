"""The checkout session expiry job: due at a session's ``expires_at``, and at once when its order leaves
OPEN (paid, authorized or canceled) or, in SETUP mode, when its setup intent ends, so the session's end is
written down promptly with its activity (guide: docs/jobs.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from flint_core.checkout.lifecycle import CheckoutSessionStatus
from flint_core.checkout.service import record_status
from flint_core.orders import flows
from flint_core.payment_methods import service as saved_cards
from flint_core.platform import queue
from flint_core.platform.context import Context, system_context, utcnow
from flint_core.store.tables import CheckoutSession, Order, SetupIntent

EXPIRE_CHECKOUT_SESSION = "expire_checkout_session"


def schedule_session_expiry(session: Session, checkout_session_id: str, when: datetime, *,
                            advance: bool = False) -> None:
    """Queue (or, with ``advance``, bring forward) the job that writes down a session's end."""
    queue.enqueue(session, EXPIRE_CHECKOUT_SESSION, {"checkout_session_id": checkout_session_id}, run_at=when,
                  dedupe_key=f"{EXPIRE_CHECKOUT_SESSION}:{checkout_session_id}", advance=advance)


def end_open_sessions(ctx: Context, order: Order) -> None:
    """An order that left OPEN (paid here or elsewhere, authorized, canceled) ends its OPEN checkout
    sessions: their jobs become due now, in the transaction that moved the order."""
    open_sessions = ctx.session.scalars(select(CheckoutSession.checkout_session_id).where(
        CheckoutSession.order_id == order.order_id, CheckoutSession.status == CheckoutSessionStatus.OPEN)).all()
    for checkout_session_id in open_sessions:
        schedule_session_expiry(ctx.session, checkout_session_id, utcnow(), advance=True)


def end_setup_session(ctx: Context, seti: SetupIntent) -> None:
    """A setup intent that ended (saved, failed, canceled) has the job of its OPEN SETUP session, if any,
    look now: saved means COMPLETE, canceled means CANCELED."""
    sessions = ctx.session.scalars(select(CheckoutSession.checkout_session_id).where(
        CheckoutSession.setup_intent_id == seti.setup_intent_id, CheckoutSession.status == CheckoutSessionStatus.OPEN))
    for checkout_session_id in sessions.all():
        schedule_session_expiry(ctx.session, checkout_session_id, utcnow(), advance=True)


flows.LEFT_OPEN.append(end_open_sessions)
saved_cards.SETUP_ENDED.append(end_setup_session)


@queue.handler(EXPIRE_CHECKOUT_SESSION)
def expire_checkout_session(claim: queue.Claim) -> None:
    """Write down a session's end (EXPIRED past ``expires_at``, COMPLETE or CANCELED once its order left
    OPEN, or its setup intent ended) with its activity. Reads already derive the status; this makes it queryable and audited. A
    session still OPEN is looked at again: at ``expires_at``, or, while the buyer is in the middle of
    paying past it (3D Secure), after a short wait."""
    db, session_id, now = claim.db, claim.payload["checkout_session_id"], max(claim.now, utcnow())
    with db.transaction() as session:
        cs = session.get(CheckoutSession, session_id)
        order = None if cs is None or cs.order_id is None else session.scalar(  # the order first, as payments
            select(Order).where(Order.order_id == cs.order_id).with_for_update())  # lock it (SETUP: none)
        cs = session.get(CheckoutSession, session_id, with_for_update=True, populate_existing=True)
        if cs is None or (order is None and cs.order_id is not None) or cs.status != CheckoutSessionStatus.OPEN:
            claim.finish(session)
            return
        ctx = system_context(session, cs.merchant_id, cs.env_id, operation="expire_checkout_session",
                             settings=claim.settings, now=now, db=db)
        if record_status(ctx, cs, order) != CheckoutSessionStatus.OPEN:
            claim.finish(session)
        elif now < cs.expires_at:
            claim.retry_at(session, cs.expires_at, reset_attempts=True)
        else:
            claim.retry_at(session, now + queue.poll_delay(now - cs.expires_at), reset_attempts=True)
