"""Events through the real ASGI app: every state change emits its event in the transaction that makes it,
with the object exactly as the API returned it and the old values of what changed; replays and rolled-back
operations emit nothing; list_events filters and pages; get_event returns the delivered payload byte for byte.

Each ``flow_*`` drives one kind of change through the HTTP API (or the hosted page, or a job) and checks its
events; the per-type tests run them one by one, and the scenario test runs them all on one merchant and
checks that together they emit every type in the catalog."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from flint_core.checkout import jobs as checkout_jobs
from flint_core.notifications.service import DELIVER_NOTIFICATION
from flint_core.payment_methods.service import CARD_EXPIRING
from flint_core.platform import idempotency, queue
from flint_core.platform.context import utcnow
from flint_core.platform.outbox import EVENT_TYPES
from flint_core.platform.settings import Settings, SmtpServer
from flint_core.refunds import jobs as refund_jobs
from flint_core.store.tables import Event
from tests.api.helpers import new_session, submit
from tests.conftest import WORKED_EXAMPLE, Api, signup, usd
from tests.smtp_server import smtp_server

Json = dict[str, Any]
NOT_EMITTED_HERE = {"webhook_endpoint.disabled"}  # emitted by the webhook runner (tests/api/test_webhooks*)


class Log:
    """This merchant's events, read through list_events as they arrive (oldest first)."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.seen: set[str] = set()
        self.types: set[str] = set()

    def all(self, **params: Any) -> list[Json]:
        out, token = [], ""
        while True:
            page = self.api.ok("GET", "/v1/events", params={"order_by": "created_at", "page_size": 200, **params}
                               | ({"page_token": token} if token else {}))
            out += page["data"]
            token = page["next_page_token"]
            if not token:
                return out

    def new(self, *types: str) -> list[Json]:
        """The events since the last call; asserts their types, in order."""
        fresh = [e for e in self.all() if e["event_id"] not in self.seen]
        self.seen |= {e["event_id"] for e in fresh}
        self.types |= {e["type"] for e in fresh}
        assert [e["type"] for e in fresh] == list(types)
        return fresh


def changed(before: Json, after: Json, ignore: tuple[str, ...] = ()) -> Json:
    return {k: before.get(k) for k, v in after.items() if before.get(k) != v and k not in ignore}


def check_previous(event: Json, before: Json, *, ignore: tuple[str, ...] = ()) -> None:
    """previous_attributes holds exactly the old values of the fields that changed since ``before`` (the
    object as the API returned it before the call); ``ignore``: fields an earlier committed step of the
    same call changed (a payment intent recorded before the processor call)."""
    previous, after = event["data"]["previous_attributes"], event["data"]["object"]
    assert {k: v for k, v in previous.items() if k not in ignore} == changed(before, after, ignore)
    assert all(previous[k] != after[k] for k in previous)


def get(api: Api, kind: str, object_id: str) -> Json:
    return api.ok("GET", f"/v1/{kind}/{object_id}")


def call(api: Api, method: str, path: str, body: Any = None, **kw: Any) -> tuple[Json, str]:
    """The response body and its Request-Id."""
    response = api.request(method, path, body, **kw)
    assert response.status_code == 200, response.text
    return response.json(), response.headers["Request-Id"]


def new_order(api: Api, log: Log, body: Json = WORKED_EXAMPLE) -> Json:
    order, request_id = call(api, "POST", "/v1/orders", body)
    [created] = log.new("order.created")
    assert created["data"] == {"object": order, "previous_attributes": {}}
    assert created["request_id"] == request_id and created["event_id"].startswith("evt_")
    assert created["object"] == "event" and created["livemode"] is False
    return order


