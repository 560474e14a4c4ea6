"""Payments: pay an order's outstanding balance, hold and capture, void, 3D Secure, retries.

Every processor call follows the same three steps so that nothing is lost or done twice when a
process dies: (1) persist the payment intent and commit (the recovery point); (2) call the processor
with a key derived from the payment intent id, outside any transaction; (3) record the outcome in a new
transaction. Retrying re-drives the SAME payment intent with the SAME processor key, so the processor
returns the first outcome instead of charging again.
"""

from __future__ import annotations

from typing import Any

from flint_core.catalog import stock
from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.orders.lifecycle import ORDER, OrderStatus
from flint_core.orders.service import balances, in_flight, lock_order, order_statuses
from flint_core.payment_methods import service as saved_cards
from flint_core.payments.charge import apply_charge
from flint_core.payments.inputs import (
    CapturePaymentInput,
    ListPaymentIntentsInput,
    PaymentIntentInput,
    PayOrderInput,
    VoidPaymentInput,
)
from flint_core.payments.lifecycle import IN_FLIGHT, PAYMENT_INTENT, PaymentStatus
from flint_core.payments.service import authorize, call, hold_until, saving_card
from flint_core.payments.views import PaymentIntentOut, payment_intent_out
from flint_core.platform import limits, previews
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import fetch, scoped
from flint_core.platform.registry import MOVES_MONEY, READ_ONLY, RELEASES_MONEY, RESUMES_PAYMENT, operation
from flint_core.processors.base import ChargeResult, ChargeStatus
from flint_core.processors.cards import tokenize
from flint_core.store.tables import LIVE, Order, PaymentIntent


@operation("pay_order", http="POST /v1/orders/{order_id}/pay", scope="payments:write", safety=MOVES_MONEY,
           summary="Charge (or hold) an order's outstanding balance with a card token or test card.")
def pay_order(ctx: Context, params: PayOrderInput) -> PaymentIntentOut:
    """Collect the order's outstanding balance; the amount is never an input. Outcomes are 200s:
    SUCCEEDED (order PAID), REQUIRES_CAPTURE with capture_method MANUAL (order AUTHORIZED),
    REQUIRES_ACTION for 3D Secure (send the customer to `next_action.url`, then confirm_payment), or
    FAILED: a decline is an outcome with a `failure` block saying whether to retry and what to do
    (the order stays OPEN with `last_payment_failure`). A 502/504 processor_error means the outcome is
    unknown: retry with the SAME idempotency key or call retry_payment; never start a new payment. A
    retry with the same idempotency key always returns (or resumes) the payment that key created; if
    another payment is already in flight on the order, pay_order resumes it (ignoring the new source)
    instead of charging again. A saved card: `payment_method_id` (with `off_session: true` when the
    customer is absent; authentication_required then means send them create_checkout_session);
    `off_session: true` alone charges the order's customer's default card."""
    order = fetch(ctx, Order, params.order_id, resource="order", lock=True)
    mine = next((pi for pi in order.payment_intents
                 if ctx.idempotency_key and pi.idempotency_key == ctx.idempotency_key), None)
    if mine is not None and mine.status not in IN_FLIGHT:  # this key's payment already ended
        return payment_intent_out(ctx, mine, order.status)
    pending = in_flight(order)
    if pending is not None:  # resume the payment in flight; never start a second one
        if pending.status == PaymentStatus.PROCESSING:
            return authorize(ctx, pending)
        return payment_intent_out(ctx, pending, order.status)
    ORDER.require(order.status, "pay_order", order.order_id, ctx.can)
    limits.check_currency(ctx, order.currency, "order_id")
    saved = None
    if params.payment_source is None:  # a saved card, of the order's customer (theirs on file if none is named)
        card = params.payment_method_id or saved_cards.card_on_file(ctx, order.customer_id)
        saved = saved_cards.chargeable(ctx, card, order.customer_id, "payment_method_id")
        source = saved_cards.charge_source(ctx, saved)
        saved.last_used_at = ctx.now
    else:
        source = tokenize(params.payment_source, test_mode=ctx.env_id != LIVE)
    if params.save_payment_method and order.customer_id is None:
        raise FlintError("customer_required", param="save_payment_method",
                         detail="save_payment_method needs an order with a customer_id")
    if params.save_payment_method and ctx.env_id == LIVE:  # Stripe would need the payment made for its customer
        raise FlintError("parameter_invalid", param="save_payment_method",
                         detail="not available in live mode yet: save the card with create_setup_intent")
    amount = balances(order).outstanding
    pi = PaymentIntent(
        payment_intent_id=ids.new_id("payment_intent"), merchant_id=ctx.merchant_id, env_id=ctx.env_id,
        created_at=ctx.now, updated_at=ctx.now, order_id=order.order_id, status=PAYMENT_INTENT.initial,
        amount=amount, currency=order.currency, amount_captured=0, amount_refunded=0,
        capture_method=params.capture_method.value,
        payment_method={"token": source.token, "brand": source.brand, "last4": source.last4}
        | ({"customer": source.customer} if source.customer else {}),
        payment_method_id=saved.payment_method_id if saved else None, off_session=params.off_session,
        save_payment_method=params.save_payment_method,
        processor=ctx.processor().name if amount else "none", processor_reference=None, attempts=[],
        failure=None, next_action=None, buyer_email=params.buyer_email or order.buyer_email,
        idempotency_key=ctx.idempotency_key)
    ctx.session.add(pi)
    email_before = order.buyer_email
    if params.buyer_email:
        order.buyer_email = params.buyer_email
    if saved is not None and order.customer_id is None:  # a saved card pays for its own customer's order
        order.customer_id = saved.customer_id
    ctx.record("order", order.order_id, "PAYMENT_STARTED",
               {"payment_intent_id": [None, pi.payment_intent_id], "amount": [None, amount]}
               | ({"payment_method_id": [None, saved.payment_method_id]} if saved else {})
               | ({"buyer_email": [email_before, params.buyer_email]} if params.buyer_email else {}))
    if any(li.variation_id for li in order.line_items):  # hold its stock before the processor is called
        stock.reserve(ctx, order, pi.payment_intent_id, hold_until(ctx, order))
    if amount == 0:  # nothing to collect (a fully discounted order): no processor call
        apply_charge(ctx, pi, order, ChargeResult(ChargeStatus.SUCCEEDED, "", 0, 0), "authorize")
        return payment_intent_out(ctx, pi, order.status)
    return authorize(ctx, pi)


