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
    """One change of a tracked variation's stock: append-only, written with the change it records."""

    __tablename__ = "inventory_adjustments"
    adjustment_id: Mapped[str] = mapped_column(Id, primary_key=True)
    variation_id: Mapped[str] = mapped_column(Id, ForeignKey("variations.variation_id"))
    item_id: Mapped[str] = mapped_column(Id)
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))
    quantity_after: Mapped[int] = mapped_column(Integer)
    reserved_after: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    refund_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    actor: Mapped[str] = mapped_column(String(40))
    request_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    __table_args__ = (Index("ix_inventory_adjustments_variation", "variation_id", "adjustment_id"),)
