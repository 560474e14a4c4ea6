"""Events: every state change, written to the outbox (``events``) in the transaction that causes it.

``emit`` renders the payload once (the full resource as the API returns it, plus what changed), stores it,
and in the same transaction runs the ``SUBSCRIBERS`` (webhooks: one ``webhook_deliveries`` row and one
delivery job per endpoint subscribed to the type). Delivery happens after commit, by the job runner; if the
process dies in between, the committed jobs are still there. A rolled-back mutation leaves no event behind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from flint_core.kernel import ids
from flint_core.store.tables import Event

if TYPE_CHECKING:
    from flint_core.platform.context import Context

_DATETIME = TypeAdapter(datetime)
# Who reacts to a new event, in its transaction: the webhooks domain fills this (one delivery per subscribed
# endpoint). The outbox never imports its readers.
SUBSCRIBERS: list[Callable[[Session, Event, datetime], None]] = []


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    object_type: str
    trigger: str
    previous: str = ""  # what data.previous_attributes holds (docs/events.md)

    @property
    def summary(self) -> str:
        return self.trigger.split(". ", 1)[0].removesuffix(".") + "."

    @property
    def with_order(self) -> bool:
        """Events about something that belongs to an order carry that order as ``data.order``."""
        return self.object_type in ORDER_AWARE


ORDER_AWARE = frozenset({"payment_intent", "refund", "checkout_session"})
CREATED = "`{}`: the object is new"


def _was(status: str, *fields: str) -> str:
    return ", ".join([f"`status` (was {status})", *(f"`{f}`" for f in fields), "`available_actions`"])


def _catalog(*rows: tuple[str, ...]) -> dict[str, EventType]:
    return {row[0]: EventType(*row) for row in rows}


# Every event type Flint emits: the source of docs/events.md and of the subscription check. A trigger's
# first sentence is its summary in the catalog table.
EVENT_TYPES = _catalog(
    ("order.created", "order", "An order was created. By create_order, or by create_checkout_session given line "
     "items instead of an order_id (the order then already shows its `checkout_session_url`).", CREATED),
    ("order.updated", "order", "An order changed without a more specific order event. That is: update_order, "
     "apply_coupon or remove_coupon on an OPEN order; a voided hold putting an AUTHORIZED order back to OPEN "
     "(with payment.voided); a FAILED refund giving its money back (with refund.failed; the status may step back, "
     "e.g. REFUNDED -> PAID). A call that changes nothing emits nothing.",
     "for edits e.g. `line_items`, `pricing_amounts`, `coupons`, `metadata`, "
     "`tax_breakdown`, `settlement_amounts`; for a released hold or a failed refund `status`, "
     "`settlement_amounts`, `available_actions`; always `version` and `updated_at`"),
    ("order.authorized", "order", "A hold now covers the order's balance: the order is AUTHORIZED. Emitted with "
     "payment.authorized (pay_order or confirm_payment with capture_method MANUAL).",
     _was("`OPEN`", "settlement_amounts", "version", "updated_at")),
    ("order.paid", "order", "The order's balance was collected: the order is PAID. Emitted with "
     "payment.succeeded (automatic capture) or payment.captured (a hold captured).",
     _was("`OPEN` or `AUTHORIZED`", "settlement_amounts", "line_items", "version", "updated_at")
     + " (`line_items`: their `refundable_quantity` opens up)"),
    ("order.canceled", "order", "The order was canceled (cancel_order). An AUTHORIZED order's hold is voided "
     "first, in the same call: payment.voided and order.updated (back to OPEN) come just before this.",
     _was("`OPEN`", "version", "updated_at")),
    ("order.closed", "order", "The order was closed (close_order). It is CLOSED: settled, accepting nothing more "
     "but refunds.", _was("`PAID` or `PARTIALLY_REFUNDED`", "version", "updated_at")),
    ("order.refunded", "order", "A refund was created against the order. Its money is reserved at once: "
     "`refunded_money` grows and the order becomes PARTIALLY_REFUNDED or REFUNDED (a CLOSED order stays CLOSED). "
     "Emitted with refund.created, before the processor settles the refund; if the refund later fails, "
     "order.updated reports the money coming back.",
     "`settlement_amounts`, `refund_ids`, `line_items` (for refunds of units: `refunded_quantity`), "
     "`status` (was `PAID` or `PARTIALLY_REFUNDED`) when it moved, `version`, `updated_at`"),
    ("payment.succeeded", "payment_intent", "A payment collected its amount at once (automatic capture). From "
     "pay_order, confirm_payment after 3D Secure, retry_payment, or the hosted page; order.paid follows.",
     _was("`PROCESSING` or `REQUIRES_ACTION`", "amount_captured_money", "attempts", "order_status",
          "processor_reference", "next_action")),
    ("payment.failed", "payment_intent", "A payment was declined or failed. Its `failure` block says whether "
     "and how to recover; the order stays OPEN and shows it as `last_payment_failure` (`data.order`). A "
     "decline is an outcome, not an error.", _was("`PROCESSING` or `REQUIRES_ACTION`", "failure", "attempts",
                                                 "processor_reference")),
    ("payment.requires_action", "payment_intent", "A payment needs the buyer to authenticate (3D Secure). Send "
     "them to `next_action.url`, then call confirm_payment.",
     _was("`PROCESSING`", "next_action", "attempts", "processor_reference")),
    ("payment.authorized", "payment_intent", "A manual-capture payment holds funds. Until capture_payment or "
     "void_payment; order.authorized follows.",
     _was("`PROCESSING` or `REQUIRES_ACTION`", "attempts", "order_status", "processor_reference")),
    ("payment.captured", "payment_intent", "A held payment was captured (capture_payment). Fully or partially "
     "(`amount_captured_money`); order.paid follows.",
     _was("`REQUIRES_CAPTURE`", "amount_captured_money", "attempts", "order_status", "updated_at")),
    ("payment.voided", "payment_intent", "An uncaptured payment was voided; its status is CANCELED. A hold "
     "released (void_payment, or cancel_order on an AUTHORIZED order; order.updated follows, the order back to "
     "OPEN) or an abandoned 3D Secure payment (the order stays OPEN, no order event).",
     _was("`REQUIRES_CAPTURE` or `REQUIRES_ACTION`", "attempts", "order_status", "updated_at")),
    ("refund.created", "refund", "A refund was created (create_refund). Usually still PENDING: refund.succeeded "
     "or refund.failed follows when the processor answers (in test mode, within the same call).", CREATED),
    ("refund.succeeded", "refund", "A refund succeeded: the money is on its way back to the buyer. In the "
     "create_refund call itself, or later from the settlement job (`request_id` null).",
     "`status` (was `PENDING`), and `updated_at` / `order_status` when they changed"),
    ("refund.failed", "refund", "The processor failed a refund. `failure_reason` says why; its amount is "
     "refundable again, and the order gets order.updated.",
     "`status` (was `PENDING`), `failure_reason`, `order_status`, `updated_at`"),
    ("checkout_session.completed", "checkout_session", "The buyer paid on the hosted page. The session is "
     "COMPLETE and its order PAID (AUTHORIZED with capture_method MANUAL); the payment and order events of the "
     "same payment come just before this.",
     _was("`OPEN`", "checkout_session_url", "payment_intent_id", "order_status", "amount_due_money",
          "updated_at")),
    ("checkout_session.expired", "checkout_session", "A session ended unpaid. Its `expires_at` passed (written "
     "by the expiry job, `request_id` null) or expire_checkout_session was called; the order is untouched.",
     _was("`OPEN`", "checkout_session_url", "updated_at") + "; after expire_checkout_session also `expires_at`"),
    ("checkout_session.canceled", "checkout_session", "A session can collect nothing more: its order was "
     "canceled or paid some other way. Written by the expiry job right after the order's own event "
     "(`request_id` null), or when the page is next used.", _was("`OPEN`", "checkout_session_url", "updated_at")),
    ("webhook_endpoint.disabled", "webhook_endpoint", "An endpoint kept failing for days and was disabled. "
     "Re-enable it with update_webhook_endpoint.", "`status` (was `ENABLED`) and the fields that changed with it"),
)


def timestamp(moment: datetime) -> str:
    """RFC 3339 exactly as every API object writes its times (pydantic's JSON form)."""
    return _DATETIME.dump_python(moment, mode="json")


def emit(ctx: Context, event_type: str, obj: dict[str, Any], *, previous_attributes: dict[str, Any] | None = None,
         order_id: str | None = None, extra: dict[str, Any] | None = None) -> Event:
    """Record ``event_type`` about ``obj`` (the resource exactly as the API returns it) in ctx's transaction.

    ``order_id`` links the event to an order's timeline (defaults to ``obj["order_id"]``); ``extra`` adds
    context beside the object under ``data`` (e.g. ``{"order": ...}`` on payment events)."""
    spec = EVENT_TYPES[event_type]
    if spec.with_order != ("order" in (extra or {})):  # the catalog promises data.order on exactly these
        raise ValueError(f"{event_type}: data.order is {'required' if spec.with_order else 'not expected'}")
    event_id = ids.new_id("event")
    object_id = obj[f"{spec.object_type}_id"]
    payload = {"event_id": event_id, "object": "event", "type": event_type, "created_at": timestamp(ctx.now),
               "request_id": ctx.request_id, "livemode": ctx.principal is not None and ctx.principal.mode == "live",
               "data": {"object": obj, "previous_attributes": previous_attributes or {}, **(extra or {})}}
    event = Event(event_id=event_id, merchant_id=ctx.merchant_id, env_id=ctx.env_id, type=event_type,
                  object_type=spec.object_type, object_id=object_id, order_id=order_id or obj.get("order_id"),
                  request_id=ctx.request_id, payload=json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
                  created_at=ctx.now)
    ctx.session.add(event)
    for react in SUBSCRIBERS:
        react(ctx.session, event, ctx.now)
    return event
