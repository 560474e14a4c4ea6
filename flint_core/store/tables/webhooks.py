"""Webhook endpoints and the deliveries of events to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from flint_core.store.tables.base import Base, Id, Scoped, UTCDateTime


class WebhookEndpoint(Scoped, Base):
    """Where events are delivered. The signing secret must be readable to sign with, so it is stored as
    is (like Stripe's); ``previous_secret`` keeps signing during a rotation's grace period."""

    __tablename__ = "webhook_endpoints"
    webhook_endpoint_id: Mapped[str] = mapped_column(Id, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    enabled_events: Mapped[list[str]] = mapped_column(JSON)  # event types, or ["*"]
    status: Mapped[str] = mapped_column(String(16))  # ENABLED | DISABLED
    disabled_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # first failure since a success
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_webhook_endpoints_scope", "merchant_id", "env_id"),)


class WebhookDelivery(Scoped, Base):
    """One event to one endpoint: its status and every attempt (status code, latency, response snippet)."""

    __tablename__ = "webhook_deliveries"
    webhook_delivery_id: Mapped[str] = mapped_column(Id, primary_key=True)
    event_id: Mapped[str] = mapped_column(Id, ForeignKey("events.event_id"))
    webhook_endpoint_id: Mapped[str] = mapped_column(Id)  # no foreign key: history outlives a deleted endpoint
    status: Mapped[str] = mapped_column(String(16))  # PENDING | SUCCEEDED | FAILED
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)  # why it ended FAILED
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_webhook_deliveries_event", "merchant_id", "env_id", "event_id"),
                      Index("ix_webhook_deliveries_endpoint", "merchant_id", "env_id", "webhook_endpoint_id"))
