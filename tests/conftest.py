"""Shared fixtures: one migrated database per test session (SQLite file, or PostgreSQL when
FLINT_TEST_DATABASE_URL is set), the real ASGI app, and a fresh merchant per test. Tests isolate
themselves through Flint's own scoping: every test signs up its own merchant and sandbox."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import create_engine, text

warnings.filterwarnings("ignore", message=".*httpx2.*")
from fastapi.testclient import TestClient  # noqa: E402

from flint_core.platform.rate_limits import Budget, RateLimits  # noqa: E402
from flint_core.platform.settings import Settings  # noqa: E402
from flint_core.store.db import Database, migrate  # noqa: E402
from flint_server import create_server  # noqa: E402

BASE_URL = "http://127.0.0.1:8000"


def _fresh_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("FLINT_TEST_DATABASE_URL")
    if url:
        _fresh_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'flint-test.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


# The shared app keeps rate limiting on but with budgets no test can exhaust: a sequential TestClient
# sends ~300 requests/s, above the production default of 100/s per key, and every test signs up from
# the same client address. tests/api/test_rate_limits.py checks the real budgets on apps of its own.
TEST_RATE_LIMITS = RateLimits(per_key=Budget(100_000, 100_000), per_merchant=Budget(100_000, 100_000),
                              per_client=Budget(100_000, 100_000))


@pytest.fixture(scope="session")
def app(db: Database) -> Any:
    return create_server(db, settings=Settings(rate_limits=TEST_RATE_LIMITS))


@pytest.fixture(scope="session")
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


@dataclass
class Api:
    """A TestClient bound to one API key."""

    client: TestClient
    key: str

    def request(self, method: str, path: str, json: Any = None, *, key: str | None = None,
                idempotency_key: str | None = None, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None) -> Any:
        all_headers = {"Authorization": f"Bearer {key or self.key}"} | (headers or {})
        if idempotency_key is not None:
            all_headers["Idempotency-Key"] = idempotency_key
        return self.client.request(method, path, json=json, params=params, headers=all_headers)

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("PATCH", path, json, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)

    def ok(self, method: str, path: str, json: Any = None, **kw: Any) -> dict[str, Any]:
        response = self.request(method, path, json, **kw)
        assert response.status_code == 200, response.text
        return response.json()


def signup(client: TestClient, name: str = "Test shop") -> dict[str, Any]:
    response = client.post("/v1/merchants", json={"name": name, "email": "owner@example.com"})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def merchant(client: TestClient) -> dict[str, Any]:
    return signup(client)


@pytest.fixture
def api(client: TestClient, merchant: dict[str, Any]) -> Api:
    return Api(client, merchant["api_key"]["secret"])


def usd(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "USD"}


def line(name: str, amount: int, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {"name": name, "quantity": quantity, "unit_price_money": usd(amount), **extra}


WORKED_EXAMPLE = {"currency": "USD", "line_items": [line("Jacket", 9900), line("T-shirt", 2900)]}
