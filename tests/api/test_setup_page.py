"""The hosted card-saving page: a setup intent created without a card sends its customer to
``hosted_url``, where they save one (3D Secure when the card asks); declines, typing mistakes, expiry,
cancellation, and a page that never shows a card number back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flint_core.payment_methods.service import EXPIRE_SETUP_INTENT
from flint_core.platform import queue
from flint_core.platform.context import utcnow
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
