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
import heapq
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select

from flint_core.activity.views import EntryKind, TimelineEntry
from flint_core.kernel.errors import FlintError
from flint_core.platform.context import Context
from flint_core.platform.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from flint_core.platform.queries import scoped
from flint_core.store.tables import Activity, Event, RequestLog, RequestLogObject, WebhookDelivery


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


def read_page(ctx: Context, order_id: str, page_size: int,
              page_token: str | None) -> tuple[list[TimelineEntry], str]:
    """The page of the order's timeline that starts after ``page_token`` (``page_size`` 0: the default size),
    and the token of the next page ("" at the end)."""
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    position = Position.decode(page_token, order_id) if page_token else Position()
    # size + 1 from each stream: the first size + 1 merged entries are then exact (a stream cut short is
    # only used up once size + 1 entries have been taken), and the one past the page says whether there is more
    others = list(heapq.merge(*(source(ctx, order_id, position.time, size + 1)
                                for source in (_requests, _events, _deliveries)), key=_by_time))
    merged = _interleave(_activities(ctx, order_id, position.sequence, size + 1), others)
    page = merged[:size]
    token = position.after(page).encode(order_id) if len(merged) > size else ""
    return page, token
