"""Which events tell the buyer something: an outbox subscriber that writes the notification in the
event's transaction, so a receipt exists exactly when the payment it is about committed.

- ``payment.succeeded`` (automatic capture) and ``payment.captured`` (a hold captured): a payment receipt;
- ``refund.succeeded``: a refund confirmation.

The recipient is the payment's ``buyer_email``, else the order's, else its customer's email; with none,
no notification is written. Every other event returns at once, before any query.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from flint_core.notifications import messages, service
from flint_core.notifications.lifecycle import NotificationType
from flint_core.platform import outbox
from flint_core.store.tables import Event, PaymentIntent

_payments = PaymentIntent.__table__
_PAYMENT = select(_payments.c.buyer_email, _payments.c.payment_method).where(
    _payments.c.payment_intent_id == bindparam("payment_intent_id"))


def payment_receipt(session: Session, event: Event, data: dict[str, Any], now: datetime) -> None:
    payment, order = data["object"], data["order"]
    notify(session, event, now, NotificationType.PAYMENT_RECEIPT, order, payment["payment_intent_id"],
           lambda merchant, card: messages.payment_receipt(merchant, order, payment, card, now))


def refund_confirmation(session: Session, event: Event, data: dict[str, Any], now: datetime) -> None:
    refund, order = data["object"], data["order"]
    notify(session, event, now, NotificationType.REFUND_CONFIRMATION, order, refund["payment_intent_id"],
           lambda merchant, card: messages.refund_confirmation(merchant, order, refund, card, now),
           refund_id=refund["refund_id"])


TRIGGERS: dict[str, Callable[[Session, Event, dict[str, Any], datetime], None]] = {
    "payment.succeeded": payment_receipt,
    "payment.captured": payment_receipt,
    "refund.succeeded": refund_confirmation,
}


def notify(session: Session, event: Event, now: datetime, kind: NotificationType, order: dict[str, Any],
           payment_intent_id: str, compose: Callable[[str, messages.Card | None], messages.Message], *,
           refund_id: str | None = None) -> None:
    """Queue the message ``compose`` writes (from the merchant's name and the payment's card) to the buyer
    of ``order``, if it has an address."""
    session.flush()  # the payment row as this transaction left it (it may not be written yet)
    buyer_email, payment_method = session.execute(_PAYMENT, {"payment_intent_id": payment_intent_id}).one()
    to = service.recipient(session, event.merchant_id, event.env_id, buyer_email, order.get("buyer_email"),
                           customer_id=order.get("customer_id"))
    if to is None:
        return
    sender = service.sender_of(session, event.merchant_id)
    service.queue_notification(session, merchant_id=event.merchant_id, env_id=event.env_id, now=now, kind=kind,
                               to_address=to, sender=sender,
                               message=compose(sender.name, messages.Card.of(payment_method)),
                               customer_id=order.get("customer_id"), order_id=order["order_id"],
                               payment_intent_id=payment_intent_id, refund_id=refund_id)


def on_event(session: Session, event: Event, now: datetime) -> None:
    """The outbox subscriber: a notification for the events in ``TRIGGERS``; nothing else is looked at."""
    trigger = TRIGGERS.get(event.type)
    if trigger is not None:
        trigger(session, event, json.loads(event.payload)["data"], now)


outbox.SUBSCRIBERS.append(on_event)
