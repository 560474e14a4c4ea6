"""The four-call flow in a real browser against a real `flint serve`: create an order, create a checkout
session, the buyer pays on the hosted page in headless Chromium (typing the card, clicking Pay), and the
order is PAID through the API. Also 3D Secure: the page sends the buyer to the bank's page and back; and a
SETUP session, where a customer saves the card that later pays without them."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.chromium import Browser, executable
from tests.e2e.processes import free_port, start, stop

pytestmark = pytest.mark.skipif(executable() is None, reason="chromium not found: `make test` installs Debian's "
                                "chromium (apt-get install chromium); install it to run the browser tests")


class ThanksPage(BaseHTTPRequestHandler):
    """The merchant's own site: where success_url points."""

    def do_GET(self) -> None:  # noqa: N802
        body = b"<!doctype html><title>Thanks</title><h1 id='thanks'>Thanks for your order!</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ThanksPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def flint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A real server process on a free port with its own SQLite file; yields its base URL and auth header."""
    port = free_port()
    proc, out = start(f"sqlite:///{tmp_path_factory.mktemp('flint') / 'flint.db'}", port)
    try:
        key = re.search(r"(sk_test_[A-Za-z0-9]+)", out)
        assert key, out
        yield f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key.group(1)}"}
    finally:
        stop(proc)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    chromium = Browser(tmp_path)
    try:
        yield chromium
    finally:
        chromium.close()


def create_session(base: str, headers: dict[str, str], shop: str) -> dict[str, Any]:
    """Calls 1 and 2: the order, then a checkout session for it."""
    order = httpx.post(f"{base}/v1/orders", headers=headers | {"Idempotency-Key": str(uuid.uuid4())}, json={
        "currency": "USD", "line_items": [
            {"name": "Jacket", "quantity": 1, "unit_price_money": {"amount": 9900, "currency": "USD"}},
            {"name": "T-shirt", "quantity": 2, "unit_price_money": {"amount": 1450, "currency": "USD"}}]})
    assert order.status_code == 200, order.text
    session = httpx.post(f"{base}/v1/checkout_sessions", headers=headers, json={
        "order_id": order.json()["order_id"], "success_url": f"{shop}/thanks", "cancel_url": f"{shop}/cart"})
    assert session.status_code == 200, session.text
    return session.json()


def fill_card(browser: Browser, number: str) -> None:
    browser.type_into("#email", "buyer@example.com")
    browser.type_into("#card_number", number)
    browser.type_into("#expiry", "12 / 34")
    browser.type_into("#cvc", "123")


def test_buyer_pays_on_the_hosted_page(flint: tuple[str, dict[str, str]], shop: str, browser: Browser) -> None:
    base, headers = flint
    session = create_session(base, headers, shop)
    page_url = session["checkout_session_url"]  # absolute: `flint serve`'s public URL defaults to its address
    assert page_url == f"{base}/checkout/{session['checkout_session_id']}"
    browser.goto(page_url)
    text = browser.text()
    assert "Sandbox merchant" in text and "Jacket" in text and "T-shirt" in text
    assert "128.00 USD" in text and "10.24 USD" in text and "138.24 USD" in text  # subtotal, tax, total
    # a decline first: the page says so and keeps the form
    fill_card(browser, "4000 0000 0000 0002")
    browser.click("#pay")
    browser.wait_for("!!document.querySelector('#message[role=alert]')")
    assert "Your card was declined" in browser.evaluate("document.querySelector('#message').innerText")
    assert browser.evaluate("document.querySelector('#card_number').value") == ""  # never echoed back
    # then the test card that pays (call 3: the buyer pays)
    browser.type_into("#card_number", "4242 4242 4242 4242")
    browser.type_into("#expiry", "12 / 34")
    browser.type_into("#cvc", "123")
    browser.click("#pay")
    href = browser.wait_for(f"location.href.startsWith('{shop}/thanks') && location.href")
    assert href == f"{shop}/thanks?checkout_session_id={session['checkout_session_id']}"
    assert "Thanks for your order!" in browser.text()
    # call 4: verify through the API, never from the redirect alone
    order = httpx.get(f"{base}/v1/orders/{session['order_id']}", headers=headers).json()
    assert order["status"] == "PAID" and order["settlement_amounts"]["paid_money"]["amount"] == 13824
    assert order["buyer_email"] == "buyer@example.com" and len(order["payment_intent_ids"]) == 2
    done = httpx.get(f"{base}/v1/checkout_sessions/{session['checkout_session_id']}", headers=headers).json()
    assert done["status"] == "COMPLETE"
    browser.goto(page_url)
    assert "Payment received: 138.24 USD" in browser.text()


def test_3d_secure_in_the_browser(flint: tuple[str, dict[str, str]], shop: str, browser: Browser) -> None:
    base, headers = flint
    session = create_session(base, headers, shop)
    browser.goto(session["checkout_session_url"])
    fill_card(browser, "4000 0025 0000 3155")
    browser.click("#pay")
    browser.wait_for("location.pathname.startsWith('/simulator/3ds/') && !!document.querySelector('#complete')")
    browser.click("#complete")
    browser.wait_for(f"location.href.startsWith('{shop}/thanks')")
    order = httpx.get(f"{base}/v1/orders/{session['order_id']}", headers=headers).json()
    assert order["status"] == "PAID"


def test_a_customer_saves_a_card_in_the_browser_and_is_charged_later(flint: tuple[str, dict[str, str]], shop: str,
                                                                     browser: Browser) -> None:
    """A SETUP checkout session: the customer saves a card (3D Secure at setup) on the page, lands on the
    shop's page, and the card on file then pays an order without them."""
    base, headers = flint
    customer = httpx.post(f"{base}/v1/customers", headers=headers, json={"name": "Sarah Chen"}).json()
    session = httpx.post(f"{base}/v1/checkout_sessions", headers=headers, json={
        "mode": "SETUP", "customer_id": customer["customer_id"], "success_url": f"{shop}/thanks"}).json()
    browser.goto(session["checkout_session_url"])
    assert "Save a card" in browser.text() and "Sarah Chen" in browser.text()
    browser.type_into("#card_number", "4000 0025 0000 3155")
    browser.type_into("#expiry", "12 / 34")
    browser.type_into("#cvc", "123")
    browser.click("#save")
    browser.wait_for("location.pathname.startsWith('/simulator/3ds/') && !!document.querySelector('#complete')")
    browser.click("#complete")
    href = browser.wait_for(f"location.href.startsWith('{shop}/thanks') && location.href")
    assert href == f"{shop}/thanks?checkout_session_id={session['checkout_session_id']}"
    done = httpx.get(f"{base}/v1/checkout_sessions/{session['checkout_session_id']}", headers=headers).json()
    assert done["status"] == "COMPLETE" and done["payment_method_id"].startswith("pm_")
    order = httpx.post(f"{base}/v1/orders", headers=headers, json={
        "currency": "USD", "customer_id": customer["customer_id"],
        "line_items": [{"name": "Refill", "quantity": 1, "unit_price_money": {"amount": 1200, "currency": "USD"}}]})
    paid = httpx.post(f"{base}/v1/orders/{order.json()['order_id']}/pay", headers=headers,
                      json={"off_session": True}).json()
    assert (paid["status"], paid["payment_method_id"]) == ("SUCCEEDED", done["payment_method_id"])
