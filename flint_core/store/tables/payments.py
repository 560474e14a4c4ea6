"""Payment intents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from flint_core.store.tables.base import Amount, Base, Id, Scoped, UTCDateTime


class PaymentIntent(Scoped, Base):
    """One attempt to collect an order's outstanding balance through a processor."""

    __tablename__ = "payment_intents"
    payment_intent_id: Mapped[str] = mapped_column(Id, primary_key=True)
    order_id: Mapped[str] = mapped_column(Id, ForeignKey("orders.order_id"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    amount: Mapped[int] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    amount_captured: Mapped[int] = mapped_column(Amount)
    amount_refunded: Mapped[int] = mapped_column(Amount)
    capture_method: Mapped[str] = mapped_column(String(16))
    payment_method: Mapped[dict[str, Any]] = mapped_column(JSON)  # token, brand, last4: never a card number
    payment_method_id: Mapped[str | None] = mapped_column(Id, nullable=True)  # the saved card it charged
    off_session: Mapped[bool] = mapped_column(Boolean, default=False)  # the customer was not there
    save_payment_method: Mapped[bool] = mapped_column(Boolean, default=False)  # save the card once it pays
    processor: Mapped[str] = mapped_column(String(16))
    processor_reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    failure: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    next_action: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    buyer_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)  # of the pay_order call
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
