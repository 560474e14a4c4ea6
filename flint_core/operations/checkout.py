"""Hosted checkout sessions: a page on Flint where the buyer pays one order.

A session adds no payment logic of its own: its page pays through the same ``pay_order`` and
``confirm_payment`` handlers as the API (see ``checkout_hosted``). Its status is stored and also derived:
a session past ``expires_at`` is EXPIRED, one whose order was paid through it is COMPLETE, and one whose
order was canceled or paid some other way is CANCELED, even before the expiry job or the page has written
that down (reads never write).
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictInt, ValidationError, create_model, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session

from flint_core import ids, jobs, lifecycle, limits, pricing, runtime
from flint_core.errors import FlintError
from flint_core.operations.common import fetch
from flint_core.operations.event_objects import as_json, child_event, order_event, order_json, stored_session_view
from flint_core.operations.order_inputs import CreateOrderInput, RedirectUrl
from flint_core.operations.order_views import audit_snapshot, checkout_url, diff
from flint_core.operations.orders import _build
from flint_core.operations.payment_views import in_flight, require_no_payment_in_flight
from flint_core.operations.payments import CaptureMethod, CaptureMethodIn
from flint_core.registry import DESTRUCTIVE, READ_ONLY, WRITE, operation
from flint_core.runtime import Context, Settings
from flint_core.schema import Input, Metadata, MoneyOut, Output, given, openapi_only
from flint_core.store.db import Database
from flint_core.store.models import CheckoutSession, Order, PaymentIntent
from flint_core.validation import translate

DEFAULT_EXPIRY = 24 * 3600
MIN_EXPIRY, MAX_EXPIRY = 30, 7 * 24 * 3600
PAID_HERE = frozenset({lifecycle.SUCCEEDED, lifecycle.REQUIRES_CAPTURE})  # the session's payment collected
ACTIVITY = {lifecycle.COMPLETE: "CHECKOUT_SESSION_COMPLETED", lifecycle.EXPIRED: "CHECKOUT_SESSION_EXPIRED",
            lifecycle.CANCELED: "CHECKOUT_SESSION_CANCELED"}
EVENT_NAMES = {lifecycle.COMPLETE: "completed", lifecycle.EXPIRED: "expired", lifecycle.CANCELED: "canceled"}

# create_order's own fields (types, limits, descriptions), optional here: they describe a new order.
NEW_ORDER_FIELDS = ("currency", "line_items", "customer_id", "buyer_email", "tax_address", "coupon_codes",
                    "service_charges", "tip")
LIST_FIELDS = ("line_items", "coupon_codes", "service_charges")


def _optional(name: str) -> tuple[Any, FieldInfo]:
    info = CreateOrderInput.model_fields[name]
    if not info.is_required():
        return info.annotation, info
    info = copy.copy(info)
    info.default = None
    info.description = f"For a new order (instead of order_id): {info.description}"
    return info.annotation | None, info


_NewOrderFields = create_model("_NewOrderFields", __base__=Input,  # type: ignore[call-overload]
                               **{name: _optional(name) for name in NEW_ORDER_FIELDS})


class CreateCheckoutSessionInput(_NewOrderFields):  # type: ignore[misc, valid-type]
    order_id: str | None = Field(None, description="An OPEN order to collect payment for, `ord_...`. Give this, "
                                 "or line_items (and the other create_order fields) to create the order here.")
    success_url: RedirectUrl = Field(description="Where the buyer goes after paying: an absolute http(s) URL or "
                                     "a path on this server. `{CHECKOUT_SESSION_ID}` in it is replaced by the "
                                     "session id; otherwise `checkout_session_id=cs_...` is appended.")
    cancel_url: RedirectUrl | None = Field(None, description="Where the page's cancel link goes (absent: no "
                                           "cancel link). Following it does not end the session.")
    expires_in_seconds: StrictInt = Field(DEFAULT_EXPIRY, ge=MIN_EXPIRY, le=MAX_EXPIRY, description=(
        f"How long the page takes payments: {MIN_EXPIRY} to {MAX_EXPIRY} seconds (7 days); default "
        f"{DEFAULT_EXPIRY} (24 hours)."))
    capture_method: CaptureMethodIn = Field(CaptureMethod.AUTOMATIC, description="AUTOMATIC (default: charge "
                                            "when the buyer pays) or MANUAL (hold; capture later with "
                                            "capture_payment).")
    metadata: Metadata = Field(default_factory=dict)
    # _one_order: an existing order (and none of a new order's fields, [] counting as none), or a new one
    model_config = ConfigDict(json_schema_extra=openapi_only(anyOf=[
        {"required": ["order_id"], "properties": {"order_id": {"type": "string"}} | {
            name: {"anyOf": [{"type": "null"}, {"type": "array", "maxItems": 0}]} if name in LIST_FIELDS
            else {"type": "null"} for name in NEW_ORDER_FIELDS}},
        given(line_items="array", absent=("order_id",))]))

    @model_validator(mode="after")
    def _one_order(self) -> CreateCheckoutSessionInput:
        given = [name for name in NEW_ORDER_FIELDS if getattr(self, name) not in (None, [])]
        if self.order_id is not None and given:
            raise PydanticCustomError("parameter_invalid", "{detail}", {
                "first": given[0], "detail": "give order_id or the fields of a new order, not both"})
        if self.order_id is None:
            if not given:
                raise PydanticCustomError("parameter_invalid", "{detail}", {
                    "first": "order_id", "detail": "give order_id (an OPEN order) or line_items (a new "
                                                   "order)"})
            if self.line_items is None:
                raise PydanticCustomError("parameter_missing", "{first} is required for a new order",
                                          {"first": "line_items"})
        return self


class CheckoutSessionOut(Output):
    object: Literal["checkout_session"] = Field("checkout_session", description="Always `checkout_session`.")
    checkout_session_id: str = Field(description="Id, `cs_...`.")
    order_id: str = Field(description="The order the page collects payment for.")
    status: str = Field(description="OPEN (takes payment), COMPLETE (paid through it), EXPIRED, or CANCELED "
                                    "(its order was canceled or paid another way).")
    checkout_session_url: str | None = Field(description="The page to send the buyer to while OPEN: an absolute "
                                             "URL on the server's public URL (`https://<server>/checkout/cs_...`), "
                                             "ready for a link or an email. Null once the session is no longer "
                                             "OPEN.")
    success_url: str = Field(description="Where the buyer goes after paying (absolute: a path given at creation "
                                         "is returned on the server's public URL).")
    cancel_url: str | None = Field(description="Where the page's cancel link goes, if any (absolute, like "
                                               "success_url).")
    capture_method: str = Field(description="AUTOMATIC or MANUAL, passed to pay_order.")
    amount_due_money: MoneyOut = Field(description="What the buyer is asked to pay: the order's outstanding "
                                                   "balance now.")
    order_status: str = Field(description="The order's status now; PAID (or AUTHORIZED) after a payment.")
    payment_intent_id: str | None = Field(description="The last payment the page started, `pi_...`.")
    expires_at: datetime = Field(description="When the page stops taking payments.")
    available_actions: list[str] = Field(description="Operations legal on this session now, for the calling key.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")
    metadata: dict[str, str] = Field(description="Your key-value pairs.")


def current_status(session: Session, cs: CheckoutSession, order: Order, now: datetime) -> str:
    """The session's status now, whether or not it has been written down yet."""
    if cs.status != lifecycle.OPEN:
        return cs.status
    own = session.get(PaymentIntent, cs.payment_intent_id) if cs.payment_intent_id else None
    if order.status == lifecycle.CANCELED:
        return lifecycle.CANCELED
    if order.status != lifecycle.OPEN:  # collected: by this page, or by someone else
        return lifecycle.COMPLETE if own is not None and own.status in PAID_HERE else lifecycle.CANCELED
    # a buyer in the middle of 3D Secure keeps the page until that payment ends (confirm or void)
    if now >= cs.expires_at and not (own is not None and own.status in lifecycle.IN_FLIGHT):
        return lifecycle.EXPIRED
    return lifecycle.OPEN


