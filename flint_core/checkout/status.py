"""A checkout session's status now, derived from its order and its payment whether or not it has been
written down yet (reads never write)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from flint_core.checkout.lifecycle import CheckoutSessionStatus
from flint_core.orders.lifecycle import OrderStatus
from flint_core.payments.lifecycle import IN_FLIGHT, PaymentStatus
from flint_core.store.tables import CheckoutSession, Order, PaymentIntent

PAID_HERE = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.REQUIRES_CAPTURE})  # the session's payment collected


def current_status(session: Session, cs: CheckoutSession, order: Order, now: datetime) -> str:
    """The session's status now, whether or not it has been written down yet."""
    if cs.status != CheckoutSessionStatus.OPEN:
        return cs.status
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
