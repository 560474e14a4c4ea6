"""What the activity reads return: an order's activities, events, request logs and the order timeline.

An event's view is its stored payload, the very JSON webhook deliveries carry, so an event read through the
API and one received by a webhook are the same.
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from flint_core.platform.schema import Output
from flint_core.store.tables import Activity, Event, RequestLog


class ActivityOut(Output):
    object: Literal["activity"] = Field("activity", description="Always `activity`.")
    activity_id: str = Field(description="Id, `act_...`.")
    object_type: str = Field(description="What changed, e.g. `order`.")
    object_id: str = Field(description="Its id.")
    sequence: int = Field(description="Its place in the object's history: 1 for the first change, then one more "
                                      "per change, without gaps, in the order the changes were applied (also "
                                      "when requests raced). A field of the object (status, an amount...) "
                                      "changed here has as `before` its `after` in the previous activity "
                                      "that changed it.")
    type: str = Field(description="What happened, e.g. ORDER_CREATED, COUPON_APPLIED, ORDER_CANCELED.")
    occurred_at: datetime = Field(description="When (RFC 3339, UTC).")
    actor: str = Field(description="The API key that did it (`key_...`), or `system`.")
    face: str = Field(description="Where the request came from: http, mcp, tool_call, hosted or system.")
    request_id: str | None = Field(description="The request that did it (`req_...`).")
    delta: dict[str, Any] = Field(description="field -> [before, after] for every field that changed.")


def activity_out(activity: Activity) -> ActivityOut:
    return ActivityOut(activity_id=activity.activity_id, object_type=activity.object_type,
                       object_id=activity.object_id, sequence=activity.sequence, type=activity.type,
                       occurred_at=activity.occurred_at, actor=activity.actor, face=activity.face,
                       request_id=activity.request_id, delta=activity.delta)


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


class RequestLogOut(Output):
    object: Literal["request_log"] = Field("request_log", description="Always `request_log`.")
    request_id: str = Field(description="The request's id, `req_...`: the `Request-Id` header and the "
                                        "`request_id` of its error envelope.")
    face: str = Field(description="Where it came from: http, mcp, tool_call or hosted (checkout and 3D Secure "
                                  "pages).")
    operation: str | None = Field(description="The operation (tool) it asked for, e.g. `create_refund`; null for "
                                               "hosted page views and HTTP routes that match no operation.")
    method: str = Field(description="HTTP method; `tools/call` for MCP tool calls.")
    path: str = Field(description="HTTP path with its ids (`/v1/orders/ord_.../pay`); `/mcp` or `stdio` for MCP.")
    api_key_id: str | None = Field(description="The key that made it (`key_...`); null for hosted pages and "
                                               "merchant signup.")
    idempotency_key: str | None = Field(description="Its idempotency key, if it sent one.")
    replayed: bool = Field(description="True when the answer was an idempotent replay of an earlier request.")
    status: int = Field(description="HTTP status of the answer (also on MCP and tool calls: the status the same "
                                    "call gets over HTTP).")
    error_type: str | None = Field(description="Error envelope `type` when it failed, e.g. state_conflict_error.")
    error_code: str | None = Field(description="Error envelope `code` when it failed, e.g. order_not_refundable.")
    duration_ms: int = Field(description="Time Flint spent on it, in milliseconds.")
    object_ids: list[str] = Field(description="Ids of the objects it touched: ids in its arguments, objects it "
                                              "changed, and the object it returned.")
    params: dict[str, Any] = Field(description="Its arguments, with secrets and card data replaced by "
                                               "`[REDACTED]` (cards keep their last four digits).")
    created_at: datetime = Field(description="When it arrived (RFC 3339, UTC).")


def request_log_out(row: RequestLog) -> RequestLogOut:
    return RequestLogOut(request_id=row.request_id, face=row.face, operation=row.operation, method=row.method,
                         path=row.path, api_key_id=row.api_key_id, idempotency_key=row.idempotency_key,
                         replayed=row.replayed, status=row.status, error_type=row.error_type,
                         error_code=row.error_code, duration_ms=row.duration_ms, object_ids=row.object_ids or [],
                         params=row.params or {}, created_at=row.created_at)


class EntryKind(enum.StrEnum):
    ACTIVITY = "ACTIVITY"
    REQUEST = "REQUEST"
    EVENT = "EVENT"
    WEBHOOK_ATTEMPT = "WEBHOOK_ATTEMPT"
    WEBHOOK_PENDING = "WEBHOOK_PENDING"


class TimelineEntry(Output):
    at: datetime = Field(description="When it happened (RFC 3339, UTC).")
    kind: EntryKind = Field(description="ACTIVITY (a change to the order), REQUEST (an API call that touched "
                                        "it), EVENT (an event it emitted), WEBHOOK_ATTEMPT (one delivery attempt "
                                        "of such an event) or WEBHOOK_PENDING (a delivery not attempted yet).")
    entry_id: str = Field(description="The id of what the entry shows: `act_`, `req_`, `evt_` or `whd_`.")
    request_id: str | None = Field(description="The request behind it, if any: get_request_log shows it.")
    summary: str = Field(description="One line for a human or an agent.")
    detail: dict[str, Any] = Field(description="The entry's facts (activity delta, request status and error, "
                                               "event type, delivery status code and latency...).")


class OrderTimeline(Output):
    object: Literal["order_timeline"] = Field("order_timeline", description="Always `order_timeline`.")
    order_id: str = Field(description="The order.")
    data: list[TimelineEntry] = Field(description="This page's entries, oldest first.")
    next_page_token: str = Field(description="Pass as page_token for the next entries; empty at the end.")
