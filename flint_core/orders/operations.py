"""Orders: the primitive. Create, preview, read, list, edit while OPEN, cancel, close, coupons."""

from __future__ import annotations

from typing import Any

from flint_core.coupons import service as coupon_service
from flint_core.coupons.inputs import code_key
from flint_core.kernel.errors import FlintError, not_found
from flint_core.orders import flows, reads
from flint_core.orders.announce import order_event, order_json
from flint_core.orders.build import (
    add_coupon,
    build_order,
    catalog_lines,
    check_line_count,
    new_line,
    new_service_charges,
    tip_of,
)
from flint_core.orders.inputs import (
    ApplyCouponInput,
    CancelOrderInput,
    CheckoutFlow,
    CloseOrderInput,
    CreateOrderInput,
    GetOrderInput,
    ListOrdersInput,
    PreviewCancelInput,
    RemoveCouponInput,
    UpdateOrderInput,
)
from flint_core.orders.lifecycle import ORDER, OrderStatus
from flint_core.orders.repricing import reprice
from flint_core.orders.service import require_no_payment_in_flight
from flint_core.orders.transitions import move_order
from flint_core.orders.views import OrderOut, audit_snapshot, diff, legal, order_out
from flint_core.platform import previews
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import created_between, fetch, merge_metadata
from flint_core.platform.registry import CREATE, DESTRUCTIVE, READ_ONLY, RELEASES_MONEY, WRITE, operation
from flint_core.store.tables import Customer, Order


@operation("create_order", http="POST /v1/orders", scope="orders:write", safety=CREATE,
           summary="Create an OPEN order from line items; Flint computes discounts, tax, fees, tip and total.")
def create_order(ctx: Context, params: CreateOrderInput) -> OrderOut:
    """Create an order: the primitive everything else (payments, refunds, checkout) hangs off. Send line
    items with integer quantities and unit prices in minor units; never compute totals yourself: read
    `pricing_amounts` from the response. Coupons in `coupon_codes` are redeemed now (each counts against
    its limit). Use preview_order first to show a quote without creating anything. Always send an
    idempotency key: a retry with the same key returns the same order instead of creating a second one.
    With `checkout_flow: "HOSTED"` the order also gets a hosted checkout session (needs the checkout:write
    scope too): send the buyer to `checkout_session_url`, then check that the order is PAID."""
    order = build_order(ctx, params, preview=False)
    ctx.record("order", order.order_id, "ORDER_CREATED", diff({}, audit_snapshot(order)), created=True)
    if params.checkout_flow is CheckoutFlow.HOSTED:
        flows.CHECKOUT_FLOWS[CheckoutFlow.HOSTED](ctx, order, params)
        return order_event(ctx, "order.created", order)
    return order_event(ctx, "order.created", order, checkout_urls={})  # no flow: no checkout session


@operation("preview_order", http="POST /v1/orders/preview", scope="orders:read", safety=READ_ONLY,
           summary="Price an order without creating it: a quote with every computed amount.")
def preview_order(ctx: Context, params: CreateOrderInput) -> OrderOut:
    """Compute exactly what create_order would (same input, same rules, same validation of coupons) and
    store nothing: no order, no coupon redemption. `preview` is true and ids are null."""
    return order_out(ctx, build_order(ctx, params, preview=True), preview=True)


@operation("get_order", http="GET /v1/orders/{order_id}", scope="orders:read", safety=READ_ONLY,
           summary="Fetch an order with its line items, computed amounts and available actions.")
def get_order(ctx: Context, params: GetOrderInput) -> OrderOut:
    """Fetch an order. Read `status` and `available_actions` before acting on it; never guess ids."""
    order = reads.load_order(ctx, params.order_id)
    if order is None:
        raise not_found("order", params.order_id, "order_id")
    return order_out(ctx, order, checkout_urls=reads.checkout_urls(ctx, [order]))


@operation("list_orders", http="GET /v1/orders", scope="orders:read", safety=READ_ONLY,
           summary="List orders, newest first, filtered by customer, status or creation time.")
def list_orders(ctx: Context, params: ListOrdersInput) -> Page[OrderOut]:
    """List orders, newest first (`order_by=created_at` for oldest first). To find "Sarah's last order":
    search_customers(name="sarah"), then list_orders(customer_id=..., page_size=1)."""
    columns, stmt = reads.COLUMNS, reads.scoped(ctx)
    if params.customer_id:
        stmt = stmt.where(columns.customer_id == params.customer_id)
    if params.status:
        stmt = stmt.where(columns.status == params.status.value)
    stmt = created_between(stmt, columns.created_at, params)
    filters = params.model_dump(mode="json", exclude={"page_size", "page_token", "order_by"})
    rows, token = paginate(ctx.session, stmt, columns.order_id, params, filters,
                           load=lambda page: reads.load_orders(ctx, page))
    urls = reads.checkout_urls(ctx, rows)
    return Page[OrderOut](data=[order_out(ctx, o, checkout_urls=urls) for o in rows], next_page_token=token)


