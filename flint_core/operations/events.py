"""Events: read what happened. ``list_events`` and ``get_event`` return each event's stored payload, the
very JSON webhook deliveries carry, so an event read here and one received by a webhook are the same."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from flint_core.errors import FlintError
from flint_core.events import EVENT_TYPES
from flint_core.operations.common import created_between, fetch, scoped
from flint_core.pagination import Page, paginate
from flint_core.registry import READ_ONLY, operation
from flint_core.runtime import Context
from flint_core.schema import Input, ListInput, Output, Timestamp, openapi_only
from flint_core.store.models import Event

FAMILIES = sorted({name.split(".", 1)[0] for name in EVENT_TYPES})


class EventOut(Output):
    # the payload's own keys, in its order: the HTTP body of get_event is the delivered payload byte for byte
    event_id: str = Field(description="Id, `evt_...`; webhook deliveries send it as `webhook-id`.")
    object: Literal["event"] = Field("event", description="Always `event`.")
    type: str = Field(description="What happened, e.g. `order.paid` (catalog: /docs/events).")
    created_at: datetime = Field(description="When the change happened (RFC 3339, UTC).")
    request_id: str | None = Field(description="The request that caused it (`req_...`); null for Flint's own "
                                               "background work (refund settlement, checkout session expiry).")
    livemode: bool = Field(description="True for live mode, false for a sandbox.")
    data: dict[str, Any] = Field(description="`object`: the resource exactly as the API returned it after the "
                                             "change; `previous_attributes`: the old value of each top-level "
                                             "field that changed ({} for a new object); `order`: on payment, "
                                             "refund and checkout session events, their order as get_order "
                                             "returned it at that moment.")


def event_out(event: Event) -> EventOut:
    return EventOut.model_validate(json.loads(event.payload))


def _types(value: str) -> list[str]:
    """``order.paid`` (one type), ``order.*`` (a family) or ``*`` -> the types it selects; 400 otherwise."""
    if value in EVENT_TYPES:
        return [value]
    if value == "*":
        return list(EVENT_TYPES)
    family = value.removesuffix(".*")
    if value.endswith(".*") and family in FAMILIES:
        return [name for name in EVENT_TYPES if name.startswith(f"{family}.")]
    raise FlintError("parameter_invalid", param="type", detail=f"{value!r} is neither an event type from the "
                     f"catalog (/docs/events) nor a family such as `order.*` (families: "
                     f"{', '.join(f + '.*' for f in FAMILIES)})")


class ListEventsInput(ListInput):
    type: str | None = Field(None, max_length=64, json_schema_extra=openapi_only(
        enum=[*EVENT_TYPES, *(f"{family}.*" for family in FAMILIES), "*"]), description="Only events of this type (`order.paid`), or of "
                             "one family (`order.*`, `payment.*`, `refund.*`, `checkout_session.*`, ...); `*`: all.")
    object_id: str | None = Field(None, max_length=64, description="Only events about this object (`ord_...`, "
                                  "`pi_...`, `re_...`, `cs_...`).")
    order_id: str | None = Field(None, max_length=64, description="Only events concerning this order: its own, "
                                 "and those of its payments, refunds and checkout sessions.")
    created_after: Timestamp | None = Field(None, description="Only events created at or after this time "
                                            "(RFC 3339).")
    created_before: Timestamp | None = Field(None, description="Only events created before this time (RFC 3339).")


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


class GetEventInput(Input):
    event_id: str = Field(description="The event, `evt_...` (a webhook delivery's `webhook-id`).")


@operation("get_event", http="GET /v1/events/{event_id}", scope="events:read", safety=READ_ONLY,
           summary="Fetch one event: its type, when, which request caused it, and the object it is about.")
def get_event(ctx: Context, params: GetEventInput) -> EventOut:
    """Fetch an event by id: exactly the payload its webhook deliveries carry (the HTTP body is the
    same JSON, byte for byte). Use it to check a webhook you received (a payload that get_event does not
    return was not sent by Flint for this key's merchant and mode), or to follow an event id from a
    delivery log or a timeline. `data.object` is the object as it was right after the change; call
    its get_ operation for its state now. Changes nothing. Errors: 404 resource_missing."""
    return event_out(fetch(ctx, Event, params.event_id, resource="event"))
