"""A checkout session's status now, derived from what it collects (its order's balance, or in SETUP mode
its setup intent's card) whether or not it has been written down yet (reads never write)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from flint_core.checkout.lifecycle import CheckoutSessionStatus
from flint_core.orders.lifecycle import OrderStatus
from flint_core.payment_methods.lifecycle import SetupIntentStatus
from flint_core.payments.lifecycle import IN_FLIGHT, PaymentStatus
from flint_core.store.tables import CheckoutSession, Order, PaymentIntent, SetupIntent

PAID_HERE = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.REQUIRES_CAPTURE})  # the session's payment collected


def current_status(session: Session, cs: CheckoutSession, order: Order | None, now: datetime) -> str:
    """The session's status now, whether or not it has been written down yet (``order``: a PAYMENT
    session's; None in SETUP mode)."""
    if cs.status != CheckoutSessionStatus.OPEN:
        return cs.status
    if order is None:
        return _setup_status(session, cs, now)
    own = session.get(PaymentIntent, cs.payment_intent_id) if cs.payment_intent_id else None
    if order.status == OrderStatus.CANCELED:
        return CheckoutSessionStatus.CANCELED
    if order.status != OrderStatus.OPEN:  # collected: by this page, or by someone else
        paid_here = own is not None and own.status in PAID_HERE
        return CheckoutSessionStatus.COMPLETE if paid_here else CheckoutSessionStatus.CANCELED
    # a buyer in the middle of 3D Secure keeps the page until that payment ends (confirm or void)
    if now >= cs.expires_at and not (own is not None and own.status in IN_FLIGHT):
        return CheckoutSessionStatus.EXPIRED
    return CheckoutSessionStatus.OPEN


def _setup_status(session: Session, cs: CheckoutSession, now: datetime) -> str:
    """SETUP: COMPLETE once its card is saved; EXPIRED at expires_at (its setup intent expires with it: a
    customer still in 3D Secure then saves nothing); CANCELED when its setup intent was canceled through the
    API. A declined card keeps the page OPEN: the page tries the next card with a new setup intent."""
    seti = session.get(SetupIntent, cs.setup_intent_id)
    assert seti is not None
    if seti.status == SetupIntentStatus.SUCCEEDED:
        return CheckoutSessionStatus.COMPLETE
    if now >= cs.expires_at:
        return CheckoutSessionStatus.EXPIRED
    if seti.status == SetupIntentStatus.CANCELED:
        return CheckoutSessionStatus.CANCELED
    return CheckoutSessionStatus.OPEN
