"""Checkout sessions (hosted payment pages)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from flint_core.store.tables.base import Base, Id, Scoped, UTCDateTime


class CheckoutSession(Scoped, Base):
    """A hosted page: PAYMENT collects one order's balance, SETUP saves a customer's card (no order). The id
    in its URL is the buyer's only credential, so it is random (a ULID) and the page shows nothing beyond
    what the merchant put on the order (or the customer's name)."""

    __tablename__ = "checkout_sessions"
    checkout_session_id: Mapped[str] = mapped_column(Id, primary_key=True)
    mode: Mapped[str] = mapped_column(String(8), default="PAYMENT")  # PAYMENT | SETUP
    order_id: Mapped[str | None] = mapped_column(Id, ForeignKey("orders.order_id"), nullable=True)  # PAYMENT
    customer_id: Mapped[str | None] = mapped_column(Id, ForeignKey("customers.customer_id"), nullable=True)  # SETUP
    # SETUP: the setup intent the page saves the card with now (a declined card gets a new one)
    setup_intent_id: Mapped[str | None] = mapped_column(Id, ForeignKey("setup_intents.setup_intent_id"),
                                                        nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # OPEN | COMPLETE | EXPIRED | CANCELED
    success_url: Mapped[str] = mapped_column(String(2048))
    cancel_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    capture_method: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the payment the page started last (the page resumes it rather than starting a second one)
    payment_intent_id: Mapped[str | None] = mapped_column(Id, ForeignKey("payment_intents.payment_intent_id"),
                                                          nullable=True)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # an order's newest session first (what an order shows as its checkout_session_url), without a sort
    __table_args__ = (Index("ix_checkout_sessions_status", "status", "expires_at"),
                      Index("ix_checkout_sessions_order", "order_id", "checkout_session_id"),
                      Index("ix_checkout_sessions_setup_intent", "setup_intent_id"))
