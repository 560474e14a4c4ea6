"""Customers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from flint_core.store.tables.base import Base, Id, Scoped, UTCDateTime


class Customer(Scoped, Base):
    __tablename__ = "customers"
    customer_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    email_key: Mapped[str | None] = mapped_column(String(320), nullable=True)  # lower-cased, for search
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    default_payment_method_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    # the processor's customer its saved cards live under (a Stripe cus_... in live mode)
    processor_reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_customers_email", "merchant_id", "env_id", "email_key"),)


class PaymentMethod(Scoped, Base):
    """A customer's saved card: what the processor described (never its number) and how to charge it
    (``processor_reference``). DETACHED is final: a detached card is never charged again."""

    __tablename__ = "payment_methods"
    payment_method_id: Mapped[str] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[str] = mapped_column(Id, ForeignKey("customers.customer_id"))
    type: Mapped[str] = mapped_column(String(16))
    brand: Mapped[str] = mapped_column(String(20))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int] = mapped_column(Integer)
    exp_year: Mapped[int] = mapped_column(Integer)
    funding: Mapped[str] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    usage: Mapped[str] = mapped_column(String(16))
    processor: Mapped[str] = mapped_column(String(16))
    processor_reference: Mapped[str] = mapped_column(String(255))
    created_from: Mapped[str] = mapped_column(String(16))  # SETUP_INTENT | PAYMENT
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    detached_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_payment_methods_customer", "customer_id", "payment_method_id"),
                      Index("ix_payment_methods_fingerprint", "customer_id", "fingerprint"))


class SetupIntent(Scoped, Base):
    """Saving a card without charging it: persisted before the processor is called (the recovery point),
    like a payment intent."""

    __tablename__ = "setup_intents"
    setup_intent_id: Mapped[str] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[str] = mapped_column(Id, ForeignKey("customers.customer_id"))
    status: Mapped[str] = mapped_column(String(24))
    usage: Mapped[str] = mapped_column(String(16))
    card: Mapped[dict[str, Any]] = mapped_column(JSON)  # token, brand, last4 of the card being saved
    payment_method_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)  # the card was already saved: no new pm_
    processor: Mapped[str] = mapped_column(String(16))
    processor_reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    next_action: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    failure: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_setup_intents_customer", "customer_id", "setup_intent_id"),)
