"""SQLAlchemy models. Every row carries ``merchant_id`` and ``env_id`` (a sandbox id, or ``live``):
every query is scoped by both, so one key can never see another merchant's or sandbox's data.

Totals are never edited by hand: the ``*_amount`` columns on orders and lines are the snapshot that
``flint_core.orders.repricing`` recomputes from the parts on every mutation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

LIVE = "live"  # env_id of live mode; test mode rows carry their sandbox id


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite has no time zones: store naive UTC, return aware)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


Amount = BigInteger  # integer minor units
Id = String(40)

convention = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
              "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=convention)


class Scoped:
    """Columns every tenant-owned row has."""

    merchant_id: Mapped[str] = mapped_column(Id)
    env_id: Mapped[str] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Merchant(Base):
    __tablename__ = "merchants"
    merchant_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Sandbox(Base):
    __tablename__ = "sandboxes"
    sandbox_id: Mapped[str] = mapped_column(Id, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(Id, ForeignKey("merchants.merchant_id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApiKey(Scoped, Base):
    __tablename__ = "api_keys"
    api_key_id: Mapped[str] = mapped_column(Id, primary_key=True)
    mode: Mapped[str] = mapped_column(String(8))  # test | live
    kind: Mapped[str] = mapped_column(String(16))  # secret | restricted
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    redacted: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rolled_to: Mapped[str | None] = mapped_column(Id, nullable=True)
    created_by: Mapped[str | None] = mapped_column(Id, nullable=True)
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # agent guard rails, see auth.KeyLimits
    __table_args__ = (Index("ix_api_keys_scope", "merchant_id", "env_id"),)


class Customer(Scoped, Base):
    __tablename__ = "customers"
    customer_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    email_key: Mapped[str | None] = mapped_column(String(320), nullable=True)  # lower-cased, for search
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_customers_email", "merchant_id", "env_id", "email_key"),)


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
    payment_intents: Mapped[list[PaymentIntent]] = relationship(order_by="PaymentIntent.payment_intent_id",
                                                                viewonly=True)
    refunds: Mapped[list[Refund]] = relationship(order_by="Refund.refund_id", viewonly=True)
    coupons: Mapped[list[OrderCoupon]] = relationship(order_by="OrderCoupon.position", cascade="all, delete-orphan")
    service_charges: Mapped[list[OrderServiceCharge]] = relationship(order_by="OrderServiceCharge.position",
                                                                     cascade="all, delete-orphan")
    __table_args__ = (Index("ix_orders_scope", "merchant_id", "env_id", "created_at"),
                      Index("ix_orders_customer", "merchant_id", "env_id", "customer_id"),
                      Index("ix_orders_status", "merchant_id", "env_id", "status"))


class OrderPart(Scoped):
    order_id: Mapped[str] = mapped_column(Id, ForeignKey("orders.order_id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)


class OrderLineItem(OrderPart, Base):
    __tablename__ = "order_line_items"
    line_item_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    sku: Mapped[str | None] = mapped_column(String(100), nullable=True)
    item_id: Mapped[str | None] = mapped_column(Id, nullable=True)
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
    processor: Mapped[str] = mapped_column(String(16))
    processor_reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    failure: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    next_action: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    buyer_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)  # of the pay_order call
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


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


class Preview(Scoped, Base):
    """A confirmed-destructive-action token: the exact parameters and object version a preview showed."""

    __tablename__ = "previews"
    preview_id: Mapped[str] = mapped_column(Id, primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(Id)
    version: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CheckoutSession(Scoped, Base):
    """A hosted payment page for one order. The id in its URL is the buyer's only credential, so it is
    random (a ULID) and the page shows nothing beyond what the merchant put on the order."""

    __tablename__ = "checkout_sessions"
    checkout_session_id: Mapped[str] = mapped_column(Id, primary_key=True)
    order_id: Mapped[str] = mapped_column(Id, ForeignKey("orders.order_id"), index=True)
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
    __table_args__ = (Index("ix_checkout_sessions_status", "status", "expires_at"),)


class SimulatedCharge(Base):
    """The test-mode processor's own ledger. It lives beside Flint's tables but is written in its own
    transactions, like an external system: a Flint rollback never erases what the processor did."""

    __tablename__ = "simulator_charges"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)  # the caller's idempotency key
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    env_id: Mapped[str] = mapped_column(Id)
    behavior: Mapped[str] = mapped_column(String(40))
    capture: Mapped[bool] = mapped_column(Boolean)  # capture at once, or hold
    status: Mapped[str] = mapped_column(String(24))
    amount: Mapped[int] = mapped_column(Amount)
    amount_captured: Mapped[int] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    authentication: Mapped[str | None] = mapped_column(String(16), nullable=True)  # 3DS: passed | failed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SimulatedOperation(Base):
    """Answers to the simulator's non-authorize calls (capture, void, confirm, refund), by key."""

    __tablename__ = "simulator_operations"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    charge_reference: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(16))
    polls: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SimulatorFault(Base):
    """Per-sandbox fault switch: the next ``remaining`` processor calls fail with ``mode``."""

    __tablename__ = "simulator_faults"
    env_id: Mapped[str] = mapped_column(Id, primary_key=True)
    mode: Mapped[str] = mapped_column(String(24))  # TIMEOUT (call happens, answer lost) | UNAVAILABLE (5xx)
    remaining: Mapped[int] = mapped_column(Integer)


