"""An order's timeline: one time-ordered stream stitching its activities (what changed), the requests
that touched it (who asked, and what came of it), its events, and every webhook delivery attempt of those
events (what was told to the merchant's systems, and whether they heard it).

The four sources are separate tables, each read from the page token's position and merged; the first
``page_size`` entries form the page. Requests, events and deliveries run in (``at``, ``entry_id``) order.
Activities run in ``sequence`` order, the order the changes were applied in: their ``at`` (the request's
start) can run backwards when requests raced for the order's lock, so it cannot order them. The merge
takes the earlier of the next activity and the next other entry, each stream keeping its own order, and
the token holds a position in each: the last activity's sequence and the last other entry's (at, id).
"""

from __future__ import annotations

import base64
import enum
import heapq
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import Select, and_, or_, select

from flint_core.errors import FlintError
from flint_core.operations.common import fetch, scoped
from flint_core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from flint_core.registry import READ_ONLY, operation
from flint_core.runtime import Context
from flint_core.schema import Input, Output
from flint_core.store.models import Activity, Event, Order, RequestLog, RequestLogObject, WebhookDelivery


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


class GetOrderTimelineInput(Input):
    order_id: str = Field(description="The order whose timeline to read.")
    page_size: int = Field(0, ge=0, description="Entries per page: absent or 0 means 50, at most 200.")
    page_token: str | None = Field(None, description="The next_page_token of the previous page, unchanged.")


@dataclass(frozen=True, slots=True)
class TimePosition:
    """The last entry shown of the streams that run in time order."""

    at: datetime
    entry_id: str


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended: the sequence of the last activity shown (0: none yet) and the last other entry."""

    sequence: int = 0
    time: TimePosition | None = None

    def encode(self, order_id: str) -> str:
        time = {"at": self.time.at.isoformat(), "id": self.time.entry_id} if self.time else {}
        raw = json.dumps({"order": order_id, "seq": self.sequence} | time).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, order_id: str) -> Position:
        try:
            raw = json.loads(base64.urlsafe_b64decode(token.encode() + b"=="))
            sequence = raw["seq"]
            if raw["order"] != order_id or type(sequence) is not int or sequence < 0:
                raise ValueError
            time = TimePosition(datetime.fromisoformat(raw["at"]), str(raw["id"])) if "at" in raw else None
            return cls(sequence, time)
        except (ValueError, KeyError, TypeError):
            raise FlintError("invalid_page_token", param="page_token") from None

    def after(self, page: list[TimelineEntry]) -> Position:
        """The position once ``page`` has been shown."""
        activities = [e for e in page if e.kind == EntryKind.ACTIVITY]
        others = [e for e in page if e.kind != EntryKind.ACTIVITY]
        return Position(activities[-1].detail["sequence"] if activities else self.sequence,
                        TimePosition(others[-1].at, others[-1].entry_id) if others else self.time)


def _after(stmt: Select[Any], at: Any, key: Any, position: TimePosition | None) -> Select[Any]:
    """Rows strictly after ``position`` in (at, id) order, oldest first."""
    if position is not None:
        stmt = stmt.where(or_(at > position.at, and_(at == position.at, key > position.entry_id)))
    return stmt.order_by(at, key)


def _activities(ctx: Context, order_id: str, after_sequence: int, limit: int) -> list[TimelineEntry]:
    """The order's activities after ``after_sequence``, in sequence order (on the index that sorts them)."""
    stmt = (scoped(ctx, Activity).where(Activity.object_id == order_id, Activity.object_type == "order",
                                        Activity.sequence > after_sequence).order_by(Activity.sequence))
    return [TimelineEntry(at=a.occurred_at, kind=EntryKind.ACTIVITY, entry_id=a.activity_id, request_id=a.request_id,
                          summary=f"{a.type} by {a.actor} via {a.face}",
                          detail={"type": a.type, "sequence": a.sequence, "actor": a.actor, "face": a.face,
                                  "delta": a.delta})
            for a in ctx.session.scalars(stmt.limit(limit))]


def _by_time(entry: TimelineEntry) -> tuple[datetime, str]:
    return entry.at, entry.entry_id


def _interleave(activities: list[TimelineEntry], others: list[TimelineEntry]) -> list[TimelineEntry]:
    """Merge two streams, each kept in its own order: the earlier head (by at, then id) goes first."""
    merged: list[TimelineEntry] = []
    i = j = 0
    while i < len(activities) and j < len(others):
        if _by_time(activities[i]) <= _by_time(others[j]):
            merged.append(activities[i])
            i += 1
        else:
            merged.append(others[j])
            j += 1
    return merged + activities[i:] + others[j:]


