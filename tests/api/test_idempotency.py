"""Idempotency (API.md section 3) and concurrency, through the real ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from flint_core.platform.idempotency import WINDOW
from flint_core.platform.settings import Settings
from flint_core.store.tables import IdempotencyRecord
from tests.api.helpers import concurrently
from tests.conftest import WORKED_EXAMPLE, Api, line, usd


def order_count(api: Api) -> int:
    return len(api.ok("GET", "/v1/orders", params={"page_size": 200})["data"])


def test_replay_returns_first_response_byte_for_byte(api: Api) -> None:
    first = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="k-1")
    again = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="k-1")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Request-Id"] != first.headers["Request-Id"]
    assert order_count(api) == 1


def test_same_key_other_parameters_is_422(api: Api) -> None:
    api.ok("POST", "/v1/orders", WORKED_EXAMPLE, idempotency_key="k-2")
    other = dict(WORKED_EXAMPLE, line_items=[line("Hat", 500)])
    response = api.post("/v1/orders", other, idempotency_key="k-2")
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["type"], error["code"], error["retryable"]) == ("idempotency_error", "idempotency_key_reused", False)
    assert response.headers["Flint-Should-Retry"] == "false"
    # another operation with the same key is reuse too
    assert api.post("/v1/customers", {"name": "x"}, idempotency_key="k-2").status_code == 422
    assert order_count(api) == 1


def test_equivalent_spellings_are_the_same_request(api: Api) -> None:
    lower = {"currency": "usd", "line_items": [line("Tee", 2900, tax_category="standard")]}
    upper = {"line_items": [line("Tee", 2900, tax_category="STANDARD")], "currency": "USD"}
    first = api.post("/v1/orders", lower, idempotency_key="k-3")
    second = api.post("/v1/orders", upper, idempotency_key="k-3")
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.content == first.content


def test_keys_are_scoped_per_sandbox(api: Api, client: Any) -> None:
    other = api.ok("POST", "/v1/sandboxes", {"name": "second"})["api_key"]["secret"]
    a = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="shared")
    b = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="shared", key=other)
    assert a.status_code == b.status_code == 200
    assert a.json()["order_id"] != b.json()["order_id"]
    assert "Idempotent-Replayed" not in b.headers


def test_state_errors_are_stored_and_replayed(api: Api) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    api.ok("POST", f"/v1/orders/{order['order_id']}/cancel", {})
    first = api.post(f"/v1/orders/{order['order_id']}/cancel", {}, idempotency_key="k-4")
    assert first.status_code == 409
    second = api.post(f"/v1/orders/{order['order_id']}/cancel", {}, idempotency_key="k-4")
    assert second.content == first.content and second.headers["Idempotent-Replayed"] == "true"


def test_rejections_before_execution_are_not_stored(api: Api) -> None:
    bad = {"currency": "USD", "line_items": [line("Tee", -1)]}
    assert api.post("/v1/orders", bad, idempotency_key="k-5").status_code == 400
    assert api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="k-5", key="sk_test_nope").status_code == 401
    good = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="k-5")
    assert good.status_code == 200 and "Idempotent-Replayed" not in good.headers


def test_reads_ignore_the_key(api: Api) -> None:
    assert api.get("/v1/orders", headers={"Idempotency-Key": "k-6"}).status_code == 200
    assert api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="k-6").status_code == 200


def _age(db: Any, key: str, *, created: timedelta | None = None, locked: timedelta | None = None) -> None:
    from flint_core.platform.context import utcnow

    values: dict[str, Any] = {}
    if created is not None:
        values["created_at"] = utcnow() - created
    if locked is not None:
        values["locked_at"] = utcnow() - locked
        values["status_code"] = None
        values["response_body"] = None
    with db.transaction() as session:
        session.execute(update(IdempotencyRecord).where(IdempotencyRecord.key == key).values(**values))


def test_window_expires_after_24_hours(api: Api, db: Any) -> None:
    api.ok("POST", "/v1/orders", WORKED_EXAMPLE, idempotency_key="k-7")
    _age(db, "k-7", created=WINDOW + timedelta(seconds=1))
    again = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="k-7")
    assert again.status_code == 200 and "Idempotent-Replayed" not in again.headers
    assert order_count(api) == 2


def test_in_flight_is_409_and_a_dead_claim_is_taken_over(api: Api, db: Any) -> None:
    """A claim without an answer is a request still running (409) until its lease lapses: then the
    process that held it died, its transaction rolled back, and the key may run again."""
    api.ok("POST", "/v1/orders", WORKED_EXAMPLE, idempotency_key="k-8")
    before = order_count(api)
    _age(db, "k-8", locked=timedelta(seconds=1))  # answer erased: looks like a request still executing
    busy = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="k-8")
    assert busy.status_code == 409
    error = busy.json()["error"]
    assert (error["code"], error["retryable"]) == ("idempotency_request_in_progress", True)
    assert busy.headers["Flint-Should-Retry"] == "true"
    _age(db, "k-8", locked=timedelta(seconds=Settings().idempotency_lease_seconds + 1))
    taken_over = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="k-8")
    assert taken_over.status_code == 200 and "Idempotent-Replayed" not in taken_over.headers
    assert order_count(api) == before + 1


def test_20_concurrent_creates_with_one_key_create_one_order(api: Api, app: Any) -> None:
    calls = [("POST", "/v1/orders", WORKED_EXAMPLE, "same-key")] * 20
    responses = asyncio.run(concurrently(app, api.key, calls))
    ok = [r for r in responses if r.status_code == 200]
    busy = [r for r in responses if r.status_code == 409]
    assert len(ok) + len(busy) == 20 and ok, [r.text for r in responses]
    assert all(r.json()["error"]["code"] == "idempotency_request_in_progress" for r in busy)
    assert len({r.content for r in ok}) == 1  # every success is the same order, byte for byte
    assert order_count(api) == 1
    final = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="same-key")
    assert final.content == ok[0].content


def test_20_concurrent_apply_coupon_redeem_exactly_the_limit(api: Api, app: Any) -> None:
    api.ok("POST", "/v1/coupons", {"code": "FIVE", "amount_money": usd(100), "max_redemptions": 5})
    orders = [api.ok("POST", "/v1/orders", WORKED_EXAMPLE)["order_id"] for _ in range(20)]
    calls = [("POST", f"/v1/orders/{o}/coupons", {"coupon_code": "FIVE"}, f"apply-{o}") for o in orders]
    responses = asyncio.run(concurrently(app, api.key, calls))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 5 + [400] * 15, [r.text for r in responses]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 400} == {
        "coupon_redemption_limit_reached"}
    coupon = api.ok("GET", "/v1/coupons", params={"code": "five"})["data"][0]
    assert coupon["times_redeemed"] == 5 and coupon["valid"] is False
    discounted = [o for o in orders if api.ok("GET", f"/v1/orders/{o}")["coupons"]]
    assert len(discounted) == 5


def test_concurrent_updates_of_one_order_all_apply(api: Api, app: Any) -> None:
    """Row locks serialize writers on one order: 10 concurrent line additions all land, versions are unique."""
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    calls = [("PATCH", f"/v1/orders/{order['order_id']}", {"add_line_items": [line(f"Extra {i}", 100)]}, f"u-{i}")
             for i in range(10)]
    responses = asyncio.run(concurrently(app, api.key, calls))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert sorted(r.json()["version"] for r in responses) == list(range(2, 12))
    final = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert len(final["line_items"]) == 12
    assert final["pricing_amounts"]["subtotal_money"]["amount"] == 12800 + 1000
    activities = api.ok("GET", f"/v1/orders/{order['order_id']}/activities", params={"page_size": 50})["data"]
    assert len(activities) == 11
    assert json.loads(responses[0].text)["currency"] == "USD"


def test_secrets_are_never_stored_for_replay(api: Api, db: Any) -> None:
    first = api.post("/v1/api_keys", {"scopes": ["orders:read"]}, idempotency_key="k-secret")
    replay = api.post("/v1/api_keys", {"scopes": ["orders:read"]}, idempotency_key="k-secret")
    assert first.json()["secret"].startswith("rk_test_")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["secret"] is None
    assert {k: v for k, v in replay.json().items() if k != "secret"} == {
        k: v for k, v in first.json().items() if k != "secret"}
    with db.transaction(write=False) as session:
        stored = session.query(IdempotencyRecord.response_body).filter(IdempotencyRecord.key == "k-secret").scalar()
    assert first.json()["secret"] not in stored
