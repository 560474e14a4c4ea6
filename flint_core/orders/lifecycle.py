"""An order's statuses and the operations each allows (API.md section 4). Pure."""

from __future__ import annotations

from enum import StrEnum

from flint_core.kernel.state_machine import StateMachine


class OrderStatus(StrEnum):
    OPEN = "OPEN"
    AUTHORIZED = "AUTHORIZED"
    PAID = "PAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"
    CLOSED = "CLOSED"
    CANCELED = "CANCELED"


S = OrderStatus
REFUNDABLE = frozenset({S.PAID, S.PARTIALLY_REFUNDED, S.CLOSED})

ORDER = StateMachine(
    resource="order",
    initial=S.OPEN,
    transitions={
        S.OPEN: frozenset({S.AUTHORIZED, S.PAID, S.CANCELED}),
        S.AUTHORIZED: frozenset({S.OPEN, S.PAID, S.CANCELED}),
        S.PAID: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED, S.CLOSED}),
        # a failed refund gives its money back, which can move an order back a step
        S.PARTIALLY_REFUNDED: frozenset({S.REFUNDED, S.CLOSED, S.PAID}),
        S.REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.PAID}),
        S.CLOSED: frozenset(),  # settled; refunds are still allowed and tracked in settlement_amounts
        S.CANCELED: frozenset(),
    },
    actions={
        "update_order": frozenset({S.OPEN}),
        "apply_coupon": frozenset({S.OPEN}),
        "remove_coupon": frozenset({S.OPEN}),
        "pay_order": frozenset({S.OPEN}),
        "create_checkout_session": frozenset({S.OPEN}),
        "capture_payment": frozenset({S.AUTHORIZED}),
        "void_payment": frozenset({S.AUTHORIZED}),
        "cancel_order": frozenset({S.OPEN, S.AUTHORIZED}),
        "close_order": frozenset({S.PAID, S.PARTIALLY_REFUNDED}),
        "preview_refund": REFUNDABLE,
        "create_refund": REFUNDABLE,
    },
    error_codes={
        "update_order": "order_not_editable",
        "apply_coupon": "order_not_editable",
        "remove_coupon": "order_not_editable",
        "pay_order": "order_not_payable",
        "create_checkout_session": "order_not_payable",
        "cancel_order": "order_not_cancelable",
        "close_order": "order_not_closable",
        "preview_refund": "order_not_refundable",
        "create_refund": "order_not_refundable",
    },
)

MACHINES = (ORDER,)
