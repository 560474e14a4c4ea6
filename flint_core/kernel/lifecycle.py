"""Every state machine as one table of legal transitions, and the actions each status allows.

Pure: no database, no registry. ``available_actions`` on an object is ``machine.actions_for(status)``
filtered by what the calling key may do (the caller passes that predicate).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flint_core.kernel.errors import FlintError


def _or_list(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


@dataclass(frozen=True)
class StateMachine:
    resource: str  # "order", "payment_intent", ...
    initial: str
    transitions: dict[str, frozenset[str]]  # status -> statuses it may move to
    actions: dict[str, frozenset[str]]  # operation name -> statuses in which it is legal
    error_codes: dict[str, str]  # operation name -> specific conflict code (default invalid_state_transition)

    @property
    def statuses(self) -> list[str]:
        return list(self.transitions)

    def can(self, status: str, action: str) -> bool:
        return status in self.actions.get(action, ())

    def actions_for(self, status: str, visible: Callable[[str], bool] = lambda _: True) -> list[str]:
        return [action for action, allowed in self.actions.items() if status in allowed and visible(action)]

    def require(self, status: str, action: str, object_id: str,
                visible: Callable[[str], bool] = lambda _: True) -> None:
        """Raise state_conflict_error unless ``action`` is legal in ``status``."""
        if self.can(status, action):
            return
        allowed = [s for s in self.statuses if s in self.actions.get(action, ())]
        code = self.error_codes.get(action, "invalid_state_transition")
        fields = {"status": status, "allowed": _or_list(allowed) if allowed else "no"}
        if code == "invalid_state_transition":
            fields |= {"resource": self.resource.replace("_", " ").capitalize(), "id": object_id, "operation": action}
        else:
            fields[f"{self.resource}_id"] = object_id
        reread = f"get_{self.resource}"
        suggested = [*self.actions_for(status, visible), *([reread] if visible(reread) else [])]
        raise FlintError(code, param=f"{self.resource}_id", suggested_actions=suggested, **fields)

    def check_transition(self, current: str, new: str) -> None:
        """Internal guard: the core never writes a status change the table does not allow."""
        if new != current and new not in self.transitions[current]:
            raise AssertionError(f"illegal {self.resource} transition {current} -> {new}")


OPEN, AUTHORIZED, PAID = "OPEN", "AUTHORIZED", "PAID"
PARTIALLY_REFUNDED, REFUNDED, CLOSED, CANCELED = "PARTIALLY_REFUNDED", "REFUNDED", "CLOSED", "CANCELED"
_REFUNDABLE = frozenset({PAID, PARTIALLY_REFUNDED, CLOSED})

ORDER = StateMachine(
    resource="order",
    initial=OPEN,
    transitions={
        OPEN: frozenset({AUTHORIZED, PAID, CANCELED}),
        AUTHORIZED: frozenset({OPEN, PAID, CANCELED}),
        PAID: frozenset({PARTIALLY_REFUNDED, REFUNDED, CLOSED}),
        # a failed refund gives its money back, which can move an order back a step
        PARTIALLY_REFUNDED: frozenset({REFUNDED, CLOSED, PAID}),
        REFUNDED: frozenset({PARTIALLY_REFUNDED, PAID}),
        CLOSED: frozenset(),  # settled; refunds are still allowed and tracked in settlement_amounts
        CANCELED: frozenset(),
    },
    actions={
        "update_order": frozenset({OPEN}),
        "apply_coupon": frozenset({OPEN}),
        "remove_coupon": frozenset({OPEN}),
        "pay_order": frozenset({OPEN}),
        "create_checkout_session": frozenset({OPEN}),
        "capture_payment": frozenset({AUTHORIZED}),
        "void_payment": frozenset({AUTHORIZED}),
        "cancel_order": frozenset({OPEN, AUTHORIZED}),
        "close_order": frozenset({PAID, PARTIALLY_REFUNDED}),
        "preview_refund": _REFUNDABLE,
        "create_refund": _REFUNDABLE,
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

MACHINES = {ORDER.resource: ORDER}

PROCESSING, REQUIRES_ACTION, REQUIRES_CAPTURE = "PROCESSING", "REQUIRES_ACTION", "REQUIRES_CAPTURE"
SUCCEEDED, FAILED = "SUCCEEDED", "FAILED"
IN_FLIGHT = frozenset({PROCESSING, REQUIRES_ACTION})  # a payment the order is waiting on

PAYMENT_INTENT = StateMachine(
    resource="payment_intent",
    initial=PROCESSING,  # created and persisted before the processor is called: the recovery point
    transitions={
        PROCESSING: frozenset({REQUIRES_ACTION, REQUIRES_CAPTURE, SUCCEEDED, FAILED}),
        REQUIRES_ACTION: frozenset({REQUIRES_CAPTURE, SUCCEEDED, FAILED, CANCELED}),
        REQUIRES_CAPTURE: frozenset({SUCCEEDED, CANCELED}),
        SUCCEEDED: frozenset(), FAILED: frozenset(), CANCELED: frozenset(),
    },
    actions={
        "retry_payment": frozenset({PROCESSING}),
        "confirm_payment": frozenset({REQUIRES_ACTION}),
        "capture_payment": frozenset({REQUIRES_CAPTURE}),
        "void_payment": frozenset({REQUIRES_CAPTURE, REQUIRES_ACTION}),
        "preview_refund": frozenset({SUCCEEDED}),
        "create_refund": frozenset({SUCCEEDED}),
    },
    error_codes={"retry_payment": "payment_not_processing"},
)

PENDING = "PENDING"
REFUND = StateMachine(
    resource="refund",
    initial=PENDING,
    transitions={PENDING: frozenset({SUCCEEDED, FAILED, CANCELED}), SUCCEEDED: frozenset(), FAILED: frozenset(),
                 CANCELED: frozenset()},
    actions={},
    error_codes={},
)

API_KEY = StateMachine(
    resource="api_key",
    initial="ACTIVE",
    transitions={"ACTIVE": frozenset({"ROLLED", "EXPIRED", "REVOKED"}),
                 "ROLLED": frozenset({"EXPIRED", "REVOKED"}),  # replaced; works until its grace period ends
                 "EXPIRED": frozenset({"REVOKED"}), "REVOKED": frozenset()},
    actions={"roll_api_key": frozenset({"ACTIVE"}), "revoke_api_key": frozenset({"ACTIVE", "ROLLED", "EXPIRED"})},
    error_codes={},
)

COMPLETE, EXPIRED = "COMPLETE", "EXPIRED"
CHECKOUT_SESSION = StateMachine(
    resource="checkout_session",
    initial=OPEN,
    # COMPLETE: paid through its page; EXPIRED: expires_at passed (or expired early); CANCELED: its order
    # was canceled or paid some other way, so the page has nothing left to collect
    transitions={OPEN: frozenset({COMPLETE, EXPIRED, CANCELED}), COMPLETE: frozenset(), EXPIRED: frozenset(),
                 CANCELED: frozenset()},
    actions={"expire_checkout_session": frozenset({OPEN})},
    error_codes={},
)

MACHINES.update({m.resource: m for m in (PAYMENT_INTENT, REFUND, API_KEY, CHECKOUT_SESSION)})
