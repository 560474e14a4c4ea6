"""Done means (issue 5): the real `flint serve` process delivers every event of a real order flow to a real
HTTP receiver on 127.0.0.1 that fails the first deliveries of each event and then accepts them. Every
event arrives, every signature verifies with the `standardwebhooks` package, each event arrives under its
own id only, and no accepted id is accepted twice."""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.e2e.processes import Flint, free_port, start, stop
from tests.webhook_receiver import receiver

FAILURES_PER_EVENT = 2  # the receiver answers 500 to the first two requests of every webhook-id
DELAYS = "0.2,0.2,0.5"


def test_every_event_arrives_signed_once_despite_failures(tmp_path: Path) -> None:
    port = free_port()
    proc, out = start(f"sqlite:///{tmp_path / 'flint.db'}", port, "--job-interval", "0.1",
                      env={"FLINT_WEBHOOK_RETRY_DELAYS": DELAYS})
    try:
        key = next(word for word in out.split() if word.startswith("FLINT_API_KEY="))[len("FLINT_API_KEY="):]
        flint = Flint(f"http://127.0.0.1:{port}", key)
        with receiver() as rec:
            seen: Counter[str] = Counter()
            accepted: Counter[str] = Counter()
            secret: dict[str, str] = {}
            bad_signatures: list[str] = []

            def decide(headers: dict[str, str], body: bytes) -> int:
                msg_id = headers.get("webhook-id", "")
                try:
                    Webhook(secret["value"]).verify(body, headers)
                except (WebhookVerificationError, KeyError) as exc:
                    bad_signatures.append(f"{msg_id}: {exc!r}")
                seen[msg_id] += 1
                if seen[msg_id] <= FAILURES_PER_EVENT:
                    return 500
                accepted[msg_id] += 1
                return 200

            rec.decide = decide
            endpoint = flint.call("POST", "/v1/webhook_endpoints", {"url": rec.url, "enabled_events": ["*"]})
            secret["value"] = endpoint["secret"]

            # a real flow over HTTP: order, payment, partial and full refund; a declined payment on another order
            order = flint.call("POST", "/v1/orders", {"currency": "USD", "line_items": [
                {"name": "Jacket", "quantity": 1, "unit_price_money": {"amount": 9900, "currency": "USD"}},
                {"name": "T-shirt", "quantity": 1, "unit_price_money": {"amount": 2900, "currency": "USD"}}]})
            order_id = order["order_id"]
            paid = flint.call("POST", f"/v1/orders/{order_id}/pay", {"payment_source": "tok_visa"})
            assert paid["status"] == "SUCCEEDED", paid
            flint.call("POST", "/v1/refunds", {"order_id": order_id,
                                               "amount_money": {"amount": 2900, "currency": "USD"}})
            flint.call("POST", "/v1/refunds", {"order_id": order_id})
            other = flint.call("POST", "/v1/orders", {"currency": "USD", "line_items": [
                {"name": "Mug", "quantity": 2, "unit_price_money": {"amount": 1200, "currency": "USD"}}]})
            declined = flint.call("POST", f"/v1/orders/{other['order_id']}/pay",
                                  {"payment_source": "tok_chargeDeclined"})
            assert declined["status"] == "FAILED"

            # wait until every event there is has been accepted, and no new event appeared for a while
            deadline, stable_since, events = time.monotonic() + 60, None, []
            while time.monotonic() < deadline:
                events = flint.all("/v1/events")
                done = {e["event_id"] for e in events} <= set(accepted)
                if done and stable_since is None:
                    stable_since, count = time.monotonic(), len(events)
                elif not done or len(events) != count:
                    stable_since = None
                if stable_since is not None and time.monotonic() - stable_since > 2:
                    break
                time.sleep(0.2)
            requests = list(rec.requests)

        types = Counter(e["type"] for e in events)
        for expected in ("order.created", "order.paid", "payment.succeeded", "payment.failed", "refund.created",
                         "refund.succeeded", "order.refunded"):
            assert types[expected] >= 1, types
        event_ids = {e["event_id"] for e in events}
        assert len(event_ids) == len(events) >= 10

        # every event arrived and was accepted exactly once, after the receiver's failures
        assert bad_signatures == []
        assert set(accepted) == event_ids, event_ids ^ set(accepted)
        assert set(accepted.values()) == {1}, "an accepted id was delivered again"
        assert all(seen[i] == FAILURES_PER_EVENT + 1 for i in event_ids), seen

        # each event arrived under its own id only, with its stored payload byte for byte on every attempt
        ids_by_event: dict[str, set[str]] = defaultdict(set)
        bodies_by_id: dict[str, set[bytes]] = defaultdict(set)
        for r in requests:
            ids_by_event[json.loads(r.body)["event_id"]].add(r.headers["webhook-id"])
            bodies_by_id[r.headers["webhook-id"]].add(r.body)
        assert all(ids == {event_id} for event_id, ids in ids_by_event.items()), ids_by_event
        assert all(len(bodies) == 1 for bodies in bodies_by_id.values())
        sample = events[0]["event_id"]
        stored = httpx.get(f"{flint.base}/v1/events/{sample}", headers=flint.headers).content
        assert bodies_by_id[sample] == {stored}

        # Flint's record agrees: one delivery per event, three attempts: 500, 500, 200
        deliveries = flint.all("/v1/webhook_deliveries")
        assert sorted(d["event_id"] for d in deliveries) == sorted(event_ids)
        for d in deliveries:
            assert d["status"] == "SUCCEEDED", d
            assert [a["status_code"] for a in d["attempts"]] == [500] * FAILURES_PER_EVENT + [200]
        assert flint.call("GET", f"/v1/webhook_endpoints/{endpoint['webhook_endpoint_id']}")["failing_since"] is None
    finally:
        stop(proc)
