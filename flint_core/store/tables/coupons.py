"""Coupons (an order keeps its own copy of the terms it applied: ``orders.OrderCoupon``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from flint_core.store.tables.base import Amount, Base, Id, Scoped, UTCDateTime


class Coupon(Scoped, Base):
    __tablename__ = "coupons"
    coupon_id: Mapped[str] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(100))
    code_key: Mapped[str] = mapped_column(String(100))  # upper-cased: codes match case-insensitively
    percentage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    amount: Mapped[int | None] = mapped_column(Amount, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    stackable: Mapped[bool] = mapped_column(Boolean)
    max_redemptions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    times_redeemed: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("merchant_id", "env_id", "code_key", name="uq_coupons_code"),)
