"""Sandboxes (isolation and reset), pagination (API.md section 4) and customers, through HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from flint_core.platform import queue
from flint_core.store.tables import Activity, IdempotencyRecord
from flint_core.webhooks import fanout
from tests.conftest import BASE_URL, Api, line, signup

ENVELOPE_FIELDS = {"type", "code", "message", "param", "retryable", "effect", "retry_after_seconds",
                   "request_id", "doc_url", "suggested_actions"}


def assert_error(response: Any, status: int, code: str, param: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == ENVELOPE_FIELDS, error
    assert (error["code"], error["param"]) == (code, param), error
    assert error["type"] == {400: "invalid_request_error", 404: "not_found_error"}[status]
    assert error["retryable"] is False and error["effect"] == "none"
    assert error["request_id"] == response.headers["request-id"]
    assert error["doc_url"] == f"{BASE_URL}/docs/errors#{code}"
    assert response.headers["flint-should-retry"] == "false"
    return error


def ids(page: dict[str, Any], field: str) -> list[str]:
    return [obj[field] for obj in page["data"]]


# --- sandboxes --------------------------------------------------------------------------------------------

def populate(api: Api, tag: str) -> dict[str, Any]:
    """One of everything a sandbox holds: customer, coupon (redeemed), tax rate, order with activities."""
    customer = api.ok("POST", "/v1/customers", {"name": f"{tag} buyer", "email": f"{tag}@example.com"})
    coupon = api.ok("POST", "/v1/coupons", {"code": "SHARED", "percentage": "10", "max_redemptions": 3})
    rate = api.ok("POST", "/v1/tax_rates", {"name": f"{tag} CA", "percentage": "7.25", "country": "US",
                                            "region": "CA"})
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "customer_id": customer["customer_id"],
                                          "tax_address": {"country": "US", "region": "CA"},
                                          "line_items": [line("Lamp", 10000)], "coupon_codes": ["SHARED"]},
                   idempotency_key=f"populate-{tag}")
    # 10000 - 10% = 9000, CA 7.25% = 652.5 -> 653
    assert order["pricing_amounts"]["total_money"]["amount"] == 9653
    order = api.ok("PATCH", f"/v1/orders/{order['order_id']}", {"metadata": {"tag": tag}})
    return {"customer": customer, "coupon": coupon, "rate": rate, "order": order}


def holdings(api: Api) -> dict[str, Any]:
    """Everything visible to the key (activities of each order included)."""
    orders = api.ok("GET", "/v1/orders", params={"page_size": 200})["data"]
    return {
        "orders": orders,
        "customers": api.ok("GET", "/v1/customers", params={"page_size": 200})["data"],
        "coupons": api.ok("GET", "/v1/coupons", params={"page_size": 200})["data"],
        "tax_rates": api.ok("GET", "/v1/tax_rates", params={"page_size": 200})["data"],
        "activities": {o["order_id"]: api.ok("GET", f"/v1/orders/{o['order_id']}/activities")["data"]
                       for o in orders},
    }


def activity_count(db: Any, env_id: str) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(Activity).where(Activity.env_id == env_id))


def idempotency_count(db: Any, env_id: str) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(IdempotencyRecord)
                              .where(IdempotencyRecord.env_id == env_id))


def test_create_sandbox_returns_an_isolated_sandbox_and_key(client: TestClient, merchant: dict[str, Any],
                                                            api: Api) -> None:
    created = api.ok("POST", "/v1/sandboxes", {"name": "agent run 42"})
    assert created["object"] == "sandbox_created"
    sandbox, key = created["sandbox"], created["api_key"]
    assert sandbox["sandbox_id"].startswith("sbx_") and sandbox["sandbox_id"] != merchant["sandbox"]["sandbox_id"]
    assert (sandbox["name"], sandbox["last_reset_at"]) == ("agent run 42", None)
    assert key["secret"].startswith("sk_test_") and key["sandbox_id"] == sandbox["sandbox_id"]
    assert (key["kind"], key["mode"], key["status"]) == ("SECRET", "test", "ACTIVE")
    other = Api(client, key["secret"])
    who = other.ok("GET", "/v1/whoami")
    assert who["sandbox_id"] == sandbox["sandbox_id"]
    assert who["merchant"]["merchant_id"] == merchant["merchant"]["merchant_id"]
    # a new sandbox starts with only the default 8% rate
    rates = other.ok("GET", "/v1/tax_rates")["data"]
    assert [(r["percentage"], r["tax_category"], r["jurisdiction"]) for r in rates] == [("8", "STANDARD", "ALL")]

    mine = populate(api, "one")
    theirs = populate(other, "two")  # the same coupon code is fine: codes are unique per sandbox
    for owner, stranger, objects in ((api, other, mine), (other, api, theirs)):
        order_id = objects["order"]["order_id"]
        assert_error(stranger.get(f"/v1/orders/{order_id}"), 404, "resource_missing", "order_id")
        assert_error(stranger.patch(f"/v1/orders/{order_id}", {"metadata": {"x": "y"}}), 404, "resource_missing",
                     "order_id")
        assert_error(stranger.post(f"/v1/orders/{order_id}/cancel", {}), 404, "resource_missing", "order_id")
        assert_error(stranger.get(f"/v1/orders/{order_id}/activities"), 404, "resource_missing", "order_id")
        assert_error(stranger.get(f"/v1/customers/{objects['customer']['customer_id']}"), 404, "resource_missing",
                     "customer_id")
        assert_error(stranger.get(f"/v1/coupons/{objects['coupon']['coupon_id']}"), 404, "resource_missing",
                     "coupon_id")
        assert_error(stranger.get(f"/v1/tax_rates/{objects['rate']['tax_rate_id']}"), 404, "resource_missing",
                     "tax_rate_id")
        assert_error(stranger.post("/v1/orders", {"currency": "USD", "line_items": [line("X", 1)],
                                                  "customer_id": objects["customer"]["customer_id"]}),
                     404, "resource_missing", "customer_id")
        assert ids(owner.ok("GET", "/v1/orders"), "order_id") == [order_id]
        assert owner.ok("GET", f"/v1/orders/{order_id}")["metadata"] == objects["order"]["metadata"]
    # the same idempotency key in two sandboxes names two different requests
    assert mine["order"]["order_id"] != theirs["order"]["order_id"]
    sandboxes = api.ok("GET", "/v1/sandboxes")
    assert ids(sandboxes, "sandbox_id") == [sandbox["sandbox_id"], merchant["sandbox"]["sandbox_id"]]


def test_reset_sandbox_wipes_that_sandbox_only(client: TestClient, db: Any, merchant: dict[str, Any],
                                               api: Api) -> None:
    sandbox_id = merchant["sandbox"]["sandbox_id"]
    second = api.ok("POST", "/v1/sandboxes", {"name": "second"})
    other_sandbox = Api(client, second["api_key"]["secret"])
    other_merchant = Api(client, signup(client, "Neighbour")["api_key"]["secret"])
    mine = populate(api, "mine")
    populate(other_sandbox, "sibling")
    populate(other_merchant, "neighbour")
    api.ok("POST", "/v1/customers", {"name": "Second customer"})
    before_sibling, before_neighbour = holdings(other_sandbox), holdings(other_merchant)
    sibling_activities = activity_count(db, second["sandbox"]["sandbox_id"])
    assert activity_count(db, sandbox_id) >= 7
    assert idempotency_count(db, sandbox_id) >= 1

    reset = api.post(f"/v1/sandboxes/{sandbox_id}/reset", {})
    assert reset.status_code == 200, reset.text
    assert reset.json()["sandbox_id"] == sandbox_id and reset.json()["last_reset_at"] is not None

    after = holdings(api)
    assert (after["orders"], after["customers"], after["coupons"], after["activities"]) == ([], [], [], {})
    assert len(after["tax_rates"]) == 1
    default = after["tax_rates"][0]
    assert {k: default[k] for k in ("name", "country", "region", "postal_prefix", "jurisdiction", "percentage",
                                    "tax_category", "inclusive", "active")} == {
        "name": "Sales tax", "country": None, "region": None, "postal_prefix": None, "jurisdiction": "ALL",
        "percentage": "8", "tax_category": "STANDARD", "inclusive": False, "active": True}
    assert_error(api.get(f"/v1/orders/{mine['order']['order_id']}"), 404, "resource_missing", "order_id")
    assert_error(api.get(f"/v1/customers/{mine['customer']['customer_id']}"), 404, "resource_missing", "customer_id")
    assert_error(api.get(f"/v1/tax_rates/{mine['rate']['tax_rate_id']}"), 404, "resource_missing", "tax_rate_id")
    # only the history of what survives (the sibling sandbox's creation, the reset) is left; the
    # idempotency record of the old order is gone
    assert activity_count(db, sandbox_id) == 2
    assert idempotency_count(db, sandbox_id) == 0
    # the other sandbox of this merchant and the other merchant keep everything
    assert holdings(other_sandbox) == before_sibling
    assert holdings(other_merchant) == before_neighbour
    assert activity_count(db, second["sandbox"]["sandbox_id"]) == sibling_activities

    # the key keeps working, with the default rate only (the CA rate is gone) and the code free again
    assert api.ok("GET", "/v1/whoami")["api_key_id"] == merchant["api_key"]["api_key_id"]
    coupon = api.ok("POST", "/v1/coupons", {"code": "SHARED", "percentage": "10"})
    assert coupon["times_redeemed"] == 0
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "tax_address": {"country": "US", "region": "CA"},
                                          "line_items": [line("Lamp", 10000)]}, idempotency_key="populate-mine")
    assert order["order_id"] != mine["order"]["order_id"]
    assert order["pricing_amounts"]["tax_money"]["amount"] == 800
    assert [t["jurisdiction"] for t in order["tax_breakdown"]] == ["ALL"]


def test_a_key_cannot_reset_a_sibling_sandbox(client: TestClient, merchant: dict[str, Any], api: Api) -> None:
    """A key acts on its own sandbox only: an agent's key cannot wipe another agent's sandbox."""
    second = api.ok("POST", "/v1/sandboxes", {"name": "second"})
    other = Api(client, second["api_key"]["secret"])
    populate(api, "first")
    populate(other, "second")
    mine_before = holdings(api)
    assert_error(other.post(f"/v1/sandboxes/{merchant['sandbox']['sandbox_id']}/reset", {}), 404,
                 "resource_missing", "sandbox_id")
    assert holdings(api) == mine_before and mine_before["orders"]
    other.ok("POST", f"/v1/sandboxes/{second['sandbox']['sandbox_id']}/reset", {})
    assert holdings(other)["orders"] == [] and holdings(api) == mine_before


def test_reset_of_another_merchants_sandbox_is_404(client: TestClient, merchant: dict[str, Any], api: Api) -> None:
    populate(api, "victim")
    before = holdings(api)
    intruder = Api(client, signup(client, "Intruder")["api_key"]["secret"])
    sandbox_id = merchant["sandbox"]["sandbox_id"]
    error = assert_error(intruder.post(f"/v1/sandboxes/{sandbox_id}/reset", {}), 404, "resource_missing",
                         "sandbox_id")
    assert sandbox_id in error["message"]
    assert_error(intruder.post("/v1/sandboxes/sbx_nope/reset", {}), 404, "resource_missing", "sandbox_id")
    assert holdings(api) == before
    assert sandbox_id not in ids(intruder.ok("GET", "/v1/sandboxes"), "sandbox_id")


def test_sandbox_bad_input(api: Api) -> None:
    assert_error(api.post("/v1/sandboxes", {}), 400, "parameter_missing", "name")
    assert_error(api.post("/v1/sandboxes", {"name": ""}), 400, "parameter_invalid", "name")
    assert_error(api.post("/v1/sandboxes", {"name": "x", "mode": "live"}), 400, "unknown_parameter", "mode")
    assert len(api.ok("GET", "/v1/sandboxes")["data"]) == 1


# --- pagination -------------------------------------------------------------------------------------------

Maker = Callable[[Api, int], dict[str, Any]]
LISTS: dict[str, tuple[str, str, Maker]] = {
    "orders": ("/v1/orders", "order_id",
               lambda api, i: api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line(f"L{i}", i)]})),
    "customers": ("/v1/customers", "customer_id",
                  lambda api, i: api.ok("POST", "/v1/customers", {"name": f"Customer {i}"})),
    "coupons": ("/v1/coupons", "coupon_id",
                lambda api, i: api.ok("POST", "/v1/coupons", {"code": f"CODE{i}", "percentage": "1"})),
    "tax_rates": ("/v1/tax_rates", "tax_rate_id",
                  lambda api, i: api.ok("POST", "/v1/tax_rates", {"name": f"R{i}", "percentage": "1",
                                                                  "country": "US", "region": f"R{i}"})),
}


def existing(api: Api, path: str, field: str) -> list[str]:
    """Objects a fresh sandbox already has (the default tax rate), oldest first."""
    return ids(api.ok("GET", path, params={"order_by": "created_at"}), field)


def walk(api: Api, path: str, field: str, params: dict[str, Any],
         between: Callable[[], None] = lambda: None) -> list[str]:
    seen: list[str] = []
    token = None
    for _ in range(1000):
        page = api.ok("GET", path, params=params | ({"page_token": token} if token else {}))
        assert page["object"] == "list"
        assert len(page["data"]) <= params.get("page_size", 50)
        seen += ids(page, field)
        token = page["next_page_token"]
        if token == "":
            return seen
        between()
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("resource", list(LISTS))
def test_newest_first_by_default_and_oldest_first_on_request(api: Api, resource: str) -> None:
    path, field, make = LISTS[resource]
    made = existing(api, path, field) + [make(api, i)[field] for i in range(1, 5)]
    assert ids(api.ok("GET", path), field) == made[::-1]
    assert ids(api.ok("GET", path, params={"order_by": "-created_at"}), field) == made[::-1]
    assert ids(api.ok("GET", path, params={"order_by": "created_at"}), field) == made
    first = api.ok("GET", path, params={"page_size": 3})
    assert ids(first, field) == made[::-1][:3] and first["next_page_token"] != ""
    last = api.ok("GET", path, params={"page_size": 3, "page_token": first["next_page_token"]})
    assert ids(last, field) == made[::-1][3:]
    assert last["next_page_token"] == ""
    exact = api.ok("GET", path, params={"page_size": len(made)})
    assert exact["next_page_token"] == ""  # a full last page has no next page either
    assert_error(api.get(path, params={"page_size": -1}), 400, "parameter_invalid", "page_size")
    assert_error(api.get(path, params={"page_token": "not a token"}), 400, "invalid_page_token", "page_token")
    assert_error(api.get(path, params={"order_by": "name"}), 400, "parameter_invalid", "order_by")


@pytest.mark.parametrize("resource", list(LISTS))
@pytest.mark.parametrize("order_by", [None, "created_at"])
def test_walking_pages_sees_every_object_once_despite_inserts(api: Api, resource: str, order_by: str | None) -> None:
    path, field, make = LISTS[resource]
    made = existing(api, path, field) + [make(api, i)[field] for i in range(1, 8)]
    inserted: list[str] = []
    params: dict[str, Any] = {"page_size": 2} | ({"order_by": order_by} if order_by else {})
    seen = walk(api, path, field, params, between=lambda: inserted.append(make(api, 100 + len(inserted))[field]))
    assert len(seen) == len(set(seen)), "an object was returned twice"
    assert len(inserted) >= 3
    if order_by is None:
        assert seen == made[::-1]  # newer objects sort before the cursor: never seen, never shifting the walk
    else:
        assert seen[:len(made)] == made
        assert set(seen[len(made):]) <= set(inserted)
        assert seen[len(made):] == inserted[:len(seen) - len(made)]


@pytest.mark.parametrize("resource", ["orders", "coupons", "tax_rates"])
def test_default_page_size_is_50(api: Api, resource: str) -> None:
    path, field, make = LISTS[resource]
    made = existing(api, path, field)
    made += [make(api, i)[field] for i in range(1, 52 - len(made))]
    assert len(made) == 51
    for params in ({}, {"page_size": 0}, {"page_size": "0"}):
        page = api.ok("GET", path, params=params)
        assert ids(page, field) == made[::-1][:50]
        assert page["next_page_token"] != ""
        rest = api.ok("GET", path, params=params | {"page_token": page["next_page_token"]})
        assert ids(rest, field) == [made[0]] and rest["next_page_token"] == ""
    whole = api.ok("GET", path, params={"page_size": 51})
    assert len(whole["data"]) == 51 and whole["next_page_token"] == ""


def test_page_size_above_200_is_treated_as_200(api: Api) -> None:
    path, field, make = LISTS["customers"]
    made = [make(api, i)[field] for i in range(201)]
    newest_first = made[::-1]
    default = api.ok("GET", path)
    assert ids(default, field) == newest_first[:50]
    for size in (200, 201, 500, 10**9):
        page = api.ok("GET", path, params={"page_size": size})
        assert ids(page, field) == newest_first[:200], size
        assert page["next_page_token"] != ""
        rest = api.ok("GET", path, params={"page_size": size, "page_token": page["next_page_token"]})
        assert ids(rest, field) == [made[0]] and rest["next_page_token"] == ""
    assert walk(api, path, field, {"page_size": 50}) == newest_first
    assert walk(api, path, field, {"page_size": 7, "order_by": "created_at"}) == made


def test_a_token_only_works_with_the_filters_it_came_from(api: Api) -> None:
    customer = api.ok("POST", "/v1/customers", {"name": "Pat", "email": "pat@example.com"})
    for i in range(3):
        api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("A", 100 + i)],
                                      "customer_id": customer["customer_id"]})
        api.ok("POST", "/v1/coupons", {"code": f"C{i}", "percentage": "5"})
        api.ok("POST", "/v1/customers", {"name": f"N{i}", "email": "pat@example.com"})
    token = api.ok("GET", "/v1/orders", params={"page_size": 1})["next_page_token"]
    assert token
    # the same filters (another page size is fine) accept it
    assert len(api.ok("GET", "/v1/orders", params={"page_size": 2, "page_token": token})["data"]) == 2
    for params in ({"status": "OPEN"}, {"customer_id": customer["customer_id"]}, {"order_by": "created_at"},
                   {"created_after": "2000-01-01T00:00:00Z"}):
        assert_error(api.get("/v1/orders", params={"page_token": token} | params), 400, "invalid_page_token",
                     "page_token")
    filtered = api.ok("GET", "/v1/orders", params={"page_size": 1, "status": "open"})["next_page_token"]
    assert len(api.ok("GET", "/v1/orders", params={"page_token": filtered, "status": "OPEN"})["data"]) == 2
    assert_error(api.get("/v1/orders", params={"page_token": filtered}), 400, "invalid_page_token", "page_token")
    # a token of one list on another list
    assert_error(api.get("/v1/coupons", params={"page_token": token}), 400, "invalid_page_token", "page_token")
    assert_error(api.get("/v1/customers", params={"page_token": token}), 400, "invalid_page_token", "page_token")
    coupons = api.ok("GET", "/v1/coupons", params={"page_size": 1})["next_page_token"]
    assert_error(api.get("/v1/coupons", params={"page_token": coupons, "active": "true"}), 400,
                 "invalid_page_token", "page_token")
    assert_error(api.get("/v1/tax_rates", params={"page_token": coupons}), 400, "invalid_page_token", "page_token")
    by_email = api.ok("GET", "/v1/customers", params={"page_size": 1, "email": "pat@example.com"})["next_page_token"]
    assert_error(api.get("/v1/customers", params={"page_token": by_email}), 400, "invalid_page_token", "page_token")
    assert_error(api.get("/v1/customers", params={"page_token": by_email, "email": "other@example.com"}), 400,
                 "invalid_page_token", "page_token")


@pytest.mark.parametrize("token", ["garbage", "!!!", "e30", "W10", "bnVsbA", "eyJhZnRlciI6MX0", "x" * 5000,
                                   "eyJhZnRlciI6ICJvcmRfMSIsICJiaW5kaW5nIjogImZvcmdlZCJ9"],
                         ids=["word", "punctuation", "empty-object", "array", "null", "no-binding", "long", "forged"])
@pytest.mark.parametrize("path", ["/v1/orders", "/v1/customers", "/v1/coupons", "/v1/tax_rates"])
def test_garbage_page_tokens_are_400(api: Api, token: str, path: str) -> None:
    assert_error(api.get(path, params={"page_token": token}), 400, "invalid_page_token", "page_token")


def test_a_sandboxes_token_is_not_an_api_keys_token(api: Api) -> None:
    api.ok("POST", "/v1/sandboxes", {"name": "a"})
    api.ok("POST", "/v1/sandboxes", {"name": "b"})
    token = api.ok("GET", "/v1/sandboxes", params={"page_size": 1})["next_page_token"]
    assert token
    assert_error(api.get("/v1/api_keys", params={"page_token": token}), 400, "invalid_page_token", "page_token")


# --- list_orders filters ----------------------------------------------------------------------------------

def test_list_orders_filters(api: Api) -> None:
    ann = api.ok("POST", "/v1/customers", {"name": "Ann"})["customer_id"]
    bob = api.ok("POST", "/v1/customers", {"name": "Bob"})["customer_id"]

    def order(customer_id: str | None) -> dict[str, Any]:
        body = {"currency": "USD", "line_items": [line("A", 100)]}
        return api.ok("POST", "/v1/orders", body | ({"customer_id": customer_id} if customer_id else {}))

    first, second, third, fourth = order(ann), order(bob), order(ann), order(None)
    api.ok("POST", f"/v1/orders/{third['order_id']}/cancel", {})

    def listed(**params: Any) -> list[str]:
        return ids(api.ok("GET", "/v1/orders", params=params), "order_id")

    assert listed(customer_id=ann) == [third["order_id"], first["order_id"]]
    assert listed(customer_id=bob) == [second["order_id"]]
    assert listed(customer_id="cus_nobody") == []
    assert listed(status="open") == [fourth["order_id"], second["order_id"], first["order_id"]]
    assert listed(status="CANCELED") == [third["order_id"]]
    assert listed(status="Order_Status_Canceled", customer_id=ann) == [third["order_id"]]
    assert listed(status="open", customer_id=ann) == [first["order_id"]]
    assert listed(status="PAID") == []
    # created_after is inclusive, created_before exclusive
    assert listed(created_after=second["created_at"]) == [fourth["order_id"], third["order_id"], second["order_id"]]
    assert listed(created_before=second["created_at"]) == [first["order_id"]]
    assert listed(created_after=second["created_at"], created_before=fourth["created_at"]) == [
        third["order_id"], second["order_id"]]
    assert listed(created_after=second["created_at"], customer_id=ann, status="open") == []
    assert listed(created_after="2999-01-01T00:00:00Z") == []
    assert listed(created_before="2000-01-01T00:00:00+00:00") == []
    assert listed(created_after="2000-01-01T01:00:00+01:00") == [o["order_id"] for o in (fourth, third, second, first)]
    paged = api.ok("GET", "/v1/orders", params={"customer_id": ann, "page_size": 1})
    assert ids(paged, "order_id") == [third["order_id"]]
    rest = api.ok("GET", "/v1/orders", params={"customer_id": ann, "page_size": 1,
                                               "page_token": paged["next_page_token"]})
    assert ids(rest, "order_id") == [first["order_id"]] and rest["next_page_token"] == ""


# --- customers --------------------------------------------------------------------------------------------

def test_create_get_and_list_customers_by_email(api: Api) -> None:
    sarah = api.ok("POST", "/v1/customers", {"name": "Sarah Chen", "email": "Sarah.Chen@Example.com",
                                             "phone": "+1 555 0100", "metadata": {"tier": "gold"}})
    assert sarah["object"] == "customer" and sarah["customer_id"].startswith("cus_")
    assert (sarah["name"], sarah["email"], sarah["phone"], sarah["metadata"]) == (
        "Sarah Chen", "Sarah.Chen@Example.com", "+1 555 0100", {"tier": "gold"})
    assert api.ok("GET", f"/v1/customers/{sarah['customer_id']}") == sarah
    twin = api.ok("POST", "/v1/customers", {"name": "Sarah C.", "email": "sarah.chen@example.com"})
    api.ok("POST", "/v1/customers", {"name": "Sarah Connor", "email": "sconnor@example.com"})
    for email in ("sarah.chen@example.com", "SARAH.CHEN@EXAMPLE.COM", "Sarah.Chen@Example.com"):
        assert ids(api.ok("GET", "/v1/customers", params={"email": email}), "customer_id") == [
            twin["customer_id"], sarah["customer_id"]]
    assert api.ok("GET", "/v1/customers", params={"email": "sarah"})["data"] == []  # list is exact, search is partial
    assert_error(api.get("/v1/customers/cus_nope"), 404, "resource_missing", "customer_id")
    assert_error(api.post("/v1/customers", {"email": "not-an-email"}), 400, "parameter_invalid", "email")
    assert_error(api.post("/v1/customers", {"name": "X", "nickname": "x"}), 400, "unknown_parameter", "nickname")


def test_search_customers(api: Api) -> None:
    def make(name: str, email: str) -> str:
        return api.ok("POST", "/v1/customers", {"name": name, "email": email})["customer_id"]

    sarah = make("Sarah Chen", "sarah.chen@example.com")
    sara = make("Sara Lee", "SLEE@Shop.example")
    hannah = make("Hannah Sarahson", "hannah@other.example")
    percent = make("Al 100% Real", "al_real@example.com")
    plain = make("Al 1000 Real", "alxreal@example.com")

    def search(**params: str) -> list[str]:
        return ids(api.ok("GET", "/v1/customers/search", params=params), "customer_id")

    assert search(name="sarah") == [hannah, sarah]
    assert search(name="SARAH") == [hannah, sarah]
    assert search(name="sara") == [hannah, sara, sarah]
    assert search(name="chen") == [sarah]
    assert search(email="EXAMPLE.COM") == [plain, percent, sarah]
    assert search(email="slee@shop") == [sara]
    assert search(name="sarah", email="other") == [hannah]
    assert search(name="sarah", email="shop") == []
    # % and _ are literal characters, not LIKE wildcards
    assert search(name="100%") == [percent]
    assert search(name="%") == [percent]
    assert search(email="al_real") == [percent]
    assert search(email="_") == [percent]
    assert search(name="Al 1_0") == []
    assert search(name="\\") == []
    assert search(name="zzz") == []
    paged = api.ok("GET", "/v1/customers/search", params={"name": "sara", "page_size": 2})
    assert ids(paged, "customer_id") == [hannah, sara]
    rest = api.ok("GET", "/v1/customers/search", params={"name": "sara", "page_size": 2,
                                                         "page_token": paged["next_page_token"]})
    assert ids(rest, "customer_id") == [sarah] and rest["next_page_token"] == ""
    assert_error(api.get("/v1/customers/search", params={"name": "sarah", "page_token": paged["next_page_token"]}),
                 400, "invalid_page_token", "page_token")


def test_customers_are_per_sandbox_and_merchant(client: TestClient, api: Api) -> None:
    api.ok("POST", "/v1/customers", {"name": "Sarah Chen", "email": "sarah@example.com"})
    other = Api(client, signup(client)["api_key"]["secret"])
    assert other.ok("GET", "/v1/customers/search", params={"name": "sarah"})["data"] == []
    assert other.ok("GET", "/v1/customers", params={"email": "sarah@example.com"})["data"] == []
    sibling = Api(client, api.ok("POST", "/v1/sandboxes", {"name": "s"})["api_key"]["secret"])
    assert sibling.ok("GET", "/v1/customers")["data"] == []


def test_reset_keeps_webhook_endpoints_and_request_logs_and_drops_events(merchant: dict[str, Any], api: Api,
                                                                          db: Any) -> None:
    """Configuration and the audit of requests survive a reset; the sandbox's events and their pending
    deliveries go, and the delivery jobs left behind end without sending anything."""
    endpoint = api.ok("POST", "/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/never", "enabled_events": ["*"]})
    created = api.post("/v1/orders", {"currency": "USD", "line_items": [
        {"name": "x", "quantity": 1, "unit_price_money": {"amount": 100, "currency": "USD"}}]})
    assert api.ok("GET", "/v1/events")["data"] and api.ok("GET", "/v1/webhook_deliveries")["data"]
    api.ok("POST", f"/v1/sandboxes/{merchant['sandbox']['sandbox_id']}/reset", {})
    assert api.ok("GET", "/v1/events")["data"] == [] and api.ok("GET", "/v1/webhook_deliveries")["data"] == []
    assert api.ok("GET", f"/v1/webhook_endpoints/{endpoint['webhook_endpoint_id']}")["status"] == "ENABLED"
    assert api.ok("GET", f"/v1/request_logs/{created.headers['request-id']}")["operation"] == "create_order"
    assert queue.drain(db, kinds=[fanout.DELIVER_WEBHOOK]) >= 1  # the orphaned jobs end quietly
    assert api.ok("GET", "/v1/webhook_deliveries")["data"] == []
