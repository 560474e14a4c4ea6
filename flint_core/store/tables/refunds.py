"""Refunds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from flint_core.store.tables.base import Amount, Base, Id, Scoped, UTCDateTime


class Refund(Scoped, Base):
    __tablename__ = "refunds"
    refund_id: Mapped[str] = mapped_column(Id, primary_key=True)
    order_id: Mapped[str] = mapped_column(Id, ForeignKey("orders.order_id"), index=True)
    payment_intent_id: Mapped[str] = mapped_column(Id, ForeignKey("payment_intents.payment_intent_id"))
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Amount)
    tax_amount: Mapped[int] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{line_item_id, quantity, amount, tax}]
    reason: Mapped[str] = mapped_column(String(32))
    failure_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    processor_reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_by: Mapped[str | None] = mapped_column(Id, nullable=True)  # the API key (daily refund limits)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_refunds_status", "status"), Index("ix_refunds_created_by", "created_by", "created_at"))