def settle(ctx: Context, cs: CheckoutSession, order: Order, shown: dict[str, Any] | None = None) -> str:
    """Write down the derived status (in a write transaction), with its activity on the order and its
    event. ``shown``: the session as the API showed it before this request changed anything (else: as
    it is now, with its stored status), for the event's previous_attributes."""
    status = current_status(ctx.session, cs, order, ctx.now)
    if status != cs.status:
        lifecycle.CHECKOUT_SESSION.check_transition(cs.status, status)
        before = shown or stored_session_view(ctx, as_json(session_out(ctx, cs, order)), cs)
        ctx.record("order", cs.order_id, ACTIVITY[status], {
            "checkout_session_id": [None, cs.checkout_session_id], "checkout_session.status": [cs.status, status]})
        cs.status, cs.updated_at = status, ctx.now
        child_event(ctx, f"checkout_session.{EVENT_NAMES[status]}", as_json(session_out(ctx, cs, order)), before,
                    order_json(ctx, order))
    return status


def session_out(ctx: Context, cs: CheckoutSession, order: Order) -> CheckoutSessionOut:
    status = current_status(ctx.session, cs, order, ctx.now)
    outstanding = pricing.settle(order.total_amount, order.authorized_amount, order.paid_amount,
                                 order.refunded_amount).outstanding
    url = ctx.settings.absolute_url  # a path on this server (the default success_url) is handed out absolute
    return CheckoutSessionOut(
        checkout_session_id=cs.checkout_session_id, order_id=cs.order_id, status=status,
        checkout_session_url=url(checkout_url(cs.checkout_session_id)) if status == lifecycle.OPEN else None,
        success_url=url(cs.success_url), cancel_url=url(cs.cancel_url) if cs.cancel_url else None,
        capture_method=cs.capture_method,
        amount_due_money=MoneyOut.of(outstanding, order.currency), order_status=order.status,
        payment_intent_id=cs.payment_intent_id, expires_at=cs.expires_at,
        available_actions=lifecycle.CHECKOUT_SESSION.actions_for(status, ctx.can), created_at=cs.created_at,
        updated_at=cs.updated_at, metadata=cs.metadata_)


