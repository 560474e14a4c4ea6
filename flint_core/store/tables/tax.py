"""Tax rates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from flint_core.store.tables.base import Base, Id, Scoped, UTCDateTime


class TaxRate(Scoped, Base):
    __tablename__ = "tax_rates"
    tax_rate_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    region: Mapped[str | None] = mapped_column(String(100), nullable=True)
    postal_prefix: Mapped[str | None] = mapped_column(String(20), nullable=True)
    percentage: Mapped[str] = mapped_column(String(20))  # decimal string, exact
    tax_category: Mapped[str] = mapped_column(String(20))
    inclusive: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_tax_rates_scope", "merchant_id", "env_id"),)
