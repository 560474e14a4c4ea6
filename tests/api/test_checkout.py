"""Hosted checkout through the real ASGI app: sessions over the API, the page, paying on it (success,
decline, 3D Secure, processor timeout), expiry, create_order's HOSTED flow, scopes and bad input."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from flint_core.checkout import jobs as checkout_jobs
from flint_core.platform import queue
from flint_core.platform.context import utcnow
from flint_core.store.tables import Activity, CheckoutSession, IdempotencyRecord, PaymentIntent, SimulatedCharge
from tests.api.helpers import CANCEL, SUCCESS, new_session, submit
from tests.conftest import BASE_URL, WORKED_EXAMPLE, Api, line, signup, usd


def run_expiry_jobs(db: Any, now: datetime | None = None) -> int:
    return queue.drain(db, kinds=[checkout_jobs.EXPIRE_CHECKOUT_SESSION], now=now)


def message(page: Any) -> str:
    found = re.search(r'id="message"[^>]*>(.*?)</div>', page.text)
    return html.unescape(found.group(1)) if found else ""


def get_session(api: Api, session: dict[str, Any]) -> dict[str, Any]:
    return api.ok("GET", f"/v1/checkout_sessions/{session['checkout_session_id']}")


def test_session_for_an_existing_order(api: Api) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    assert order["checkout_session_url"] is None and "create_checkout_session" in order["available_actions"]
    cs = new_session(api, {"order_id": order["order_id"]}, metadata={"cart": "42"})
    assert cs["object"] == "checkout_session" and cs["checkout_session_id"].startswith("cs_")
    assert (cs["status"], cs["order_id"], cs["order_status"]) == ("OPEN", order["order_id"], "OPEN")
    # absolute, on the server's public URL, so it can go in an email or to an agent as is
    assert cs["checkout_session_url"] == f"{BASE_URL}/checkout/{cs['checkout_session_id']}"
    assert (cs["success_url"], cs["cancel_url"], cs["capture_method"]) == (SUCCESS, CANCEL, "AUTOMATIC")
    assert cs["amount_due_money"] == usd(13824) and cs["metadata"] == {"cart": "42"}
    assert cs["available_actions"] == ["expire_checkout_session"] and cs["payment_intent_id"] is None
    lifetime = datetime.fromisoformat(cs["expires_at"]) - datetime.fromisoformat(cs["created_at"])
    assert lifetime == timedelta(hours=24)
    assert get_session(api, cs) == cs
    assert api.ok("GET", f"/v1/orders/{order['order_id']}")["checkout_session_url"] == cs["checkout_session_url"]
    newer = new_session(api, {"order_id": order["order_id"]})  # the order shows its newest open page
    assert api.ok("GET", f"/v1/orders/{order['order_id']}")["checkout_session_url"] == newer["checkout_session_url"]
    types = [a["type"] for a in api.ok("GET", f"/v1/orders/{order['order_id']}/activities",
                                       params={"order_by": "created_at"})["data"]]
    assert types == ["ORDER_CREATED", "CHECKOUT_SESSION_CREATED", "CHECKOUT_SESSION_CREATED"]


def test_session_from_line_items_creates_the_order(api: Api) -> None:
    cs = new_session(api, {"currency": "usd", "line_items": [line("Jacket", 9900), line("T-shirt", 1450, 2)],
                           "buyer_email": "sarah@example.com", "tip": {"percentage": "10"}})
    order = api.ok("GET", f"/v1/orders/{cs['order_id']}")
    assert order["status"] == "OPEN" and order["buyer_email"] == "sarah@example.com"
    assert [(li["name"], li["quantity"]) for li in order["line_items"]] == [("Jacket", 1), ("T-shirt", 2)]
    assert order["pricing_amounts"]["total_money"] == usd(15104) == cs["amount_due_money"]
    assert order["checkout_session_url"] == cs["checkout_session_url"]


def test_page_shows_lines_and_totals(api: Api, client: Any) -> None:
    api.ok("POST", "/v1/coupons", {"code": "SAVE10", "percentage": "10"})
    cs = new_session(api, {"currency": "USD", "line_items": [line("Jacket", 9900), line("<script>alert(1)</script>",
                                                                                     1450, 2)],
                           "coupon_codes": ["SAVE10"], "service_charges": [{"name": "Delivery",
                                                                            "amount_money": usd(500)}],
                           "tip": {"amount_money": usd(300)}, "buyer_email": "sarah@example.com"})
    order = api.ok("GET", f"/v1/orders/{cs['order_id']}")
    page = client.get(cs["checkout_session_url"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "Test shop" in text and "TEST MODE" in text
    assert "Jacket" in text and "1 &times; 99.00 USD" in text and "2 &times; 14.50 USD" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>" not in text  # escaped, no scripts
    amounts = order["pricing_amounts"]
    for label, money in [("Subtotal", amounts["subtotal_money"]), ("Tax", amounts["tax_money"]),
                         ("Delivery", amounts["service_charge_money"]), ("Tip", amounts["tip_money"]),
                         ("Total", amounts["total_money"])]:
        assert f"<td>{label}</td><td class=\"n\"" in text and f"{money['amount'] / 100:.2f} USD" in text, label
    assert f"Discount (SAVE10)</td><td class=\"n\">-{amounts['discount_money']['amount'] / 100:.2f} USD" in text
    assert f"Pay {amounts['total_money']['amount'] / 100:.2f} USD" in text
    assert 'value="sarah@example.com"' in text and "tok_visa" in text and "4242 4242 4242 4242" in text
    assert f'href="{CANCEL}"' in text
    # self-contained: no external assets, a strict policy, never cached or framed
    assert not re.search(r"<(script|link|img|iframe)\b", text) and "src=" not in text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"


def test_page_formats_zero_decimal_currencies(api: Api, client: Any) -> None:
    cs = new_session(api, {"currency": "JPY", "line_items": [{"name": "Matcha", "quantity": 3,
                                                              "unit_price_money": {"amount": 500,
                                                                                   "currency": "JPY"}}]})
    text = client.get(cs["checkout_session_url"]).text
    assert "3 &times; 500 JPY" in text and "1500 JPY" in text


def test_paying_with_4242_completes_the_session(api: Api, client: Any, db: Any, caplog: Any) -> None:
    cs = new_session(api)
    caplog.set_level(logging.DEBUG)
    paid = submit(client, cs, "4242 4242 4242 4242")
    assert paid.status_code == 303, paid.text
    assert paid.headers["location"] == f"{SUCCESS}?checkout_session_id={cs['checkout_session_id']}"
    order = api.ok("GET", f"/v1/orders/{cs['order_id']}")
    assert order["status"] == "PAID" and order["buyer_email"] == "buyer@example.com"
    assert order["settlement_amounts"]["paid_money"] == usd(13824) and order["checkout_session_url"] is None
    done = get_session(api, cs)
    assert (done["status"], done["order_status"], done["checkout_session_url"]) == ("COMPLETE", "PAID", None)
    assert done["payment_intent_id"] == order["payment_intent_ids"][0] and done["available_actions"] == []
    pi = api.ok("GET", f"/v1/payment_intents/{done['payment_intent_id']}")
    assert pi["payment_method"] == {"token": "tok_visa", "brand": "visa", "last4": "4242"}
    activities = api.ok("GET", f"/v1/orders/{cs['order_id']}/activities", params={"order_by": "created_at"})["data"]
    hosted = [(a["type"], a["actor"]) for a in activities if a["face"] == "hosted"]
    assert hosted == [("PAYMENT_STARTED", "system"), ("PAYMENT_CAPTURED", "system"),
                      ("CHECKOUT_SESSION_COMPLETED", "system")]
    # the page now says so; paying again sends the buyer on without charging twice
    page = client.get(cs["checkout_session_url"])
    assert page.status_code == 200 and "Payment received: 138.24 USD" in page.text
    assert "Visa ending in 4242" in page.text
    assert submit(client, cs, "4242424242424242").headers["location"].startswith(SUCCESS)
    assert len(api.ok("GET", f"/v1/orders/{cs['order_id']}")["payment_intent_ids"]) == 1
    # the card number reached neither the database nor the logs
    env_id = api.ok("GET", "/v1/whoami")["sandbox_id"]
    with db.transaction(write=False) as session:
        rows = [repr(row.__dict__) for model in (PaymentIntent, Activity, IdempotencyRecord, CheckoutSession)
                for row in session.scalars(select(model).where(model.env_id == env_id))]
    stored = " ".join(rows) + caplog.text
    assert "4242424242424242" not in stored.replace(" ", "") and "4242 4242" not in stored


def test_success_url_placeholder(api: Api, client: Any) -> None:
    cs = new_session(api, success_url="https://shop.example/done/{CHECKOUT_SESSION_ID}?x=1")
    paid = submit(client, cs, "tok_visa", expiry="", cvc="")  # tokens need no expiry or CVC
    assert paid.headers["location"] == f"https://shop.example/done/{cs['checkout_session_id']}?x=1"


def test_10_concurrent_submits_charge_once(api: Api, app: Any, db: Any, merchant: dict[str, Any]) -> None:
    """A buyer double-clicking Pay (the page has no idempotency key): row locks and pay_order's own
    in-flight rule let exactly one payment through; the others see it in progress or completed."""
    cs = new_session(api)
    form = {"email": "buyer@example.com", "card_number": "4242424242424242", "expiry": "12/34", "cvc": "123"}

    async def submit_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as buyer:
            return await asyncio.gather(*[buyer.post(cs["checkout_session_url"], data=form) for _ in range(10)])

    responses = asyncio.run(submit_all())
    assert all(r.status_code in (303, 409) for r in responses), [r.status_code for r in responses]
    assert any(r.status_code == 303 for r in responses)
    order = api.ok("GET", f"/v1/orders/{cs['order_id']}")
    assert order["status"] == "PAID" and len(order["payment_intent_ids"]) == 1
    assert order["settlement_amounts"]["paid_money"] == usd(13824) and get_session(api, cs)["status"] == "COMPLETE"
    with db.transaction(write=False) as session:
        charges = session.scalar(select(func.count()).select_from(SimulatedCharge)
                                 .where(SimulatedCharge.env_id == merchant["sandbox"]["sandbox_id"]))
    assert charges == 1


def test_decline_rerenders_the_form_and_the_order_stays_open(api: Api, client: Any) -> None:
    cs = new_session(api)
    declined = submit(client, cs, "4000 0000 0000 0002")
    assert declined.status_code == 402
    assert message(declined) == "Your card was declined. Please check the details or use a different card."
    assert 'id="card_number"' in declined.text and "4000 0000 0000 0002" not in declined.text.replace(
        "4000 0000 0000 0002</code>", "")  # only the test-card hint shows that number, never the form
    assert 'value="buyer@example.com"' in declined.text
    order = api.ok("GET", f"/v1/orders/{cs['order_id']}")
    assert order["status"] == "OPEN" and order["last_payment_failure"]["decline_code"] == "generic_decline"
    assert get_session(api, cs)["status"] == "OPEN"
    insufficient = submit(client, cs, "4000000000009995")
    assert insufficient.status_code == 402 and "insufficient funds" in message(insufficient)
    assert submit(client, cs, "4242424242424242").status_code == 303
    assert api.ok("GET", f"/v1/orders/{cs['order_id']}")["status"] == "PAID"
    assert len(api.ok("GET", f"/v1/orders/{cs['order_id']}")["payment_intent_ids"]) == 3


@pytest.mark.parametrize("fields,expected", [
    ({"card_number": "4242424242424241"}, "That is not a valid card number."),
    ({"card_number": "not a card"}, "That is not a valid card number."),
    ({"card_number": ""}, "Enter your card number."),
    ({"expiry": "13/30"}, "Enter the card's expiry date as MM / YY."),
    ({"expiry": "01/20"}, "Your card's expiry date is in the past."),
    ({"cvc": "12"}, "Enter the 3 or 4 digit security code (CVC) from your card."),
    ({"email": "nope"}, "Enter a valid email address for your receipt."),
])
def test_bad_form_input_is_explained(api: Api, client: Any, fields: dict[str, str], expected: str) -> None:
    cs = new_session(api)
    form = {"email": "buyer@example.com", "card_number": "4242424242424242", "expiry": "12/34", "cvc": "123"}
    page = client.post(cs["checkout_session_url"], data=form | fields, follow_redirects=False)
    assert page.status_code == 400 and message(page) == expected
    assert "not a card" not in page.text.split("<footer>")[0].split("Pay with card")[1]  # input not echoed
    assert api.ok("GET", f"/v1/orders/{cs['order_id']}")["payment_intent_ids"] == []


def test_3d_secure_round_trip(api: Api, client: Any) -> None:
    cs = new_session(api)
    started = submit(client, cs, "4000 0025 0000 3155")
    assert started.status_code == 303
    challenge = started.headers["location"]
    back = f"{cs['checkout_session_url'].removeprefix(BASE_URL)}/return"  # the pages link each other by path
    assert challenge.startswith("/simulator/3ds/") and "return_url=%2Fcheckout%2Fcs_" in challenge
    # before answering, the checkout says the bank still waits and links to the challenge
    waiting = client.get(back, follow_redirects=False)
    assert waiting.status_code == 200 and "has not confirmed" in message(waiting)
    assert 'id="authenticate"' in waiting.text
    shown = client.get(cs["checkout_session_url"])
    assert "Confirm with your bank" in shown.text and 'id="card_number"' not in shown.text
    page = client.get(challenge)
    assert page.status_code == 200 and 'name="return_url"' in page.text
    answered = client.post(challenge, data={"outcome": "pass", "return_url": back}, follow_redirects=False)
    assert (answered.status_code, answered.headers["location"]) == (303, back)
    finished = client.get(back, follow_redirects=False)
    assert finished.status_code == 303 and finished.headers["location"].startswith(SUCCESS)
    order = api.ok("GET", f"/v1/orders/{cs['order_id']}")
    assert order["status"] == "PAID" and get_session(api, cs)["status"] == "COMPLETE"
    pi = api.ok("GET", f"/v1/payment_intents/{order['payment_intent_ids'][0]}")
    assert [a["action"] for a in pi["attempts"]][-1] == "confirm" and pi["status"] == "SUCCEEDED"


def test_failed_3d_secure_lets_the_buyer_try_another_card(api: Api, client: Any) -> None:
    cs = new_session(api)
    challenge = submit(client, cs, "4000002500003155").headers["location"]
    back = client.post(challenge, data={"outcome": "fail"}, follow_redirects=False).headers["location"]
    failed = client.get(back, follow_redirects=False)
    assert failed.status_code == 402 and "3D Secure failed" in message(failed) and 'id="card_number"' in failed.text
    assert api.ok("GET", f"/v1/orders/{cs['order_id']}")["status"] == "OPEN"
    assert submit(client, cs, "4242424242424242").status_code == 303
    assert api.ok("GET", f"/v1/orders/{cs['order_id']}")["status"] == "PAID"


def test_processor_outage_after_3d_secure_can_be_confirmed_again(api: Api, client: Any) -> None:
    cs = new_session(api)
    challenge = submit(client, cs, "4000002500003155").headers["location"]
    back = client.post(challenge, data={"outcome": "pass"}, follow_redirects=False).headers["location"]
    api.ok("POST", "/v1/simulator/faults", {"mode": "UNAVAILABLE", "count": 1})
    lost = client.get(back, follow_redirects=False)
    assert lost.status_code == 200 and "could not reach the card processor" in message(lost)
    # the button goes to the bank's page, which (already answered) sends the buyer straight back
    again = client.get(challenge, follow_redirects=False)
    bounced = client.post(challenge, data={"outcome": "pass", "return_url": back}, follow_redirects=False)
    assert again.status_code == 200 and bounced.headers["location"] == back
    assert client.get(back, follow_redirects=False).headers["location"].startswith(SUCCESS)
    assert api.ok("GET", f"/v1/orders/{cs['order_id']}")["status"] == "PAID"


def test_3d_secure_page_only_returns_to_this_server(api: Api, client: Any) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    pi = api.ok("POST", f"/v1/orders/{order['order_id']}/pay", {"payment_source": "4000002500003155"})
    url = pi["next_action"]["url"]
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        assert 'name="return_url"' not in client.get(url, params={"return_url": evil}).text
    answered = client.post(url, data={"outcome": "pass", "return_url": "//evil.example"}, follow_redirects=False)
    assert answered.status_code == 200 and "Authentication complete." in answered.text


def test_processor_timeout_on_the_page_then_retry_charges_once(api: Api, client: Any) -> None:
    cs = new_session(api)
    api.ok("POST", "/v1/simulator/faults", {"mode": "TIMEOUT", "count": 1})
    lost = submit(client, cs, "4242424242424242")
    assert lost.status_code == 503 and "will not be charged twice" in message(lost)
    assert 'name="retry"' in lost.text and 'id="card_number"' not in lost.text
    assert get_session(api, cs)["payment_intent_id"] is not None
    retried = client.post(cs["checkout_session_url"], data={"retry": "1"}, follow_redirects=False)
    assert retried.status_code == 303 and retried.headers["location"].startswith(SUCCESS)
    order = api.ok("GET", f"/v1/orders/{cs['order_id']}")
    assert order["status"] == "PAID" and len(order["payment_intent_ids"]) == 1
    assert order["settlement_amounts"]["paid_money"] == usd(13824)


def test_manual_capture_session_leaves_a_hold(api: Api, client: Any) -> None:
    cs = new_session(api, capture_method="manual")
    assert cs["capture_method"] == "MANUAL"
    assert submit(client, cs, "4242424242424242").status_code == 303
    assert api.ok("GET", f"/v1/orders/{cs['order_id']}")["status"] == "AUTHORIZED"
    assert get_session(api, cs)["status"] == "COMPLETE"
    assert "Payment authorized: 138.24 USD" in client.get(cs["checkout_session_url"]).text


def test_expiry_by_the_job(api: Api, client: Any, db: Any) -> None:
    cs = new_session(api, expires_in_seconds=30)
    keep = new_session(api)
    run_expiry_jobs(db)
    assert get_session(api, cs)["status"] == "OPEN"
    assert run_expiry_jobs(db, now=utcnow() + timedelta(seconds=31)) >= 1
    expired = get_session(api, cs)
    assert (expired["status"], expired["checkout_session_url"], expired["available_actions"]) == ("EXPIRED", None, [])
    assert get_session(api, keep)["status"] == "OPEN"
    page = client.get(cs["checkout_session_url"])
    assert page.status_code == 410 and "has expired" in message(page) and 'id="card_number"' not in page.text
    refused = submit(client, cs, "4242424242424242")
    assert refused.status_code == 410 and api.ok("GET", f"/v1/orders/{cs['order_id']}")["payment_intent_ids"] == []
    activity = api.ok("GET", f"/v1/orders/{cs['order_id']}/activities")["data"][0]
    assert (activity["type"], activity["face"], activity["actor"]) == ("CHECKOUT_SESSION_EXPIRED", "system", "system")


def test_expiry_on_read_before_the_job_runs(api: Api, client: Any, db: Any) -> None:
    cs = new_session(api)
    with db.transaction() as session:
        session.execute(update(CheckoutSession).where(
            CheckoutSession.checkout_session_id == cs["checkout_session_id"]).values(
            expires_at=utcnow() - timedelta(seconds=1)))
    assert get_session(api, cs)["status"] == "EXPIRED"
    assert api.ok("GET", f"/v1/orders/{cs['order_id']}")["checkout_session_url"] is None
    assert client.get(cs["checkout_session_url"]).status_code == 410
    assert submit(client, cs, "4242424242424242").status_code == 410  # paying writes it down
    with db.transaction(write=False) as session:
        assert session.get(CheckoutSession, cs["checkout_session_id"]).status == "EXPIRED"
    assert api.ok("GET", f"/v1/orders/{cs['order_id']}")["status"] == "OPEN"


def test_expire_checkout_session_operation(api: Api, client: Any) -> None:
    cs = new_session(api)
    expired = api.ok("POST", f"/v1/checkout_sessions/{cs['checkout_session_id']}/expire", {})
    assert expired["status"] == "EXPIRED" and client.get(cs["checkout_session_url"]).status_code == 410
    again = api.post(f"/v1/checkout_sessions/{cs['checkout_session_id']}/expire", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state_transition"
    assert again.json()["error"]["param"] == "checkout_session_id"
    # the order is untouched and can get a new page
    assert new_session(api, {"order_id": cs["order_id"]})["status"] == "OPEN"


def test_session_is_canceled_when_its_order_is_canceled_or_paid_elsewhere(api: Api, client: Any, db: Any) -> None:
    canceled = new_session(api)
    api.ok("POST", f"/v1/orders/{canceled['order_id']}/cancel", {})
    assert get_session(api, canceled)["status"] == "CANCELED"
    page = client.get(canceled["checkout_session_url"])
    assert page.status_code == 410 and "no longer available" in message(page)
    elsewhere = new_session(api)
    api.ok("POST", f"/v1/orders/{elsewhere['order_id']}/pay", {"payment_source": "tok_visa"})
    assert get_session(api, elsewhere)["status"] == "CANCELED"
    run_expiry_jobs(db)  # their jobs became due when the orders left OPEN, not at expires_at
    with db.transaction(write=False) as session:
        assert session.get(CheckoutSession, elsewhere["checkout_session_id"]).status == "CANCELED"
        assert session.get(CheckoutSession, canceled["checkout_session_id"]).status == "CANCELED"


def test_create_order_with_hosted_checkout_flow(api: Api, client: Any) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE | {"checkout_flow": "hosted"})
    url = order["checkout_session_url"]
    assert url and url.startswith(f"{BASE_URL}/checkout/cs_") and order["status"] == "OPEN"
    session_id = url.rsplit("/", 1)[1]
    cs = api.ok("GET", f"/v1/checkout_sessions/{session_id}")
    assert cs["order_id"] == order["order_id"] and cs["success_url"] == url and cs["cancel_url"] is None
    # without a success_url the buyer lands back on the page, which shows the payment
    paid = submit(client, cs, "4242424242424242")
    # the page itself redirects within this server by path
    assert paid.headers["location"] == f"{url.removeprefix(BASE_URL)}?checkout_session_id={session_id}"
    assert "Payment received" in client.get(paid.headers["location"]).text
    with_urls = api.ok("POST", "/v1/orders", WORKED_EXAMPLE | {"checkout_flow": "CHECKOUT_FLOW_HOSTED",
                                                               "success_url": SUCCESS, "cancel_url": CANCEL})
    cs = api.ok("GET", f"/v1/checkout_sessions/{with_urls['checkout_session_url'].rsplit('/', 1)[1]}")
    assert (cs["success_url"], cs["cancel_url"]) == (SUCCESS, CANCEL)
    assert api.ok("POST", "/v1/orders", WORKED_EXAMPLE | {"checkout_flow": "API"})["checkout_session_url"] is None
    assert api.ok("POST", "/v1/orders/preview", WORKED_EXAMPLE | {"checkout_flow": "HOSTED"})[
        "checkout_session_url"] is None
    misplaced = api.post("/v1/orders", WORKED_EXAMPLE | {"success_url": SUCCESS})
    assert misplaced.status_code == 400 and misplaced.json()["error"]["param"] == "success_url"
    bad = api.post("/v1/orders", WORKED_EXAMPLE | {"checkout_flow": "SOMETIMES"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "checkout_flow"


def test_replayed_create_returns_the_same_session(api: Api) -> None:
    body = {"currency": "USD", "line_items": WORKED_EXAMPLE["line_items"], "success_url": SUCCESS}
    first = api.post("/v1/checkout_sessions", body, idempotency_key="cs-1")
    again = api.post("/v1/checkout_sessions", body, idempotency_key="cs-1")
    assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"
    assert api.ok("GET", "/v1/orders", params={"page_size": 5})["data"][0]["order_id"] == first.json()["order_id"]
    assert len(api.ok("GET", "/v1/orders")["data"]) == 1


def test_order_that_is_not_open_is_a_conflict(api: Api) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    api.ok("POST", f"/v1/orders/{order['order_id']}/pay", {"payment_source": "tok_visa"})
    paid = api.post("/v1/checkout_sessions", {"order_id": order["order_id"], "success_url": SUCCESS})
    assert paid.status_code == 409
    error = paid.json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("state_conflict_error", "order_not_payable", "order_id")
    busy = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    api.ok("POST", f"/v1/orders/{busy['order_id']}/pay", {"payment_source": "4000002500003155"})
    in_flight = api.post("/v1/checkout_sessions", {"order_id": busy["order_id"], "success_url": SUCCESS})
    assert in_flight.status_code == 409 and in_flight.json()["error"]["code"] == "payment_in_progress"


def test_payment_started_elsewhere_blocks_the_page(api: Api, client: Any) -> None:
    cs = new_session(api)
    api.ok("POST", f"/v1/orders/{cs['order_id']}/pay", {"payment_source": "4000002500003155"})
    page = submit(client, cs, "4242424242424242")
    assert page.status_code == 409 and "already in progress" in message(page)
    assert len(api.ok("GET", f"/v1/orders/{cs['order_id']}")["payment_intent_ids"]) == 1


def test_scopes(api: Api, client: Any) -> None:
    reader = Api(client, api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"])
    writer = Api(client, api.ok("POST", "/v1/api_keys", {"scopes": ["checkout:write"]})["secret"])
    order_writer = Api(client, api.ok("POST", "/v1/api_keys", {"scopes": ["orders:write"]})["secret"])
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    body = {"order_id": order["order_id"], "success_url": SUCCESS}
    denied = reader.post("/v1/checkout_sessions", body)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "missing_scope"
    cs = writer.ok("POST", "/v1/checkout_sessions", body)
    assert cs["available_actions"] == ["expire_checkout_session"]
    assert writer.get(f"/v1/checkout_sessions/{cs['checkout_session_id']}").status_code == 403
    assert reader.ok("GET", f"/v1/checkout_sessions/{cs['checkout_session_id']}")["available_actions"] == []
    assert reader.post(f"/v1/checkout_sessions/{cs['checkout_session_id']}/expire", {}).status_code == 403
    hosted = order_writer.post("/v1/orders", WORKED_EXAMPLE | {"checkout_flow": "HOSTED"})
    assert hosted.status_code == 403 and hosted.json()["error"]["code"] == "missing_scope"
    assert "create_checkout_session" not in reader.ok("GET", f"/v1/orders/{order['order_id']}")["available_actions"]
    # another merchant's key cannot see it (404, not 403)
    other = Api(client, signup(client, "Other shop")["api_key"]["secret"])
    missing = other.get(f"/v1/checkout_sessions/{cs['checkout_session_id']}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"
    assert other.post("/v1/checkout_sessions", body).status_code == 404


@pytest.mark.parametrize("body,code,param", [
    ({"success_url": SUCCESS}, "parameter_invalid", "order_id"),
    ({"line_items": [{"name": "Cap", "quantity": 1, "unit_price_money": {"amount": 1, "currency": "EUR"}}],
      "currency": "USD", "success_url": SUCCESS}, "currency_mismatch", "line_items.0.unit_price_money.currency"),
    ({"currency": "USD", "success_url": SUCCESS}, "parameter_missing", "line_items"),
    ({"order_id": "ord_x", "line_items": WORKED_EXAMPLE["line_items"], "success_url": SUCCESS}, "parameter_invalid",
     "line_items"),
    ({"order_id": "ord_x"}, "parameter_missing", "success_url"),
    ({"order_id": "ord_x", "success_url": "javascript:alert(1)"}, "parameter_invalid", "success_url"),
    ({"order_id": "ord_x", "success_url": "//evil.example"}, "parameter_invalid", "success_url"),
    ({"order_id": "ord_x", "success_url": SUCCESS, "cancel_url": "ftp://x"}, "parameter_invalid", "cancel_url"),
    ({"order_id": "ord_x", "success_url": SUCCESS, "expires_in_seconds": 10}, "parameter_invalid",
     "expires_in_seconds"),
    ({"order_id": "ord_x", "success_url": SUCCESS, "expires_in_seconds": "60"}, "parameter_invalid",
     "expires_in_seconds"),
    ({"order_id": "ord_x", "success_url": SUCCESS, "capture_method": "later"}, "parameter_invalid", "capture_method"),
    ({"order_id": "ord_x", "success_url": SUCCESS, "colour": "red"}, "unknown_parameter", "colour"),
    ({"order_id": "ord_missing", "success_url": SUCCESS}, "resource_missing", "order_id"),
])
def test_bad_input(api: Api, body: dict[str, Any], code: str, param: str) -> None:
    response = api.post("/v1/checkout_sessions", body)
    assert response.status_code in (400, 404), response.text
    error = response.json()["error"]
    assert (error["code"], error["param"]) == (code, param)


def test_unknown_session_page_is_404_html(client: Any) -> None:
    page = client.get("/checkout/cs_doesnotexist")
    assert page.status_code == 404 and "Checkout not found" in page.text
    assert client.post("/checkout/cs_doesnotexist", data={"card_number": "4242424242424242"}).status_code == 404


def test_reset_sandbox_removes_sessions(api: Api, merchant: dict[str, Any]) -> None:
    cs = new_session(api)
    api.ok("POST", f"/v1/sandboxes/{merchant['sandbox']['sandbox_id']}/reset", {})
    assert api.get(f"/v1/checkout_sessions/{cs['checkout_session_id']}").status_code == 404


def test_a_new_orders_currency_may_come_from_its_prices(api: Api) -> None:
    session = api.ok("POST", "/v1/checkout_sessions", {"success_url": SUCCESS, "line_items": [
        {"name": "Cap", "quantity": 2, "unit_price_money": {"amount": 1500, "currency": "EUR"}}]})
    assert api.ok("GET", f"/v1/orders/{session['order_id']}")["currency"] == "EUR"