def pay(api: Api, log: Log, order: Json, source: str = "tok_visa", *types: str, **extra: Any) -> Json:
    """pay_order, then: the payment event carries the payment as returned and the order as get_order
    returns it now; the order event (if any) is that same order with what changed."""
    pi, request_id = call(api, "POST", f"/v1/orders/{order['order_id']}/pay", {"payment_source": source, **extra})
    fresh = log.new(*types)
    now = get(api, "orders", order["order_id"])
    assert fresh[0]["data"]["object"] == pi and fresh[0]["data"]["order"] == now
    assert fresh[0]["data"]["previous_attributes"]["status"] == "PROCESSING"  # recorded before the processor call
    for event in fresh[1:]:
        assert event["data"]["object"] == now and "order" not in event["data"]
        check_previous(event, order, ignore=("payment_intent_ids", "available_actions"))
    assert {e["request_id"] for e in fresh} == {request_id}
    return pi


def flow_order_created_and_updated(api: Api, log: Log) -> None:
    order = new_order(api, log)
    api.ok("POST", "/v1/coupons", {"code": "EVT20", "percentage": "20"})
    steps = [("PATCH", f"/v1/orders/{order['order_id']}", {"metadata": {"note": "gift"}, "add_line_items": [
                 {"name": "Socks", "quantity": 2, "unit_price_money": usd(500)}]}),
             ("POST", f"/v1/orders/{order['order_id']}/coupons", {"coupon_code": "EVT20"}),
             ("DELETE", f"/v1/orders/{order['order_id']}/coupons/EVT20", None)]
    for method, path, body in steps:
        before = get(api, "orders", order["order_id"])
        after, request_id = call(api, method, path, body)
        [updated] = log.new("order.updated")
        assert updated["data"]["object"] == after and updated["request_id"] == request_id
        check_previous(updated, before)
        assert {"version", "updated_at"} <= set(updated["data"]["previous_attributes"])
    # a change that changes nothing is not an event
    call(api, "PATCH", f"/v1/orders/{order['order_id']}", {"metadata": {"note": "gift"}})
    log.new()


def flow_automatic_payment_and_close(api: Api, log: Log) -> None:
    order = new_order(api, log)
    pay(api, log, order, "tok_visa", "payment.succeeded", "order.paid")
    before = get(api, "orders", order["order_id"])
    closed, _ = call(api, "POST", f"/v1/orders/{order['order_id']}/close", {})
    [event] = log.new("order.closed")
    assert event["data"]["object"] == closed and event["data"]["previous_attributes"]["status"] == "PAID"
    check_previous(event, before)


def flow_hold_and_capture(api: Api, log: Log) -> None:
    order = new_order(api, log)
    pi = pay(api, log, order, "tok_visa", "payment.authorized", "order.authorized", capture_method="MANUAL")
    assert pi["status"] == "REQUIRES_CAPTURE"
    order_before = get(api, "orders", order["order_id"])
    captured, _ = call(api, "POST", f"/v1/payment_intents/{pi['payment_intent_id']}/capture", {})
    payment, paid = log.new("payment.captured", "order.paid")
    assert payment["data"]["object"] == captured and paid["data"]["object"] == payment["data"]["order"]
    check_previous(payment, pi)
    check_previous(paid, order_before)
    assert paid["data"]["previous_attributes"]["status"] == "AUTHORIZED"
    assert paid["data"]["object"] == get(api, "orders", order["order_id"])


