"""Order throughput through the real ASGI app, as ratios against a baseline measured in the same run.

    .venv/bin/python bench/bench_orders.py [--n 300] [--database-url URL]

Baseline: `whoami` (auth + one read transaction: the fixed cost of any request). Measured:
`get_order`, `create_order` (2 and 50 lines, with and without an idempotency key), `apply_coupon`,
`preview_order`, `pay_order` against the simulator (three transactions plus the simulator's own), and
`create_order` / `pay_order` with 3 catalog lines (tracked stock) beside 3 ad hoc lines, then the catalog
lines' cost as a ratio of the ad hoc ones. Each line prints requests/second and the cost relative to the
baseline, so results compare across machines.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

warnings.filterwarnings("ignore", message=".*httpx2.*")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from flint_core.platform.rate_limits import Budget, RateLimits  # noqa: E402
from flint_core.platform.settings import Settings  # noqa: E402
from flint_core.store.db import Database, migrate  # noqa: E402
from flint_server import create_server  # noqa: E402


def lines(n: int) -> list[dict]:
    return [{"name": f"Item {i}", "quantity": 1 + i % 3, "unit_price_money": {"amount": 995 + i, "currency": "USD"}}
            for i in range(n)]


def timed(n: int, call: Callable[[int], None]) -> float:
    """Median seconds per call over n calls (after 10 warm-up calls)."""
    for i in range(10):
        call(-1 - i)
    samples = []
    for i in range(n):
        start = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    migrate(url)
    # rate limiting stays on (its cost is part of every request) with budgets this loop cannot exhaust
    roomy = Budget(1_000_000, 1_000_000)
    settings = Settings(rate_limits=RateLimits(per_key=roomy, per_merchant=roomy, per_client=roomy))
    client = TestClient(create_server(Database(url), settings=settings), base_url="http://127.0.0.1:8000")
    key = client.post("/v1/merchants", json={"name": "bench", "email": "b@example.com"}).json()["api_key"]["secret"]
    client.headers["Authorization"] = f"Bearer {key}"
    client.post("/v1/coupons", json={"code": "TEN", "percentage": "10", "stackable": True})

    def ok(response) -> None:  # type: ignore[no-untyped-def]
        assert response.status_code == 200, response.text

    two, fifty = {"currency": "USD", "line_items": lines(2)}, {"currency": "USD", "line_items": lines(50)}
    three = {"currency": "USD", "line_items": lines(3)}
    variations = [client.post("/v1/items", json={"name": f"Item {i}", "variations": [
        {"name": "Regular", "price_money": {"amount": 995 + i, "currency": "USD"}, "track_inventory": True}]})
        .json()["variations"][0]["variation_id"] for i in range(3)]
    for variation_id in variations:
        client.post(f"/v1/variations/{variation_id}/inventory/adjustments",
                    json={"delta": 1_000_000, "reason": "RECEIVED"})
    catalog = {"line_items": [{"variation_id": v, "quantity": 1 + i % 3} for i, v in enumerate(variations)]}
    ad_hoc_unpaid = [client.post("/v1/orders", json=three).json()["order_id"] for _ in range(args.n + 10)]
    catalog_unpaid = [client.post("/v1/orders", json=catalog).json()["order_id"] for _ in range(args.n + 10)]
    order_id = client.post("/v1/orders", json=two).json()["order_id"]
    open_orders = [client.post("/v1/orders", json=two).json()["order_id"] for _ in range(args.n + 10)]
    unpaid = [client.post("/v1/orders", json=two).json()["order_id"] for _ in range(args.n + 10)]
    cases: dict[str, Callable[[int], None]] = {
        "whoami (baseline)": lambda i: ok(client.get("/v1/whoami")),
        "get_order": lambda i: ok(client.get(f"/v1/orders/{order_id}")),
        "preview_order (2 lines)": lambda i: ok(client.post("/v1/orders/preview", json=two)),
        "create_order (2 lines)": lambda i: ok(client.post("/v1/orders", json=two)),
        "create_order (2 lines, idempotency key)": lambda i: ok(
            client.post("/v1/orders", json=two, headers={"Idempotency-Key": f"bench-{i}"})),
        "create_order (50 lines)": lambda i: ok(client.post("/v1/orders", json=fifty)),
        "apply_coupon": lambda i: ok(client.post(f"/v1/orders/{open_orders[i]}/coupons", json={"coupon_code": "TEN"})),
        "pay_order (simulator, tok_visa)": lambda i: ok(
            client.post(f"/v1/orders/{unpaid[i]}/pay", json={"payment_source": "tok_visa"})),
        "create_order (3 ad hoc lines)": lambda i: ok(client.post("/v1/orders", json=three)),
        "create_order (3 catalog lines)": lambda i: ok(client.post("/v1/orders", json=catalog)),
        "pay_order (3 ad hoc lines)": lambda i: ok(
            client.post(f"/v1/orders/{ad_hoc_unpaid[i]}/pay", json={"payment_source": "tok_visa"})),
        "pay_order (3 tracked catalog lines)": lambda i: ok(
            client.post(f"/v1/orders/{catalog_unpaid[i]}/pay", json={"payment_source": "tok_visa"})),
    }
    print(f"database: {url.split('://')[0]}, n={args.n}")
    baseline = None
    measured: dict[str, float] = {}
    for name, call in cases.items():
        seconds = measured[name] = timed(args.n, call)
        baseline = baseline or seconds
        print(f"{name:42s} {1 / seconds:8.0f} req/s  {seconds * 1000:7.2f} ms  x{seconds / baseline:5.2f}")
    for verb in ("create_order", "pay_order"):
        catalog_name = "3 catalog lines" if verb == "create_order" else "3 tracked catalog lines"
        ratio = measured[f"{verb} ({catalog_name})"] / measured[f"{verb} (3 ad hoc lines)"]
        print(f"{verb}: catalog lines cost x{ratio:4.2f} of ad hoc lines")


if __name__ == "__main__":
    main()
