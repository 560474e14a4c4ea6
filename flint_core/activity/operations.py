"""The activity reads: an order's audit trail and timeline, events (the very JSON webhook deliveries carry),
and request logs (every request of this merchant and mode on every face, docs/request-logs.md)."""

from __future__ import annotations

from sqlalchemy import select

from flint_core.activity import timeline
from flint_core.activity.inputs import (
    GetEventInput,
    GetOrderTimelineInput,
    GetRequestLogInput,
    ListEventsInput,
    ListOrderActivitiesInput,
    ListRequestLogsInput,
    _status_filter,
    _types,
)
from flint_core.activity.views import (
    ActivityOut,
    EventOut,
    OrderTimeline,
    RequestLogOut,
    activity_out,
    event_out,
    request_log_out,
)
from flint_core.kernel.errors import not_found
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import created_between, fetch, scoped
from flint_core.platform.registry import READ_ONLY, operation
from flint_core.store.tables import Activity, Event, Order, RequestLog, RequestLogObject


@operation("list_order_activities", http="GET /v1/orders/{order_id}/activities", scope="orders:read",
           safety=READ_ONLY, summary="An order's audit trail: every change, who made it, and what moved.")
def list_order_activities(ctx: Context, params: ListOrderActivitiesInput) -> Page[ActivityOut]:
    """List the order's activities by `sequence`, newest first (`order_by=created_at` for the order the
    changes were applied in, oldest first). Each names the key and request that made the change and its
    before/after values; payments, refunds and checkout sessions record theirs on the order too."""
    fetch(ctx, Order, params.order_id, resource="order")
    stmt = scoped(ctx, Activity).where(Activity.object_id == params.order_id, Activity.object_type == "order")
    rows, token = paginate(ctx.session, stmt, Activity.sequence, params, {"order_id": params.order_id})
    return Page[ActivityOut](data=[activity_out(a) for a in rows], next_page_token=token)


@operation("get_order_timeline", http="GET /v1/orders/{order_id}/timeline", scope="orders:read",
           safety=READ_ONLY, summary="Everything that happened to an order, in time order: changes, the requests "
                                     "behind them, events, and webhook deliveries.")
def get_order_timeline(ctx: Context, params: GetOrderTimelineInput) -> OrderTimeline:
    """Read one time-ordered stream for an order: its activities (each change, with actor and before/after),
    the API requests that touched it (on any face: HTTP, MCP, tool calls, hosted pages; including failed
    and replayed ones), the events it emitted, and each webhook delivery attempt of those events (status
    code, latency). Use it to answer "what happened to this order and why", or to see whether a webhook
    reached the merchant. Oldest first, activities in their `sequence` order (the order the changes were
    applied in); page with page_token. Read-only. Errors: order not found (404), invalid_page_token (400)."""
    fetch(ctx, Order, params.order_id, resource="order")
    page, token = timeline.read_page(ctx, params.order_id, params.page_size, params.page_token)
    return OrderTimeline(order_id=params.order_id, data=page, next_page_token=token)


@operation("list_events", http="GET /v1/events", scope="events:read", safety=READ_ONLY,
           summary="List events (what changed, newest first), by type or family, object, order or time.")
def list_events(ctx: Context, params: ListEventsInput) -> Page[EventOut]:
    """List the events of this merchant and mode, newest first (`order_by=created_at` for oldest first).
    Every state change (an order created, edited, paid, refunded, canceled; a payment succeeding, failing,
    held, captured, voided; a refund created or settled; a checkout session ending) writes one event in
    the same transaction, so this is the complete record of what happened, and what webhooks deliver. Use
    it to catch up after downtime (`created_after`, `order_by=created_at`) or to see everything that
    happened to one order (`order_id`). Changes nothing. Errors: 400 parameter_invalid (`type` names no
    catalog type or family), 400 invalid_page_token."""
    stmt = scoped(ctx, Event)
    if params.type is not None:
        stmt = stmt.where(Event.type.in_(_types(params.type)))
    if params.object_id is not None:
        stmt = stmt.where(Event.object_id == params.object_id)
    if params.order_id is not None:
        stmt = stmt.where(Event.order_id == params.order_id)
    stmt = created_between(stmt, Event.created_at, params)
    filters = params.model_dump(mode="json", exclude={"page_size", "page_token", "order_by"})
    rows, token = paginate(ctx.session, stmt, Event.event_id, params, filters)
    return Page[EventOut](data=[event_out(e) for e in rows], next_page_token=token)


