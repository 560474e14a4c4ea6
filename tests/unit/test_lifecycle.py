from __future__ import annotations

import pytest

from flint_core.kernel.errors import FlintError
from flint_core.kernel.state_machine import StateMachine
from flint_core.orders.lifecycle import ORDER
from flint_core.platform import registry


@pytest.mark.parametrize("machine", registry.machines().values(), ids=lambda m: m.resource)
def test_tables_are_closed_and_reachable(machine: StateMachine) -> None:
    statuses = set(machine.statuses)
    assert machine.initial in statuses
    for targets in machine.transitions.values():
        assert targets <= statuses
    for allowed in machine.actions.values():
        assert allowed <= statuses
    reached, frontier = {machine.initial}, [machine.initial]
    while frontier:
        for target in machine.transitions[frontier.pop()] - reached:
            reached.add(target)
            frontier.append(target)
    assert reached == statuses


def test_order_contract_transitions() -> None:
    assert ORDER.transitions["OPEN"] == {"AUTHORIZED", "PAID", "CANCELED"}
    assert ORDER.transitions["PAID"] >= {"PARTIALLY_REFUNDED", "REFUNDED", "CLOSED"}
    assert ORDER.transitions["PARTIALLY_REFUNDED"] >= {"REFUNDED", "CLOSED"}
    assert ORDER.transitions["AUTHORIZED"] >= {"CANCELED", "PAID"}
    for terminal in ("CANCELED", "CLOSED"):
        assert ORDER.transitions[terminal] == frozenset()
    # only a failed refund (money given back) moves a refunded order back
    assert ORDER.transitions["REFUNDED"] == {"PARTIALLY_REFUNDED", "PAID"}
    with pytest.raises(AssertionError):
        ORDER.check_transition("CANCELED", "OPEN")


def test_illegal_action_names_status_and_alternatives() -> None:
    with pytest.raises(FlintError) as raised:
        ORDER.require("OPEN", "create_refund", "ord_1")
    error = raised.value.envelope("req_1", public_url="http://127.0.0.1:8000")["error"]
    assert error["type"] == "state_conflict_error" and error["code"] == "order_not_refundable"
    assert error["message"] == ("Order ord_1 is OPEN; only PAID, PARTIALLY_REFUNDED or CLOSED orders can be "
                                "refunded.")
    assert error["param"] == "order_id"
    assert "update_order" in error["suggested_actions"] and "create_refund" not in error["suggested_actions"]


def test_available_actions_follow_the_key() -> None:
    assert ORDER.actions_for("OPEN", lambda action: action != "cancel_order") == [
        "update_order", "apply_coupon", "remove_coupon", "pay_order", "create_checkout_session"]
    assert ORDER.actions_for("CANCELED") == []
