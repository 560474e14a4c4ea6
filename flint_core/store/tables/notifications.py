"""Notifications: the outbox of messages to buyers (payment receipts, refund confirmations). Every
message is stored whole (recipient, subject, plain-text and HTML bodies), whether or not it is ever
delivered, with where its delivery stands."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from flint_core.store.tables.base import Base, Id, Scoped, UTCDateTime


class Notification(Scoped, Base):
    """One message to one address. The ids of what caused it (order, payment, refund) are references,
    not foreign keys: a notification is a record of what was said, and later kinds (invoices) name other
    objects."""

    __tablename__ = "notifications"
    notification_id: Mapped[str] = mapped_column(Id, primary_key=True)
    type: Mapped[str] = mapped_column(String(32))  # PAYMENT_RECEIPT | REFUND_CONFIRMATION
    customer_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    order_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    payment_intent_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    refund_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    to_address: Mapped[str] = mapped_column(String(320))
    reply_to: Mapped[str | None] = mapped_column(String(320), nullable=True)  # the merchant's email
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(100))  # the Message-ID header, the same on every attempt
    status: Mapped[str] = mapped_column(String(16))  # QUEUED | SENT | FAILED | SKIPPED
    skip_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    smtp_reply: Mapped[str | None] = mapped_column(String(1000), nullable=True)  # the last answer, code first
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_notifications_scope", "merchant_id", "env_id", "notification_id"),
                      Index("ix_notifications_customer", "merchant_id", "env_id", "customer_id", "notification_id"),
                      Index("ix_notifications_order", "merchant_id", "env_id", "order_id", "notification_id"))