@operation("retry_payment", http="POST /v1/payment_intents/{payment_intent_id}/retry", scope="payments:write",
           safety=RESUMES_PAYMENT, summary="Re-drive a payment stuck PROCESSING after a processor timeout (never a decline); safe to repeat.")
def retry_payment(ctx: Context, params: PaymentIntentInput) -> PaymentIntentOut:
    """For a payment left PROCESSING by a processor timeout or a crash: asks the processor what became
    of the original call (same processor idempotency key) and records that outcome, or makes the call if
    it never arrived. It can never charge twice, so it is safe to call any number of times. It does NOT
    retry a declined (FAILED) payment: that is 409 `payment_not_processing`; to try a decline again, call
    pay_order on the order with a payment_source and a new idempotency key."""
    pi = fetch(ctx, PaymentIntent, params.payment_intent_id, resource="payment_intent", lock=True)
    try:
        PAYMENT_INTENT.require(pi.status, "retry_payment", pi.payment_intent_id, ctx.can)
    except FlintError as exc:  # name the call that does retry a decline, when the order takes one now
        order = fetch(ctx, Order, pi.order_id, resource="order")
        if ORDER.can(order.status, "pay_order") and ctx.can("pay_order"):
            exc.suggested_actions.insert(0, "pay_order")
        raise
    return authorize(ctx, pi)


@operation("confirm_payment", http="POST /v1/payment_intents/{payment_intent_id}/confirm", scope="payments:write",
           safety=RESUMES_PAYMENT, summary="Finish a 3D Secure payment after the customer authenticated.")
def confirm_payment(ctx: Context, params: PaymentIntentInput) -> PaymentIntentOut:
    """Call after the customer completed (or abandoned) 3D Secure at `next_action.url`. Returns
    SUCCEEDED / REQUIRES_CAPTURE when they authenticated, FAILED (authentication_failed) when they
    failed, or still REQUIRES_ACTION when they have not answered yet."""
    pi = fetch(ctx, PaymentIntent, params.payment_intent_id, resource="payment_intent", lock=True)
    PAYMENT_INTENT.require(pi.status, "confirm_payment", pi.payment_intent_id, ctx.can)
    processor, reference = ctx.processor(), pi.processor_reference or ""
    return call(ctx, pi.payment_intent_id, "confirm", saving_card(
        processor, pi, lambda: processor.confirm(key=f"{pi.payment_intent_id}:confirm", reference=reference)))


@operation("capture_payment", http="POST /v1/payment_intents/{payment_intent_id}/capture", scope="payments:write",
           safety=MOVES_MONEY, summary="Capture a held (MANUAL) payment, fully or partially.")
def capture_payment(ctx: Context, params: CapturePaymentInput) -> PaymentIntentOut:
    """Capture an authorization: the order becomes PAID. A partial capture collects less and releases the
    rest of the hold for good; the order records what was captured (`paid_money`), and the uncollected
    difference shows in `outstanding_money`."""
    pi = fetch(ctx, PaymentIntent, params.payment_intent_id, resource="payment_intent", lock=True)
    PAYMENT_INTENT.require(pi.status, "capture_payment", pi.payment_intent_id, ctx.can)
    amount = pi.amount
    if params.amount_money is not None:
        if params.amount_money.currency != pi.currency:
            raise FlintError("currency_mismatch", param="amount_money.currency", other=params.amount_money.currency,
                             currency=pi.currency)
        if not 0 < params.amount_money.amount <= pi.amount:
            raise FlintError("parameter_invalid", param="amount_money.amount",
                             detail=f"must be between 1 and the held amount, {pi.amount}")
        amount = params.amount_money.amount
    processor, reference = ctx.processor(), pi.processor_reference or ""
    return call(ctx, pi.payment_intent_id, "capture",
                 lambda: processor.capture(key=f"{pi.payment_intent_id}:capture", reference=reference, amount=amount))


