"""Webhook deliveries per second the job runner sustains, as a ratio against a baseline measured in the
same run.

    .venv/bin/python bench/bench_webhooks.py [--n 2000] [--concurrency 1,4,16] [--database-url URL] [--repo PATH]

``--repo PATH`` measures another checkout's code (run it with that checkout's Python; bench/run.py does).

A receiver on 127.0.0.1 (ThreadingHTTPServer, HTTP/1.1 keep-alive, in its own process so it does not
compete with the runner for the GIL) answers 200 at once. One merchant has one endpoint subscribed to `*`.
For each concurrency setting, `n` events are emitted with ``outbox.emit`` (an order as the API returns
it; batches of 500 per transaction, not timed): each writes one delivery and one ``deliver_webhook`` job.
Then ``queue.run_forever`` runs with that concurrency until the queue is empty; the time from its start
to the last job done gives deliveries/s. Every delivery is then checked SUCCEEDED with one attempt, and
the receiver must have seen exactly n requests, each with its own ``webhook-id``.

Baseline: the same n signed POSTs (the round's own bodies and webhook-ids, the same Standard Webhooks
signing) sent by a plain sequential ``httpx`` loop to the same receiver: what one thread does with no
database at all. It is measured again right before each round, so a ratio compares two measures taken
seconds apart (on a shared machine the load moves between rounds). The ratio says what the runner's
bookkeeping (per batch of up to 25 deliveries: one claim, one read, one transaction recording every
attempt and ending every job) costs or, with concurrency, gains.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# the checkout under test comes first on the import path, whichever checkout this file belongs to
_REPO = sys.argv[sys.argv.index("--repo") + 1] if "--repo" in sys.argv else str(Path(__file__).resolve().parents[1])
sys.path.insert(0, _REPO)

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from flint_core.platform import outbox, queue  # noqa: E402
from flint_core.platform.context import system_context  # noqa: E402
from flint_core.platform.runtime import invoke  # noqa: E402
from flint_core.platform.settings import Settings  # noqa: E402
from flint_core.store.db import Database, migrate  # noqa: E402
from flint_core.store.tables import Event, Job, WebhookDelivery  # noqa: E402
from flint_core.webhooks import fanout, signing  # noqa: E402

BATCH = 500


def _receive(port: Any, count: Any, ids: Any) -> None:
    """The receiver process: 200 at once, counting requests and distinct webhook-ids."""
    seen: set[str] = set()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a production receiver would
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length", "0")))
            with lock:
                if self.headers.get("webhook-id"):  # not the baseline's warm-up request
                    seen.add(self.headers["webhook-id"])
                count.value += 1
                ids.value = len(seen)
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port.value = server.server_address[1]
    server.serve_forever()


class Receiver:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.port, self.count, self.ids = ctx.Value("i", 0), ctx.Value("i", 0), ctx.Value("i", 0)
        self.proc = ctx.Process(target=_receive, args=(self.port, self.count, self.ids), daemon=True)
        self.proc.start()
        deadline = time.monotonic() + 30
        while not self.port.value:
            assert time.monotonic() < deadline, "receiver did not start"
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{self.port.value}/webhooks"

    def reset(self) -> None:
        self.count.value = 0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.join(5)


def setup(db: Database, url: str) -> tuple[str, str, dict[str, Any]]:
    """A merchant with an endpoint subscribed to `*`, and one real order (the events' object)."""
    created = invoke(db, "create_merchant", {"name": "bench", "email": "b@example.com"}, api_key=None, face="bench")
    key = json.loads(created.body)["api_key"]["secret"]

    def call(name: str, args: dict[str, Any]) -> dict[str, Any]:
        outcome = invoke(db, name, args, api_key=key, face="bench")
        assert outcome.status == 200, outcome.body
        return dict(json.loads(outcome.body))

    endpoint = call("create_webhook_endpoint", {"url": url, "enabled_events": ["*"]})
    order = call("create_order", {"currency": "USD", "line_items": [
        {"name": "Jacket", "quantity": 1, "unit_price_money": {"amount": 9900, "currency": "USD"}},
        {"name": "T-shirt", "quantity": 2, "unit_price_money": {"amount": 2900, "currency": "USD"}}]})
    who = call("whoami", {})
    assert endpoint["enabled_events"] == ["*"]
    return who["merchant"]["merchant_id"], who["sandbox_id"], order


def pending_deliveries(db: Database) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(Job).where(Job.kind == fanout.DELIVER_WEBHOOK))
                   or 0)