def open_session(ctx: Context, order: Order, *, success_url: str | None, cancel_url: str | None,
                 expires_in_seconds: int = DEFAULT_EXPIRY, capture_method: str = CaptureMethod.AUTOMATIC.value,
                 metadata: dict[str, str] | None = None) -> CheckoutSession:
    """A new OPEN session for an OPEN order with no payment in flight (also create_order's HOSTED flow).
    Without a success_url the buyer lands back on the page, which then shows the payment received."""
    if not ctx.can("create_checkout_session"):
        raise FlintError("missing_scope", scope="checkout:write", operation="create_checkout_session")
    lifecycle.ORDER.require(order.status, "create_checkout_session", order.order_id, ctx.can)
    require_no_payment_in_flight(order)
    session_id = ids.new_id("checkout_session")
    cs = CheckoutSession(
        checkout_session_id=session_id, merchant_id=order.merchant_id, env_id=order.env_id, created_at=ctx.now,
        updated_at=ctx.now, order_id=order.order_id, status=lifecycle.CHECKOUT_SESSION.initial,
        success_url=success_url or checkout_url(session_id), cancel_url=cancel_url, capture_method=capture_method,
        expires_at=ctx.now + timedelta(seconds=expires_in_seconds), payment_intent_id=None,
        metadata_=metadata or {})
    ctx.session.add(cs)
    jobs.schedule_session_expiry(ctx.session, session_id, cs.expires_at)
    ctx.record("order", order.order_id, "CHECKOUT_SESSION_CREATED", {
        "checkout_session_id": [None, session_id], "expires_at": [None, cs.expires_at.isoformat()]})
    return cs


@operation("create_checkout_session", http="POST /v1/checkout_sessions", scope="checkout:write", safety=WRITE,
           summary="Open a hosted payment page for an OPEN order (or for line items, creating the order).")
