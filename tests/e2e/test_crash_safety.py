"""Kill the server (SIGKILL) after the processor accepted a charge and before Flint recorded it. On
restart, the same idempotency key (or retry_payment) finds the processor's outcome: exactly one
successful payment, never a second charge."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select

from flint_core.store.tables import SimulatedCharge
from tests.e2e.processes import free_port, start, stop

ORDER = {"currency": "USD", "line_items": [
    {"name": "Jacket", "quantity": 1, "unit_price_money": {"amount": 9900, "currency": "USD"}},
    {"name": "T-shirt", "quantity": 1, "unit_price_money": {"amount": 2900, "currency": "USD"}}]}


def _server(url: str, port: int, *, crash: bool) -> tuple[subprocess.Popen[str], str]:
    env = {"FLINT_IDEMPOTENCY_LEASE_SECONDS": "0.5", "FLINT_SIMULATOR_CRASH_AFTER_CALL": "1" if crash else "0"}
    return start(url, port, env=env)


def _charges(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(SimulatedCharge))
    engine.dispose()
    return int(count or 0)


def _crash_while_paying(url: str, port: int, headers: dict[str, str], order_id: str, key: str) -> None:
    _crash_during(url, port, headers, f"/v1/orders/{order_id}/pay", {"payment_source": "tok_visa"}, key)


def _crash_during(url: str, port: int, headers: dict[str, str], path: str, body: dict, key: str) -> None:  # type: ignore[type-arg]
    proc, _ = _server(url, port, crash=True)
    try:
        httpx.post(f"http://127.0.0.1:{port}{path}", headers=headers | {"Idempotency-Key": key}, json=body,
                   timeout=20)
        raise AssertionError("the server should have died mid-request")
    except httpx.TransportError:
        pass
    assert proc.wait(timeout=10) == -9  # SIGKILL: no cleanup ran


def test_kill_after_the_processor_charged(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flint.db'}"
    port = free_port()
    proc, printed = _server(url, port, crash=False)
    base = f"http://127.0.0.1:{port}"
    secret = re.search(r"(sk_test_[A-Za-z0-9]+)", printed).group(1)  # type: ignore[union-attr]
    headers = {"Authorization": f"Bearer {secret}"}
    first = httpx.post(f"{base}/v1/orders", headers=headers, json=ORDER).json()["order_id"]
    second = httpx.post(f"{base}/v1/orders", headers=headers, json=ORDER).json()["order_id"]
    stop(proc)

    # 1. retry with the same idempotency key
    _crash_while_paying(url, port, headers, first, "pay-first")
    assert _charges(url) == 1  # the processor charged once; Flint never recorded it
    proc, _ = _server(url, port, crash=False)
    try:
        time.sleep(0.6)  # the dead request's claim lapses (lease shortened for the test)
        resumed = httpx.post(f"{base}/v1/orders/{first}/pay", headers=headers | {"Idempotency-Key": "pay-first"},
                             json={"payment_source": "tok_visa"})
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["status"] == "SUCCEEDED" and resumed.json()["order_status"] == "PAID"
        order = httpx.get(f"{base}/v1/orders/{first}", headers=headers).json()
        assert len(order["payment_intent_ids"]) == 1
        assert order["settlement_amounts"]["paid_money"]["amount"] == 13824
    finally:
        stop(proc)
    assert _charges(url) == 1

    # 2. recover with retry_payment (no idempotency key needed: it re-drives the same payment)
    _crash_while_paying(url, port, headers, second, "pay-second")
    assert _charges(url) == 2
    proc, _ = _server(url, port, crash=False)
    try:
        stuck = httpx.get(f"{base}/v1/payment_intents", headers=headers, params={"order_id": second}).json()["data"]
        assert [p["status"] for p in stuck] == ["PROCESSING"]
        retried = httpx.post(f"{base}/v1/payment_intents/{stuck[0]['payment_intent_id']}/retry", headers=headers,
                             json={})
        assert retried.status_code == 200 and retried.json()["status"] == "SUCCEEDED"
        again = httpx.post(f"{base}/v1/payment_intents/{stuck[0]['payment_intent_id']}/retry", headers=headers,
                           json={})
        assert again.status_code == 409  # nothing left to retry: it SUCCEEDED
        order = httpx.get(f"{base}/v1/orders/{second}", headers=headers).json()
        assert order["status"] == "PAID" and len(order["payment_intent_ids"]) == 1
    finally:
        stop(proc)
    assert _charges(url) == 2


def test_kill_after_the_processor_refunded(tmp_path: Path) -> None:
    """A refund reserved and sent to the processor, then the process dies: the same idempotency key
    resumes that refund; it is never made twice."""
    url = f"sqlite:///{tmp_path / 'flint.db'}"
    port = free_port()
    proc, printed = _server(url, port, crash=False)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {re.search(r'(sk_test_[A-Za-z0-9]+)', printed).group(1)}"}  # type: ignore[union-attr]
    order_id = httpx.post(f"{base}/v1/orders", headers=headers, json=ORDER).json()["order_id"]
    assert httpx.post(f"{base}/v1/orders/{order_id}/pay", headers=headers,
                      json={"payment_source": "tok_visa"}).json()["status"] == "SUCCEEDED"
    stop(proc)
    body = {"order_id": order_id, "amount_money": {"amount": 2900, "currency": "USD"}}
    _crash_during(url, port, headers, "/v1/refunds", body, "refund-1")
    proc, _ = _server(url, port, crash=False)
    try:
        time.sleep(0.6)
        resumed = httpx.post(f"{base}/v1/refunds", headers=headers | {"Idempotency-Key": "refund-1"}, json=body)
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["status"] == "SUCCEEDED"
        refunds = httpx.get(f"{base}/v1/refunds", headers=headers, params={"order_id": order_id}).json()["data"]
        assert len(refunds) == 1
        order = httpx.get(f"{base}/v1/orders/{order_id}", headers=headers).json()
        assert order["settlement_amounts"]["refunded_money"]["amount"] == 2900
        assert order["status"] == "PARTIALLY_REFUNDED"
    finally:
        stop(proc)
