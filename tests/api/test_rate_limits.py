"""Rate limits: per-key, per-merchant-and-mode and per-client budgets kept in the database (shared by every
worker), 429 rate_limit_error with Retry-After, RateLimit-* headers on every response."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flint_core.platform.rate_limits import Budget, RateLimits
from flint_core.platform.settings import Settings
from flint_core.store.db import Database
from flint_core.store.tables import RateLimitBucket
from flint_mcp.server import build_server
from flint_server import create_server
from tests.conftest import BASE_URL, TEST_RATE_LIMITS, WORKED_EXAMPLE, Api
from tests.mcp.helpers import call_error

ROOMY = Budget(100_000, 100_000)


@contextmanager
def server(database_url: str, **budgets: Budget) -> Iterator[TestClient]:
    """A separate app AND Database on the same database: another server worker with these budgets."""
    db = Database(database_url)
    limits = RateLimits(**({"per_key": ROOMY, "per_merchant": ROOMY, "per_client": ROOMY} | budgets))
    try:
        with TestClient(create_server(db, settings=Settings(rate_limits=limits)), base_url=BASE_URL) as client:
            yield client
    finally:
        db.dispose()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_429(response: Any, budget: Budget) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert (error["type"], error["code"], error["retryable"]) == ("rate_limit_error", "rate_limited", True)
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1 and error["retry_after_seconds"] == retry_after
    assert response.headers["flint-should-retry"] == "true"
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.headers["ratelimit-limit"] == str(budget.burst)
    assert response.headers["ratelimit-policy"] == budget.policy
    return error


def test_burst_then_429_with_headers(database_url: str, api: Api) -> None:
    # buckets belong to the key, whatever server counts them: read the logs with another key
    auditor = Api(api.client, api.ok("POST", "/v1/api_keys", {"scopes": ["logs:read"]})["secret"])
    tight = Budget(1, 3)
    with server(database_url, per_key=tight) as client:
        seen = [client.get("/v1/whoami", headers=auth(api.key)) for _ in range(3)]
        assert [r.status_code for r in seen] == [200, 200, 200]
        assert [r.headers["ratelimit-remaining"] for r in seen] == ["2", "1", "0"]
        for response in seen:
            assert response.headers["ratelimit-limit"] == "3"
            assert response.headers["ratelimit-policy"] == "1;w=1;burst=3"
            assert 1 <= int(response.headers["ratelimit-reset"]) <= 3
            assert "retry-after" not in response.headers
        refused = client.get("/v1/whoami", headers=auth(api.key))
        error = assert_429(refused, tight)
        assert error["request_id"] == refused.headers["request-id"]
        entry = auditor.ok("GET", f"/v1/request_logs/{error['request_id']}")
        assert (entry["status"], entry["error_type"], entry["error_code"], entry["operation"]) == (
            429, "rate_limit_error", "rate_limited", "whoami")


def test_headers_on_every_kind_of_response(api: Api, client: TestClient) -> None:
    for response in (api.get("/v1/whoami"), api.post("/v1/orders", WORKED_EXAMPLE),
                     api.post("/v1/refunds", {"order_id": "ord_nope"}),  # an error
                     api.post("/v1/tool_calls", {"name": "whoami", "arguments": {}}),
                     client.get("/v1/errors/order_not_refundable")):  # keyless: the client address's budget
        assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy"} <= set(
            response.headers), response.request.url
    assert api.get("/v1/whoami").headers["ratelimit-policy"] == TEST_RATE_LIMITS.per_key.policy


def test_budget_is_shared_by_two_workers(database_url: str, api: Api) -> None:
    tight = Budget(1, 4)
    with server(database_url, per_key=tight) as one, server(database_url, per_key=tight) as two:
        assert one.get("/v1/whoami", headers=auth(api.key)).status_code == 200
        assert two.get("/v1/whoami", headers=auth(api.key)).status_code == 200
        assert one.get("/v1/whoami", headers=auth(api.key)).status_code == 200
        last = two.get("/v1/whoami", headers=auth(api.key))
        assert last.status_code == 200 and last.headers["ratelimit-remaining"] == "0"
        assert_429(one.get("/v1/whoami", headers=auth(api.key)), tight)
        assert_429(two.get("/v1/whoami", headers=auth(api.key)), tight)


def test_merchant_budget_trips_across_keys_and_a_refusal_costs_nothing(database_url: str, api: Api,
                                                                        db: Database) -> None:
    second = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})
    tight = Budget(1, 3)
    with server(database_url, per_key=Budget(1, 10), per_merchant=tight) as client:
        assert client.get("/v1/whoami", headers=auth(api.key)).status_code == 200
        assert client.get("/v1/whoami", headers=auth(api.key)).status_code == 200
        ok = client.get("/v1/whoami", headers=auth(second["secret"]))
        assert ok.status_code == 200 and ok.headers["ratelimit-policy"] == tight.policy  # the tighter budget
        with db.transaction(write=False) as session:
            before = session.scalar(select(RateLimitBucket.tat_us).where(
                RateLimitBucket.key == f"key:{second['api_key_id']}"))
        assert_429(client.get("/v1/whoami", headers=auth(second["secret"])), tight)
        with db.transaction(write=False) as session:
            after = session.scalar(select(RateLimitBucket.tat_us).where(
                RateLimitBucket.key == f"key:{second['api_key_id']}"))
        assert after == before  # the key's own budget was not charged for the refused request


def test_a_429_is_never_the_idempotent_answer(database_url: str, api: Api) -> None:
    busy = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:write"]})["secret"]
    with server(database_url, per_key=Budget(1, 1)) as client:
        assert client.get("/v1/whoami", headers=auth(busy)).status_code == 200
        refused = client.post("/v1/orders", json=WORKED_EXAMPLE, headers=auth(busy) | {"Idempotency-Key": "rl-1"})
        assert_429(refused, Budget(1, 1))
    # the same idempotency key later (from a key with room; keys of one sandbox share idempotency keys)
    # runs the request for real
    done = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="rl-1")
    assert done.status_code == 200 and "idempotent-replayed" not in done.headers
    assert done.json()["order_id"].startswith("ord_")


def test_keyless_calls_are_budgeted_per_client_address(database_url: str) -> None:
    tight = Budget(1, 2)
    with server(database_url, per_client=tight) as client:
        # every TestClient has the address "testclient": start from an empty bucket
        with Database(database_url).transaction() as session:
            session.execute(RateLimitBucket.__table__.delete().where(RateLimitBucket.key == "client:testclient"))
        answers = [client.post("/v1/merchants", json={"name": "s", "email": "s@example.com"}) for _ in range(3)]
        assert [a.status_code for a in answers[:2]] == [200, 200]
        assert answers[0].headers["ratelimit-policy"] == tight.policy
        assert_429(answers[2], tight)
        with Database(database_url).transaction() as session:  # leave nothing behind for other tests
            session.execute(RateLimitBucket.__table__.delete().where(RateLimitBucket.key == "client:testclient"))


def test_tool_faces_return_the_429_envelope(database_url: str, api: Api) -> None:
    tight = Budget(1, 1)
    with server(database_url, per_key=tight) as client:
        assert client.post("/v1/tool_calls", json={"name": "whoami", "arguments": {}},
                           headers=auth(api.key)).status_code == 200
        refused = client.post("/v1/tool_calls", json={"name": "whoami", "arguments": {}}, headers=auth(api.key))
        assert_429(refused, tight)

    db = Database(database_url)
    settings = Settings(rate_limits=RateLimits(per_key=Budget(1, 1), per_merchant=ROOMY))
    key = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"]

    async def main() -> None:
        from mcp import Client

        async with Client(build_server(db, settings, api_key=key)) as mcp_client:
            first = await mcp_client.call_tool("whoami", {})
            assert not first.is_error and first.meta["rate_limit"]["remaining"] == 0
            assert first.meta["rate_limit"]["policy"] == "1;w=1;burst=1"
            error = await call_error(mcp_client, "whoami", {})
            assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limited")
            assert error["retry_after_seconds"] >= 1 and error["retryable"] is True

    try:
        anyio.run(main)
    finally:
        db.dispose()


def test_budget_parsing_and_cli_settings() -> None:
    assert Budget.parse("100:200") == Budget(100, 200)
    assert Budget.parse("50") == Budget(50, 100)
    assert Budget.parse("off") == Budget(0, 0) and not Budget.parse("0").enabled
    for bad in ("", "fast", "0:5", "-1", "10:0"):
        with pytest.raises(ValueError):
            Budget.parse(bad)
    assert Settings.from_env({}).rate_limits == RateLimits()
    environ = {"FLINT_RATE_LIMIT_PER_KEY": "10:20", "FLINT_RATE_LIMIT_PER_CLIENT": "off"}
    limits = Settings.from_env(environ, rate_limit_per_merchant="7:9").rate_limits
    assert limits == RateLimits(per_key=Budget(10, 20), per_merchant=Budget(7, 9), per_client=Budget(0, 0))
    # a flag wins over the environment
    assert Settings.from_env(environ, rate_limit_per_key="3").rate_limits.per_key == Budget(3, 6)
    with pytest.raises(ValueError, match=r"rate limit 'fast'.*\(from \$FLINT_RATE_LIMIT_PER_KEY\)"):
        Settings.from_env({"FLINT_RATE_LIMIT_PER_KEY": "fast"})
    with pytest.raises(ValueError, match=r"\(from --rate-limit-per-client\)"):
        Settings.from_env({}, rate_limit_per_client="0:5")
