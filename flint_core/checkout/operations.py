"""Hosted checkout sessions: a page on Flint where the buyer pays one order.

A session adds no payment logic of its own: its page pays through the same ``pay_order`` and
``confirm_payment`` handlers as the API (see ``flint_core.hosted.checkout``). Its status is stored and also derived:
a session past ``expires_at`` is EXPIRED, one whose order was paid through it is COMPLETE, and one whose
order was canceled or paid some other way is CANCELED, even before the expiry job or the page has written
that down (reads never write).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import ValidationError

from flint_core.checkout.inputs import (
    DEFAULT_EXPIRY,
    NEW_ORDER_FIELDS,
    CheckoutMode,
    CheckoutSessionInput,
    CreateCheckoutSessionInput,
)
from flint_core.checkout.jobs import schedule_session_expiry
from flint_core.checkout.lifecycle import CHECKOUT_SESSION
from flint_core.checkout.service import record_status
from flint_core.checkout.views import CheckoutSessionOut, session_out
from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.orders import flows
from flint_core.orders.announce import as_json, order_event
from flint_core.orders.build import build_order
from flint_core.orders.inputs import CheckoutFlow, CreateOrderInput
from flint_core.orders.lifecycle import ORDER
from flint_core.orders.service import in_flight, require_no_payment_in_flight
from flint_core.orders.views import audit_snapshot, checkout_url, diff
from flint_core.payment_methods import service as saved_cards
from flint_core.payment_methods.lifecycle import SetupIntentStatus
from flint_core.payments.inputs import CaptureMethod
from flint_core.platform import limits
from flint_core.platform.context import Context
from flint_core.platform.queries import fetch
from flint_core.platform.registry import CREATE, DESTRUCTIVE, READ_ONLY, operation
from flint_core.platform.validation import translate
from flint_core.store.tables import CheckoutSession, Customer, Order, SetupIntent


def open_session(ctx: Context, order: Order, *, success_url: str | None, cancel_url: str | None,
                 expires_in_seconds: int = DEFAULT_EXPIRY, capture_method: str = CaptureMethod.AUTOMATIC.value,
                 metadata: dict[str, str] | None = None) -> CheckoutSession:
    """A new OPEN session for an OPEN order with no payment in flight (also create_order's HOSTED flow).
    Without a success_url the buyer lands back on the page, which then shows the payment received."""
    if not ctx.can("create_checkout_session"):
        raise FlintError("missing_scope", scope="checkout:write", operation="create_checkout_session")
    ORDER.require(order.status, "create_checkout_session", order.order_id, ctx.can)
    require_no_payment_in_flight(order)
    session_id = ids.new_id("checkout_session")
    cs = CheckoutSession(
        checkout_session_id=session_id, merchant_id=order.merchant_id, env_id=order.env_id, created_at=ctx.now,
        updated_at=ctx.now, order_id=order.order_id, status=CHECKOUT_SESSION.initial,
        success_url=success_url or checkout_url(session_id), cancel_url=cancel_url, capture_method=capture_method,
        expires_at=ctx.now + timedelta(seconds=expires_in_seconds), payment_intent_id=None,
        metadata_=metadata or {})
    ctx.session.add(cs)
    schedule_session_expiry(ctx.session, session_id, cs.expires_at)
    ctx.record("order", order.order_id, "CHECKOUT_SESSION_CREATED", {
        "checkout_session_id": [None, session_id], "expires_at": [None, cs.expires_at.isoformat()]})
    return cs


def open_setup_session(ctx: Context, params: CreateCheckoutSessionInput) -> CheckoutSession:
    """A SETUP session: a page where the customer saves a card, with the setup intent it saves it with
    (both expire together)."""
    assert params.customer_id is not None
    customer = fetch(ctx, Customer, params.customer_id, resource="customer", lock=True)
    session_id, expires_at = ids.new_id("checkout_session"), ctx.now + timedelta(seconds=params.expires_in_seconds)
    seti = saved_cards.setup_on_page(ctx, customer.customer_id, expires_at)
    cs = CheckoutSession(
        checkout_session_id=session_id, merchant_id=ctx.merchant_id, env_id=ctx.env_id, created_at=ctx.now,
        updated_at=ctx.now, mode=CheckoutMode.SETUP.value, order_id=None, customer_id=customer.customer_id,
        setup_intent_id=seti.setup_intent_id, status=CHECKOUT_SESSION.initial,
        success_url=params.success_url or checkout_url(session_id), cancel_url=params.cancel_url,
        capture_method=CaptureMethod.AUTOMATIC.value, expires_at=expires_at, payment_intent_id=None,
        metadata_=params.metadata)
    ctx.session.add(cs)
    schedule_session_expiry(ctx.session, session_id, expires_at)
    ctx.record("customer", customer.customer_id, "CHECKOUT_SESSION_CREATED", {
        "checkout_session_id": [None, session_id], "expires_at": [None, expires_at.isoformat()]})
    return cs


@operation("create_checkout_session", http="POST /v1/checkout_sessions", scope="checkout:write", safety=CREATE,
           summary="Open a hosted page that collects an order's payment (mode PAYMENT) or saves a card (SETUP).")
def create_checkout_session(ctx: Context, params: CreateCheckoutSessionInput) -> CheckoutSessionOut:
    """Let the buyer pay on a page Flint hosts instead of collecting the card yourself. Give `order_id`
    of an OPEN order, or `currency` + `line_items` (and any create_order field) to create the order
    here. Send the buyer to `checkout_session_url`; the page charges the order's outstanding balance
    through pay_order, handles declines and 3D Secure, and redirects to `success_url`. Then verify with
    get_order that the order is PAID (never trust the redirect alone). The session expires after
    `expires_in_seconds` (default 24 hours). Errors: 409 order_not_payable (the order is not OPEN),
    409 payment_in_progress (a payment is in flight on it).
    `mode: SETUP` with `customer_id` (and no order) instead saves the customer's card without charging:
    the page collects it (3D Secure when asked) and the session is COMPLETE with `payment_method_id` once
    saved; charge it later with pay_order(payment_method_id=..., off_session=true)."""
    if params.mode is CheckoutMode.SETUP:
        cs = open_setup_session(ctx, params)
        return session_out(ctx, cs, None)
    if params.order_id is not None:
        order = fetch(ctx, Order, params.order_id, resource="order", lock=True)
        limits.check_currency(ctx, order.currency, "order_id")
    else:
        try:
            new_order = CreateOrderInput(**{name: getattr(params, name) for name in NEW_ORDER_FIELDS})
        except ValidationError as exc:
            raise translate(exc) from None
        order = build_order(ctx, new_order, preview=False)
        ctx.record("order", order.order_id, "ORDER_CREATED", diff({}, audit_snapshot(order)))
    cs = open_session(ctx, order, success_url=params.success_url, cancel_url=params.cancel_url,
                      expires_in_seconds=params.expires_in_seconds, capture_method=params.capture_method.value,
                      metadata=params.metadata)
    if params.order_id is None:  # announced once it has its session, as get_order would show it
        order_event(ctx, "order.created", order)
    return session_out(ctx, cs, order)


@operation("get_checkout_session", http="GET /v1/checkout_sessions/{checkout_session_id}", scope="orders:read",
           safety=READ_ONLY, summary="Fetch a checkout session: status, URL, order and expiry.")
def get_checkout_session(ctx: Context, params: CheckoutSessionInput) -> CheckoutSessionOut:
    """Fetch a session. `status` is current even before the expiry job ran: EXPIRED once `expires_at`
    passed, COMPLETE once its order was paid through the page. To know whether the buyer paid, read
    `order_status` (or get_order): PAID means the money was collected."""
    cs = fetch(ctx, CheckoutSession, params.checkout_session_id, resource="checkout_session")
    return session_out(ctx, cs, ctx.session.get(Order, cs.order_id) if cs.order_id else None)


@operation("expire_checkout_session", http="POST /v1/checkout_sessions/{checkout_session_id}/expire",
           scope="checkout:write", safety=DESTRUCTIVE,
           summary="Close an OPEN checkout page now so the buyer can no longer pay on it.")
def expire_checkout_session(ctx: Context, params: CheckoutSessionInput) -> CheckoutSessionOut:
    """End an OPEN session early (for example when the cart changed: expire it and create a new one).
    The order is untouched and stays payable by other means. Fails with 409 invalid_state_transition when
    the session is not OPEN, and 409 payment_in_progress while the buyer is in the middle of paying on
    it (3D Secure); cannot be undone. A SETUP session's setup intent is canceled with it."""
    cs = fetch(ctx, CheckoutSession, params.checkout_session_id, resource="checkout_session")
    if cs.order_id is None:
        return _expire_setup_session(ctx, cs)
    order = ctx.session.get(Order, cs.order_id, with_for_update=True, populate_existing=True)  # order first,
    cs = ctx.session.get(CheckoutSession, cs.checkout_session_id, with_for_update=True,  # like pay_order
                         populate_existing=True)
    assert order is not None and cs is not None
    status = record_status(ctx, cs, order)
    CHECKOUT_SESSION.require(status, "expire_checkout_session", cs.checkout_session_id, ctx.can)
    pending = in_flight(order)
    if pending is not None and pending.payment_intent_id == cs.payment_intent_id:
        require_no_payment_in_flight(order)
    shown = as_json(session_out(ctx, cs, order))  # its expires_at moves too: previous_attributes has both
    cs.expires_at = min(cs.expires_at, ctx.now)
    record_status(ctx, cs, order, shown)
    return session_out(ctx, cs, order)


def _expire_setup_session(ctx: Context, cs: CheckoutSession) -> CheckoutSessionOut:
    """A SETUP session ends now, and its unfinished setup intent with it: its expiry job, brought forward
    to now, cancels it (at the processor when the card reached one, outside this transaction)."""
    cs = ctx.session.get(CheckoutSession, cs.checkout_session_id, with_for_update=True, populate_existing=True)
    seti = ctx.session.get(SetupIntent, cs.setup_intent_id, with_for_update=True, populate_existing=True)
    assert cs is not None and seti is not None
    status = record_status(ctx, cs, None)
    CHECKOUT_SESSION.require(status, "expire_checkout_session", cs.checkout_session_id, ctx.can)
    shown = as_json(session_out(ctx, cs, None))
    cs.expires_at = min(cs.expires_at, ctx.now)
    if seti.status == SetupIntentStatus.REQUIRES_ACTION:
        seti.expires_at = min(seti.expires_at, ctx.now)
        saved_cards.schedule_expiry(ctx, seti, advance=True)
    record_status(ctx, cs, None, shown)
    return session_out(ctx, cs, None)


def _hosted_flow(ctx: Context, order: Order, params: CreateOrderInput) -> None:
    """create_order with ``checkout_flow: HOSTED``: the new order gets its hosted checkout session."""
    open_session(ctx, order, success_url=params.success_url, cancel_url=params.cancel_url)


flows.CHECKOUT_FLOWS[CheckoutFlow.HOSTED] = _hosted_flow