class Activity(Base):
    """One row per mutation, written in the mutation's transaction (API.md section 5). ``sequence`` numbers
    an object's activities 1, 2, 3... in the order the changes were applied (``Context.record``); the
    unique index on it is both the lists' sort order and the guard against two writers taking one number."""

    __tablename__ = "activities"
    activity_id: Mapped[str] = mapped_column(Id, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(Id)
    env_id: Mapped[str] = mapped_column(Id)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(Id)
    type: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(40))
    face: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    delta: Mapped[dict[str, Any]] = mapped_column(JSON)
    sequence: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("uq_activities_object_sequence", "merchant_id", "env_id", "object_id", "object_type",
                            "sequence", unique=True),)


class IdempotencyRecord(Base):
    """A claimed idempotency key and, once execution finished, the response to replay byte for byte."""

    __tablename__ = "idempotency_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(Id)
    env_id: Mapped[str] = mapped_column(Id)
    key: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(Id)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # set while executing
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("merchant_id", "env_id", "key", name="uq_idempotency_keys_scope_key"),
                      Index("ix_idempotency_keys_created", "created_at"))


class Event(Base):
    """A state change, written to this outbox in the transaction that made it (DESIGN.md section 1).
    ``payload`` is the exact JSON text every webhook delivery of the event carries."""

    __tablename__ = "events"
    event_id: Mapped[str] = mapped_column(Id, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(Id)
    env_id: Mapped[str] = mapped_column(Id)
    type: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(Id)
    order_id: Mapped[str | None] = mapped_column(Id, nullable=True)  # the order it concerns, for timelines
    request_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_events_scope", "merchant_id", "env_id", "event_id"),
                      Index("ix_events_object", "merchant_id", "env_id", "object_id"),
                      Index("ix_events_order", "merchant_id", "env_id", "order_id"))


class WebhookEndpoint(Scoped, Base):
    """Where events are delivered. The signing secret must be readable to sign with, so it is stored as
    is (like Stripe's); ``previous_secret`` keeps signing during a rotation's grace period."""

    __tablename__ = "webhook_endpoints"
    webhook_endpoint_id: Mapped[str] = mapped_column(Id, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    enabled_events: Mapped[list[str]] = mapped_column(JSON)  # event types, or ["*"]
    status: Mapped[str] = mapped_column(String(16))  # ENABLED | DISABLED
    disabled_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # first failure since a success
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_webhook_endpoints_scope", "merchant_id", "env_id"),)


class WebhookDelivery(Scoped, Base):
    """One event to one endpoint: its status and every attempt (status code, latency, response snippet)."""

    __tablename__ = "webhook_deliveries"
    webhook_delivery_id: Mapped[str] = mapped_column(Id, primary_key=True)
    event_id: Mapped[str] = mapped_column(Id, ForeignKey("events.event_id"))
    webhook_endpoint_id: Mapped[str] = mapped_column(Id)  # no foreign key: history outlives a deleted endpoint
    status: Mapped[str] = mapped_column(String(16))  # PENDING | SUCCEEDED | FAILED
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)  # why it ended FAILED
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_webhook_deliveries_event", "merchant_id", "env_id", "event_id"),
                      Index("ix_webhook_deliveries_endpoint", "merchant_id", "env_id", "webhook_endpoint_id"))


class Job(Base):
    """Due work (webhook deliveries, refund settlement, session expiry...). A row exists while the work is
    pending: a worker leases it (``locked_by``/``locked_until``), does it, and deletes it in the same
    transaction as the work's effects. A worker that dies leaves a lease that lapses; another takes over."""

    __tablename__ = "jobs"
    job_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                        autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12))  # QUEUED | DEAD (gave up; kept for inspection)
    attempts: Mapped[int] = mapped_column(Integer)
    locked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_jobs_due", "status", "run_at"),)


class RequestLog(Base):
    """One row per request on every face: who asked for what, and what came of it (secrets redacted)."""

    __tablename__ = "request_logs"
    request_id: Mapped[str] = mapped_column(Id, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(Id)
    env_id: Mapped[str] = mapped_column(Id)
    api_key_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    face: Mapped[str] = mapped_column(String(16))
    operation: Mapped[str | None] = mapped_column(String(64), nullable=True)
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(2048))
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    replayed: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[int] = mapped_column(Integer)
    error_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    object_ids: Mapped[list[str]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_request_logs_scope", "merchant_id", "env_id", "request_id"),)


class RequestLogObject(Base):
    """The objects a request touched, one row each, so logs can be filtered by resource id."""

    __tablename__ = "request_log_objects"
    request_id: Mapped[str] = mapped_column(Id, ForeignKey("request_logs.request_id", ondelete="CASCADE"),
                                            primary_key=True)
    object_id: Mapped[str] = mapped_column(Id, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(Id)
    env_id: Mapped[str] = mapped_column(Id)
    __table_args__ = (Index("ix_request_log_objects_object", "merchant_id", "env_id", "object_id"),)


class RateLimitBucket(Base):
    """A shared rate-limit budget (GCRA): ``tat_us`` is the theoretical arrival time, in microseconds since
    the epoch, of the next request. Stored in the database so every server worker draws on one budget."""

    __tablename__ = "rate_limit_buckets"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    tat_us: Mapped[int] = mapped_column(BigInteger)


# Tables that belong to one environment and are wiped by reset_sandbox, children first. Configuration
# (keys, webhook endpoints) and the audit of requests (request logs) survive a reset.
ENV_TABLES = (WebhookDelivery, Event, Activity, IdempotencyRecord, Preview, CheckoutSession, Refund, PaymentIntent, OrderCoupon, OrderServiceCharge,
              OrderLineItem, Order, Coupon, TaxRate, Customer)
