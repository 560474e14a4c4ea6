"""The catalog: items and their variations (the sellable, priced units), with each tracked variation's
stock counts and their ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from flint_core.store.tables.base import Base, Id, Scoped, UTCDateTime


class Item(Scoped, Base):
    __tablename__ = "items"
    item_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    tax_category: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    image_urls: Mapped[list[str]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_items_scope", "merchant_id", "env_id", "item_id"),)


class Variation(Scoped, Base):
    """A priced, sellable unit of an item. ``sku_key`` (the SKU, lower-cased) is unique per merchant and
    environment; ``on_hand`` and ``reserved`` are the stock counts of a tracked variation."""

    __tablename__ = "variations"
    variation_id: Mapped[str] = mapped_column(Id, primary_key=True)
    item_id: Mapped[str] = mapped_column(Id, ForeignKey("items.item_id"))
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(100), nullable=True)
    sku_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    pricing_type: Mapped[str] = mapped_column(String(20))
    price_amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    track_inventory: Mapped[bool] = mapped_column(Boolean)
    inventory_policy: Mapped[str] = mapped_column(String(20))
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer, nullable=True)
    on_hand: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)  # the order of an item's variations
    version: Mapped[int] = mapped_column(Integer)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("merchant_id", "env_id", "sku_key", name="uq_variations_sku"),
                      Index("ix_variations_item", "item_id", "position"))


class InventoryAdjustment(Scoped, Base):
    """One change of a tracked variation's stock: append-only, written with the change it records.
    ``delta`` is what on_hand moved by and ``reserved_delta`` what reserved moved by, so each column of
    the ledger sums to its count."""

    __tablename__ = "inventory_adjustments"
    adjustment_id: Mapped[str] = mapped_column(Id, primary_key=True)
    variation_id: Mapped[str] = mapped_column(Id, ForeignKey("variations.variation_id"))
    item_id: Mapped[str] = mapped_column(Id)
    delta: Mapped[int] = mapped_column(Integer)
    reserved_delta: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(20))
    quantity_after: Mapped[int] = mapped_column(Integer)
    reserved_after: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    refund_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    reservation_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    actor: Mapped[str] = mapped_column(String(40))
    request_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    __table_args__ = (Index("ix_inventory_adjustments_variation", "variation_id", "adjustment_id"),)


class InventoryReservation(Scoped, Base):
    """Units of one order line held for one payment: HELD from pay_order until the payment's outcome, then
    SOLD or RELEASED (a SOLD hold is RELEASED again if its authorization is voided). ``expires_at`` is when
    an unsettled hold lapses (the inventory_reservation_expiry job)."""

    __tablename__ = "inventory_reservations"
    reservation_id: Mapped[str] = mapped_column(Id, primary_key=True)
    payment_intent_id: Mapped[str] = mapped_column(Id)
    order_id: Mapped[str] = mapped_column(Id)
    line_item_id: Mapped[str] = mapped_column(Id)
    variation_id: Mapped[str] = mapped_column(Id, ForeignKey("variations.variation_id"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_inventory_reservations_payment", "payment_intent_id"),)
