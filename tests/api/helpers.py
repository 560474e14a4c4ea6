"""Builders the API tests share: orders, payments and refunds through the HTTP API, hosted checkout
sessions and their payment form, and requests sent at the same moment to the real ASGI app."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import BASE_URL, WORKED_EXAMPLE, Api

SUCCESS = "https://shop.example/thanks"
CANCEL = "https://shop.example/cart"


def new_order(api: Api, body: dict[str, Any] = WORKED_EXAMPLE) -> dict[str, Any]:
    return api.ok("POST", "/v1/orders", body)


def pay(api: Api, order_id: str, source: str = "tok_visa", idempotency_key: str | None = None, **extra: Any) -> Any:
    return api.post(f"/v1/orders/{order_id}/pay", {"payment_source": source, **extra},
                    idempotency_key=idempotency_key)


def settlement(order: dict[str, Any]) -> dict[str, int]:
    return {k.removesuffix("_money"): v["amount"] for k, v in order["settlement_amounts"].items()}


def paid_order(api: Api, body: dict[str, Any] = WORKED_EXAMPLE, source: str = "tok_visa") -> dict[str, Any]:
    order = new_order(api, body)
    assert pay(api, order["order_id"], source).json()["status"] == "SUCCEEDED"
    return api.ok("GET", f"/v1/orders/{order['order_id']}")


def new_session(api: Api, body: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return api.ok("POST", "/v1/checkout_sessions", (body or {"currency": "USD", "line_items": WORKED_EXAMPLE[
        "line_items"]}) | {"success_url": SUCCESS, "cancel_url": CANCEL} | extra)


def submit(client: Any, session: dict[str, Any], card: str, *, email: str = "buyer@example.com",
           expiry: str = "12 / 34", cvc: str = "123") -> Any:
    return client.post(session["checkout_session_url"], data={"email": email, "card_number": card,
                                                              "expiry": expiry, "cvc": cvc}, follow_redirects=False)


async def concurrently(app: Any, key: str, calls: list[tuple[str, str, dict[str, Any], str | None]]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL,
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        return await asyncio.gather(*[
            client.request(method, path, json=body, headers={"Idempotency-Key": idem} if idem else {})
            for method, path, body, idem in calls])
