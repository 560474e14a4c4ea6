"""MCP tools/call against the same operation over REST, on one `flint serve` process.

    .venv/bin/python bench/bench_mcp.py [--n 200] [--rounds 5]

Starts `flint serve --no-jobs` on a fresh SQLite file (rate limits off, so neither face is budgeted),
signs up a merchant, then times sequential requests from one keep-alive httpx client per face:
`GET /v1/orders/{id}` vs `tools/call get_order`, and `POST /v1/orders` (a fresh Idempotency-Key each
call) vs `tools/call create_order` (a fresh idempotency_key argument each call). MCP is measured on both
protocols of the streamable HTTP transport: the 2025-11-25 wire (an `initialize` handshake first, then
plain JSON-RPC POSTs) and the 2026-07-28 wire (every POST self-contained, the envelope in `_meta`).
The faces take turns call by call (REST, MCP, MCP, REST, ...) so a noisy machine hits them alike; the ratio printed
is the median MCP latency over the median REST latency, pooled over all rounds.
"""

from __future__ import annotations

import argparse
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ORDER = {"currency": "USD", "line_items": [
    {"name": "Mug", "quantity": 2, "unit_price_money": {"amount": 1200, "currency": "USD"}},
    {"name": "Tea", "quantity": 1, "unit_price_money": {"amount": 850, "currency": "USD"}},
    {"name": "Cake", "quantity": 3, "unit_price_money": {"amount": 499, "currency": "USD"}}]}
MCP_ACCEPT = {"Accept": "application/json, text/event-stream"}
LEGACY, MODERN = "2025-11-25", "2026-07-28"
MODERN_META = {"io.modelcontextprotocol/protocolVersion": MODERN,
               "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
               "io.modelcontextprotocol/clientCapabilities": {}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port: int, db_url: str) -> subprocess.Popen[bytes]:
    flint = str(Path(sys.executable).parent / "flint")
    proc = subprocess.Popen([flint, "serve", "--port", str(port), "--database-url", db_url, "--no-jobs",
                             "--log-level", "warning", "--rate-limit-per-key", "off", "--rate-limit-per-merchant",
                             "off", "--rate-limit-per-client", "off"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/whoami", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("flint serve did not start")


class Mcp:
    """Raw JSON-RPC over streamable HTTP on one protocol version."""

    def __init__(self, base: str, key: str, version: str) -> None:
        self.version = version
        self.http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}", **MCP_ACCEPT},
                                 timeout=30)
        self.ids = itertools.count(1)
        if version == LEGACY:
            init = self.http.post("/mcp", json={"jsonrpc": "2.0", "id": next(self.ids), "method": "initialize",
                                                "params": {"protocolVersion": LEGACY, "capabilities": {},
                                                           "clientInfo": {"name": "bench", "version": "1"}}})
            assert init.status_code == 200, init.text
            headers = {"Mcp-Protocol-Version": LEGACY}
            if "mcp-session-id" in init.headers:
                headers["Mcp-Session-Id"] = init.headers["mcp-session-id"]
            self.http.headers.update(headers)
            self.http.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        else:
            self.http.headers["Mcp-Protocol-Version"] = MODERN

    def call(self, name: str, arguments: dict) -> dict:
        params: dict = {"name": name, "arguments": arguments}
        headers = {}
        if self.version == MODERN:
            params["_meta"] = MODERN_META
            headers = {"Mcp-Method": "tools/call", "Mcp-Name": name}
        response = self.http.post("/mcp", json={"jsonrpc": "2.0", "id": next(self.ids), "method": "tools/call",
                                                "params": params}, headers=headers)
        assert response.status_code == 200, response.text
        result = response.json()["result"]
        assert not result.get("isError"), result
        return result["structuredContent"]


def sample(n: int, call: Callable[[], object]) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200, help="calls per face per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(port, f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    try:
        signup = httpx.post(f"{base}/v1/merchants", json={"name": "bench", "email": "bench@example.com"})
        key = signup.json()["api_key"]["secret"]
        rest = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        order_id = rest.post("/v1/orders", json=ORDER).json()["order_id"]
        faces: dict[str, dict[str, Callable[[], object]]] = {"get_order": {}, "create_order": {}}

        def rest_get() -> dict:
            response = rest.get(f"/v1/orders/{order_id}")
            assert response.status_code == 200, response.text
            return response.json()

        def rest_create() -> dict:
            response = rest.post("/v1/orders", json=ORDER, headers={"Idempotency-Key": uuid.uuid4().hex})
            assert response.status_code == 200, response.text
            return response.json()

        faces["get_order"]["REST"] = rest_get
        faces["create_order"]["REST"] = rest_create
        for version in (LEGACY, MODERN):
            mcp = Mcp(base, key, version)
            faces["get_order"][f"MCP {version}"] = lambda mcp=mcp: mcp.call("get_order", {"order_id": order_id})
            faces["create_order"][f"MCP {version}"] = lambda mcp=mcp: mcp.call(
                "create_order", dict(ORDER, idempotency_key=uuid.uuid4().hex))
        for cases in faces.values():  # warm up every path
            for call in cases.values():
                sample(30, call)
        samples: dict[tuple[str, str], list[float]] = {(op, face): [] for op, cases in faces.items() for face in cases}
        for _ in range(args.rounds):
            for op, cases in faces.items():
                order = list(cases.items())
                for i in range(args.n):  # call by call, the faces taking turns (and turns about going first)
                    shift = i % len(order)
                    for face, call in order[shift:] + order[:shift]:
                        samples[(op, face)] += sample(1, call)
        print(f"{'operation':<14}{'face':<16}{'median ms':>10}{'p90 ms':>9}{'÷ REST':>8}")
        for op, cases in faces.items():
            rest_median = statistics.median(samples[(op, "REST")])
            for face in cases:
                s = sorted(samples[(op, face)])
                median = statistics.median(s)
                print(f"{op:<14}{face:<16}{median * 1000:>10.2f}{s[int(len(s) * 0.9)] * 1000:>9.2f}"
                      f"{median / rest_median:>8.2f}")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
