"""MCP tool calls are requests like any other: each is logged with face "mcp", the tool result's request
id, the calling key, and replays marked replayed (in-memory and streamable HTTP sessions)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from tests.conftest import WORKED_EXAMPLE, Api
from tests.mcp.helpers import MODES, asgi_client, call_error, memory_client, new_key


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("transport", ["memory", "http"])
def test_tool_calls_are_logged(api: Api, db: Any, merchant: dict[str, Any], mode: str, transport: str) -> None:
    key = new_key()
    results: dict[str, Any] = {}

    async def main() -> None:
        opened = memory_client(db, api.key, mode) if transport == "memory" else asgi_client(db, api.key, mode)
        async with opened as client:
            results["first"] = await client.call_tool("create_order", WORKED_EXAMPLE | {"idempotency_key": key})
            results["replay"] = await client.call_tool("create_order", WORKED_EXAMPLE | {"idempotency_key": key})
            results["error"] = await call_error(client, "get_order", {"order_id": "ord_missing"})

    anyio.run(main)
    first, replay = results["first"], results["replay"]
    assert not first.is_error and not replay.is_error
    order_id = first.structured_content["order_id"]
    path = "stdio" if transport == "memory" else "/mcp"

    entry = api.ok("GET", f"/v1/request_logs/{first.meta['request_id']}")
    assert (entry["face"], entry["method"], entry["path"], entry["operation"]) == ("mcp", "tools/call", path,
                                                                                 "create_order")
    assert entry["api_key_id"] == merchant["api_key"]["api_key_id"]
    assert (entry["idempotency_key"], entry["replayed"], entry["status"]) == (key, False, 200)
    assert order_id in entry["object_ids"] and "idempotency_key" not in entry["params"]

    again = api.ok("GET", f"/v1/request_logs/{replay.meta['request_id']}")
    assert replay.meta["idempotent_replayed"] is True and replay.meta["request_id"] != first.meta["request_id"]
    assert (again["replayed"], again["face"], again["idempotency_key"]) == (True, "mcp", key)
    attempts = api.ok("GET", "/v1/request_logs", params={"idempotency_key": key})["data"]
    assert [a["replayed"] for a in attempts] == [True, False]

    failed = api.ok("GET", f"/v1/request_logs/{results['error']['request_id']}")
    assert (failed["status"], failed["error_code"], failed["face"]) == (404, "resource_missing", "mcp")
    mcp_logs = api.ok("GET", "/v1/request_logs", params={"face": "mcp"})["data"]
    assert len(mcp_logs) == 3


def test_tool_results_carry_the_rate_limit_state(api: Api, db: Any) -> None:
    async def main() -> dict[str, Any]:
        async with memory_client(db, api.key) as client:
            result = await client.call_tool("whoami", {})
            return result.meta

    meta = anyio.run(main)
    # the in-memory server runs with the default budgets: the key's (100/s, burst 200) is the tighter one
    limit = meta["rate_limit"]
    assert (limit["budget"], limit["limit"], limit["policy"]) == ("key", 200, "100;w=1;burst=200")
    assert 0 <= limit["remaining"] < 200 and limit["reset_seconds"] >= 0
