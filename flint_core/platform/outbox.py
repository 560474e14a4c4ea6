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
from sqlalchemy import insert
from sqlalchemy.orm import Session

from flint_core.kernel import ids
from flint_core.platform import registry
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
    domain: str = ""  # the domain that declares it

    @property
    def summary(self) -> str:
        return self.trigger.split(". ", 1)[0].removesuffix(".") + "."

    @property
    def with_order(self) -> bool:
        """Events about something that belongs to an order carry that order as ``data.order``."""
        return self.object_type in ORDER_AWARE

    @property
    def id_field(self) -> str:
        """The field of ``data.object`` that names it (a variation's inventory is named by the variation)."""
        return ID_FIELDS.get(self.object_type, f"{self.object_type}_id")


ORDER_AWARE = frozenset({"payment_intent", "refund", "checkout_session"})
ID_FIELDS = {"inventory": "variation_id"}
CREATED = "`{}`: the object is new"


def was(status: str, *fields: str) -> str:
    """What previous_attributes holds for a status change: the old status and the fields that moved."""
    return ", ".join([f"`status` (was {status})", *(f"`{f}`" for f in fields), "`available_actions`"])


# Every event type Flint emits, declared by the domain it is about (its events.py): the source of
# docs/events.md, of the subscription check and of the type filters. A trigger's first sentence is its
# summary in the catalog table. Listed through event_types(), which orders it by domain.
EVENT_TYPES: dict[str, EventType] = {}


def define_event(name: str, object_type: str, trigger: str, previous: str = "", *, domain: str) -> None:
    """Declare one event type (once: a second declaration of a name is a bug)."""
    if name in EVENT_TYPES:
        raise ValueError(f"duplicate event type {name!r}")
    EVENT_TYPES[name] = EventType(name, object_type, trigger, previous, domain)


def event_types() -> dict[str, EventType]:
    """Every event type, by name, in reading order (domain, then declaration), all domains declared."""
    registry.declare()
    order = {domain: i for i, domain in enumerate(registry.DOMAINS)}
    ranked = sorted(enumerate(EVENT_TYPES.values()), key=lambda pair: (order[pair[1].domain], pair[0]))
    return {event.name: event for _, event in ranked}


def timestamp(moment: datetime) -> str:
    """RFC 3339 exactly as every API object writes its times (pydantic's JSON form)."""
    return _DATETIME.dump_python(moment, mode="json")


_INSERT = insert(Event.__table__)


def emit(ctx: Context, event_type: str, obj: dict[str, Any], *, previous_attributes: dict[str, Any] | None = None,
         order_id: str | None = None, extra: dict[str, Any] | None = None) -> Event:
    """Record ``event_type`` about ``obj`` (the resource exactly as the API returns it) in ctx's transaction.

    ``order_id`` links the event to an order's timeline (defaults to ``obj["order_id"]``); ``extra`` adds
    context beside the object under ``data`` (e.g. ``{"order": ...}`` on payment events)."""
    spec = EVENT_TYPES[event_type]
    if spec.with_order != ("order" in (extra or {})):  # the catalog promises data.order on exactly these
        raise ValueError(f"{event_type}: data.order is {'required' if spec.with_order else 'not expected'}")
    event_id = ids.new_id("event")
    object_id = obj[spec.id_field]
    payload = {"event_id": event_id, "object": "event", "type": event_type, "created_at": timestamp(ctx.now),
               "request_id": ctx.request_id, "livemode": ctx.principal is not None and ctx.principal.mode == "live",
               "data": {"object": obj, "previous_attributes": previous_attributes or {}, **(extra or {})}}
    row = dict(event_id=event_id, merchant_id=ctx.merchant_id, env_id=ctx.env_id, type=event_type,
               object_type=spec.object_type, object_id=object_id, order_id=order_id or obj.get("order_id"),
               request_id=ctx.request_id, payload=json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
               created_at=ctx.now)
    ctx.session.execute(_INSERT, row)  # an event is only ever inserted: a Core statement, no unit of work
    event = Event(**row)  # what the subscribers read (not added to the session: the row is written)
    for react in SUBSCRIBERS:
        react(ctx.session, event, ctx.now)
    return event
