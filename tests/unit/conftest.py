"""Fixtures the unit tests share: StripeProcessor on the fake stripe.HTTPClient (no network)."""

from __future__ import annotations

import pytest

from flint_core.processors.stripe import StripeProcessor
from tests.unit.test_stripe_processor import API_KEY, FakeStripeHTTP


@pytest.fixture
def http() -> FakeStripeHTTP:
    return FakeStripeHTTP()


@pytest.fixture
def proc(http: FakeStripeHTTP) -> StripeProcessor:
    return StripeProcessor(API_KEY, http_client=http, max_network_retries=0)