@operation("get_event", http="GET /v1/events/{event_id}", scope="events:read", safety=READ_ONLY,
           summary="Fetch one event: its type, when, which request caused it, and the object it is about.")
def get_event(ctx: Context, params: GetEventInput) -> EventOut:
    """Fetch an event by id: exactly the payload its webhook deliveries carry (the HTTP body is the
    same JSON, byte for byte). Use it to check a webhook you received (a payload that get_event does not
    return was not sent by Flint for this key's merchant and mode), or to follow an event id from a
    delivery log or a timeline. `data.object` is the object as it was right after the change; call
    its get_ operation for its state now. Changes nothing. Errors: 404 resource_missing."""
    return event_out(fetch(ctx, Event, params.event_id, resource="event"))


@operation("list_request_logs", http="GET /v1/request_logs", scope="logs:read", safety=READ_ONLY,
           summary="List requests (who asked for what, and what came of it), newest first, with filters.")
def list_request_logs(ctx: Context, params: ListRequestLogsInput) -> Page[RequestLogOut]:
    """List the requests made in this merchant and mode, on every face (HTTP, MCP, tool calls, hosted
    pages), newest first (`order_by=created_at` for oldest first). Filter by key, idempotency key,
    operation, status (`409` or `4xx`), an object the request touched (`object_id`), face and time range.
    Use it to audit what an agent did (`api_key_id`), to see every attempt of one write
    (`idempotency_key`), to find what touched an order (`object_id`), or to find failures (`status=4xx`).
    Secrets and card data in the logged parameters are redacted. Changes nothing. Errors: 400
    parameter_invalid (bad `status` or `face`), 400 invalid_page_token."""
    stmt = scoped(ctx, RequestLog)
    if params.api_key_id is not None:
        stmt = stmt.where(RequestLog.api_key_id == params.api_key_id)
    if params.idempotency_key is not None:
        stmt = stmt.where(RequestLog.idempotency_key == params.idempotency_key)
    if params.operation is not None:
        stmt = stmt.where(RequestLog.operation == params.operation)
    if params.status is not None:
        low, high = _status_filter(params.status)
        stmt = stmt.where(RequestLog.status >= low, RequestLog.status < high)
    if params.face is not None:
        stmt = stmt.where(RequestLog.face == params.face)
    if params.object_id is not None:
        stmt = stmt.where(RequestLog.request_id.in_(
            select(RequestLogObject.request_id).where(RequestLogObject.merchant_id == ctx.merchant_id,
                                                      RequestLogObject.env_id == ctx.env_id,
                                                      RequestLogObject.object_id == params.object_id)))
    stmt = created_between(stmt, RequestLog.created_at, params)
    filters = params.model_dump(mode="json", exclude={"page_size", "page_token", "order_by"})
    rows, token = paginate(ctx.session, stmt, RequestLog.request_id, params, filters)
    return Page[RequestLogOut](data=[request_log_out(r) for r in rows], next_page_token=token)


@operation("get_request_log", http="GET /v1/request_logs/{request_id}", scope="logs:read", safety=READ_ONLY,
           summary="Fetch one request's log: what was asked, by which key, on which face, and what came of it.")
def get_request_log(ctx: Context, params: GetRequestLogInput) -> RequestLogOut:
    """Fetch the log of one request by its id. Every error envelope carries `request_id`: pass it here
    to see the failed request's operation, redacted parameters, key, idempotency key, status and error
    code, and the objects it touched (then get_order, list_order_activities, ... on those ids). Requests
    made without a valid key are not logged. Changes nothing. Errors: 404 resource_missing (no such
    request in this merchant and mode)."""
    row = ctx.session.scalar(scoped(ctx, RequestLog).where(RequestLog.request_id == params.request_id))
    if row is None:
        raise not_found("request_log", params.request_id, "request_id")
    return request_log_out(row)