def flow_void_and_cancel(api: Api, log: Log) -> None:
    order = new_order(api, log)
    pi = pay(api, log, order, "tok_visa", "payment.authorized", "order.authorized", capture_method="MANUAL")
    order_before = get(api, "orders", order["order_id"])
    voided, _ = call(api, "POST", f"/v1/payment_intents/{pi['payment_intent_id']}/void", {})
    payment, reopened = log.new("payment.voided", "order.updated")
    assert payment["data"]["object"] == voided and voided["status"] == "CANCELED"
    check_previous(payment, pi)
    check_previous(reopened, order_before)
    assert (reopened["data"]["previous_attributes"]["status"], reopened["data"]["object"]["status"]) == (
        "AUTHORIZED", "OPEN")
    # canceling an AUTHORIZED order voids its hold first: each step is its own event, in one transaction
    order = get(api, "orders", order["order_id"])
    pay(api, log, order, "tok_visa", "payment.authorized", "order.authorized", capture_method="MANUAL")
    canceled, request_id = call(api, "POST", f"/v1/orders/{order['order_id']}/cancel", {"reason": "changed mind"})
    void, reopened, cancel = log.new("payment.voided", "order.updated", "order.canceled")
    assert cancel["data"]["object"] == canceled and cancel["data"]["previous_attributes"]["status"] == "OPEN"
    assert void["data"]["object"]["status"] == "CANCELED" and reopened["data"]["object"]["status"] == "OPEN"
    assert {void["request_id"], reopened["request_id"], cancel["request_id"]} == {request_id}


def flow_cancel_open_order(api: Api, log: Log) -> None:
    order = new_order(api, log)
    canceled, _ = call(api, "POST", f"/v1/orders/{order['order_id']}/cancel", {})
    [event] = log.new("order.canceled")
    assert event["data"]["object"] == canceled
    check_previous(event, order)
    assert event["data"]["previous_attributes"]["status"] == "OPEN"


def flow_decline_then_3d_secure(api: Api, log: Log) -> None:
    order = new_order(api, log)
    failed = pay(api, log, order, "4000000000009995", "payment.failed")
    assert failed["status"] == "FAILED" and failed["failure"]["decline_code"] == "insufficient_funds"
    order = get(api, "orders", order["order_id"])
    pi = pay(api, log, order, "4000002500003155", "payment.requires_action")
    assert pi["next_action"]["url"]
    api.client.post(pi["next_action"]["url"], data={"outcome": "pass"})
    order_before = get(api, "orders", order["order_id"])
    confirmed, _ = call(api, "POST", f"/v1/payment_intents/{pi['payment_intent_id']}/confirm", {})
    payment, paid = log.new("payment.succeeded", "order.paid")
    assert payment["data"]["object"] == confirmed and confirmed["status"] == "SUCCEEDED"
    check_previous(payment, pi)
    assert payment["data"]["previous_attributes"]["status"] == "REQUIRES_ACTION"
    check_previous(paid, order_before)


def flow_refunds(api: Api, log: Log, db: Any) -> None:
    order = new_order(api, log)
    pay(api, log, order, "tok_visa", "payment.succeeded", "order.paid")
    before = get(api, "orders", order["order_id"])
    refund, request_id = call(api, "POST", "/v1/refunds", {"order_id": order["order_id"], "amount_money": usd(2900)})
    created, refunded, succeeded = log.new("refund.created", "order.refunded", "refund.succeeded")
    now = get(api, "orders", order["order_id"])
    # the refund reserves its money (committed), then the processor answers (a second transaction)
    assert succeeded["data"]["object"] == refund and succeeded["data"]["order"] == now
    assert succeeded["data"]["previous_attributes"]["status"] == "PENDING"
    assert created["data"]["object"] == refund | succeeded["data"]["previous_attributes"]
    assert created["data"]["previous_attributes"] == {} and created["data"]["order"] == refunded["data"]["object"]
    assert refunded["data"]["object"] == now
    check_previous(refunded, before)
    assert refunded["data"]["previous_attributes"]["status"] == "PAID" and now["status"] == "PARTIALLY_REFUNDED"
    assert {e["request_id"] for e in (created, refunded, succeeded)} == {request_id}
    # a refund the processor fails: settled later by the job, as the system (no request)
    order = new_order(api, log)
    pay(api, log, order, "4000000000005126", "payment.succeeded", "order.paid")
    pending, _ = call(api, "POST", "/v1/refunds", {"order_id": order["order_id"]})
    assert pending["status"] == "PENDING"
    log.new("refund.created", "order.refunded")
    before = get(api, "orders", order["order_id"])
    assert queue.drain(db, kinds=[refund_jobs.SETTLE_REFUND], now=utcnow() + timedelta(minutes=1)) >= 1
    failed, updated = log.new("refund.failed", "order.updated")
    refund = get(api, "refunds", pending["refund_id"])
    assert failed["data"]["object"] == refund and refund["status"] == "FAILED"
    check_previous(failed, pending)
    assert updated["data"]["object"] == get(api, "orders", order["order_id"]) == failed["data"]["order"]
    check_previous(updated, before)
    assert (updated["data"]["previous_attributes"]["status"], updated["data"]["object"]["status"]) == (
        "REFUNDED", "PAID")
    assert failed["request_id"] is None and updated["request_id"] is None


