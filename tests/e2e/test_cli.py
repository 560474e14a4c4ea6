"""The real `flint` process: first start migrates, bootstraps a sandbox merchant and prints its key once;
the server answers on the port it was given; a second start reuses the database and prints no key."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

FLINT = [sys.executable, "-m", "flint_cli.main"]
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(url: str, port: int, *extra: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start `flint serve`, wait until it answers, return the process and what it printed so far."""
    proc = subprocess.Popen([*FLINT, "serve", "--port", str(port), "--database-url", url, *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=os.environ | {"PYTHONUNBUFFERED": "1"} | (env or {}))
    out = ""
    assert proc.stdout is not None
    while "Serving on" not in out:
        line = proc.stdout.readline()
        assert line, f"server exited early: {out}"
        out += line
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return proc, out
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not answer")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=10)


def test_serve_bootstraps_once_and_serves(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flint.db'}"
    port = free_port()
    proc, out = start(url, port)
    try:
        key = re.search(r"(sk_test_[A-Za-z0-9]+)", out)
        assert key, out
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {key.group(1)}"}
        who = httpx.get(f"{base}/v1/whoami", headers=headers).json()
        assert who["mode"] == "test" and who["sandbox_id"].startswith("sbx_")
        order = httpx.post(f"{base}/v1/orders", headers=headers, json={"currency": "USD", "line_items": [
            {"name": "Jacket", "quantity": 1, "unit_price_money": {"amount": 9900, "currency": "USD"}},
            {"name": "T-shirt", "quantity": 1, "unit_price_money": {"amount": 2900, "currency": "USD"}}]})
        assert order.status_code == 200 and order.headers["Request-Id"].startswith("req_")
        assert order.json()["pricing_amounts"]["total_money"]["amount"] == 13824
    finally:
        stop(proc)
    proc, out = start(url, port, "--no-signup")
    try:
        assert "sk_test_" not in out and "existing database" in out
        signup = httpx.post(f"http://127.0.0.1:{port}/v1/merchants", json={"name": "x", "email": "x@example.com"})
        assert signup.status_code == 403 and signup.json()["error"]["code"] == "signup_disabled"
        assert httpx.get(f"http://127.0.0.1:{port}/v1/whoami", headers=headers).status_code == 200
    finally:
        stop(proc)


def test_migrate_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    done = subprocess.run([*FLINT, "migrate", "--database-url", url], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "migrated" in done.stdout and (tmp_path / "m.db").exists()


def test_the_access_log_never_prints_a_secret(tmp_path: Path) -> None:
    """A key sent in the query string is refused (400) and logged redacted, like request logs do."""
    port = free_port()
    proc, out = start(f"sqlite:///{tmp_path / 'flint.db'}", port)
    secret = re.search(r"(sk_test_[A-Za-z0-9]+)", out)
    assert secret, out
    base = f"http://127.0.0.1:{port}"
    try:
        refused = httpx.get(f"{base}/v1/whoami", params={"api_key": secret.group(1), "page": "1"})
        assert refused.status_code in (400, 401), refused.text
        httpx.get(f"{base}/v1/orders/4242424242424242")
    finally:
        stop(proc)
    assert proc.stdout is not None
    printed = proc.stdout.read()
    assert "/v1/whoami?api_key=[REDACTED]&page=1" in printed, printed
    assert secret.group(1) not in printed
    assert "4242424242424242" not in printed and "/v1/orders/[REDACTED]" in printed