def _before(ctx: Context, order: Order) -> tuple[dict[str, Any], dict[str, Any]]:
    """The order before a mutation: its audit snapshot (for the activity) and as the API shows it (for
    the event's previous_attributes)."""
    return audit_snapshot(order), order_json(ctx, order)


def _mutate(ctx: Context, order: Order, activity: str, before: tuple[dict[str, Any], dict[str, Any]]) -> OrderOut:
    """Finish an edit of an OPEN order: reprice it, then write the change down with its activity and the
    order.updated event (nothing at all when nothing changed)."""
    audit, shown = before
    reprice(ctx, order)
    delta = diff(audit, audit_snapshot(order))
    if not delta:
        return order_out(ctx, order)
    move_order(ctx, order, order.status, activity, delta)
    return order_event(ctx, "order.updated", order, shown)


def _open_order(ctx: Context, order_id: str, action: str) -> Order:
    """The order, locked, in a status that allows ``action`` and with no payment in flight."""
    order = fetch(ctx, Order, order_id, resource="order", lock=True)
    ORDER.require(order.status, action, order.order_id, legal(ctx, order))
    require_no_payment_in_flight(order)
    return order


@operation("update_order", http="PATCH /v1/orders/{order_id}", scope="orders:write", safety=WRITE,
           summary="Edit an OPEN order: add, change or remove lines, fees, tip, tax address, metadata.")
def update_order(ctx: Context, params: UpdateOrderInput) -> OrderOut:
    """Change an OPEN order; every amount is recomputed in the same transaction. Send the `version` you
    read to avoid overwriting a concurrent change (409 order_version_conflict). Fails with 409
    order_not_editable once the order is paid or canceled."""
    order = _open_order(ctx, params.order_id, "update_order")
    if params.version is not None and params.version != order.version:
        raise FlintError("order_version_conflict", param="version", order_id=order.order_id,
                         current=order.version, given=params.version)
    before = _before(ctx, order)
    lines = {li.line_item_id: li for li in order.line_items}
    for i, change in enumerate(params.update_line_items):
        if change.line_item_id not in lines:
            raise FlintError("line_item_not_found", param=f"update_line_items.{i}.line_item_id",
                             order_id=order.order_id, line_item_id=change.line_item_id)
        lines[change.line_item_id].quantity = change.quantity
    for i, line_item_id in enumerate(params.remove_line_item_ids):
        if line_item_id not in lines:
            raise FlintError("line_item_not_found", param=f"remove_line_item_ids.{i}", order_id=order.order_id,
                             line_item_id=line_item_id)
        order.line_items.remove(lines.pop(line_item_id))
    start = max((li.position for li in order.line_items), default=-1) + 1
    sources = catalog_lines(ctx, params.add_line_items, "add_line_items")
    for i, item in enumerate(params.add_line_items):
        order.line_items.append(new_line(ctx, order, item, start + i, f"add_line_items.{i}", sources))
    if not order.line_items:
        raise FlintError("order_requires_line_items", param="remove_line_item_ids")
    check_line_count(len(order.line_items))
    if params.service_charges is not None:
        order.service_charges = new_service_charges(ctx, order, params.service_charges)
    if params.tip is not None:
        tip = tip_of(order, params.tip)
        order.tip = None if tip.get("amount") == 0 or tip.get("percentage") == "0" else tip
    if params.tax_address is not None:
        order.tax_address = params.tax_address.model_dump()
    if params.customer_id is not None:
        fetch(ctx, Customer, params.customer_id, resource="customer")
        order.customer_id = params.customer_id
    if params.buyer_email is not None:
        order.buyer_email = params.buyer_email
    order.metadata_ = merge_metadata(order.metadata_, params.metadata)
    return _mutate(ctx, order, "ORDER_UPDATED", before)


@operation("apply_coupon", http="POST /v1/orders/{order_id}/coupons", scope="orders:write", safety=WRITE,
           summary="Apply a coupon code to an OPEN order and recompute it.")
