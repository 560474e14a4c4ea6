"""Docs search latency over realistic queries (error codes, operation and field names, questions): p50 and
p99 of ``DocsIndex.search`` in-process, then of ``GET /v1/docs/search`` and ``GET /docs?q=`` over HTTP,
each against ``GET /v1/errors/{code}`` (another public read, with no search) as the baseline for what any
request costs, the three interleaved so that a busy machine slows them alike.

    .venv/bin/python bench/docs_search.py [--rounds 30] [--no-http] [--url http://127.0.0.1:8000]

HTTP goes through the app in-process (TestClient), or with ``--url`` to a running ``flint serve`` (start
it with ``--rate-limit-per-key off --rate-limit-per-merchant off --rate-limit-per-client off``). The
index is built, and its build timed, before anything else.
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
from typing import Any

warnings.filterwarnings("ignore", message=".*httpx2.*")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flint_core.agent_docs.docs_index import default_index  # noqa: E402

QUERIES = [
    "order_not_refundable", "idempotency_key_reused", "rate_limited", "nothing_to_refund", "resource_missing",
    "create_refund", "create_order", "pay_order", "capture_payment", "list_orders", "preview_refund", "whoami",
    "refundable_money", "outstanding_money", "next_page_token", "line_items", "checkout_flow", "amount_money",
    "how do I refund one line", "idempotency key reuse", "webhook signature", "how do I retry a failed payment",
    "what happens when a card is declined", "apply a coupon to an order", "sales tax on shipping",
    "3D Secure", "pagination cursor", "sandbox test cards", "partial refund", "Idempotency-Key",
]


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 of ``samples``."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def measure(calls: dict[str, Callable[[str], object]], rounds: int) -> dict[str, tuple[float, float]]:
    """p50 and p99 in milliseconds of each call, made once per query ``rounds`` times over the queries,
    the calls taking turns (after one warm-up round)."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for round_ in range(rounds + 1):
        for q in QUERIES:
            for name, call in calls.items():
                start = time.perf_counter()
                call(q)
                if round_:
                    samples[name].append((time.perf_counter() - start) * 1000)
    return {name: percentiles(values) for name, values in samples.items()}


def in_process(rounds: int = 30) -> tuple[float, float]:
    """p50 and p99 (ms) of ``default_index().search(q, 5)`` over the queries, the index built first."""
    index = default_index()
    index.refresh()
    return measure({"search": lambda q: index.search(q, 5)}, rounds)["search"]


def http(client: Any, rounds: int) -> None:
    def get(path: str, params: Callable[[str], dict[str, Any]]) -> Callable[[str], object]:
        def call(q: str) -> object:
            response = client.get(path, params=params(q))
            assert response.status_code == 200, response.text
            return response
        return call

    results = measure({
        "GET /v1/errors/{code} (baseline)": get("/v1/errors/order_not_refundable", lambda q: {}),
        "GET /v1/docs/search?q=&limit=5": get("/v1/docs/search", lambda q: {"q": q, "limit": 5}),
        "GET /docs?q= (HTML, 20 hits)": get("/docs", lambda q: {"q": q}),
    }, rounds)
    base = next(iter(results.values()))[0]
    for name, (p50, p99) in results.items():
        print(f"{name:<34} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms   p50 - baseline {p50 - base:+7.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--url", help="time a running server (e.g. http://127.0.0.1:8000, rate limits off) "
                                      "instead of the app in-process")
    args = parser.parse_args()
    start = time.perf_counter()
    default_index().refresh()
    print(f"building the index                 {(time.perf_counter() - start) * 1000:7.1f} ms")
    p50, p99 = in_process(args.rounds)
    print(f"{'search(q, 5), in-process':<34} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms")
    if args.no_http:
        return
    if args.url:  # a running `flint serve`, over one keep-alive connection
        import httpx

        with httpx.Client(base_url=args.url) as client:
            http(client, args.rounds)
        return
    from fastapi.testclient import TestClient

    from flint_core.platform.rate_limits import Budget, RateLimits
    from flint_core.platform.settings import Settings
    from flint_core.store.db import Database, migrate
    from flint_server import create_server

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        roomy = Budget(1_000_000, 1_000_000)  # rate limiting stays on, with budgets this loop cannot exhaust
        settings = Settings(rate_limits=RateLimits(per_key=roomy, per_merchant=roomy, per_client=roomy))
        with TestClient(create_server(Database(url), settings=settings), base_url="http://127.0.0.1:8000") as client:
            http(client, args.rounds)


if __name__ == "__main__":
    main()
