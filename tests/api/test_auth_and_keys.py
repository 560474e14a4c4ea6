"""Authentication, scopes and key management through HTTP (API.md sections 1, 2 and 7)."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flint_core.platform.settings import Settings
from flint_server import create_server
from tests.conftest import BASE_URL, WORKED_EXAMPLE, Api, line, signup

ENVELOPE_FIELDS = {"type", "code", "message", "param", "retryable", "effect", "retry_after_seconds",
                   "request_id", "doc_url", "suggested_actions"}
TYPE_OF_STATUS = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                  404: "not_found_error", 409: "state_conflict_error"}
ALL_SCOPES = ["orders:read", "orders:write", "payments:write", "refunds:write", "customers:read",
              "customers:write", "coupons:write", "catalog:read", "catalog:write", "checkout:write", "logs:read",
              "keys:write", "sandboxes:write", "events:read", "webhooks:read", "webhooks:write"]


def assert_error(response: Any, status: int, code: str, param: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == ENVELOPE_FIELDS, error
    assert (error["type"], error["code"], error["param"]) == (TYPE_OF_STATUS[status], code, param), error
    assert error["retryable"] is False and error["effect"] == "none"
    assert error["request_id"] == response.headers["request-id"]
    assert error["doc_url"] == f"{BASE_URL}/docs/errors#{code}"
    assert response.headers["flint-should-retry"] == "false"
    return error


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def order_count(api: Api) -> int:
    return len(api.ok("GET", "/v1/orders", params={"page_size": 200})["data"])


def restricted(api: Api, *scopes: str, **extra: Any) -> dict[str, Any]:
    key = api.ok("POST", "/v1/api_keys", {"scopes": list(scopes), **extra})
    assert key["kind"] == "RESTRICTED"
    assert key["secret"].startswith("rk_test_")
    return key


def keys_by_id(api: Api) -> dict[str, dict[str, Any]]:
    return {k["api_key_id"]: k for k in api.ok("GET", "/v1/api_keys", params={"page_size": 200})["data"]}


# --- 401 --------------------------------------------------------------------------------------------------

def test_missing_key(client: TestClient, api: Api) -> None:
    error = assert_error(client.get("/v1/orders"), 401, "missing_api_key")
    assert "Authorization: Bearer" in error["message"]
    assert_error(client.post("/v1/orders", json=WORKED_EXAMPLE), 401, "missing_api_key")
    assert_error(client.get("/v1/whoami"), 401, "missing_api_key")
    assert order_count(api) == 0


@pytest.mark.parametrize("header", ["Token abc", "sk_test_abc", "Bearer sk_test_" + "x" * 32, "Bearer rk_live_nope",
                                    "Basic " + base64.b64encode(b"sk_test_unknown:").decode(), "Basic ####="])
def test_malformed_or_unknown_key(client: TestClient, api: Api, header: str) -> None:
    response = client.post("/v1/orders", json=WORKED_EXAMPLE, headers={"Authorization": header})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] in ("invalid_api_key", "missing_api_key")
    assert_error(response, 401, response.json()["error"]["code"])
    assert order_count(api) == 0


def test_unknown_well_formed_key_is_invalid_api_key(client: TestClient) -> None:
    error = assert_error(client.get("/v1/whoami", headers=bearer("sk_test_" + "A" * 32)), 401, "invalid_api_key")
    assert error["message"] == "The API key provided is not valid."


def test_a_key_is_case_sensitive(client: TestClient, api: Api) -> None:
    assert_error(client.get("/v1/whoami", headers=bearer(api.key.swapcase())), 401, "invalid_api_key")


def test_basic_auth_with_the_key_as_user_name(client: TestClient, merchant: dict[str, Any], api: Api) -> None:
    for userinfo in (f"{api.key}:", api.key, f"{api.key}:ignored-password"):
        token = base64.b64encode(userinfo.encode()).decode()
        response = client.get("/v1/whoami", headers={"Authorization": f"Basic {token}"})
        assert response.status_code == 200, response.text
        assert response.json()["api_key_id"] == merchant["api_key"]["api_key_id"]
    token = base64.b64encode(f"{api.key}:".encode()).decode()
    response = client.post("/v1/orders", json=WORKED_EXAMPLE, headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200, response.text
    assert response.json()["pricing_amounts"]["total_money"]["amount"] == 13824


def test_lower_case_bearer_scheme_works(client: TestClient, api: Api) -> None:
    assert client.get("/v1/whoami", headers={"Authorization": f"bearer {api.key}"}).status_code == 200


def test_revoked_key(client: TestClient, api: Api) -> None:
    key = restricted(api, "orders:write")
    assert client.get("/v1/orders", headers=bearer(key["secret"])).status_code == 200
    revoked = api.ok("POST", f"/v1/api_keys/{key['api_key_id']}/revoke", {})
    assert revoked["status"] == "REVOKED"
    assert revoked["revoked_at"] is not None
    assert revoked["secret"] is None
    assert revoked["available_actions"] == []
    assert_error(client.post("/v1/orders", json=WORKED_EXAMPLE, headers=bearer(key["secret"])), 401,
                 "api_key_revoked")
    assert_error(client.get("/v1/orders", headers=bearer(key["secret"])), 401, "api_key_revoked")
    assert order_count(api) == 0
    # revoking twice is a state conflict naming the key, not a silent success
    error = assert_error(api.post(f"/v1/api_keys/{key['api_key_id']}/revoke", {}), 409, "invalid_state_transition",
                         "api_key_id")
    assert "REVOKED" in error["message"]
    assert_error(api.post(f"/v1/api_keys/{key['api_key_id']}/roll", {}), 409, "invalid_state_transition",
                 "api_key_id")


def test_expired_key(client: TestClient, api: Api) -> None:
    expires = datetime.now(UTC) + timedelta(milliseconds=400)
    key = restricted(api, "orders:write", expires_at=expires.isoformat())
    assert datetime.fromisoformat(key["expires_at"].replace("Z", "+00:00")) == expires
    assert key["status"] == "ACTIVE"
    assert client.get("/v1/orders", headers=bearer(key["secret"])).status_code == 200
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.05)
    error = assert_error(client.get("/v1/orders", headers=bearer(key["secret"])), 401, "api_key_expired")
    assert expires.isoformat()[:19] in error["message"]
    assert_error(client.post("/v1/orders", json=WORKED_EXAMPLE, headers=bearer(key["secret"])), 401,
                 "api_key_expired")
    assert order_count(api) == 0
    listed = keys_by_id(api)[key["api_key_id"]]
    assert listed["status"] == "EXPIRED"
    assert listed["available_actions"] == ["revoke_api_key"]


def test_expiry_in_the_past_is_rejected(api: Api) -> None:
    past = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    assert_error(api.post("/v1/api_keys", {"scopes": ["orders:read"], "expires_at": past}), 400,
                 "parameter_invalid", "expires_at")
    assert len(keys_by_id(api)) == 1


def test_naive_key_expiry_is_not_a_500(api: Api) -> None:
    response = api.post("/v1/api_keys", {"scopes": ["orders:read"], "expires_at": "2099-01-01T00:00:00"})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert_error(response, 400, "parameter_invalid", "expires_at")


# --- 403 missing_scope ------------------------------------------------------------------------------------

def test_read_only_key_cannot_write(client: TestClient, api: Api) -> None:
    reader = Api(client, restricted(api, "orders:read")["secret"])
    error = assert_error(reader.post("/v1/orders", WORKED_EXAMPLE), 403, "missing_scope")
    assert "'orders:write'" in error["message"] and "create_order" in error["message"]
    assert order_count(api) == 0
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    # reads work, including preview_order (orders:read)
    assert reader.ok("GET", f"/v1/orders/{order['order_id']}")["order_id"] == order["order_id"]
    assert [o["order_id"] for o in reader.ok("GET", "/v1/orders")["data"]] == [order["order_id"]]
    assert reader.ok("POST", "/v1/orders/preview", WORKED_EXAMPLE)["pricing_amounts"]["total_money"]["amount"] == 13824
    # every write is refused, and the order does not move
    for response in (reader.patch(f"/v1/orders/{order['order_id']}", {"metadata": {"a": "b"}}),
                     reader.post(f"/v1/orders/{order['order_id']}/cancel", {}),
                     reader.post(f"/v1/orders/{order['order_id']}/coupons", {"coupon_code": "X"}),
                     reader.post("/v1/coupons", {"code": "X", "percentage": "5"}),
                     reader.post("/v1/api_keys", {"scopes": ["orders:read"]}),
                     reader.get("/v1/api_keys"),
                     reader.get("/v1/customers"),
                     reader.get("/v1/tax_rates"),
                     reader.post("/v1/sandboxes", {"name": "x"})):
        assert_error(response, 403, "missing_scope")
    # the read-only key sees only what it may do
    assert reader.ok("GET", f"/v1/orders/{order['order_id']}")["available_actions"] == []
    assert api.ok("GET", f"/v1/orders/{order['order_id']}")["version"] == 1


def test_write_scope_implies_read(client: TestClient, api: Api) -> None:
    writer = Api(client, restricted(api, "orders:write", "customers:write")["secret"])
    order = writer.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    assert writer.ok("GET", f"/v1/orders/{order['order_id']}")["version"] == 1
    assert len(writer.ok("GET", "/v1/orders")["data"]) == 1
    customer = writer.ok("POST", "/v1/customers", {"name": "Ann", "email": "ann@example.com"})
    assert writer.ok("GET", f"/v1/customers/{customer['customer_id']}")["name"] == "Ann"
    assert "update_order" in order["available_actions"]
    assert_error(writer.post("/v1/coupons", {"code": "X", "percentage": "5"}), 403, "missing_scope")
    assert_error(writer.get("/v1/tax_rates"), 403, "missing_scope")


# --- key creation: escalation and invalid scopes ----------------------------------------------------------

def test_restricted_key_cannot_grant_scopes_it_lacks(client: TestClient, api: Api) -> None:
    admin = Api(client, restricted(api, "keys:write", "orders:read")["secret"])
    before = keys_by_id(api)
    error = assert_error(admin.post("/v1/api_keys", {"scopes": ["orders:write"]}), 403, "scope_escalation", "scopes")
    assert "orders:write" in error["message"]
    assert_error(admin.post("/v1/api_keys", {"scopes": ["orders:read", "refunds:write"]}), 403, "scope_escalation",
                 "scopes")
    for kind in ("SECRET", "secret", "API_KEY_KIND_SECRET"):
        assert_error(admin.post("/v1/api_keys", {"kind": kind}), 403, "scope_escalation", "scopes")
    assert keys_by_id(api) == before
    # within its own scopes it may create keys (and keys:write implies nothing else)
    child = admin.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"], "name": "child"})
    assert child["scopes"] == ["orders:read"]
    assert child["kind"] == "RESTRICTED"
    assert len(keys_by_id(api)) == len(before) + 1


def test_restricted_key_cannot_roll_a_more_powerful_key(client: TestClient, merchant: dict[str, Any],
                                                        api: Api) -> None:
    admin = Api(client, restricted(api, "keys:write")["secret"])
    before = keys_by_id(api)
    response = admin.post(f"/v1/api_keys/{merchant['api_key']['api_key_id']}/roll", {"grace_period_seconds": 0})
    assert "sk_test_" not in response.text
    assert_error(response, 403, "scope_escalation", "api_key_id")
    assert keys_by_id(api) == before


def test_invalid_scope(api: Api) -> None:
    for scopes, bad in ((["orders:delete"], "orders:delete"), (["orders:read", "ORDERS:READ"], "ORDERS:READ"),
                        (["*"], "*"), ([""], "")):
        error = assert_error(api.post("/v1/api_keys", {"scopes": scopes}), 400, "invalid_scope", "scopes")
        assert repr(bad) in error["message"]
    assert_error(api.post("/v1/api_keys", {"scopes": []}), 400, "parameter_missing", "scopes")
    assert_error(api.post("/v1/api_keys", {}), 400, "parameter_missing", "scopes")
    assert_error(api.post("/v1/api_keys", {"kind": "SECRET", "scopes": ["orders:read"]}), 400, "parameter_invalid",
                 "scopes")
    assert_error(api.post("/v1/api_keys", {"kind": "ROOT"}), 400, "parameter_invalid", "kind")
    assert_error(api.post("/v1/api_keys", {"scopes": "orders:read"}), 400, "parameter_invalid", "scopes")
    assert len(keys_by_id(api)) == 1


def test_secret_key_can_create_a_secret_key(client: TestClient, merchant: dict[str, Any], api: Api) -> None:
    key = api.ok("POST", "/v1/api_keys", {"kind": "secret", "name": "deploy"})
    assert key["kind"] == "SECRET"
    assert key["scopes"] == ["*"]
    assert key["secret"].startswith("sk_test_")
    assert key["sandbox_id"] == merchant["sandbox"]["sandbox_id"]
    who = client.get("/v1/whoami", headers=bearer(key["secret"])).json()
    assert who["merchant"]["merchant_id"] == merchant["merchant"]["merchant_id"]
    assert who["sandbox_id"] == merchant["sandbox"]["sandbox_id"]


# --- roll, revoke, list -----------------------------------------------------------------------------------

def test_roll_keeps_the_old_key_during_the_grace_period(client: TestClient, merchant: dict[str, Any],
                                                        api: Api) -> None:
    old_id = merchant["api_key"]["api_key_id"]
    new = api.ok("POST", f"/v1/api_keys/{old_id}/roll", {"grace_period_seconds": 3600})
    assert new["api_key_id"] != old_id
    assert new["secret"].startswith("sk_test_") and new["secret"] != api.key
    assert (new["kind"], new["scopes"], new["name"], new["status"]) == ("SECRET", ["*"], "Default secret key",
                                                                        "ACTIVE")
    # both keys work, in the same merchant and sandbox
    for key in (api.key, new["secret"]):
        who = client.get("/v1/whoami", headers=bearer(key))
        assert who.status_code == 200, who.text
        assert who.json()["sandbox_id"] == merchant["sandbox"]["sandbox_id"]
    assert client.get("/v1/whoami", headers=bearer(new["secret"])).json()["api_key_id"] == new["api_key_id"]
    old = keys_by_id(Api(client, new["secret"]))[old_id]
    assert old["rolled_to"] == new["api_key_id"]
    assert old["status"] == "ROLLED"
    expires = datetime.fromisoformat(old["expires_at"].replace("Z", "+00:00"))
    assert timedelta(seconds=3590) < expires - datetime.now(UTC) <= timedelta(seconds=3600)
    order = Api(client, new["secret"]).ok("POST", "/v1/orders", WORKED_EXAMPLE)
    assert api.ok("GET", f"/v1/orders/{order['order_id']}")["order_id"] == order["order_id"]


def test_roll_with_no_grace_stops_the_old_key_now(client: TestClient, merchant: dict[str, Any], api: Api) -> None:
    old_id = merchant["api_key"]["api_key_id"]
    new = api.ok("POST", f"/v1/api_keys/{old_id}/roll", {"grace_period_seconds": 0})
    assert_error(client.get("/v1/whoami", headers=bearer(api.key)), 401, "api_key_expired")
    assert_error(client.post("/v1/orders", json=WORKED_EXAMPLE, headers=bearer(api.key)), 401, "api_key_expired")
    fresh = Api(client, new["secret"])
    assert order_count(fresh) == 0
    old = keys_by_id(fresh)[old_id]
    assert old["status"] == "EXPIRED"
    assert old["available_actions"] == ["revoke_api_key"]
    # an expired key cannot be rolled again, only revoked
    assert_error(fresh.post(f"/v1/api_keys/{old_id}/roll", {}), 409, "invalid_state_transition", "api_key_id")
    assert fresh.ok("POST", f"/v1/api_keys/{old_id}/revoke", {})["status"] == "REVOKED"
    assert_error(client.get("/v1/whoami", headers=bearer(api.key)), 401, "api_key_revoked")


def test_roll_a_restricted_key_keeps_its_scopes(client: TestClient, api: Api) -> None:
    key = restricted(api, "orders:read", "customers:write", name="support")
    new = api.ok("POST", f"/v1/api_keys/{key['api_key_id']}/roll", {"grace_period_seconds": 0})
    assert (new["kind"], new["scopes"], new["name"]) == ("RESTRICTED", ["customers:write", "orders:read"], "support")
    assert new["secret"].startswith("rk_test_")
    assert_error(client.get("/v1/orders", headers=bearer(key["secret"])), 401, "api_key_expired")
    assert client.get("/v1/orders", headers=bearer(new["secret"])).status_code == 200


def test_roll_bad_input(api: Api, merchant: dict[str, Any]) -> None:
    key_id = merchant["api_key"]["api_key_id"]
    for grace in (-1, 604801, "soon", 1.5):
        assert_error(api.post(f"/v1/api_keys/{key_id}/roll", {"grace_period_seconds": grace}), 400,
                     "parameter_invalid", "grace_period_seconds")
    assert_error(api.post("/v1/api_keys/key_nope/roll", {}), 404, "resource_missing", "api_key_id")
    assert_error(api.post("/v1/api_keys/key_nope/revoke", {}), 404, "resource_missing", "api_key_id")
    assert len(keys_by_id(api)) == 1


def test_keys_of_another_merchant_are_404(client: TestClient, api: Api) -> None:
    other = signup(client, "Other")
    other_key_id = other["api_key"]["api_key_id"]
    assert_error(api.post(f"/v1/api_keys/{other_key_id}/revoke", {}), 404, "resource_missing", "api_key_id")
    assert_error(api.post(f"/v1/api_keys/{other_key_id}/roll", {}), 404, "resource_missing", "api_key_id")
    assert client.get("/v1/whoami", headers=bearer(other["api_key"]["secret"])).status_code == 200
    assert other_key_id not in keys_by_id(api)


def test_list_api_keys_never_shows_secrets(client: TestClient, merchant: dict[str, Any], api: Api) -> None:
    reader = restricted(api, "orders:read", name="reader")
    secret = api.ok("POST", "/v1/api_keys", {"kind": "SECRET"})
    rolled = api.ok("POST", f"/v1/api_keys/{reader['api_key_id']}/roll", {})
    response = api.get("/v1/api_keys")
    assert response.status_code == 200
    for known in (api.key, reader["secret"], secret["secret"], rolled["secret"]):
        assert known not in response.text
        assert known[12:] not in response.text  # not even the random part
    listed = response.json()
    assert listed["object"] == "list" and listed["next_page_token"] == ""
    assert [k["api_key_id"] for k in listed["data"]] == [rolled["api_key_id"], secret["api_key_id"],
                                                         reader["api_key_id"], merchant["api_key"]["api_key_id"]]
    for key in listed["data"]:
        assert key["secret"] is None
        assert key["redacted_secret"].count("...") == 1 and len(key["redacted_secret"]) == 15
    assert listed["data"][0]["redacted_secret"] == rolled["secret"][:8] + "..." + rolled["secret"][-4:]


def test_available_actions_on_keys(client: TestClient, api: Api) -> None:
    active = restricted(api, "orders:read")
    assert active["available_actions"] == ["roll_api_key", "revoke_api_key"]
    revoked = restricted(api, "orders:read")
    api.ok("POST", f"/v1/api_keys/{revoked['api_key_id']}/revoke", {})
    expired = restricted(api, "orders:read")
    api.ok("POST", f"/v1/api_keys/{expired['api_key_id']}/roll", {"grace_period_seconds": 0})
    listed = keys_by_id(api)
    assert listed[active["api_key_id"]]["available_actions"] == ["roll_api_key", "revoke_api_key"]
    assert listed[revoked["api_key_id"]]["available_actions"] == []
    assert listed[expired["api_key_id"]]["available_actions"] == ["revoke_api_key"]
    assert [listed[k["api_key_id"]]["status"] for k in (active, revoked, expired)] == ["ACTIVE", "REVOKED", "EXPIRED"]


# --- whoami -----------------------------------------------------------------------------------------------

def test_whoami_secret_key(client: TestClient, merchant: dict[str, Any], api: Api) -> None:
    who = api.ok("GET", "/v1/whoami")
    assert who == {
        "object": "whoami", "merchant": merchant["merchant"], "mode": "test",
        "sandbox_id": merchant["sandbox"]["sandbox_id"], "api_key_id": merchant["api_key"]["api_key_id"],
        "kind": "SECRET", "scopes": ALL_SCOPES, "limits": {}, "default_currency": "USD",
    }
    assert who["merchant"]["name"] == "Test shop" and who["merchant"]["email"] == "owner@example.com"


def test_whoami_restricted_key(client: TestClient, merchant: dict[str, Any], api: Api) -> None:
    key = restricted(api, "orders:write", "customers:read", "logs:read")
    who = client.get("/v1/whoami", headers=bearer(key["secret"]))
    assert who.status_code == 200, who.text
    assert who.json() == {
        "object": "whoami", "merchant": merchant["merchant"], "mode": "test",
        "sandbox_id": merchant["sandbox"]["sandbox_id"], "api_key_id": key["api_key_id"], "kind": "RESTRICTED",
        "scopes": ["orders:read", "orders:write", "customers:read", "logs:read"], "limits": {}, "default_currency": "USD",
    }


def test_whoami_needs_no_scope(client: TestClient, api: Api) -> None:
    key = restricted(api, "logs:read")
    assert client.get("/v1/whoami", headers=bearer(key["secret"])).json()["scopes"] == ["logs:read"]


# --- signup and public operations -------------------------------------------------------------------------

def test_create_merchant_returns_a_working_secret_key(client: TestClient) -> None:
    signed = signup(client, "Corner shop")
    assert signed["object"] == "merchant_signup"
    assert signed["merchant"]["name"] == "Corner shop"
    assert signed["merchant"]["merchant_id"].startswith("mch_")
    assert signed["sandbox"]["sandbox_id"].startswith("sbx_")
    key = signed["api_key"]
    assert key["secret"].startswith("sk_test_") and len(key["secret"]) == len("sk_test_") + 32
    assert (key["kind"], key["mode"], key["scopes"], key["status"]) == ("SECRET", "test", ["*"], "ACTIVE")
    assert key["sandbox_id"] == signed["sandbox"]["sandbox_id"]


def test_create_merchant_bad_input(client: TestClient) -> None:
    assert_error(client.post("/v1/merchants", json={"name": "x"}), 400, "parameter_missing", "email")
    assert_error(client.post("/v1/merchants", json={"name": "x", "email": "nope"}), 400, "parameter_invalid", "email")
    assert_error(client.post("/v1/merchants", json={"name": "", "email": "a@b.c"}), 400, "parameter_invalid", "name")
    assert_error(client.post("/v1/merchants", json={"name": "x", "email": "a@b.c", "plan": "gold"}), 400,
                 "unknown_parameter", "plan")


def test_signup_disabled(client: TestClient, db: Any, api: Api) -> None:
    app = create_server(db, settings=Settings(signup_enabled=False))
    with TestClient(app, base_url=BASE_URL) as closed:
        response = closed.post("/v1/merchants", json={"name": "Nope", "email": "nope@example.com"})
        error = assert_error(response, 403, "signup_disabled")
        assert error["message"] == "Merchant signup is disabled on this server."
        assert "sk_test_" not in response.text
        # existing keys keep working on that server
        order = closed.post("/v1/orders", json={"currency": "USD", "line_items": [line("Mug", 1000)]},
                            headers=bearer(api.key))
        assert order.status_code == 200, order.text
        assert order.json()["pricing_amounts"]["total_money"]["amount"] == 1080
        assert closed.get("/v1/errors/signup_disabled").status_code == 200


def test_explain_error_needs_no_key(client: TestClient) -> None:
    response = client.get("/v1/errors/order_not_editable")
    assert response.status_code == 200, response.text
    explained = response.json()
    assert explained["object"] == "error_code"
    assert (explained["code"], explained["type"], explained["http_status"]) == ("order_not_editable",
                                                                                "state_conflict_error", 409)
    assert (explained["retryable"], explained["effect"]) == (False, "none")
    assert explained["doc_url"] == f"{BASE_URL}/docs/errors#order_not_editable"
    assert "{status}" in explained["message_template"]
    assert explained["explanation"]
    retryable = client.get("/v1/errors/processor_timeout").json()
    assert (retryable["http_status"], retryable["retryable"], retryable["effect"]) == (504, True, "unknown")
    assert client.get("/v1/errors/missing_scope").json()["type"] == "permission_error"


def test_explain_error_unknown_code(client: TestClient) -> None:
    error = assert_error(client.get("/v1/errors/no_such_code"), 404, "resource_missing", "code")
    assert "no_such_code" in error["message"]


def test_scope_is_checked_before_the_arguments_on_every_face(client: TestClient, api: Api) -> None:
    """A key without the scope gets 403 whatever it sends: it never learns an operation's argument rules."""
    reader = restricted(api, "orders:read")["secret"]
    bad_json = client.post("/v1/refunds", content=b"{bad", headers=bearer(reader) | {"Content-Type": "application/json"})
    assert_error(bad_json, 403, "missing_scope")
    assert_error(client.post("/v1/refunds", json={"colour": "red"}, headers=bearer(reader)), 403, "missing_scope")
    for arguments in ({"colour": "red"}, {"order_id": 5}, {}):
        called = client.post("/v1/tool_calls", json={"name": "create_refund", "arguments": arguments},
                             headers=bearer(reader))
        assert called.json()["error"]["code"] == "missing_scope", called.text
