"""The public URL (docs/getting-started.md#public-url): every URL Flint returns is absolute and starts with
it, on every face, and fetching its path on the server works. The app here is reached at the test client's
address (http://127.0.0.1:8000) but configured with another public URL, as behind a reverse proxy, so a URL
built from the request instead of the setting would show."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from flint_core.platform.settings import Settings
from flint_server import create_server
from tests.conftest import BASE_URL, TEST_RATE_LIMITS, WORKED_EXAMPLE, Api, signup

PUBLIC = "https://pay.example.com"
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
               "Mcp-Protocol-Version": "2025-11-25"}


@pytest.fixture(scope="module")
def proxied(db: Any) -> Iterator[TestClient]:
    app = create_server(db, settings=Settings(public_url=PUBLIC + "/", rate_limits=TEST_RATE_LIMITS))
    with TestClient(app, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def shop(proxied: TestClient) -> Api:
    return Api(proxied, signup(proxied)["api_key"]["secret"])


def path_of(url: str) -> str:
    """The part of an absolute URL the server routes on (the proxy in front would strip the origin)."""
    assert url.startswith(PUBLIC + "/"), url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_checkout_urls_are_absolute_and_work(shop: Api, proxied: TestClient) -> None:
    order = shop.ok("POST", "/v1/orders", WORKED_EXAMPLE | {"checkout_flow": "HOSTED"})
    page_url = order["checkout_session_url"]
    assert page_url.startswith(f"{PUBLIC}/checkout/cs_")
    session_id = page_url.rsplit("/", 1)[1]
    session = shop.ok("GET", f"/v1/checkout_sessions/{session_id}")
    # no success_url given: the buyer comes back to the page, handed out absolute like the page itself
    assert session["checkout_session_url"] == session["success_url"] == page_url
    page = proxied.get(path_of(page_url))
    assert page.status_code == 200 and "Pay with card" in page.text
    # events carry the object as the API returned it
    created = shop.ok("GET", "/v1/events", params={"type": "order.created"})["data"][0]
    assert created["data"]["object"]["checkout_session_url"] == page_url


def test_3d_secure_url_is_absolute_and_works(shop: Api, proxied: TestClient) -> None:
    order = shop.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    pi = shop.ok("POST", f"/v1/orders/{order['order_id']}/pay", {"payment_source": "4000002500003155"},
                 idempotency_key="pay-3ds")
    url = pi["next_action"]["url"]
    assert url.startswith(f"{PUBLIC}/simulator/3ds/")
    assert shop.ok("GET", f"/v1/payment_intents/{pi['payment_intent_id']}")["next_action"]["url"] == url
    assert proxied.post(path_of(url), data={"outcome": "pass"}).status_code == 200
    confirmed = shop.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/confirm", {})
    assert confirmed["status"] == "SUCCEEDED" and confirmed["next_action"] is None


def test_error_doc_urls_are_absolute_on_every_face(shop: Api, proxied: TestClient) -> None:
    expected = f"{PUBLIC}/docs/errors#route_not_found"
    assert proxied.get("/v1/nothing").json()["error"]["doc_url"] == expected  # before any operation
    missing = shop.get("/v1/orders/ord_nope").json()["error"]
    assert missing["doc_url"] == f"{PUBLIC}/docs/errors#resource_missing"
    assert proxied.get(path_of(missing["doc_url"])).status_code == 200
    tool = shop.post("/v1/tool_calls", {"name": "get_order", "arguments": {"order_id": "ord_nope"}}).json()
    assert tool["error"]["doc_url"] == f"{PUBLIC}/docs/errors#resource_missing"
    catalog = proxied.get("/v1/tools", params={"format": "nope"}).json()
    assert catalog["error"]["doc_url"] == f"{PUBLIC}/docs/errors#parameter_invalid"
    refused = proxied.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=MCP_HEADERS)
    assert refused.json()["error"]["doc_url"] == f"{PUBLIC}/docs/errors#missing_api_key"
    called = proxied.post("/mcp", headers=MCP_HEADERS | {"Authorization": f"Bearer {shop.key}"}, json={
        "jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "get_order", "arguments": {"order_id": "ord_nope"}}}).json()["result"]
    envelope = json.loads(called["content"][-1]["text"])
    assert called["isError"] and "structuredContent" not in called
    assert envelope["error"]["doc_url"].startswith(f"{PUBLIC}/docs/")
    # a refusal reported inside a result (a preview that is not allowed) is the same envelope
    order = shop.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    preview = shop.ok("POST", "/v1/refunds/preview", {"order_id": order["order_id"]})
    assert not preview["allowed"] and preview["error"]["doc_url"] == f"{PUBLIC}/docs/errors#order_not_refundable"
    explained = proxied.get("/v1/errors/order_not_refundable").json()
    assert explained["doc_url"] == f"{PUBLIC}/docs/errors#order_not_refundable"


def test_docs_urls_are_absolute(proxied: TestClient) -> None:
    hit = proxied.get("/v1/docs/search", params={"q": "create_refund", "limit": 1}).json()["data"][0]
    assert hit["url"] == f"{PUBLIC}/docs/refunds#create_refund"
    assert proxied.get(path_of(hit["url"])).status_code == 200
    page = proxied.get("/v1/docs/refunds", params={"section": "create_refund"}).json()
    assert page["url"] == hit["url"] and all(h["url"].startswith(f"{PUBLIC}/docs/refunds#") for h in page["headings"])
    llms = proxied.get("/llms.txt").text
    assert f"({PUBLIC}/docs/refunds.md)" in llms and f"({PUBLIC}/SKILL.md)" in llms and BASE_URL not in llms


def test_landing_page_links_use_the_public_url(proxied: TestClient) -> None:
    landing = proxied.get("/", headers={"Accept": "application/json"}).json()
    assert landing["public_url"] == PUBLIC and landing["links"]["docs"]["url"] == f"{PUBLIC}/docs"


def test_replays_keep_the_first_answer(shop: Api) -> None:
    body = WORKED_EXAMPLE | {"checkout_flow": "HOSTED"}
    first = shop.post("/v1/orders", body, idempotency_key="hosted-replay")
    again = shop.post("/v1/orders", body, idempotency_key="hosted-replay")
    assert again.headers["idempotent-replayed"] == "true" and again.content == first.content
    assert json.loads(first.content)["checkout_session_url"].startswith(PUBLIC)


@pytest.mark.parametrize(("value", "problem"), [
    ("pay.example.com", "absolute http:// or https:// URL"), ("ftp://pay.example.com", "absolute http"),
    ("https://pay.example.com/shop", "must not have a path"), ("https://pay.example.com/?a=1", "query"),
    ("https://pay.example.com/#top", "fragment"), ("https://user:pw@pay.example.com", "credentials"),
    ("https://pay.example.com:99999", "invalid port"), ("https://pay example.com", "absolute http"), ("", "absolute")])
def test_invalid_public_urls_are_refused(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Settings(public_url=value)


@pytest.mark.parametrize(("value", "normalized"), [
    ("https://pay.example.com/", "https://pay.example.com"), (" http://127.0.0.1:9000 ", "http://127.0.0.1:9000"),
    ("http://[::1]:8000", "http://[::1]:8000")])
def test_public_urls_are_normalized(value: str, normalized: str) -> None:
    settings = Settings(public_url=value)
    assert settings.public_url == normalized
    assert settings.absolute_url("/docs/errors") == f"{normalized}/docs/errors"
    # URLs that are already absolute (Stripe's 3D Secure page, a merchant's success_url) are left alone
    assert settings.absolute_url("https://hooks.stripe.com/3d") == "https://hooks.stripe.com/3d"