def create_checkout_session(ctx: Context, params: CreateCheckoutSessionInput) -> CheckoutSessionOut:
    """Let the buyer pay on a page Flint hosts instead of collecting the card yourself. Give `order_id`
    of an OPEN order, or `currency` + `line_items` (and any create_order field) to create the order
    here. Send the buyer to `checkout_session_url`; the page charges the order's outstanding balance
    through pay_order, handles declines and 3D Secure, and redirects to `success_url`. Then verify with
    get_order that the order is PAID (never trust the redirect alone). The session expires after
    `expires_in_seconds` (default 24 hours). Errors: 409 order_not_payable (the order is not OPEN),
    409 payment_in_progress (a payment is in flight on it)."""
    if params.order_id is not None:
        order = fetch(ctx, Order, params.order_id, resource="order", lock=True)
        limits.check_currency(ctx, order.currency, "order_id")
    else:
        try:
            new_order = CreateOrderInput(**{name: getattr(params, name) for name in NEW_ORDER_FIELDS})
        except ValidationError as exc:
            raise translate(exc) from None
        order = _build(ctx, new_order, preview=False)
        ctx.record("order", order.order_id, "ORDER_CREATED", diff({}, audit_snapshot(order)))
    cs = open_session(ctx, order, success_url=params.success_url, cancel_url=params.cancel_url,
                      expires_in_seconds=params.expires_in_seconds, capture_method=params.capture_method.value,
                      metadata=params.metadata)
    if params.order_id is None:  # announced once it has its session, as get_order would show it
        order_event(ctx, "order.created", order)
    return session_out(ctx, cs, order)


class CheckoutSessionInput(Input):
    checkout_session_id: str = Field(description="The session, `cs_...`.")


@operation("get_checkout_session", http="GET /v1/checkout_sessions/{checkout_session_id}", scope="orders:read",
           safety=READ_ONLY, summary="Fetch a checkout session: status, URL, order and expiry.")
def get_checkout_session(ctx: Context, params: CheckoutSessionInput) -> CheckoutSessionOut:
    """Fetch a session. `status` is current even before the expiry job ran: EXPIRED once `expires_at`
    passed, COMPLETE once its order was paid through the page. To know whether the buyer paid, read
    `order_status` (or get_order): PAID means the money was collected."""
    cs = fetch(ctx, CheckoutSession, params.checkout_session_id, resource="checkout_session")
    order = ctx.session.get(Order, cs.order_id)
    assert order is not None
    return session_out(ctx, cs, order)


@operation("expire_checkout_session", http="POST /v1/checkout_sessions/{checkout_session_id}/expire",
           scope="checkout:write", safety=DESTRUCTIVE,
           summary="Close an OPEN checkout page now so the buyer can no longer pay on it.")
def expire_checkout_session(ctx: Context, params: CheckoutSessionInput) -> CheckoutSessionOut:
    """End an OPEN session early (for example when the cart changed: expire it and create a new one).
    The order is untouched and stays payable by other means. Fails with 409 invalid_state_transition when
    the session is not OPEN, and 409 payment_in_progress while the buyer is in the middle of paying on
    it (3D Secure); cannot be undone."""
    cs = fetch(ctx, CheckoutSession, params.checkout_session_id, resource="checkout_session")
    order = ctx.session.get(Order, cs.order_id, with_for_update=True, populate_existing=True)  # order first,
    cs = ctx.session.get(CheckoutSession, cs.checkout_session_id, with_for_update=True,  # like pay_order
                         populate_existing=True)
    assert order is not None and cs is not None
    status = settle(ctx, cs, order)
    lifecycle.CHECKOUT_SESSION.require(status, "expire_checkout_session", cs.checkout_session_id, ctx.can)
    pending = in_flight(order)
    if pending is not None and pending.payment_intent_id == cs.payment_intent_id:
        require_no_payment_in_flight(order)
    shown = as_json(session_out(ctx, cs, order))  # its expires_at moves too: previous_attributes has both
    cs.expires_at = min(cs.expires_at, ctx.now)
    settle(ctx, cs, order, shown)
    return session_out(ctx, cs, order)


def system_context(db: Database, session: Session, cs: CheckoutSession, *, operation_name: str, face: str,
                   settings: Settings, request_id: str | None = None, now: datetime | None = None) -> Context:
    """Act for the merchant who opened the session (actor ``system``): the page's buyer has no key, and
    the session itself is the merchant's authorization to collect this order's balance."""
    return runtime.system_context(session, cs.merchant_id, cs.env_id, operation=operation_name, settings=settings,
                                  face=face, request_id=request_id, now=now, db=db)
