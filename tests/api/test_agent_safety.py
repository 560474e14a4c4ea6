"""Agent safety beyond hints: confirmed destructive actions (preview_id) and key limits, enforced server-side."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import new_order, paid_order, pay
from tests.conftest import Api, usd


def limited(api: Api, client: Any, scopes: list[str], **limits: Any) -> Api:
    key = api.ok("POST", "/v1/api_keys", {"scopes": scopes, "limits": limits})
    assert key["limits"] == {k: v for k, v in limits.items() if v not in (None, False)}
    return Api(client, key["secret"])


def test_preview_id_confirms_exactly_what_was_previewed(api: Api) -> None:
    order = paid_order(api)
    body = {"order_id": order["order_id"], "amount_money": usd(2900)}
    preview = api.ok("POST", "/v1/refunds/preview", body)
    assert preview["preview_id"].startswith("prv_")
    other = api.post("/v1/refunds", dict(body, amount_money=usd(100), preview_id=preview["preview_id"]))
    assert other.status_code == 409 and other.json()["error"]["code"] == "preview_mismatch"
    refund = api.ok("POST", "/v1/refunds", dict(body, preview_id=preview["preview_id"]))
    assert refund["amount_money"] == usd(2900)
    # the order moved on: the same preview can no longer confirm anything
    stale = api.post("/v1/refunds", dict(body, preview_id=preview["preview_id"]))
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "preview_stale"
    assert stale.json()["error"]["suggested_actions"] == ["preview_refund"]
    assert api.ok("GET", f"/v1/orders/{order['order_id']}")["settlement_amounts"]["refunded_money"] == usd(2900)
    missing = api.post("/v1/refunds", dict(body, preview_id="prv_nope"))
    assert missing.status_code == 404 and missing.json()["error"]["param"] == "preview_id"


def test_preview_is_stale_when_the_order_changed_in_between(api: Api) -> None:
    order = paid_order(api)
    preview = api.ok("POST", "/v1/refunds/preview", {"order_id": order["order_id"], "amount_money": usd(1000)})
    api.ok("POST", "/v1/refunds", {"order_id": order["order_id"], "amount_money": usd(500)})
    response = api.post("/v1/refunds", {"order_id": order["order_id"], "amount_money": usd(1000),
                                        "preview_id": preview["preview_id"]})
    assert response.status_code == 409 and response.json()["error"]["code"] == "preview_stale"
    assert api.ok("GET", f"/v1/orders/{order['order_id']}")["settlement_amounts"]["refunded_money"] == usd(500)


def test_require_preview_policy(api: Api, client: Any) -> None:
    agent = limited(api, client, ["orders:read", "refunds:write", "orders:write"], require_preview=True)
    order = paid_order(api)
    body = {"order_id": order["order_id"], "amount_money": usd(100)}
    denied = agent.post("/v1/refunds", body)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "preview_required"
    assert denied.json()["error"]["suggested_actions"] == ["preview_refund"]
    preview = agent.ok("POST", "/v1/refunds/preview", body)
    assert agent.ok("POST", "/v1/refunds", dict(body, preview_id=preview["preview_id"]))["status"] == "SUCCEEDED"
    # destructive operations that have no preview yet are refused outright under this policy
    unpaid = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [
        {"name": "x", "quantity": 1, "unit_price_money": usd(100)}]})
    assert agent.post(f"/v1/orders/{unpaid['order_id']}/cancel", {}).json()["error"]["code"] == "preview_required"


def test_read_only_limit(api: Api, client: Any) -> None:
    reader = limited(api, client, ["orders:write"], read_only=True)
    response = reader.post("/v1/orders", {"currency": "USD", "line_items": [
        {"name": "x", "quantity": 1, "unit_price_money": usd(100)}]})
    error = response.json()["error"]
    assert response.status_code == 403 and (error["code"], "read_only" in error["message"]) == (
        "key_limit_exceeded", True)
    assert reader.ok("GET", "/v1/whoami")["limits"] == {"read_only": True}


def test_refund_limits(api: Api, client: Any) -> None:
    agent = limited(api, client, ["refunds:write", "orders:read"], max_refund_money=usd(1000),
                    max_daily_refund_money=usd(1500), allowed_currencies=["USD"])
    order = paid_order(api)
    too_big = agent.post("/v1/refunds", {"order_id": order["order_id"], "amount_money": usd(1001)})
    assert too_big.status_code == 403 and "max_refund_money" in too_big.json()["error"]["message"]
    assert too_big.json()["error"]["suggested_actions"] == ["whoami"]
    agent.ok("POST", "/v1/refunds", {"order_id": order["order_id"], "amount_money": usd(1000)})
    over_day = agent.post("/v1/refunds", {"order_id": order["order_id"], "amount_money": usd(600)})
    assert over_day.status_code == 403 and "max_daily_refund_money" in over_day.json()["error"]["message"]
    agent.ok("POST", "/v1/refunds", {"order_id": order["order_id"], "amount_money": usd(500)})
    who = agent.ok("GET", "/v1/whoami")
    assert who["limits"]["max_refund_money"] == usd(1000) and who["limits"]["allowed_currencies"] == ["USD"]
    # the full refund by an unlimited key is unaffected
    assert api.ok("POST", "/v1/refunds", {"order_id": order["order_id"]})["order_status"] == "REFUNDED"


def test_preview_refund_applies_the_keys_scope_and_limits(api: Api, client: Any) -> None:
    """A preview never says "allowed" for a refund the calling key would be refused."""
    order = paid_order(api)
    capped = limited(api, client, ["refunds:write", "orders:read"], max_refund_money=usd(1000))
    body = {"order_id": order["order_id"], "amount_money": usd(1001)}
    preview = capped.ok("POST", "/v1/refunds/preview", body)
    assert (preview["allowed"], preview["error"]["code"], preview["preview_id"]) == (False, "key_limit_exceeded", None)
    assert capped.post("/v1/refunds", body).json()["error"]["code"] == preview["error"]["code"]
    assert capped.ok("POST", "/v1/refunds/preview", dict(body, amount_money=usd(1000)))["allowed"] is True
    reader = limited(api, client, ["orders:read"])
    denied = reader.ok("POST", "/v1/refunds/preview", dict(body, amount_money=usd(10)))
    assert (denied["allowed"], denied["error"]["code"]) == (False, "missing_scope")


def test_allowed_currencies_on_payments(api: Api, client: Any) -> None:
    agent = limited(api, client, ["payments:write", "orders:write"], allowed_currencies=["EUR"])
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [
        {"name": "x", "quantity": 1, "unit_price_money": usd(100)}]})
    denied = agent.post(f"/v1/orders/{order['order_id']}/pay", {"payment_source": "tok_visa"})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "key_limit_exceeded"


def test_limits_are_inherited_and_cannot_be_shed(api: Api, client: Any) -> None:
    parent = limited(api, client, ["keys:write", "refunds:write", "orders:read"], max_refund_money=usd(500))
    child = parent.ok("POST", "/v1/api_keys", {"scopes": ["refunds:write"],
                                               "limits": {"max_refund_money": usd(9000), "read_only": True}})
    assert child["limits"] == {"read_only": True, "max_refund_money": usd(500)}
    assert parent.post("/v1/api_keys", {"kind": "SECRET"}).status_code == 403
    sandbox_key = Api(client, api.ok("POST", "/v1/sandboxes", {"name": "x"})["api_key"]["secret"])
    assert sandbox_key.ok("GET", "/v1/whoami")["limits"] == {}


def test_cancel_and_void_previews(api: Api) -> None:
    order = new_order(api)
    preview = api.ok("POST", f"/v1/orders/{order['order_id']}/cancel/preview", {"reason": "customer asked"})
    assert preview["allowed"] and preview["effects"]["status"] == ["OPEN", "CANCELED"]
    wrong = api.post(f"/v1/orders/{order['order_id']}/cancel", {"preview_id": preview["preview_id"]})
    assert wrong.json()["error"]["code"] == "preview_mismatch"  # the reason differs
    canceled = api.ok("POST", f"/v1/orders/{order['order_id']}/cancel",
                      {"reason": "customer asked", "preview_id": preview["preview_id"]})
    assert canceled["status"] == "CANCELED"
    again = api.ok("POST", f"/v1/orders/{order['order_id']}/cancel/preview", {})
    assert again["allowed"] is False and again["error"]["code"] == "order_not_cancelable"
    assert again["preview_id"] is None

    held = new_order(api)
    pi = pay(api, held["order_id"], capture_method="MANUAL").json()
    void_preview = api.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/void/preview", {})
    assert void_preview["effects"]["order.status"] == ["AUTHORIZED", "OPEN"]
    assert void_preview["effects"]["authorized_money.amount"] == [13824, 0]
    voided = api.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/void",
                    {"preview_id": void_preview["preview_id"]})
    assert voided["status"] == "CANCELED" and voided["order_status"] == "OPEN"


def test_permission_errors_are_never_stored_for_replay(api: Api, client: Any) -> None:
    clerk = limited(api, client, ["orders:write"])
    order = new_order(api)
    pay(api, order["order_id"], capture_method="MANUAL")
    assert "cancel_order" not in clerk.ok("GET", f"/v1/orders/{order['order_id']}")["available_actions"]
    denied = clerk.post(f"/v1/orders/{order['order_id']}/cancel", {}, idempotency_key="cancel-1")
    assert denied.status_code == 403
    # the same key, by a key with payments:write, runs the operation: the 403 was not stored
    done = api.post(f"/v1/orders/{order['order_id']}/cancel", {}, idempotency_key="cancel-1")
    assert done.status_code == 200 and "Idempotent-Replayed" not in done.headers


def test_a_limited_key_cannot_roll_an_unlimited_key(api: Api, client: Any) -> None:
    unlimited = api.ok("POST", "/v1/api_keys", {"scopes": ["refunds:write", "keys:write"]})
    agent = limited(api, client, ["keys:write", "refunds:write"], max_refund_money=usd(100))
    denied = agent.post(f"/v1/api_keys/{unlimited['api_key_id']}/roll", {})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "scope_escalation"
    assert agent.post(f"/v1/api_keys/{unlimited['api_key_id']}/revoke", {}).status_code == 403


def test_allowed_currencies_on_orders_and_checkout(api: Api, client: Any) -> None:
    agent = limited(api, client, ["orders:write", "checkout:write"], allowed_currencies=["USD"])
    eur = {"currency": "EUR", "line_items": [{"name": "x", "quantity": 1,
                                              "unit_price_money": {"amount": 100, "currency": "EUR"}}]}
    denied = agent.post("/v1/orders", eur)
    assert denied.status_code == 403 and denied.json()["error"]["param"] == "currency"
    order = api.ok("POST", "/v1/orders", eur)
    session = agent.post("/v1/checkout_sessions", {"order_id": order["order_id"],
                                                   "success_url": "https://example.com/ok"})
    assert session.status_code == 403 and session.json()["error"]["code"] == "key_limit_exceeded"