def flow_checkout(api: Api, log: Log, db: Any) -> None:
    # paid on the page: the payment, the order and the session, in the page's transaction
    cs = new_session(api)
    [created] = log.new("order.created")
    assert created["data"]["object"] == get(api, "orders", cs["order_id"])
    page = submit(api.client, cs, "4242424242424242")
    assert page.status_code == 303
    payment, paid, completed = log.new("payment.succeeded", "order.paid", "checkout_session.completed")
    session = get(api, "checkout_sessions", cs["checkout_session_id"])
    assert completed["data"]["object"] == session and session["status"] == "COMPLETE"
    assert completed["data"]["order"] == paid["data"]["object"] == get(api, "orders", cs["order_id"])
    check_previous(completed, cs)
    assert completed["data"]["previous_attributes"]["status"] == "OPEN"
    assert {e["request_id"] for e in (payment, paid, completed)} == {page.headers["Request-Id"]}
    # expired by the operation, and by the job (as the system)
    order = new_order(api, log)
    cs = new_session(api, {"order_id": order["order_id"]})
    expired, request_id = call(api, "POST", f"/v1/checkout_sessions/{cs['checkout_session_id']}/expire", {})
    [event] = log.new("checkout_session.expired")
    assert event["data"]["object"] == expired and event["request_id"] == request_id
    check_previous(event, cs)
    assert {"status", "expires_at", "checkout_session_url"} <= set(event["data"]["previous_attributes"])
    cs = new_session(api, {"order_id": order["order_id"]}, expires_in_seconds=30)
    assert queue.drain(db, kinds=[checkout_jobs.EXPIRE_CHECKOUT_SESSION], now=utcnow() + timedelta(seconds=31)) >= 1
    [event] = log.new("checkout_session.expired")
    assert event["request_id"] is None and event["data"]["previous_attributes"]["status"] == "OPEN"
    # canceled: its order was canceled; written down by the job
    cs = new_session(api, {"order_id": order["order_id"]})
    call(api, "POST", f"/v1/orders/{order['order_id']}/cancel", {})
    log.new("order.canceled")
    queue.drain(db, kinds=[checkout_jobs.EXPIRE_CHECKOUT_SESSION])
    [event] = log.new("checkout_session.canceled")
    assert event["data"]["object"] == get(api, "checkout_sessions", cs["checkout_session_id"])
    assert event["data"]["object"]["status"] == "CANCELED" and event["request_id"] is None
    check_previous(event, cs, ignore=("order_status",))  # the order's cancel had its own event, earlier


def flow_hosted_create_order(api: Api, log: Log) -> None:
    order, _ = call(api, "POST", "/v1/orders", WORKED_EXAMPLE | {"checkout_flow": "HOSTED"})
    [created] = log.new("order.created")
    assert created["data"]["object"] == order and order["checkout_session_url"]


