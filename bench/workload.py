"""What the benchmarks send to Flint: a merchant set up for the measured order, and that order."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

COUPON_CODE = "BENCH10"
TAX_ADDRESS = {"country": "US", "region": "CA", "postal_code": "94103"}
# The measured order: 3 lines, a coupon applied at creation, taxed at the rate made for its address.
ORDER = {
    "currency": "USD",
    "line_items": [
        {"name": "Jacket", "quantity": 1, "unit_price_money": {"amount": 9900, "currency": "USD"}},
        {"name": "T-shirt", "quantity": 2, "unit_price_money": {"amount": 2900, "currency": "USD"}},
        {"name": "Socks", "quantity": 3, "unit_price_money": {"amount": 799, "currency": "USD"}},
    ],
    "coupon_codes": [COUPON_CODE],
    "tax_address": TAX_ADDRESS,
}
PARTIAL_REFUND = {"amount": 500, "currency": "USD"}
_emails = itertools.count()


@dataclass
class Merchant:
    base_url: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=self.headers, timeout=60)


def ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: "
                           f"{response.status_code} {response.text[:500]}")
    return dict(response.json())


def new_merchant(base_url: str) -> Merchant:
    """A fresh merchant (its own sandbox) with the coupon and the tax rate the measured order uses."""
    email = f"bench{next(_emails)}-{uuid.uuid4().hex[:8]}@example.com"
    created = ok(httpx.post(f"{base_url}/v1/merchants", json={"name": "Bench", "email": email}, timeout=60))
    merchant = Merchant(base_url, created["api_key"]["secret"])
    with merchant.client() as client:
        ok(client.post("/v1/coupons", json={"code": COUPON_CODE, "percentage": "10", "stackable": True}))
        ok(client.post("/v1/tax_rates", json={"name": "California", "percentage": "7.25", "country": "US",
                                              "region": "CA"}))
    return merchant


def create_order(client: httpx.Client, **extra: Any) -> dict[str, Any]:
    return ok(client.post("/v1/orders", json=ORDER | extra))


def pay(client: httpx.Client, order_id: str) -> dict[str, Any]:
    return ok(client.post(f"/v1/orders/{order_id}/pay", json={"payment_source": "tok_visa"}))


def refund_part(client: httpx.Client, order_id: str) -> dict[str, Any]:
    return ok(client.post("/v1/refunds", json={"order_id": order_id, "amount_money": PARTIAL_REFUND}))