def apply_coupon(ctx: Context, params: ApplyCouponInput) -> OrderOut:
    """Redeem a coupon on an OPEN order; discounts, tax and total are recomputed. Counts one redemption
    (released by remove_coupon or cancel_order). Fails with 400 when the coupon is expired, inactive, at
    its redemption limit, in another currency, or cannot stack with a coupon already applied."""
    order = _open_order(ctx, params.order_id, "apply_coupon")
    before = _before(ctx, order)
    add_coupon(ctx, order, params.coupon_code, "coupon_code")
    return _mutate(ctx, order, "COUPON_APPLIED", before)


@operation("remove_coupon", http="DELETE /v1/orders/{order_id}/coupons/{coupon_code}", scope="orders:write",
           safety=WRITE, summary="Remove a coupon from an OPEN order and recompute it.")
def remove_coupon(ctx: Context, params: RemoveCouponInput) -> OrderOut:
    """Take a coupon off an OPEN order (its redemption is released) and recompute every amount."""
    order = _open_order(ctx, params.order_id, "remove_coupon")
    key = code_key(params.coupon_code)
    applied = next((c for c in order.coupons if code_key(c.code) == key), None)
    if applied is None:
        raise not_found("coupon on this order", params.coupon_code, "coupon_code")
    before = _before(ctx, order)
    order.coupons.remove(applied)
    for position, coupon in enumerate(order.coupons):
        coupon.position = position
    coupon_service.release(ctx, applied.coupon_id)
    return _mutate(ctx, order, "COUPON_REMOVED", before)


@operation("cancel_order", http="POST /v1/orders/{order_id}/cancel", scope="orders:write",
           safety=RELEASES_MONEY,
           preview_by="preview_cancel_order",
           summary="Cancel an unpaid order for good; its coupon redemptions are released.")
def cancel_order(ctx: Context, params: CancelOrderInput) -> OrderOut:
    """Cancel an OPEN or AUTHORIZED order (an AUTHORIZED order's hold is voided at the processor first).
    Final: a canceled order cannot be edited, paid or reopened. Paid orders cannot be canceled; refund
    them instead (409 order_not_cancelable)."""
    order = _open_order(ctx, params.order_id, "cancel_order")
    if params.preview_id is not None:
        previews.confirm(ctx, params.preview_id, "cancel_order", previews.fingerprint("cancel_order", params),
                         order.order_id, order.version)
    if order.status == OrderStatus.AUTHORIZED:  # release the hold at the processor first
        if ctx.principal is not None and not ctx.principal.has_scope("payments:write"):
            raise FlintError("missing_scope", scope="payments:write", operation="cancel_order (it voids a hold)")
        for release in flows.HOLD_RELEASERS:
            order = release(ctx, order)
    shown = order_json(ctx, order)
    for coupon in order.coupons:
        coupon_service.release(ctx, coupon.coupon_id)
    note = {"reason": [None, params.reason]} if params.reason else {}
    move_order(ctx, order, OrderStatus.CANCELED, "ORDER_CANCELED", note)
    return order_event(ctx, "order.canceled", order, shown)


@operation("close_order", http="POST /v1/orders/{order_id}/close", scope="orders:write", safety=DESTRUCTIVE,
           summary="Mark a paid order settled (CLOSED); refunds remain possible.")
def close_order(ctx: Context, params: CloseOrderInput) -> OrderOut:
    """Close a PAID or PARTIALLY_REFUNDED order: it is settled and no longer changes status, though
    refunds are still allowed. Cannot be undone."""
    order = _open_order(ctx, params.order_id, "close_order")
    shown = order_json(ctx, order)
    move_order(ctx, order, OrderStatus.CLOSED, "ORDER_CLOSED", {})
    return order_event(ctx, "order.closed", order, shown)


@operation("preview_cancel_order", http="POST /v1/orders/{order_id}/cancel/preview", scope="orders:read",
           safety=READ_ONLY, summary="What cancel_order would do, and a preview_id to confirm exactly that.")
def preview_cancel_order(ctx: Context, params: PreviewCancelInput) -> previews.ActionPreview:
    """Read-only. Shows whether the order can be canceled now and what would change (status, holds
    voided, coupon redemptions released). Pass its preview_id to cancel_order to cancel only if the
    order is still as previewed."""
    order = fetch(ctx, Order, params.order_id, resource="order")
    error = None
    try:
        ORDER.require(order.status, "cancel_order", order.order_id, ctx.can)
        require_no_payment_in_flight(order)
    except FlintError as exc:
        error = exc
    effects: dict[str, list[Any]] = {"status": [order.status, OrderStatus.CANCELED],
                                     "coupons_released": [[c.code for c in order.coupons], []]}
    if order.authorized_amount:
        effects["authorized_money.amount"] = [order.authorized_amount, 0]
    return previews.action_preview(ctx, "cancel_order", params, order.order_id, order.version, effects, error)
