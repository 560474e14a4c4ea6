"""Orders and their parts (line items, applied coupons, service charges).

Totals are never edited by hand: the ``*_amount`` columns on orders and lines are the snapshot that
``flint_core.orders.repricing`` recomputes from the parts on every mutation. The payments and refunds
against an order are read through ``Order.payment_intents`` and ``Order.refunds`` (their tables live in
``payments`` and ``refunds``; the relationships name them by string, so no module imports another).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flint_core.store.tables.base import Amount, Base, Id, Scoped, UTCDateTime

if TYPE_CHECKING:
    from flint_core.store.tables.payments import PaymentIntent
    from flint_core.store.tables.refunds import Refund


class Order(Scoped, Base):
    __tablename__ = "orders"
    order_id: Mapped[str] = mapped_column(Id, primary_key=True)
    status: Mapped[str] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(3))
    customer_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    buyer_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    tax_address: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    tip: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # {"amount"} or {"percentage"}
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # snapshot of computed amounts
    subtotal_amount: Mapped[int] = mapped_column(Amount)
    discount_amount: Mapped[int] = mapped_column(Amount)
    service_charge_amount: Mapped[int] = mapped_column(Amount)
    tax_amount: Mapped[int] = mapped_column(Amount)
    inclusive_tax_amount: Mapped[int] = mapped_column(Amount)
    tip_amount: Mapped[int] = mapped_column(Amount)
    total_amount: Mapped[int] = mapped_column(Amount)
    tax_breakdown: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # settlement (moved by payments and refunds)
    authorized_amount: Mapped[int] = mapped_column(Amount, default=0)
    paid_amount: Mapped[int] = mapped_column(Amount, default=0)
    refunded_amount: Mapped[int] = mapped_column(Amount, default=0)

    line_items: Mapped[list[OrderLineItem]] = relationship(order_by="OrderLineItem.position",
                                                           cascade="all, delete-orphan")
    payment_intents: Mapped[list[PaymentIntent]] = relationship("PaymentIntent",
                                                                order_by="PaymentIntent.payment_intent_id",
                                                                viewonly=True)
    refunds: Mapped[list[Refund]] = relationship("Refund", order_by="Refund.refund_id", viewonly=True)
    coupons: Mapped[list[OrderCoupon]] = relationship(order_by="OrderCoupon.position", cascade="all, delete-orphan")
    service_charges: Mapped[list[OrderServiceCharge]] = relationship(order_by="OrderServiceCharge.position",
                                                                     cascade="all, delete-orphan")
    # list_orders pages by order_id within a scope (and a status or a customer): each index ends with it
    __table_args__ = (Index("ix_orders_scope", "merchant_id", "env_id", "order_id"),
                      Index("ix_orders_customer", "merchant_id", "env_id", "customer_id", "order_id"),
                      Index("ix_orders_status", "merchant_id", "env_id", "status", "order_id"))


class OrderPart(Scoped):
    order_id: Mapped[str] = mapped_column(Id, ForeignKey("orders.order_id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)


class OrderLineItem(OrderPart, Base):
    __tablename__ = "order_line_items"
    line_item_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    sku: Mapped[str | None] = mapped_column(String(100), nullable=True)
    item_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    # a line from the catalog: its variation, and the item version its name, price and tax came from
    variation_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    variation_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    catalog_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(Amount)
    tax_category: Mapped[str] = mapped_column(String(20))
    refunded_quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    # snapshot
    gross_amount: Mapped[int] = mapped_column(Amount)
    discount_amount: Mapped[int] = mapped_column(Amount)
    service_charge_amount: Mapped[int] = mapped_column(Amount)
    tax_amount: Mapped[int] = mapped_column(Amount)
    inclusive_tax_amount: Mapped[int] = mapped_column(Amount)
    total_amount: Mapped[int] = mapped_column(Amount)


class OrderCoupon(OrderPart, Base):
    __tablename__ = "order_coupons"
    order_coupon_id: Mapped[str] = mapped_column(Id, primary_key=True)
    coupon_id: Mapped[str] = mapped_column(Id, ForeignKey("coupons.coupon_id"))
    code: Mapped[str] = mapped_column(String(100))
    stackable: Mapped[bool] = mapped_column(Boolean)
    # the coupon's terms when it was applied: an order is priced from its own parts
    percentage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    amount: Mapped[int | None] = mapped_column(Amount, nullable=True)
    discount_amount: Mapped[int] = mapped_column(Amount)


class OrderServiceCharge(OrderPart, Base):
    __tablename__ = "order_service_charges"
    service_charge_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int | None] = mapped_column(Amount, nullable=True)
    percentage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    taxable: Mapped[bool] = mapped_column(Boolean)
    applied_amount: Mapped[int] = mapped_column(Amount)
    tax_amount: Mapped[int] = mapped_column(Amount)