def flow_catalog(api: Api, log: Log) -> None:
    item, request_id = call(api, "POST", "/v1/items", {"name": "Mug", "variations": [{"price_money": usd(1200)}]})
    [created] = log.new("item.created")
    assert created["data"]["object"] == item and created["request_id"] == request_id
    for method, path, body, kind in (
            ("PATCH", f"/v1/items/{item['item_id']}", {"name": "Big mug"}, "item.updated"),
            ("PATCH", f"/v1/variations/{item['variations'][0]['variation_id']}", {"price_money": usd(1500)},
             "item.updated"),
            ("POST", f"/v1/items/{item['item_id']}/archive", None, "item.archived"),
            ("POST", f"/v1/items/{item['item_id']}/unarchive", None, "item.updated")):
        before = api.ok("GET", f"/v1/items/{item['item_id']}")
        after, _ = call(api, method, path, body)
        [event] = log.new(kind)
        assert event["data"]["object"] == after and "order" not in event["data"]
        check_previous(event, before)
        assert event["data"]["previous_attributes"]["version"] == before["version"]
    call(api, "PATCH", f"/v1/items/{item['item_id']}", {"name": "Big mug"})  # no change, no event
    log.new()
    variation = item["variations"][0]["variation_id"]
    call(api, "PATCH", f"/v1/variations/{variation}", {"track_inventory": True, "low_stock_threshold": 2})
    log.new("item.updated")
    path = f"/v1/variations/{variation}/inventory/adjustments"
    stock, _ = call(api, "POST", path, {"delta": 5, "reason": "RECEIVED"})
    [adjusted] = log.new("inventory.adjusted")
    assert adjusted["data"] == {"object": stock, "previous_attributes": {"on_hand": 0, "available": 0}}
    call(api, "POST", path, {"delta": -3, "reason": "DAMAGED"})
    log.new("inventory.adjusted", "inventory.low")
    low, _ = call(api, "POST", f"/v1/variations/{variation}/inventory", {"on_hand": 0, "expected_on_hand": 2})
    [_, out] = log.new("inventory.adjusted", "inventory.out_of_stock")
    assert out["data"]["object"] == low and out["data"]["previous_attributes"]["available"] == 2


def flow_saved_cards(api: Api, log: Log, db: Any) -> None:
    customer = api.ok("POST", "/v1/customers", {"name": "Sarah"})["customer_id"]
    seti, request_id = call(api, "POST", "/v1/setup_intents", {"customer_id": customer,
                                                               "payment_source": "4000002500003155"})
    [asked] = log.new("setup_intent.requires_action")
    assert asked["data"]["object"] == seti and asked["request_id"] == request_id
    api.client.post(seti["next_action"]["url"], data={"outcome": "pass"})
    done, _ = call(api, "POST", f"/v1/setup_intents/{seti['setup_intent_id']}/confirm")
    attached, succeeded = log.new("payment_method.attached", "setup_intent.succeeded")
    assert succeeded["data"]["object"] == done and succeeded["data"]["previous_attributes"]["status"] == (
        "REQUIRES_ACTION")
    first = attached["data"]["object"]
    assert first["payment_method_id"] == done["payment_method_id"] and first["is_default"]
    call(api, "POST", "/v1/setup_intents", {"customer_id": customer, "payment_source": "4000000000000002"})
    log.new("setup_intent.failed")
    waiting, _ = call(api, "POST", "/v1/setup_intents", {"customer_id": customer, "payment_source": "tok_authenticationRequired"})
    log.new("setup_intent.requires_action")
    call(api, "POST", f"/v1/setup_intents/{waiting['setup_intent_id']}/cancel")
    log.new("setup_intent.canceled")
    second, _ = call(api, "POST", "/v1/setup_intents", {"customer_id": customer, "payment_source": "tok_mastercard"})
    log.new("payment_method.attached", "setup_intent.succeeded")
    made, _ = call(api, "POST", f"/v1/customers/{customer}/default_payment_method",
                   {"payment_method_id": second["payment_method_id"]})
    now_default, old_default = log.new("payment_method.updated", "payment_method.updated")
    assert now_default["data"]["object"] == made and now_default["data"]["previous_attributes"]["is_default"] is False
    assert old_default["data"]["object"]["payment_method_id"] == first["payment_method_id"]
    gone, _ = call(api, "POST", f"/v1/payment_methods/{second['payment_method_id']}/detach")
    [detached] = log.new("payment_method.detached")
    assert detached["data"]["object"] == gone and detached["data"]["previous_attributes"]["status"] == "ACTIVE"
    queue.drain(db, kinds=[CARD_EXPIRING], now=datetime(2034, 12, 2, 1, tzinfo=UTC))  # 30 days before 12/2034 ends
    [expiring] = log.new("payment_method.expiring")  # the detached card says nothing
    assert expiring["data"] == {"object": api.ok("GET", f"/v1/payment_methods/{first['payment_method_id']}"),
                                "previous_attributes": {}} and expiring["request_id"] is None


