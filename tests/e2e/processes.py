"""A real `flint serve` process for the end-to-end tests: a free port to give it, starting it and waiting
until it answers, and stopping it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

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
    deadline = time.monotonic() + 60  # worker processes (`--workers`) load Flint after this one printed
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


def postgres_schema_url(schema: str) -> str:
    """FLINT_TEST_DATABASE_URL with a fresh, empty schema of its own on its search path: processes that poll
    the database (workers) never see the rows of the other tests sharing it. Skips without PostgreSQL."""
    base = os.environ.get("FLINT_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("set FLINT_TEST_DATABASE_URL to a PostgreSQL database to run this test on it")
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


class Flint:
    """A running Flint server's API, for one key: every write with a fresh Idempotency-Key."""

    def __init__(self, base: str, key: str) -> None:
        self.base, self.headers = base, {"Authorization": f"Bearer {key}"}

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> dict[str, Any]:
        headers = self.headers | ({"Idempotency-Key": str(uuid.uuid4())} if method != "GET" else {})
        response = httpx.request(method, self.base + path, json=body, params=params or None, headers=headers,
                                 timeout=30)
        assert response.status_code == 200, f"{method} {path}: {response.text}"
        return response.json()

    def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        out, token = [], ""
        while True:
            page = self.call("GET", path, page_size=200, **params, **({"page_token": token} if token else {}))
            out += page["data"]
            token = page["next_page_token"]
            if not token:
                return out

    def order(self, email: str) -> str:
        return self.call("POST", "/v1/orders", {"currency": "USD", "buyer_email": email, "line_items": [
            {"name": "Jacket", "quantity": 1, "unit_price_money": {"amount": 9900, "currency": "USD"}}]})["order_id"]


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``condition`` until it holds, or fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
