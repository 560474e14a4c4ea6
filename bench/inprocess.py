"""The in-process measures, run with the measured checkout's own Python and code; prints one JSON object.

    <repo>/.venv/bin/python bench/inprocess.py --repo <repo> selects|docs [--quick]

selects: SQL statements for one `GET /v1/orders` page of 50 orders, through the app in `TestClient`,
    counted by a `before_cursor_execute` listener on every SQLAlchemy engine (whatever engines the
    checkout's `Database` has). The 60 orders are made through the API: 3 lines, a coupon, tax; every
    second one paid, every fourth partially refunded, so the page has payments and refunds to show.
docs: `default_index().search(query)` over realistic queries, after one search has built the index;
    milliseconds per search, p50 and p99 over every timed search.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore")
# the checkout under test comes first on the import path, whichever checkout this file belongs to
_REPO = sys.argv[sys.argv.index("--repo") + 1] if "--repo" in sys.argv else str(Path(__file__).resolve().parents[1])
sys.path.insert(0, _REPO)
sys.path.insert(1, str(Path(__file__).resolve().parent))

from workload import ORDER, PARTIAL_REFUND  # noqa: E402

# Queries an agent or a developer would type: error codes, operation and field names, questions.
DOCS_QUERIES = [
    "order_not_refundable", "idempotency_key_reused", "rate_limited", "invalid_api_key", "card_declined",
    "create_refund", "pay_order", "list_orders", "apply_coupon", "create_checkout_session",
    "payment_source", "tax_address", "coupon_codes", "page_token", "Idempotency-Key",
    "how do I refund part of an order", "verify a webhook signature", "what happens when a payment fails",
    "retry a request safely after a timeout", "how are taxes calculated for an address",
    "test cards for the sandbox", "cancel an order that was not paid", "webhook events for refunds",
    "switch from test mode to live mode",
]


def count_selects() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="flint-bench-selects-") as scratch:
        return _count_selects(f"sqlite:///{scratch}/bench.db")


def _count_selects(url: str) -> dict[str, Any]:
    from fastapi.testclient import TestClient
    from sqlalchemy import Engine, event

    from flint_core.store.db import Database
    from flint_server import create_server

    db = Database(url)
    db.migrate()
    client = TestClient(create_server(db, settings=_roomy_settings()), base_url="http://127.0.0.1:8000")
    email = "bench@example.com"
    key = _ok(client.post("/v1/merchants", json={"name": "Bench", "email": email}))["api_key"]["secret"]
    client.headers["Authorization"] = f"Bearer {key}"
    _ok(client.post("/v1/coupons", json={"code": "BENCH10", "percentage": "10", "stackable": True}))
    _ok(client.post("/v1/tax_rates", json={"name": "California", "percentage": "7.25", "country": "US",
                                           "region": "CA"}))
    for n in range(60):
        order_id = _ok(client.post("/v1/orders", json=ORDER))["order_id"]
        if n % 2 == 0:
            _ok(client.post(f"/v1/orders/{order_id}/pay", json={"payment_source": "tok_visa"}))
        if n % 4 == 0:
            _ok(client.post("/v1/refunds", json={"order_id": order_id, "amount_money": PARTIAL_REFUND}))
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.lstrip().split(None, 1)[0].upper())

    _ok(client.get("/v1/orders", params={"page_size": 50}))  # warm: caches filled, nothing counted
    event.listen(Engine, "before_cursor_execute", record)
    page = _ok(client.get("/v1/orders", params={"page_size": 50}))
    event.remove(Engine, "before_cursor_execute", record)
    assert len(page["data"]) == 50, len(page["data"])
    db.dispose()
    return {"selects": statements.count("SELECT"), "statements": len(statements)}


def time_docs_search(quick: bool) -> dict[str, Any]:
    from flint_core.agent_docs import docs_index

    index = docs_index.default_index()
    index.search("warm up")  # builds the index: a server does this once
    samples = []
    for _ in range(3 if quick else 20):
        for query in DOCS_QUERIES:
            started = time.perf_counter()
            index.search(query)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": statistics.median(samples), "p99_ms": samples[int(len(samples) * 0.99) - 1],
            "searches": len(samples), "queries": len(DOCS_QUERIES)}


def _roomy_settings() -> Any:
    """Rate limits on, with budgets the seeding cannot spend (as `flint serve` gets in the bench)."""
    from flint_core.platform.rate_limits import Budget, RateLimits
    from flint_core.platform.settings import Settings

    roomy = Budget(1_000_000, 1_000_000)
    return Settings(rate_limits=RateLimits(per_key=roomy, per_merchant=roomy, per_client=roomy))


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, f"{response.request.url.path}: {response.status_code} {response.text[:300]}"
    return dict(response.json())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("measure", choices=["selects", "docs"])
    parser.add_argument("--repo", default=_REPO)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    result = count_selects() if args.measure == "selects" else time_docs_search(args.quick)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