def emit(db: Database, merchant_id: str, env_id: str, order: dict[str, Any], n: int) -> None:
    for start in range(0, n, BATCH):
        with db.transaction() as session:
            ctx = system_context(session, merchant_id, env_id, operation="create_order", settings=Settings(), db=db)
            for _ in range(min(BATCH, n - start)):
                outbox.emit(ctx, "order.updated", order)


def run_queue(db: Database, concurrency: int) -> float:
    """Seconds for run_forever to deliver everything queued (polled every 20 ms)."""
    stop = threading.Event()
    started = time.perf_counter()
    loop = threading.Thread(target=queue.run_forever, args=(db, Settings(), stop),
                            kwargs={"concurrency": concurrency, "interval": 0.05})
    loop.start()
    while pending_deliveries(db):
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    stop.set()
    loop.join()
    return elapsed


def check(db: Database, total: int, n: int, receiver: Receiver) -> None:
    """Every delivery so far SUCCEEDED at its first attempt; the receiver saw this round's n requests,
    and as many distinct webhook-ids as deliveries in all (nothing sent twice)."""
    with db.transaction(write=False) as session:
        rows = session.execute(select(WebhookDelivery.status, WebhookDelivery.attempts)).all()
    assert len(rows) == total and all(status == "SUCCEEDED" and len(attempts) == 1 for status, attempts in rows), \
        {status for status, _ in rows}
    assert (receiver.count.value, receiver.ids.value) == (n, total), (receiver.count.value, receiver.ids.value)


def baseline(db: Database, url: str, n: int) -> float:
    """The same n signed POSTs as the round about to run (its events, newest n), from a plain sequential
    httpx loop (bodies read up front, not timed)."""
    with db.transaction(write=False) as session:
        newest = select(Event).order_by(Event.created_at.desc(), Event.event_id.desc()).limit(n)
        bodies = [(e.event_id, e.payload.encode()) for e in session.scalars(newest)]
    assert len(bodies) == n
    secret = signing.new_secret()
    with httpx.Client(timeout=10) as client:
        client.post(url, content=b"{}")  # connect first, like the runner's pooled client
        started = time.perf_counter()
        for event_id, body in bodies:
            headers = signing.headers([secret], event_id, int(time.time()), body)
            assert client.post(url, content=body, headers=headers).status_code == 200
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000, help="deliveries per round (default 2000)")
    parser.add_argument("--concurrency", default="1,4,16", help="run_forever concurrency settings (default 1,4,16)")
    parser.add_argument("--database-url", default=None, help="default: a fresh temporary SQLite file")
    parser.add_argument("--repo", default=None, help="the checkout whose code is measured (default: this one)")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    migrate(url)
    db = Database(url)
    receiver = Receiver()
    try:
        merchant_id, env_id, order = setup(db, receiver.url)
        queue.drain(db)  # the setup's own events (order.created...)
        with db.transaction(write=False) as session:
            initial = int(session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0)
        print(f"database: {url.split('://')[0]}, n={args.n} deliveries per round, receiver {receiver.url}")
        print(f"{'':34s} {'baseline':>10s} {'runner':>10s}  ratio")
        for round_, concurrency in enumerate(int(c) for c in args.concurrency.split(",")):
            emit(db, merchant_id, env_id, order, args.n)
            receiver.reset()
            base = baseline(db, receiver.url, args.n)  # the round's own bodies, just before it
            assert receiver.count.value == args.n + 1
            receiver.reset()
            seconds = run_queue(db, concurrency)
            check(db, initial + (round_ + 1) * args.n, args.n, receiver)
            name = f"queue.run_forever, concurrency {concurrency}"
            print(f"{name:34s} {args.n / base:8.0f}/s {args.n / seconds:8.0f}/s  x{base / seconds:5.2f}", flush=True)
    finally:
        receiver.stop()
        db.dispose()


if __name__ == "__main__":
    main()