def flow_notifications(api: Api, log: Log, db: Any) -> None:
    """Emails to buyers: sent (the SMTP server took it) or failed (refused), by the mail job (as the system)."""
    sandbox_id = api.ok("GET", "/v1/whoami")["sandbox_id"]
    api.ok("PATCH", f"/v1/sandboxes/{sandbox_id}", {"email_delivery": True})  # sandboxes have no events
    log.new()
    with smtp_server() as box:
        box.by_recipient["refused@example.com"] = "550 5.1.1 No such user"
        settings = Settings(smtp_server=SmtpServer.parse(box.url))
        for email, outcome in (("buyer@example.com", "notification.sent"), ("refused@example.com",
                                                                             "notification.failed")):
            order = new_order(api, log, WORKED_EXAMPLE | {"buyer_email": email})
            pay(api, log, order, "tok_visa", "payment.succeeded", "order.paid")
            [queued] = api.ok("GET", "/v1/notifications", params={"order_id": order["order_id"]})["data"]
            assert queue.drain(db, settings, kinds=[DELIVER_NOTIFICATION]) >= 1
            [event] = log.new(outcome)
            now = get(api, "notifications", queued["notification_id"])
            assert event["data"]["object"] == now and event["request_id"] is None and "order" not in event["data"]
            check_previous(event, queued)
            assert event["data"]["previous_attributes"]["status"] == "QUEUED"
    api.ok("PATCH", f"/v1/sandboxes/{sandbox_id}", {"email_delivery": False})


FLOWS: dict[str, Callable[..., None]] = {f.__name__: f for f in (
    flow_catalog, flow_saved_cards, flow_order_created_and_updated, flow_automatic_payment_and_close, flow_hold_and_capture, flow_void_and_cancel,
    flow_cancel_open_order, flow_decline_then_3d_secure, flow_refunds, flow_checkout, flow_hosted_create_order,
    flow_notifications)}


def run(flow: Callable[..., None], api: Api, log: Log, db: Any) -> None:
    flow(api, log, db) if flow.__code__.co_argcount == 3 else flow(api, log)


@pytest.mark.parametrize("name", FLOWS)
def test_flow(api: Api, db: Any, name: str) -> None:
    run(FLOWS[name], api, Log(api), db)


def test_every_event_type_is_emitted(api: Api, db: Any) -> None:
    log = Log(api)
    for flow in FLOWS.values():
        run(flow, api, log, db)
    assert log.types == set(EVENT_TYPES) - NOT_EMITTED_HERE
    # each carries data.order exactly when the catalog says so
    for event in log.all():
        assert ("order" in event["data"]) == EVENT_TYPES[event["type"]].with_order


def test_replays_emit_nothing(api: Api) -> None:
    log = Log(api)
    first = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="evt-create")
    order = first.json()
    paid = api.post(f"/v1/orders/{order['order_id']}/pay", {"payment_source": "tok_visa"}, idempotency_key="evt-pay")
    body = {"order_id": order["order_id"], "amount_money": usd(100)}
    refund = api.post("/v1/refunds", body, idempotency_key="evt-refund")
    emitted = log.new("order.created", "payment.succeeded", "order.paid", "refund.created", "order.refunded",
                      "refund.succeeded")
    assert len(emitted) == 6
    for response, (path, payload, key) in zip((first, paid, refund), [
            ("/v1/orders", WORKED_EXAMPLE, "evt-create"),
            (f"/v1/orders/{order['order_id']}/pay", {"payment_source": "tok_visa"}, "evt-pay"),
            ("/v1/refunds", body, "evt-refund")], strict=True):
        again = api.post(path, payload, idempotency_key=key)
        assert again.headers.get("Idempotent-Replayed") == "true" and again.text == response.text
    log.new()