@operation("void_payment", http="POST /v1/payment_intents/{payment_intent_id}/void", scope="payments:write",
           safety=RELEASES_MONEY, preview_by="preview_void_payment",
           summary="Release a hold (or abandon a 3D Secure payment); the order is OPEN again.")
def void_payment(ctx: Context, params: VoidPaymentInput) -> PaymentIntentOut:
    """Cancel an uncaptured payment: REQUIRES_CAPTURE (the hold is released and the order goes back to
    OPEN) or REQUIRES_ACTION (the customer abandoned 3D Secure). Nothing was charged, so nothing is
    refunded. Cannot be undone; pay_order again to collect."""
    pi = fetch(ctx, PaymentIntent, params.payment_intent_id, resource="payment_intent", lock=True)
    if params.preview_id is not None:
        order = lock_order(ctx.session, pi.order_id)
        previews.confirm(ctx, params.preview_id, "void_payment", previews.fingerprint("void_payment", params),
                         pi.payment_intent_id, order.version)
    PAYMENT_INTENT.require(pi.status, "void_payment", pi.payment_intent_id, ctx.can)
    processor, reference = ctx.processor(), pi.processor_reference or ""
    return call(ctx, pi.payment_intent_id, "void",
                 lambda: processor.void(key=f"{pi.payment_intent_id}:void", reference=reference))


@operation("get_payment_intent", http="GET /v1/payment_intents/{payment_intent_id}", scope="orders:read",
           safety=READ_ONLY, summary="Fetch a payment intent: status, attempts, failure and next action.")
def get_payment_intent(ctx: Context, params: PaymentIntentInput) -> PaymentIntentOut:
    """Fetch a payment with every processor attempt (when, what, outcome, code, decision), its failure
    block if declined, and `next_action` if the customer must authenticate."""
    pi = fetch(ctx, PaymentIntent, params.payment_intent_id, resource="payment_intent")
    order = ctx.session.get(Order, pi.order_id)
    return payment_intent_out(ctx, pi, order.status if order else "")


@operation("list_payment_intents", http="GET /v1/payment_intents", scope="orders:read", safety=READ_ONLY,
           summary="List payment intents, newest first, by order or status.")
def list_payment_intents(ctx: Context, params: ListPaymentIntentsInput) -> Page[PaymentIntentOut]:
    """List payments, newest first. Filter by `order_id` to see every attempt on one order."""
    stmt = scoped(ctx, PaymentIntent)
    if params.order_id:
        stmt = stmt.where(PaymentIntent.order_id == params.order_id)
    if params.status:
        stmt = stmt.where(PaymentIntent.status == params.status.value)
    filters = {"order_id": params.order_id, "status": params.status.value if params.status else None}
    rows, token = paginate(ctx.session, stmt, PaymentIntent.payment_intent_id, params, filters)
    statuses = order_statuses(ctx, {pi.order_id for pi in rows})
    return Page[PaymentIntentOut](data=[payment_intent_out(ctx, pi, statuses.get(pi.order_id, "")) for pi in rows],
                                  next_page_token=token)


@operation("preview_void_payment", http="POST /v1/payment_intents/{payment_intent_id}/void/preview",
           scope="orders:read", safety=READ_ONLY,
           summary="What void_payment would do, and a preview_id to confirm exactly that.")
def preview_void_payment(ctx: Context, params: PaymentIntentInput) -> previews.ActionPreview:
    """Read-only. Shows whether the payment can be voided now and what would change (its status, the
    hold released, the order's status). Pass its preview_id to void_payment."""
    pi = fetch(ctx, PaymentIntent, params.payment_intent_id, resource="payment_intent")
    order = fetch(ctx, Order, pi.order_id, resource="order")
    error = None
    try:
        PAYMENT_INTENT.require(pi.status, "void_payment", pi.payment_intent_id, ctx.can)
    except FlintError as exc:
        error = exc
    effects: dict[str, list[Any]] = {"payment_intent.status": [pi.status, PaymentStatus.CANCELED]}
    if pi.status == PaymentStatus.REQUIRES_CAPTURE:
        effects["authorized_money.amount"] = [order.authorized_amount, order.authorized_amount - pi.amount]
        effects["order.status"] = [order.status, OrderStatus.OPEN]
    return previews.action_preview(ctx, "void_payment", params, pi.payment_intent_id, order.version, effects,
                                   error)
