"""Fixtures for bad input through HTTP, specified one domain per file: every case is a clear 4xx with the API.md
section 2 envelope naming the right `param`, and nothing in the database changes (no order, no coupon redemption,
no activity)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.bad_input.helpers import World
from tests.conftest import Api, signup


@pytest.fixture
def world(api: Api) -> World:
    """A world of its own, for tests that create coupons or orders on the side."""
    return World(api)


@pytest.fixture(scope="module")
def frozen(client: TestClient) -> World:
    """One world shared by the tests that only send rejected requests: it must never change."""
    return World(Api(client, signup(client, "Frozen shop")["api_key"]["secret"]))
