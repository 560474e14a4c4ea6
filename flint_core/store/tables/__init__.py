"""SQLAlchemy tables, one module per domain, on one declarative ``Base`` (``base``). Every row carries
``merchant_id`` and ``env_id`` (a sandbox id, or ``live``): every query is scoped by both, so one key can
never see another merchant's or sandbox's data.

This package is the one place that knows every table: importing it imports every table module, so
``Base.metadata`` is complete (alembic's target metadata, ``create_all``), and it re-exports every name.
Table modules import only ``base``; relationships across modules name their target by string.
"""

from __future__ import annotations

from flint_core.store.tables.accounts import ApiKey, Merchant, Sandbox
from flint_core.store.tables.activity import Activity, Event
from flint_core.store.tables.base import LIVE, Amount, Base, Id, Scoped, UTCDateTime, convention
from flint_core.store.tables.catalog import InventoryAdjustment, InventoryReservation, Item, Variation
from flint_core.store.tables.checkout import CheckoutSession
from flint_core.store.tables.coupons import Coupon
from flint_core.store.tables.customers import Customer, PaymentMethod, SetupIntent
from flint_core.store.tables.notifications import Notification
from flint_core.store.tables.orders import Order, OrderCoupon, OrderLineItem, OrderPart, OrderServiceCharge
from flint_core.store.tables.payments import PaymentIntent
from flint_core.store.tables.platform import (
    IdempotencyRecord,
    Job,
    McpSession,
    Preview,
    RateLimitBucket,
    RequestLog,
    RequestLogObject,
)
from flint_core.store.tables.processors import SimulatedCharge, SimulatedOperation, SimulatedSetup, SimulatorFault
from flint_core.store.tables.refunds import Refund
from flint_core.store.tables.tax import TaxRate
from flint_core.store.tables.webhooks import WebhookDelivery, WebhookEndpoint

# Tables that belong to one environment and are wiped by reset_sandbox, children first. Configuration
# (keys, webhook endpoints) and the audit of requests (request logs) survive a reset.
ENV_TABLES = (Notification, WebhookDelivery, Event, Activity, IdempotencyRecord, Preview, CheckoutSession, Refund, PaymentIntent, OrderCoupon, OrderServiceCharge,
              OrderLineItem, Order, InventoryReservation, InventoryAdjustment, Variation, Item, Coupon, TaxRate, SetupIntent, PaymentMethod, Customer)

__all__ = [
    # base
    "LIVE", "Amount", "Base", "Id", "Scoped", "UTCDateTime", "convention",
    # accounts
    "ApiKey", "Merchant", "Sandbox",
    # customers, tax, coupons, catalog
    "Customer", "PaymentMethod", "SetupIntent", "TaxRate", "Coupon", "Item", "Variation", "InventoryAdjustment", "InventoryReservation",
    # orders
    "Order", "OrderCoupon", "OrderLineItem", "OrderPart", "OrderServiceCharge",
    # payments, refunds, checkout
    "PaymentIntent", "Refund", "CheckoutSession",
    # activity
    "Activity", "Event",
    # webhooks
    "WebhookDelivery", "WebhookEndpoint",
    # notifications
    "Notification",
    # platform
    "IdempotencyRecord", "Job", "McpSession", "Preview", "RateLimitBucket", "RequestLog", "RequestLogObject",
    # processors
    "SimulatedCharge", "SimulatedOperation", "SimulatedSetup", "SimulatorFault",
    # reset_sandbox
    "ENV_TABLES",
]
