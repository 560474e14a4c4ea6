"""The hosted card-saving page: a setup intent created without a card sends its customer to
``hosted_url``, where they save one (3D Secure when the card asks); declines, typing mistakes, expiry,
cancellation, and a page that never shows a card number back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from flint_core.checkout.jobs import EXPIRE_CHECKOUT_SESSION
from flint_core.payment_methods.service import EXPIRE_SETUP_INTENT
from flint_core.platform import queue
from flint_core.platform.context import utcnow
from flint_core.store.tables import Activity
from tests.conftest import BASE_URL, Api


def collecting(api: Api) -> dict[str, Any]:
    customer = api.ok("POST", "/v1/customers", {"name": "Sarah Chen", "email": "sarah@example.com"})["customer_id"]
    seti = api.ok("POST", "/v1/setup_intents", {"customer_id": customer})
    assert seti["status"] == "REQUIRES_ACTION" and seti["card"] == {"brand": None, "last4": None}
    assert seti["hosted_url"] == f"{BASE_URL}/setup/{seti['setup_intent_id']}" == seti["next_action"]["url"]
    return seti


def submit(client: Any, seti: dict[str, Any], card: str, expiry: str = "12 / 34", cvc: str = "123") -> Any:
    return client.post(seti["hosted_url"], data={"card_number": card, "expiry": expiry, "cvc": cvc},
                       follow_redirects=False)


def test_the_customer_saves_a_card_on_the_page(api: Api, client: Any) -> None:
    seti = collecting(api)
    page = client.get(seti["hosted_url"])
    assert page.status_code == 200 and 'id="setup-form"' in page.text and "Sarah Chen" in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    # not entered yet: confirm changes nothing
    waiting = api.ok("POST", f"/v1/setup_intents/{seti['setup_intent_id']}/confirm", {})
    assert waiting["status"] == "REQUIRES_ACTION"
    saved = submit(client, seti, "4242 4242 4242 4242")
    assert saved.status_code == 200 and "Card saved: Visa ending in 4242" in saved.text
    assert "4242 4242 4242 4242" not in saved.text and "4242424242424242" not in saved.text
    done = api.ok("GET", f"/v1/setup_intents/{seti['setup_intent_id']}")
    assert done["status"] == "SUCCEEDED" and done["hosted_url"] is None
    assert api.ok("GET", f"/v1/payment_methods/{done['payment_method_id']}")["card"]["last4"] == "4242"
    again = submit(client, seti, "5555 5555 5555 4444")  # saved once: a second card changes nothing
    assert "Visa ending in 4242" in again.text


def test_3d_secure_on_the_page(api: Api, client: Any) -> None:
    seti = collecting(api)
    started = submit(client, seti, "4000 0025 0000 3155")
    assert started.status_code == 303 and started.headers["location"].startswith("/simulator/3ds/")
    challenge = started.headers["location"]
    back = client.post(challenge, data={"outcome": "pass"}, follow_redirects=False)  # its return_url: the query
    assert back.status_code == 303 and back.headers["location"].endswith("/return")
    finished = client.get(back.headers["location"])
    assert finished.status_code == 200 and "Card saved" in finished.text
    assert api.ok("GET", f"/v1/setup_intents/{seti['setup_intent_id']}")["status"] == "SUCCEEDED"


def test_declines_and_mistakes(api: Api, client: Any) -> None:
    seti = collecting(api)
    typo = submit(client, seti, "4242 4242 4242 4241")
    assert typo.status_code == 400 and "not a valid card number" in typo.text
    missing = submit(client, seti, "4242 4242 4242 4242", expiry="", cvc="")
    assert missing.status_code == 400 and "expiry date" in missing.text
    declined = submit(client, seti, "4000 0000 0000 0002")
    assert declined.status_code == 402 and "Your card was not saved" in declined.text
    assert api.ok("GET", f"/v1/setup_intents/{seti['setup_intent_id']}")["status"] == "FAILED"
    assert client.get("/setup/seti_nope").status_code == 404


def test_cancel_and_expiry_without_a_card(api: Api, client: Any, db: Any) -> None:
    canceled = collecting(api)
    out = api.ok("POST", f"/v1/setup_intents/{canceled['setup_intent_id']}/cancel", {})
    assert out["status"] == "CANCELED" and out["hosted_url"] is None
    assert client.get(canceled["hosted_url"]).status_code == 410
    lapsed = collecting(api)
    queue.drain(db, kinds=[EXPIRE_SETUP_INTENT], now=utcnow() + timedelta(hours=25))
    assert api.ok("GET", f"/v1/setup_intents/{lapsed['setup_intent_id']}")["status"] == "CANCELED"
    assert submit(client, lapsed, "4242 4242 4242 4242").status_code == 410


# A checkout session in SETUP mode: the same page at the session's address, with its success_url.

def setup_session(api: Api, **extra: Any) -> dict[str, Any]:
    customer = api.ok("POST", "/v1/customers", {"name": "Sarah Chen"})["customer_id"]
    cs = api.ok("POST", "/v1/checkout_sessions", {"mode": "SETUP", "customer_id": customer,
                                                  "success_url": "https://shop.example/saved", **extra})
    assert (cs["mode"], cs["status"], cs["order_id"], cs["customer_id"]) == ("SETUP", "OPEN", None, customer)
    assert cs["amount_due_money"] is None and cs["capture_method"] is None and cs["payment_method_id"] is None
    assert cs["checkout_session_url"] == f"{BASE_URL}/checkout/{cs['checkout_session_id']}"
    assert api.ok("GET", f"/v1/setup_intents/{cs['setup_intent_id']}")["status"] == "REQUIRES_ACTION"
    return cs


def save_on(client: Any, cs: dict[str, Any], card: str) -> Any:
    return client.post(cs["checkout_session_url"], data={"card_number": card, "expiry": "12 / 34", "cvc": "123"},
                       follow_redirects=False)


def test_a_setup_checkout_session_saves_a_card_and_sends_the_customer_on(api: Api, client: Any, db: Any) -> None:
    cs = setup_session(api, cancel_url="https://shop.example/back")
    page = client.get(cs["checkout_session_url"])
    assert page.status_code == 200 and 'id="setup-form"' in page.text and "Sarah Chen" in page.text
    assert cs["checkout_session_id"] in page.text and 'href="https://shop.example/back"' in page.text
    saved = save_on(client, cs, "4242 4242 4242 4242")
    assert saved.status_code == 303
    assert saved.headers["location"] == f"https://shop.example/saved?checkout_session_id={cs['checkout_session_id']}"
    done = api.ok("GET", f"/v1/checkout_sessions/{cs['checkout_session_id']}")
    assert done["status"] == "COMPLETE" and done["checkout_session_url"] is None
    pm = api.ok("GET", f"/v1/payment_methods/{done['payment_method_id']}")
    assert (pm["customer_id"], pm["is_default"], pm["card"]["last4"]) == (cs["customer_id"], True, "4242")
    again = client.get(cs["checkout_session_url"])  # the page says so, with the way on
    assert again.status_code == 200 and "Card saved: Visa ending in 4242" in again.text and 'id="continue"' in again.text
    completed = api.ok("GET", "/v1/events", params={"type": "checkout_session.completed"})["data"]
    assert [e["data"]["object"]["checkout_session_id"] for e in completed] == [cs["checkout_session_id"]]
    assert completed[0]["data"]["previous_attributes"]["status"] == "OPEN"
    with db.transaction(write=False) as session:
        audit = session.scalars(select(Activity.type).where(Activity.object_id == cs["customer_id"])
                                .order_by(Activity.sequence)).all()
    assert audit == ["CUSTOMER_CREATED", "CHECKOUT_SESSION_CREATED", "PAYMENT_METHOD_ATTACHED",
                     "CHECKOUT_SESSION_COMPLETED"]
    queue.drain(db, kinds=[EXPIRE_CHECKOUT_SESSION])  # the session's job finds it already written down
    assert len(api.ok("GET", "/v1/events", params={"type": "checkout_session.completed"})["data"]) == 1


def test_a_declined_card_asks_for_another_and_3d_secure_comes_back_to_the_session(api: Api, client: Any) -> None:
    cs = setup_session(api)
    declined = save_on(client, cs, "4000 0000 0000 0002")
    assert declined.status_code == 402 and "Your card was not saved" in declined.text
    assert 'id="setup-form"' in declined.text  # the session's page asks for the next card
    first = cs["setup_intent_id"]
    assert api.ok("GET", f"/v1/setup_intents/{first}")["status"] == "FAILED"
    assert api.ok("GET", f"/v1/checkout_sessions/{cs['checkout_session_id']}")["status"] == "OPEN"
    started = save_on(client, cs, "4000 0025 0000 3155")
    assert started.status_code == 303 and started.headers["location"].startswith("/simulator/3ds/")
    back = client.post(started.headers["location"], data={"outcome": "pass"}, follow_redirects=False)
    assert back.headers["location"] == f"/checkout/{cs['checkout_session_id']}/return"
    finished = client.get(back.headers["location"], follow_redirects=False)
    assert finished.status_code == 303 and finished.headers["location"].startswith("https://shop.example/saved?")
    done = api.ok("GET", f"/v1/checkout_sessions/{cs['checkout_session_id']}")
    assert done["status"] == "COMPLETE" and done["setup_intent_id"] != first
    assert api.ok("GET", f"/v1/payment_methods/{done['payment_method_id']}")["card"]["last4"] == "3155"


def test_a_setup_checkout_session_expires_or_is_canceled_with_its_setup_intent(api: Api, client: Any,
                                                                               db: Any) -> None:
    ended = setup_session(api)
    out = api.ok("POST", f"/v1/checkout_sessions/{ended['checkout_session_id']}/expire", {})
    assert out["status"] == "EXPIRED" and out["available_actions"] == []
    assert client.get(ended["checkout_session_url"]).status_code == 410
    assert save_on(client, ended, "4242 4242 4242 4242").status_code == 410
    queue.drain(db, kinds=[EXPIRE_SETUP_INTENT])  # brought forward to now: the setup intent ends with it
    assert api.ok("GET", f"/v1/setup_intents/{ended['setup_intent_id']}")["status"] == "CANCELED"
    assert api.ok("GET", f"/v1/customers/{ended['customer_id']}/payment_methods")["data"] == []

    lapsed = setup_session(api, expires_in_seconds=3600)
    later = utcnow() + timedelta(hours=2)
    queue.drain(db, kinds=[EXPIRE_CHECKOUT_SESSION, EXPIRE_SETUP_INTENT], now=later)
    assert api.ok("GET", f"/v1/setup_intents/{lapsed['setup_intent_id']}")["status"] == "CANCELED"
    expired = api.ok("GET", "/v1/events", params={"type": "checkout_session.expired"})["data"]
    assert {e["data"]["object"]["checkout_session_id"] for e in expired} == {ended["checkout_session_id"],
                                                                            lapsed["checkout_session_id"]}

    canceled = setup_session(api)
    api.ok("POST", f"/v1/setup_intents/{canceled['setup_intent_id']}/cancel", {})
    assert api.ok("GET", f"/v1/checkout_sessions/{canceled['checkout_session_id']}")["status"] == "CANCELED"
    queue.drain(db, kinds=[EXPIRE_CHECKOUT_SESSION])  # its job, brought forward, writes it down
    assert api.ok("GET", "/v1/events", params={"type": "checkout_session.canceled"})["data"][0]["data"]["object"][
        "checkout_session_id"] == canceled["checkout_session_id"]


def test_setup_mode_takes_a_customer_and_nothing_of_an_order(api: Api) -> None:
    customer = api.ok("POST", "/v1/customers", {"name": "Sam"})["customer_id"]
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [
        {"name": "Tea", "quantity": 1, "unit_price_money": {"amount": 300, "currency": "USD"}}]})["order_id"]
    base = {"mode": "setup", "success_url": "/done"}
    cases = [({}, 400, "parameter_missing", "customer_id"),
             ({"customer_id": customer, "order_id": order}, 400, "parameter_invalid", "order_id"),
             ({"customer_id": customer, "line_items": [{"name": "x", "quantity": 1, "unit_price_money": {
                 "amount": 1, "currency": "USD"}}]}, 400, "parameter_invalid", "line_items"),
             ({"customer_id": customer, "capture_method": "MANUAL"}, 400, "parameter_invalid", "capture_method"),
             ({"customer_id": "cus_nope"}, 404, "resource_missing", "customer_id"),
             ({"customer_id": customer, "mode": "INSTALLMENTS"}, 400, "parameter_invalid", "mode")]
    for extra, status, code, param in cases:
        response = api.post("/v1/checkout_sessions", base | extra)
        error = response.json()["error"]
        assert (response.status_code, error["code"], error["param"]) == (status, code, param), extra
    assert api.ok("POST", "/v1/checkout_sessions", base | {"customer_id": customer})["mode"] == "SETUP"


def test_a_lost_processor_answer_is_asked_again_when_the_customer_presses_save(api: Api, client: Any) -> None:
    """The processor saved the card but its answer timed out: the page says so, and Save asks again with the
    same card and key (one card saved, no second setup at the processor)."""
    for seti_or_session in (collecting(api), setup_session(api)):
        url = seti_or_session.get("hosted_url") or seti_or_session["checkout_session_url"]
        api.ok("POST", "/v1/simulator/faults", {"mode": "TIMEOUT", "count": 1})
        lost = client.post(url, data={"card_number": "4242 4242 4242 4242", "expiry": "12 / 34", "cvc": "123"})
        assert lost.status_code == 503 and "not saved twice" in lost.text and 'name="retry"' in lost.text
        assert "Your card is being saved" in client.get(url).text  # the page, shown again, offers the same
        again = client.post(url, data={"retry": "1"}, follow_redirects=False)
        assert again.status_code in (200, 303)
        seti_id = seti_or_session["setup_intent_id"]
        done = api.ok("GET", f"/v1/setup_intents/{seti_id}")
        assert done["status"] == "SUCCEEDED" and done["card"]["last4"] == "4242"
    assert api.ok("GET", f"/v1/checkout_sessions/{seti_or_session['checkout_session_id']}")["status"] == "COMPLETE"
    # through the API too: confirm_setup_intent asks again for a page's card whose answer was lost
    seti = collecting(api)
    api.ok("POST", "/v1/simulator/faults", {"mode": "TIMEOUT", "count": 1})
    client.post(seti["hosted_url"], data={"card_number": "5555 5555 5555 4444", "expiry": "12 / 34", "cvc": "1"})
    assert api.ok("POST", f"/v1/setup_intents/{seti['setup_intent_id']}/confirm", {})["status"] == "SUCCEEDED"