def _requests(ctx: Context, order_id: str, position: TimePosition | None, limit: int) -> list[TimelineEntry]:
    touched = select(RequestLogObject.request_id).where(
        RequestLogObject.merchant_id == ctx.merchant_id, RequestLogObject.env_id == ctx.env_id,
        RequestLogObject.object_id == order_id)
    stmt = _after(scoped(ctx, RequestLog).where(RequestLog.request_id.in_(touched)), RequestLog.created_at,
                  RequestLog.request_id, position)
    entries = []
    for r in ctx.session.scalars(stmt.limit(limit)):
        outcome = f"{r.status}" + (f" {r.error_code}" if r.error_code else "") + (" (replayed)" if r.replayed else "")
        entries.append(TimelineEntry(
            at=r.created_at, kind=EntryKind.REQUEST, entry_id=r.request_id, request_id=r.request_id,
            summary=f"{r.operation or r.method} via {r.face} by {r.api_key_id or 'anonymous'} -> {outcome}",
            detail={"operation": r.operation, "face": r.face, "method": r.method, "path": r.path,
                    "api_key_id": r.api_key_id, "idempotency_key": r.idempotency_key, "replayed": r.replayed,
                    "status": r.status, "error_type": r.error_type, "error_code": r.error_code,
                    "duration_ms": r.duration_ms}))
    return entries


def _events(ctx: Context, order_id: str, position: TimePosition | None, limit: int) -> list[TimelineEntry]:
    stmt = _after(scoped(ctx, Event).where(Event.order_id == order_id), Event.created_at, Event.event_id, position)
    return [TimelineEntry(at=e.created_at, kind=EntryKind.EVENT, entry_id=e.event_id, request_id=e.request_id,
                          summary=f"{e.type} ({e.object_id})",
                          detail={"type": e.type, "object_type": e.object_type, "object_id": e.object_id})
            for e in ctx.session.scalars(stmt.limit(limit))]


def _deliveries(ctx: Context, order_id: str, position: TimePosition | None, limit: int) -> list[TimelineEntry]:
    """One entry per attempt (a delivery not attempted yet shows as pending). Attempts live in a JSON list,
    so deliveries are read whole, from the first whose creation could hold an attempt after ``position``."""
    stmt = (scoped(ctx, WebhookDelivery).join(Event, Event.event_id == WebhookDelivery.event_id)
            .add_columns(Event.type).where(Event.order_id == order_id, Event.merchant_id == ctx.merchant_id,
                                           Event.env_id == ctx.env_id)
            .order_by(WebhookDelivery.created_at, WebhookDelivery.webhook_delivery_id))
    entries = []
    for delivery, event_type in ctx.session.execute(stmt):
        base = {"webhook_delivery_id": delivery.webhook_delivery_id, "event_id": delivery.event_id,
                "event_type": event_type, "webhook_endpoint_id": delivery.webhook_endpoint_id,
                "delivery_status": delivery.status}
        if not delivery.attempts:
            entries.append(TimelineEntry(
                at=delivery.created_at, kind=EntryKind.WEBHOOK_PENDING, entry_id=delivery.webhook_delivery_id,
                request_id=None, summary=f"{event_type} to {delivery.webhook_endpoint_id}: not attempted yet",
                detail=base | {"next_attempt_at": delivery.next_attempt_at and delivery.next_attempt_at.isoformat()}))
        for n, attempt in enumerate(delivery.attempts, start=1):
            result = attempt.get("status_code") or attempt.get("error") or "no answer"
            entries.append(TimelineEntry(
                at=datetime.fromisoformat(attempt["attempted_at"]), kind=EntryKind.WEBHOOK_ATTEMPT,
                entry_id=f"{delivery.webhook_delivery_id}#{n}", request_id=None,
                summary=f"{event_type} to {delivery.webhook_endpoint_id}: attempt {n} -> {result}",
                detail=base | {"attempt": n} | attempt))
    if position is not None:
        entries = [e for e in entries if (e.at, e.entry_id) > (position.at, position.entry_id)]
    return sorted(entries, key=_by_time)[:limit]


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
    size = min(params.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    position = Position.decode(params.page_token, params.order_id) if params.page_token else Position()
    # size + 1 from each stream: the first size + 1 merged entries are then exact (a stream cut short is
    # only used up once size + 1 entries have been taken), and the one past the page says whether there is more
    others = list(heapq.merge(*(source(ctx, params.order_id, position.time, size + 1)
                                for source in (_requests, _events, _deliveries)), key=_by_time))
    merged = _interleave(_activities(ctx, params.order_id, position.sequence, size + 1), others)
    page = merged[:size]
    token = position.after(page).encode(params.order_id) if len(merged) > size else ""
    return OrderTimeline(order_id=params.order_id, data=page, next_page_token=token)
