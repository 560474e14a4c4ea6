"""What happened: activities (one per mutation) and events (the outbox of state changes). Both are written
by the platform in the mutation's own transaction (``platform.context``, ``platform.outbox``) and read by the
activity domain (``flint_core.activity``); both belong to one environment and go with a sandbox reset.
Request logs, the per-request audit that survives resets, are platform tables (``tables.platform``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from flint_core.store.tables.base import Base, Id, UTCDateTime


class Activity(Base):
    """One row per mutation, written in the mutation's transaction (API.md section 5). ``sequence`` numbers
    an object's activities 1, 2, 3... in the order the changes were applied (``Context.record``); the
    unique index on it is both the lists' sort order and the guard against two writers taking one number."""

    __tablename__ = "activities"
    activity_id: Mapped[str] = mapped_column(Id, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(Id)
    env_id: Mapped[str] = mapped_column(Id)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(Id)
    type: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(40))
    face: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    delta: Mapped[dict[str, Any]] = mapped_column(JSON)
    sequence: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("uq_activities_object_sequence", "merchant_id", "env_id", "object_id", "object_type",
                            "sequence", unique=True),)


class Event(Base):
    """A state change, written to this outbox in the transaction that made it (DESIGN.md section 1).
    ``payload`` is the exact JSON text every webhook delivery of the event carries."""

    __tablename__ = "events"
    event_id: Mapped[str] = mapped_column(Id, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(Id)
    env_id: Mapped[str] = mapped_column(Id)
    type: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(Id)
    order_id: Mapped[str | None] = mapped_column(Id, nullable=True)  # the order it concerns, for timelines
    request_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_events_scope", "merchant_id", "env_id", "event_id"),
                      Index("ix_events_object", "merchant_id", "env_id", "object_id"),
                      Index("ix_events_order", "merchant_id", "env_id", "order_id"))