def test_a_rolled_back_operation_leaves_no_event(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The handler runs and emits, then storing its idempotent answer fails: everything rolls back."""
    log = Log(api)
    order = new_order(api, log)
    with monkeypatch.context() as patched:
        patched.setattr(idempotency, "complete", lambda *a, **kw: False)
        lost = api.patch(f"/v1/orders/{order['order_id']}", {"metadata": {"a": "b"}}, idempotency_key="evt-lost-1")
    assert lost.status_code == 409 and lost.json()["error"]["code"] == "idempotency_request_in_progress"
    got = get(api, "orders", order["order_id"])
    assert got["metadata"] == {} and got["version"] == order["version"]
    log.new()
    # a failing edit after partial changes (every line removed) leaves nothing either
    bad = api.patch(f"/v1/orders/{order['order_id']}", {"remove_line_item_ids": [
        li["line_item_id"] for li in order["line_items"]]})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "order_requires_line_items"
    log.new()
    # pay_order commits its payment intent before calling the processor (no event: nothing was decided
    # yet); the outcome and its events roll back together
    with monkeypatch.context() as patched:
        patched.setattr(idempotency, "complete", lambda *a, **kw: False)
        lost = api.post(f"/v1/orders/{order['order_id']}/pay", {"payment_source": "tok_visa"},
                        idempotency_key="evt-lost-2")
    assert lost.status_code == 409 and lost.json()["error"]["code"] == "idempotency_request_in_progress"
    got = get(api, "orders", order["order_id"])
    [pi_id] = got["payment_intent_ids"]
    assert get(api, "payment_intents", pi_id)["status"] == "PROCESSING" and got["status"] == "OPEN"
    log.new()
    # the payment left PROCESSING is resumed later, and only then announced
    call(api, "POST", f"/v1/payment_intents/{pi_id}/retry", {})
    log.new("payment.succeeded", "order.paid")


def test_get_event_is_the_delivered_payload_byte_for_byte(api: Api, db: Any) -> None:
    log = Log(api)
    order = new_order(api, log)
    pay(api, log, order, "tok_visa", "payment.succeeded", "order.paid")
    listed = log.all()
    with db.transaction(write=False) as session:
        stored = {e.event_id: e for e in session.scalars(select(Event).where(
            Event.event_id.in_([e["event_id"] for e in listed])))}
    for event in listed:
        response = api.get(f"/v1/events/{event['event_id']}")
        assert response.status_code == 200 and response.text == stored[event["event_id"]].payload
        assert response.json() == event
        assert stored[event["event_id"]].order_id == order["order_id"]


def test_list_filters_and_pagination(api: Api) -> None:
    log = Log(api)
    first = new_order(api, log)
    second = new_order(api, log)
    pi = pay(api, log, second, "tok_visa", "payment.succeeded", "order.paid")
    everything = log.all()
    newest_first = api.ok("GET", "/v1/events")["data"]
    assert [e["event_id"] for e in newest_first] == [e["event_id"] for e in reversed(everything)]

    def ids(**params: Any) -> list[str]:
        return [e["event_id"] for e in log.all(**params)]

    def of(*types: str, order: Json | None = None) -> list[str]:
        return [e["event_id"] for e in everything if e["type"] in types and (
            order is None or e["data"]["object"].get("order_id") == order["order_id"])]

    assert ids(type="order.paid") == of("order.paid")
    assert ids(type="order.*") == of("order.created", "order.paid")
    assert ids(type="payment.*") == of("payment.succeeded")
    assert ids(object_id=pi["payment_intent_id"]) == of("payment.succeeded")
    assert ids(object_id=first["order_id"]) == ids(order_id=first["order_id"]) == of("order.created", order=first)
    assert ids(order_id=second["order_id"]) == of("order.created", "payment.succeeded", "order.paid", order=second)
    assert ids(order_id=second["order_id"], type="order.*") == of("order.created", "order.paid", order=second)
    last = everything[-1]["created_at"]
    at = {e["event_id"]: datetime.fromisoformat(e["created_at"]) for e in everything}
    assert ids(created_after=last) == [i for i in at if at[i] >= at[everything[-1]["event_id"]]]
    assert ids(created_before=last) == [i for i in at if at[i] < at[everything[-1]["event_id"]]]
    assert ids(type="*") == ids()
    assert ids(created_after="2000-01-01T00:00:00Z", created_before="2000-01-02T00:00:00Z") == []
    # pages of one, in both orders, with tokens bound to their filters
    pages, token = [], ""
    while True:
        page = api.ok("GET", "/v1/events", params={"page_size": 1} | ({"page_token": token} if token else {}))
        pages += [e["event_id"] for e in page["data"]]
        token = page["next_page_token"]
        if not token:
            break
    assert pages == [e["event_id"] for e in reversed(everything)]
    token = api.ok("GET", "/v1/events", params={"page_size": 1, "type": "order.*"})["next_page_token"]
    wrong = api.get("/v1/events", params={"page_size": 1, "page_token": token})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_page_token"


@pytest.mark.parametrize("params,code,param", [
    ({"type": "order.shipped"}, "parameter_invalid", "type"),
    ({"type": "orders.*"}, "parameter_invalid", "type"),
    ({"type": "order"}, "parameter_invalid", "type"),
    ({"created_after": "yesterday"}, "parameter_invalid", "created_after"),
    ({"page_size": -1}, "parameter_invalid", "page_size"),
    ({"page_token": "nonsense"}, "invalid_page_token", "page_token"),
])
def test_list_bad_input(api: Api, params: Json, code: str, param: str) -> None:
    response = api.get("/v1/events", params=params)
    assert response.status_code == 400, response.text
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == (code, param)


def test_scope_and_isolation(api: Api, client: Any) -> None:
    log = Log(api)
    new_order(api, log)
    [event] = log.all()
    limited = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"]
    for path in ("/v1/events", f"/v1/events/{event['event_id']}"):
        refused = api.get(path, key=limited)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "missing_scope"
    reader = api.ok("POST", "/v1/api_keys", {"scopes": ["events:read"]})["secret"]
    assert api.ok("GET", f"/v1/events/{event['event_id']}", key=reader) == event
    other = Api(client, signup(client, "Other shop")["api_key"]["secret"])
    missing = other.get(f"/v1/events/{event['event_id']}")
    assert missing.status_code == 404 and missing.json()["error"]["param"] == "event_id"
    assert other.ok("GET", "/v1/events")["data"] == []


def test_the_docs_example_has_the_shape_of_a_real_event(api: Api) -> None:
    """docs/events.md shows a payment.succeeded event (its data.order shortened): same keys as a real one."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text(encoding="utf-8")
    example = json.loads(re.search(r"```json\n(.*?)```", page, re.S).group(1))
    log = Log(api)
    pay(api, log, new_order(api, log), "tok_visa", "payment.succeeded", "order.paid")
    [real] = log.all(type="payment.succeeded")
    assert list(example) == list(real) and list(example["data"]) == list(real["data"])
    assert list(example["data"]["object"]) == list(real["data"]["object"])
    assert example["data"]["previous_attributes"].keys() == real["data"]["previous_attributes"].keys()
    assert set(example["data"]["order"]) < set(real["data"]["order"])
