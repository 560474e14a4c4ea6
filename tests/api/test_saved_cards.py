"""Customers' saved cards over HTTP: setup intents (with 3D Secure at setup), deduplication, the default
card, off-session charges (authentication_required is a FAILED payment with a recovery path), saving
while paying, detaching (previewed, audited, final), and card numbers that never reach a log or event."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from flint_core.payment_methods.service import EXPIRE_SETUP_INTENT
from flint_core.platform import queue
from flint_core.platform.context import utcnow
from flint_core.store.tables import Activity, Event, Notification, RequestLog, SimulatedCharge
from tests.api.helpers import concurrently
from tests.conftest import Api, line, signup

THREE_DS, ALWAYS_3DS, THEN_NO_FUNDS, THEN_DECLINE = (
    "4000002500003155", "4000002760003184", "4000008260003178", "4000000000000341")


def customer(api: Api, name: str = "Sarah Chen", email: str = "sarah@example.com") -> str:
    return api.ok("POST", "/v1/customers", {"name": name, "email": email})["customer_id"]


def setup(api: Api, customer_id: str, card: str = "4242424242424242", **extra: Any) -> Any:
    return api.post("/v1/setup_intents", {"customer_id": customer_id, "payment_source": card} | extra)


def saved(api: Api, customer_id: str, card: str = "4242424242424242") -> str:
    seti = setup(api, customer_id, card).json()
    assert seti["status"] == "SUCCEEDED", seti
    return seti["payment_method_id"]


def authenticate(api: Api, client: Any, seti: dict[str, Any], outcome: str = "pass") -> dict[str, Any]:
    client.post(seti["next_action"]["url"], data={"outcome": outcome})
    return api.ok("POST", f"/v1/setup_intents/{seti['setup_intent_id']}/confirm", {})


def order_for(api: Api, customer_id: str | None) -> str:
    body: dict[str, Any] = {"currency": "USD", "line_items": [line("Coffee", 450)]}
    if customer_id:
        body["customer_id"] = customer_id
    return api.ok("POST", "/v1/orders", body)["order_id"]


def charge(api: Api, order_id: str, pm: str, **extra: Any) -> Any:
    return api.post(f"/v1/orders/{order_id}/pay", {"payment_method_id": pm, "off_session": True} | extra)


def test_save_a_card_and_find_it(api: Api) -> None:
    cus = customer(api)
    seti = setup(api, cus).json()
    assert (seti["object"], seti["status"], seti["card"]) == ("setup_intent", "SUCCEEDED",
                                                              {"brand": "visa", "last4": "4242"})
    pm = api.ok("GET", f"/v1/payment_methods/{seti['payment_method_id']}")
    assert (pm["object"], pm["status"], pm["is_default"], pm["created_from"], pm["processor"]) == (
        "payment_method", "ACTIVE", True, "SETUP_INTENT", "simulator")
    assert pm["processor_reference"] == "tok_visa"  # the simulator's test token: never a card number
    assert pm["card"]["last4"] == "4242" and pm["card"]["exp_year"] == 2034 and not pm["expired"]
    assert set(pm["available_actions"]) == {"set_default_payment_method", "detach_payment_method",
                                            "preview_detach_payment_method"}
    assert api.ok("GET", f"/v1/customers/{cus}")["default_payment_method_id"] == pm["payment_method_id"]
    # the same card again: the card already saved, not a second one
    again = setup(api, cus).json()
    assert again["payment_method_id"] == pm["payment_method_id"] and again["duplicate"] and not seti["duplicate"]
    other = saved(api, cus, "5555555555554444")
    listed = api.ok("GET", f"/v1/customers/{cus}/payment_methods")["data"]
    assert [p["payment_method_id"] for p in listed] == [other, pm["payment_method_id"]]
    assert [p["is_default"] for p in listed] == [False, True]
    # a retry with the same idempotency key is the same setup
    first = setup(api, cus, "378282246310005", metadata={"a": "b"})
    replay = api.post("/v1/setup_intents", {"customer_id": cus, "payment_source": "378282246310005",
                                            "metadata": {"a": "b"}}, idempotency_key="seti-1")
    assert first.status_code == replay.status_code == 200


def test_3d_secure_at_setup(api: Api, client: Any, db: Any) -> None:
    cus = customer(api)
    seti = setup(api, cus, THREE_DS).json()
    assert seti["status"] == "REQUIRES_ACTION" and seti["payment_method_id"] is None
    assert seti["next_action"]["type"] == "REDIRECT_TO_URL" and "/simulator/3ds/" in seti["next_action"]["url"]
    assert seti["available_actions"] == ["confirm_setup_intent", "cancel_setup_intent"]
    waiting = api.ok("POST", f"/v1/setup_intents/{seti['setup_intent_id']}/confirm", {})
    assert waiting["status"] == "REQUIRES_ACTION"  # not answered yet
    done = authenticate(api, client, seti)
    assert done["status"] == "SUCCEEDED" and done["payment_method_id"].startswith("pm_")
    failed = authenticate(api, client, setup(api, cus, ALWAYS_3DS).json(), "fail")
    assert failed["status"] == "FAILED" and failed["failure"]["code"] == "authentication_failed"
    canceled = setup(api, cus, ALWAYS_3DS).json()
    out = api.ok("POST", f"/v1/setup_intents/{canceled['setup_intent_id']}/cancel", {})
    assert out["status"] == "CANCELED" and out["available_actions"] == []
    again = api.post(f"/v1/setup_intents/{canceled['setup_intent_id']}/confirm", {})
    assert again.status_code == 409
    lapsed = setup(api, cus, ALWAYS_3DS).json()
    queue.drain(db, kinds=[EXPIRE_SETUP_INTENT], now=utcnow() + timedelta(hours=23))
    assert api.ok("GET", f"/v1/setup_intents/{lapsed['setup_intent_id']}")["status"] == "REQUIRES_ACTION"
    queue.drain(db, kinds=[EXPIRE_SETUP_INTENT], now=utcnow() + timedelta(hours=25))
    assert api.ok("GET", f"/v1/setup_intents/{lapsed['setup_intent_id']}")["status"] == "CANCELED"
    declined = setup(api, cus, "4000000000000002").json()
    assert declined["status"] == "FAILED" and declined["failure"]["code"] == "card_declined"
    types = [e["type"] for e in api.ok("GET", "/v1/events", params={"page_size": 50})["data"]
             if e["type"].startswith("setup_intent.")]
    assert {"setup_intent.requires_action", "setup_intent.succeeded", "setup_intent.failed",
            "setup_intent.canceled"} <= set(types)


def test_off_session_charges(api: Api, client: Any) -> None:
    cus = customer(api)
    seti = setup(api, cus, THREE_DS).json()
    pm = authenticate(api, client, seti)["payment_method_id"]
    paid = charge(api, order_for(api, cus), pm).json()
    assert (paid["status"], paid["payment_method_id"], paid["off_session"]) == ("SUCCEEDED", pm, True)
    assert api.ok("GET", f"/v1/payment_methods/{pm}")["last_used_at"] is not None
    # a card whose bank always wants 3D Secure: a FAILED payment with a recovery path, never an error
    strict = authenticate(api, client, setup(api, cus, ALWAYS_3DS).json())["payment_method_id"]
    order_id = order_for(api, cus)
    failed = charge(api, order_id, strict)
    assert failed.status_code == 200
    body = failed.json()
    assert body["status"] == "FAILED" and body["failure"]["code"] == "authentication_required"
    assert body["failure"]["recovery_options"] == ["create_checkout_session"]
    assert api.ok("GET", f"/v1/orders/{order_id}")["status"] == "OPEN"
    # on session, the same card asks for 3D Secure instead
    assert api.post(f"/v1/orders/{order_id}/pay", {"payment_method_id": strict}).json()["status"] == "REQUIRES_ACTION"
    poor = authenticate(api, client, setup(api, cus, THEN_NO_FUNDS).json())["payment_method_id"]
    assert charge(api, order_for(api, cus), poor).json()["failure"]["decline_code"] == "insufficient_funds"
    bad = saved(api, cus, THEN_DECLINE)
    assert charge(api, order_for(api, cus), bad).json()["failure"]["code"] == "card_declined"


def test_off_session_alone_charges_the_card_on_file(api: Api) -> None:
    cus = customer(api)
    missing = api.post(f"/v1/orders/{order_for(api, cus)}/pay", {"off_session": True})  # no card saved yet
    assert (missing.status_code, missing.json()["error"]["code"], missing.json()["error"]["param"]) == (
        400, "parameter_missing", "payment_method_id")
    first, second = saved(api, cus), saved(api, cus, "5555555555554444")
    paid = api.ok("POST", f"/v1/orders/{order_for(api, cus)}/pay", {"off_session": True})
    assert (paid["status"], paid["payment_method_id"], paid["off_session"]) == ("SUCCEEDED", first, True)
    api.ok("POST", f"/v1/customers/{cus}/default_payment_method", {"payment_method_id": second})
    again = api.ok("POST", f"/v1/orders/{order_for(api, cus)}/pay", {"off_session": True})
    assert again["payment_method_id"] == second  # resolved when charged: the default now
    nobody = api.post(f"/v1/orders/{order_for(api, None)}/pay", {"off_session": True})
    assert (nobody.status_code, nobody.json()["error"]["code"], nobody.json()["error"]["param"]) == (
        400, "customer_required", "off_session")
    typed = api.post(f"/v1/orders/{order_for(api, cus)}/pay", {"off_session": True, "payment_source": "tok_visa"})
    assert (typed.status_code, typed.json()["error"]["param"]) == (400, "off_session")
    neither = api.post(f"/v1/orders/{order_for(api, cus)}/pay", {})
    assert (neither.status_code, neither.json()["error"]["param"]) == (400, "payment_source")


def test_a_saved_card_pays_only_for_its_customer(api: Api, client: Any) -> None:
    sarah, bob = customer(api), customer(api, "Bob", "bob@example.com")
    pm = saved(api, sarah)
    wrong = charge(api, order_for(api, bob), pm)
    assert (wrong.status_code, wrong.json()["error"]["code"], wrong.json()["error"]["param"]) == (
        400, "payment_method_customer_mismatch", "payment_method_id")
    no_customer = order_for(api, None)  # an order without a customer becomes the card's customer's
    assert charge(api, no_customer, pm).json()["status"] == "SUCCEEDED"
    assert api.ok("GET", f"/v1/orders/{no_customer}")["customer_id"] == sarah
    theirs = Api(client, signup(client, "Other shop")["api_key"]["secret"])
    other_pm = saved(theirs, customer(theirs))
    missing = charge(api, order_for(api, sarah), other_pm)
    assert (missing.status_code, missing.json()["error"]["param"]) == (404, "payment_method_id")
    assert api.get(f"/v1/payment_methods/{other_pm}").status_code == 404
    for body, param in (({"payment_method_id": pm, "payment_source": "tok_visa"}, "payment_method_id"),
                        ({"payment_source": "tok_visa", "off_session": True}, "off_session"),
                        ({"payment_method_id": pm, "save_payment_method": True}, "save_payment_method")):
        response = api.post(f"/v1/orders/{order_for(api, sarah)}/pay", body)
        assert (response.status_code, response.json()["error"]["param"]) == (400, param), body


def test_save_while_paying(api: Api, client: Any) -> None:
    cus = customer(api)
    pi = api.ok("POST", f"/v1/orders/{order_for(api, cus)}/pay",
                {"payment_source": "4242 4242 4242 4242", "save_payment_method": True})
    assert pi["status"] == "SUCCEEDED" and pi["payment_method_id"].startswith("pm_")
    pm = api.ok("GET", f"/v1/payment_methods/{pi['payment_method_id']}")
    assert (pm["created_from"], pm["is_default"], pm["card"]["last4"]) == ("PAYMENT", True, "4242")
    # 3D Secure first: saved once the customer authenticated
    started = api.ok("POST", f"/v1/orders/{order_for(api, cus)}/pay",
                     {"payment_source": THREE_DS, "save_payment_method": True})
    assert started["status"] == "REQUIRES_ACTION" and started["payment_method_id"] is None
    client.post(started["next_action"]["url"], data={"outcome": "pass"})
    done = api.ok("POST", f"/v1/payment_intents/{started['payment_intent_id']}/confirm", {})
    assert done["status"] == "SUCCEEDED" and done["payment_method_id"] not in (None, pi["payment_method_id"])
    declined = api.ok("POST", f"/v1/orders/{order_for(api, cus)}/pay",
                      {"payment_source": "4000000000000002", "save_payment_method": True})
    assert declined["payment_method_id"] is None
    assert len(api.ok("GET", f"/v1/customers/{cus}/payment_methods")["data"]) == 2
    refused = api.post(f"/v1/orders/{order_for(api, None)}/pay",
                       {"payment_source": "tok_visa", "save_payment_method": True})
    assert (refused.status_code, refused.json()["error"]["code"], refused.json()["error"]["param"]) == (
        400, "customer_required", "save_payment_method")


def test_default_card_and_detach(api: Api, db: Any) -> None:
    cus = customer(api)
    first, second = saved(api, cus), saved(api, cus, "5555555555554444")
    made = api.ok("POST", f"/v1/customers/{cus}/default_payment_method", {"payment_method_id": second})
    assert made["is_default"] is True
    assert api.ok("GET", f"/v1/customers/{cus}")["default_payment_method_id"] == second
    assert not api.ok("GET", f"/v1/payment_methods/{first}")["is_default"]
    updated = api.ok("GET", "/v1/events", params={"type": "payment_method.updated"})["data"]
    assert {e["data"]["object"]["payment_method_id"] for e in updated} == {first, second}
    preview = api.ok("POST", f"/v1/payment_methods/{second}/detach/preview", {})
    assert preview["allowed"] and preview["effects"]["status"] == ["ACTIVE", "DETACHED"]
    assert preview["effects"]["customer.default_payment_method_id"] == [second, None]
    detached = api.ok("POST", f"/v1/payment_methods/{second}/detach", {"preview_id": preview["preview_id"]})
    assert (detached["status"], detached["is_default"], detached["available_actions"]) == ("DETACHED", False, [])
    assert api.ok("GET", f"/v1/customers/{cus}")["default_payment_method_id"] is None
    never = charge(api, order_for(api, cus), second)
    assert (never.status_code, never.json()["error"]["code"]) == (409, "payment_method_detached")
    again = api.post(f"/v1/payment_methods/{second}/detach", {})
    assert again.status_code == 409
    default = api.post(f"/v1/customers/{cus}/default_payment_method", {"payment_method_id": second})
    assert (default.status_code, default.json()["error"]["code"]) == (409, "payment_method_detached")
    assert [p["payment_method_id"] for p in api.ok("GET", f"/v1/customers/{cus}/payment_methods")["data"]] == [first]
    gone = api.ok("GET", f"/v1/customers/{cus}/payment_methods", params={"status": "DETACHED"})["data"]
    assert [p["payment_method_id"] for p in gone] == [second]
    with db.transaction(write=False) as session:
        audit = session.execute(select(Activity.type, Activity.delta).where(Activity.object_id == cus)
                                .order_by(Activity.sequence)).all()
    assert [a.type for a in audit] == ["CUSTOMER_CREATED", "PAYMENT_METHOD_ATTACHED", "PAYMENT_METHOD_ATTACHED",
                                       "DEFAULT_PAYMENT_METHOD_SET", "PAYMENT_METHOD_DETACHED"]
    assert audit[-1].delta["status"] == ["ACTIVE", "DETACHED"]
    assert api.ok("GET", "/v1/events", params={"type": "payment_method.detached"})["data"][0]["data"]["object"][
        "payment_method_id"] == second


def test_search_customers_by_query(api: Api) -> None:
    sarah = customer(api, "Sarah Chen", "s.chen@example.com")
    customer(api, "Bob Stone", "bob@example.com")
    by_name = api.ok("GET", "/v1/customers/search", params={"query": "sarah"})["data"]
    by_mail = api.ok("GET", "/v1/customers/search", params={"query": "S.CHEN@"})["data"]
    assert [c["customer_id"] for c in by_name] == [c["customer_id"] for c in by_mail] == [sarah]


def test_the_same_off_session_charge_twice_charges_once(api: Api, app: Any, db: Any,
                                                        merchant: dict[str, Any]) -> None:
    cus = customer(api)
    pm = saved(api, cus)
    order_id = order_for(api, cus)
    calls = [("POST", f"/v1/orders/{order_id}/pay", {"payment_method_id": pm, "off_session": True}, "renewal-1")] * 2
    responses = asyncio.run(concurrently(app, api.key, calls))
    paid = [r for r in responses if r.status_code == 200]
    assert paid and all(r.json()["payment_intent_id"] == paid[0].json()["payment_intent_id"] for r in paid)
    assert all(r.status_code in (200, 409) for r in responses), [r.text for r in responses]
    with db.transaction(write=False) as session:
        charges = session.scalar(select(func.count()).select_from(SimulatedCharge)
                                 .where(SimulatedCharge.env_id == merchant["sandbox"]["sandbox_id"]))
    assert charges == 1
    assert api.ok("GET", f"/v1/orders/{order_id}")["settlement_amounts"]["paid_money"]["amount"] > 0


def test_card_numbers_never_reach_logs_events_or_notifications(api: Api, client: Any, db: Any, caplog: Any,
                                                                merchant: dict[str, Any]) -> None:
    cus = customer(api)
    setup(api, cus, "4000 0025 0000 3155", metadata={"note": "x"})
    api.ok("POST", f"/v1/orders/{order_for(api, cus)}/pay",
           {"payment_source": "5555-5555-5555-4444", "save_payment_method": True, "buyer_email": "s@example.com"})
    page = api.ok("POST", "/v1/checkout_sessions", {"mode": "SETUP", "customer_id": cus, "success_url": "/saved"})
    typed = client.post(page["checkout_session_url"], data={"card_number": "4000 0027 6000 3184",
                                                            "expiry": "12 / 34", "cvc": "987"})
    assert "4000 0027 6000 3184" not in typed.text
    env = merchant["sandbox"]["sandbox_id"]
    with db.transaction(write=False) as session:
        logs = [json.dumps(row, default=str) for row in session.execute(
            select(RequestLog.__table__).where(RequestLog.env_id == env)).mappings()]
        events = [row.payload for row in session.scalars(select(Event).where(Event.env_id == env))]
        mails = [json.dumps(row, default=str) for row in session.execute(
            select(Notification.__table__).where(Notification.env_id == env)).mappings()]
    assert mails, "the payment wrote its receipt"
    text = "\n".join(logs + events + mails + [caplog.text])
    for number in ("4000002500003155", "4000 0025 0000 3155", "5555555555554444", "5555-5555-5555-4444",
                   "4000002760003184", "4000 0027 6000 3184", "cvc=987", '"987"'):
        assert number not in text


def test_the_hosted_page_authenticates_the_saved_card_an_off_session_charge_could_not(api: Api, client: Any) -> None:
    """The recovery of authentication_required: a checkout page for the order offers the customer's saved
    card; paying with it there (customer present) asks for 3D Secure, and then the order is paid."""
    cus = customer(api)
    pm = authenticate(api, client, setup(api, cus, ALWAYS_3DS).json())["payment_method_id"]
    order_id = order_for(api, cus)
    assert charge(api, order_id, pm).json()["failure"]["code"] == "authentication_required"
    cs = api.ok("POST", "/v1/checkout_sessions", {"order_id": order_id, "success_url": "https://shop.example/done"})
    page = client.get(cs["checkout_session_url"])
    assert page.status_code == 200 and f'value="{pm}"' in page.text and "Visa ending in 3184" in page.text
    wrong = client.post(cs["checkout_session_url"], data={"payment_method_id": "pm_nope"}, follow_redirects=False)
    assert wrong.status_code == 400 and "Choose one of your saved cards" in wrong.text
    started = client.post(cs["checkout_session_url"], data={"payment_method_id": pm}, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/simulator/3ds/")
    back = client.post(started.headers["location"], data={"outcome": "pass"}, follow_redirects=False)
    client.get(back.headers["location"])
    order = api.ok("GET", f"/v1/orders/{order_id}")
    assert order["status"] == "PAID"
    paid = api.ok("GET", f"/v1/payment_intents/{order['payment_intent_ids'][-1]}")
    assert (paid["payment_method_id"], paid["off_session"], paid["status"]) == (pm, False, "SUCCEEDED")


def test_a_buyer_saves_the_card_they_pay_with_on_the_checkout_page(api: Api, client: Any) -> None:
    cus = customer(api)
    cs = api.ok("POST", "/v1/checkout_sessions", {"order_id": order_for(api, cus), "success_url": "https://shop.example/ok"})
    page = client.get(cs["checkout_session_url"])
    assert 'id="save_card"' in page.text and 'id="saved-cards"' not in page.text  # no saved card yet
    paid = client.post(cs["checkout_session_url"], data={"email": "sarah@example.com", "card_number": "4242424242424242",
                                                         "expiry": "12/34", "cvc": "123", "save_card": "1"},
                       follow_redirects=False)
    assert paid.status_code == 303
    [pm] = api.ok("GET", f"/v1/customers/{cus}/payment_methods")["data"]
    assert (pm["created_from"], pm["card"]["last4"], pm["is_default"]) == ("PAYMENT", "4242", True)
    guest = api.ok("POST", "/v1/checkout_sessions", {"order_id": order_for(api, None),
                                                     "success_url": "https://shop.example/ok"})
    assert 'id="save_card"' not in client.get(guest["checkout_session_url"]).text  # no customer to save it for
    again = api.ok("POST", "/v1/checkout_sessions", {"order_id": order_for(api, cus),
                                                     "success_url": "https://shop.example/ok"})
    assert "Visa ending in 4242" in client.get(again["checkout_session_url"]).text


def test_saved_card_reads_take_orders_read_and_writes_customers_write(api: Api) -> None:
    cus = customer(api)
    seti = setup(api, cus).json()
    pm = seti["payment_method_id"]
    reader = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"]
    for path in (f"/v1/customers/{cus}/payment_methods", f"/v1/payment_methods/{pm}",
                 f"/v1/setup_intents/{seti['setup_intent_id']}"):
        assert api.get(path, key=reader).status_code == 200, path
    assert api.post(f"/v1/payment_methods/{pm}/detach/preview", {}, key=reader).status_code == 200
    for method, path, body in (("POST", "/v1/setup_intents", {"customer_id": cus, "payment_source": "tok_visa"}),
                               ("POST", f"/v1/payment_methods/{pm}/detach", {}),
                               ("POST", f"/v1/customers/{cus}/default_payment_method", {"payment_method_id": pm})):
        refused = api.request(method, path, body, key=reader)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "missing_scope"), path
    writer = api.ok("POST", "/v1/api_keys", {"scopes": ["customers:write"]})["secret"]
    assert api.post("/v1/setup_intents", {"customer_id": cus, "payment_source": "tok_mastercard"},
                    key=writer).json()["status"] == "SUCCEEDED"
    assert api.get(f"/v1/payment_methods/{pm}", key=writer).status_code == 403  # reads are orders:read
