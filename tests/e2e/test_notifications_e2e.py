"""Emails to buyers end to end, against a real SMTP server on 127.0.0.1 (aiosmtpd), on SQLite and on
PostgreSQL when FLINT_TEST_DATABASE_URL names one (in a schema of its own):

- the real `flint serve`, given FLINT_SMTP_URL, sends one receipt per settled payment (automatic capture,
  a captured hold) and one confirmation per refund that succeeded, as plain text and HTML, each exactly
  once, and records the server's reply; a decline sends nothing;
- a real `flint worker` SIGKILLed while the server holds the message it sent (after the data, before the
  answer) records nothing; once its lease lapses a second worker sends the same message again, with the
  same Message-ID, and records it SENT once: delivered at least once, recognisably the same."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from flint_core.notifications.service import DELIVER_NOTIFICATION
from flint_core.platform.runtime import invoke
from flint_core.store.db import Database, migrate
from flint_core.store.tables import Event, Job, Notification
from tests.e2e.processes import FLINT, ROOT, Flint, free_port, postgres_schema_url, start, stop, wait_for
from tests.smtp_server import smtp_server

LEASE = 3.0  # seconds: how long the killed worker's claim holds the job


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    schema = f"flint_ntf_e2e_{request.node.name.split('[')[0][-20:]}".lower()
    yield postgres_schema_url(schema) if request.param == "postgresql" else f"sqlite:///{tmp_path / 'flint.db'}"


def test_flint_serve_emails_each_receipt_and_refund_confirmation_once(url: str) -> None:
    port = free_port()
    with smtp_server() as box:
        proc, out = start(url, port, "--job-interval", "0.1", env={"FLINT_SMTP_URL": box.url})
        try:
            key = next(word for word in out.split() if word.startswith("FLINT_API_KEY="))[len("FLINT_API_KEY="):]
            flint = Flint(f"http://127.0.0.1:{port}", key)
            sandbox_id = flint.call("GET", "/v1/whoami")["sandbox_id"]
            assert flint.call("PATCH", f"/v1/sandboxes/{sandbox_id}", {"email_delivery": True})["email_delivery"]

            paid = flint.order("ann@example.com")
            flint.call("POST", f"/v1/orders/{paid}/pay", {"payment_source": "tok_visa"})
            held = flint.order("bob@example.com")
            hold = flint.call("POST", f"/v1/orders/{held}/pay", {"payment_source": "tok_mastercard",
                                                                  "capture_method": "MANUAL"})
            flint.call("POST", f"/v1/payment_intents/{hold['payment_intent_id']}/capture", {})
            refund = flint.call("POST", "/v1/refunds", {"order_id": paid, "amount_money": {"amount": 2900,
                                                                                          "currency": "USD"}})
            declined = flint.order("cat@example.com")
            assert flint.call("POST", f"/v1/orders/{declined}/pay",
                              {"payment_source": "tok_chargeDeclined"})["status"] == "FAILED"

            def everything() -> list[dict[str, Any]]:
                return flint.call("GET", "/v1/notifications", page_size=200)["data"]

            wait_for(lambda: len(everything()) == 3 and all(n["status"] == "SENT" for n in everything()), 30,
                     "every notification to be SENT")
            time.sleep(0.5)  # a second copy, had there been one, would have arrived by now
            notifications = everything()
            received = list(box.received)
        finally:
            stop(proc)

    assert sorted((n["type"], n["to_address"]) for n in notifications) == [
        ("PAYMENT_RECEIPT", "ann@example.com"), ("PAYMENT_RECEIPT", "bob@example.com"),
        ("REFUND_CONFIRMATION", "ann@example.com")]
    assert [n["refund_id"] for n in notifications if n["type"] == "REFUND_CONFIRMATION"] == [refund["refund_id"]]
    # each arrived once, as stored: the server's copies are exactly the notifications, by Message-ID
    by_id = {r.message["Message-ID"]: r for r in received}
    assert len(received) == len(by_id) == 3 and set(by_id) == {n["message_id"] for n in notifications}
    for n in notifications:
        copy = by_id[n["message_id"]]
        assert copy.accepted and copy.rcpt_tos == [n["to_address"]] and n["smtp_reply"] == "250 OK"
        mail = copy.message
        assert (mail["To"], mail["Subject"], mail["Reply-To"]) == (n["to_address"], n["subject"], "sandbox@example.com")
        assert mail["From"] == "Sandbox merchant <receipts@flint.invalid>"
        assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n") == n["text_body"]
        assert mail.get_body(("html",)).get_content().replace("\r\n", "\n") == n["html_body"]


def setup(db: Database) -> str:
    """A merchant whose sandbox sends email, and one paid order: its receipt is QUEUED with its job."""
    created = invoke(db, "create_merchant", {"name": "Crash shop", "email": "c@example.com"}, api_key=None, face="test")
    signup = json.loads(created.body)
    key = signup["api_key"]["secret"]

    def call(name: str, args: dict[str, Any]) -> dict[str, Any]:
        result = invoke(db, name, args, api_key=key, face="test")
        assert result.status == 200, result.body
        return json.loads(result.body)

    call("update_sandbox", {"sandbox_id": signup["sandbox"]["sandbox_id"], "email_delivery": True})
    order = call("create_order", {"currency": "USD", "buyer_email": "dan@example.com", "line_items": [
        {"name": "Jacket", "quantity": 1, "unit_price_money": {"amount": 9900, "currency": "USD"}}]})
    assert call("pay_order", {"order_id": order["order_id"], "payment_source": "tok_visa"})["status"] == "SUCCEEDED"
    return order["order_id"]


def worker(url: str, smtp_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {"FLINT_SMTP_URL": smtp_url, "FLINT_JOB_LEASE_SECONDS": str(LEASE), "PYTHONUNBUFFERED": "1"}
    with log.open("a") as out:
        return subprocess.Popen([*FLINT, "worker", "--database-url", url, "--concurrency", "1", "--interval", "0.05"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=out)


def test_a_worker_killed_mid_send_leaves_the_receipt_to_be_sent_again_with_the_same_message_id(
        url: str, tmp_path: Path) -> None:
    migrate(url)
    db = Database(url)
    log = tmp_path / "workers.log"
    procs: list[subprocess.Popen[bytes]] = []

    def state() -> tuple[str, int, str | None]:
        with db.transaction(write=False) as session:
            n = session.scalars(select(Notification)).one()
            return n.status, n.attempts, n.smtp_reply

    try:
        with smtp_server() as box:
            order_id = setup(db)
            assert state() == ("QUEUED", 0, None)
            box.hold_next = True  # the server takes the first message's data, then does not answer
            procs.append(worker(url, box.url, log))
            wait_for(lambda: box.arrived.is_set() or procs[0].poll() is not None, 60, "the worker to send")
            assert procs[0].poll() is None, log.read_text()
            procs[0].kill()  # mid-send: the server has the message, the worker never heard back
            assert procs[0].wait(timeout=10) == -signal.SIGKILL
            box.release.set()
            assert state() == ("QUEUED", 0, None)  # nothing was recorded

            procs.append(worker(url, box.url, log))  # takes the job over once the lease lapses
            wait_for(lambda: state()[0] != "QUEUED", 60, "the second worker to send")
            procs[1].terminate()
            procs[1].wait(timeout=30)
            copies = list(box.received)
        with db.transaction(write=False) as session:
            notification = session.scalars(select(Notification)).one()
            events = session.scalars(select(Event.type).where(Event.type.like("notification.%"))).all()
            jobs = session.scalars(select(Job).where(Job.kind == DELIVER_NOTIFICATION)).all()
        assert (notification.order_id, notification.status, notification.attempts) == (order_id, "SENT", 2)
        assert notification.smtp_reply == "250 OK" and events == ["notification.sent"] and jobs == []
        # at least once, recognisably the same: two copies, one Message-ID, the same bytes
        assert len(copies) == 2 and copies[0].raw == copies[1].raw
        assert {c.message["Message-ID"] for c in copies} == {notification.message_id}
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        db.dispose()
