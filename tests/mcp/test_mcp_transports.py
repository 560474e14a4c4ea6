"""The MCP server over its real transports, on both protocols: stdio (`flint mcp` as a subprocess with
FLINT_API_KEY), streamable HTTP at /mcp of the Flint app (in process over ASGI, and a real `flint serve`
process), each listing tools and calling them with a real `mcp` client."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import anyio
import pytest

from flint_core.platform import tool_calls, toolsets
from flint_core.store.db import Database, migrate
from tests.conftest import WORKED_EXAMPLE, Api
from tests.e2e.processes import free_port, start, stop
from tests.mcp.helpers import (
    MODES,
    ROOT,
    asgi_client,
    assert_tools_match_registry,
    call,
    call_error,
    http_client_for,
    listed_names,
    new_key,
    stdio_client,
    stdio_params,
)

MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}


@pytest.fixture(scope="module")
def fresh_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A migrated SQLite file of its own (the subprocesses open it too) and a sandbox key in it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('mcp') / 'flint.db'}"
    migrate(url)
    db = Database(url)
    # through the registry (importing an operations module directly would change the registry's order)
    signed = tool_calls.call(db, "create_merchant", {"name": "Stdio shop", "email": "stdio@example.com",
                                                       "idempotency_key": new_key()},
                             api_key=None, face="test")
    db.dispose()
    assert signed.status == 200, signed.body
    return url, json.loads(signed.body)["api_key"]["secret"]


async def exercise(client: Any, sessionless: bool = False) -> None:
    """List tools (the default set; asserting schemas and annotations), then create and read an order."""
    await assert_tools_match_registry(client, listed_names(sessionless=sessionless))
    order = await call(client, "create_order", dict(WORKED_EXAMPLE, idempotency_key=new_key()))
    assert order["pricing_amounts"]["total_money"] == {"amount": 13824, "currency": "USD"}
    got = await call(client, "get_order", {"order_id": order["order_id"]})
    assert got["order_id"] == order["order_id"] and "pay_order" in got["available_actions"]
    missing = await call_error(client, "pay_order", {"order_id": order["order_id"], "payment_source": "tok_visa"})
    assert (missing["code"], missing["param"]) == ("parameter_missing", "idempotency_key")
    who = await call(client, "whoami", {})
    assert who["mode"] == "test"


@pytest.mark.parametrize("mode", MODES)
def test_stdio_subprocess(fresh_db: tuple[str, str], mode: str) -> None:
    url, key = fresh_db

    async def main() -> None:
        async with stdio_client(url, key, mode) as client:
            await exercise(client)
            skill = await client.read_resource("flint://skill")
            assert skill.contents[0].text.startswith("---\nname: flint")

    anyio.run(main)


def test_stdio_returns_urls_on_the_public_url(fresh_db: tuple[str, str]) -> None:
    """Over stdio there is no request to take an address from: FLINT_PUBLIC_URL says where Flint is served."""
    url, key = fresh_db

    async def main() -> None:
        async with stdio_client(url, key, env={"FLINT_PUBLIC_URL": "https://pay.example.com/"}) as client:
            order = await call(client, "create_order", dict(WORKED_EXAMPLE, checkout_flow="HOSTED",
                                                            idempotency_key=new_key()))
            assert order["checkout_session_url"].startswith("https://pay.example.com/checkout/cs_")
            missing = await call_error(client, "get_order", {"order_id": "ord_nope"})
            assert missing["doc_url"] == "https://pay.example.com/docs/errors#resource_missing"
            hits = await call(client, "search_docs", {"q": "create_refund", "limit": 1})
            assert hits["data"][0]["url"] == "https://pay.example.com/docs/refunds#create_refund"

    anyio.run(main)


def test_stdio_serves_the_toolsets_it_is_given(fresh_db: tuple[str, str]) -> None:
    """`flint mcp --toolsets webhooks --read-only`: those tools, plus discovery; enable_toolset adds more
    (list_changed on this connection); an unknown toolset is refused at start with status 2."""
    url, key = fresh_db
    reads = toolsets.Selection(frozenset({"webhooks"}), read_only=True)

    async def main() -> None:
        async with stdio_client(url, key, "legacy", args=("--toolsets", "webhooks", "--read-only")) as client:
            assert {t.name for t in (await client.list_tools()).tools} == listed_names(reads)
            added = await call(client, "enable_toolset", {"toolsets": ["tax"]})
            assert added["tools_added"] == ["get_tax_rate", "list_tax_rates"]  # read-only still applies
            assert {"get_tax_rate", "list_tax_rates"} <= {t.name for t in (await client.list_tools()).tools}

    anyio.run(main)
    params = stdio_params(url, key, args=("--toolsets", "webhooks,nope"))
    done = subprocess.run([params.command, *params.args], env=params.env, cwd=ROOT, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and done.stdout == "" and "nope" in done.stderr, done


def test_stdio_refuses_a_missing_or_bad_key(fresh_db: tuple[str, str]) -> None:
    url, _ = fresh_db
    for key in (None, "sk_test_wrong"):
        params = stdio_params(url, key)
        done = subprocess.run([params.command, *params.args], env=params.env, cwd=ROOT, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 2 and done.stdout == "", done
        assert "FLINT_API_KEY" in done.stderr


@pytest.mark.parametrize("mode", MODES)
def test_streamable_http_in_process(api: Api, db: Any, mode: str) -> None:
    async def main() -> None:
        async with asgi_client(db, api.key, mode) as client:
            await exercise(client, sessionless=mode == "auto")

    anyio.run(main)


@pytest.mark.parametrize("mode", MODES)
def test_streamable_http_restricted_key(api: Api, db: Any, mode: str) -> None:
    reader = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"]

    async def main() -> None:
        async with asgi_client(db, reader, mode) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert "get_order" in tools and "create_order" not in tools
            assert all(t.annotations.read_only_hint for t in tools.values())
            error = await call_error(client, "create_order", dict(WORKED_EXAMPLE, idempotency_key=new_key()))
            assert error["type"] == "permission_error"

    anyio.run(main)


def test_mcp_endpoint_over_plain_http(client: Any, api: Api) -> None:
    """The /mcp route of the shared test app (TestClient at http://127.0.0.1:8000): a key is required,
    the Host header is checked, and a legacy initialize handshake answers with Flint's server info."""
    refused = client.post("/mcp", json=INITIALIZE, headers=MCP_HEADERS)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert refused.json()["error"]["code"] == "missing_api_key"
    assert refused.headers["Request-Id"] == refused.json()["error"]["request_id"]
    bad = client.post("/mcp", json=INITIALIZE, headers=MCP_HEADERS | {"Authorization": "Bearer sk_test_nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_api_key"
    auth = MCP_HEADERS | {"Authorization": f"Bearer {api.key}"}
    rebinding = client.post("/mcp", json=INITIALIZE, headers=auth | {"Host": "evil.example.com"})
    assert rebinding.status_code == 421
    ok = client.post("/mcp", json=INITIALIZE, headers=auth)
    assert ok.status_code == 200, ok.text
    assert ok.json()["result"]["serverInfo"]["name"] == "flint"
    listed = client.post("/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                         headers=auth | {"Mcp-Protocol-Version": "2025-11-25"})
    assert listed.status_code == 200 and any(t["name"] == "create_refund" for t in listed.json()["result"]["tools"])
    # a tool call is an HTTP request like any other: its Request-Id is the operation's request id
    called = client.post("/mcp", json={"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "create_customer", "arguments": {"name": "Raw", "idempotency_key": new_key()}}},
        headers=auth | {"Mcp-Protocol-Version": "2025-11-25"})
    result = called.json()["result"]
    assert result["isError"] is False and result["structuredContent"]["name"] == "Raw"
    assert result["_meta"]["request_id"] == called.headers["Request-Id"]
    # the rest of the app is untouched by the MCP route
    assert client.get("/v1/nope").json()["error"]["code"] == "route_not_found"


MODERN_META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
               "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
               "io.modelcontextprotocol/clientCapabilities": {}}


def raw_tool_call(client: Any, key: str | None, version: str, name: str, arguments: Any) -> Any:
    """One tools/call POST on either protocol: 2025-11-25 (plain JSON-RPC after a handshake) or
    2026-07-28 (self-contained: the envelope in _meta, the method and tool name in headers)."""
    headers = MCP_HEADERS | {"Mcp-Protocol-Version": version} | ({"Authorization": f"Bearer {key}"} if key else {})
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if version == "2026-07-28":
        params["_meta"] = MODERN_META
        headers |= {"Mcp-Method": "tools/call", "Mcp-Name": name}
    return client.post("/mcp", json={"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params},
                       headers=headers)


@pytest.mark.parametrize("version", ["2025-11-25", "2026-07-28"])
def test_a_tool_call_with_a_refused_key_is_a_401(client: Any, api: Api, version: str) -> None:
    """A tools/call is not checked by the HTTP gate first (the call authenticates its key itself), yet a
    refused key still gets the gate's 401, whatever else is wrong with the call, and does nothing."""
    order_id = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)["order_id"]
    doomed = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:write"]})
    api.ok("POST", f"/v1/api_keys/{doomed['api_key_id']}/revoke", {})
    before = len(api.ok("GET", "/v1/request_logs", params={"face": "mcp"})["data"])
    calls = [("get_order", {"order_id": order_id}),  # fine but for the key
             ("create_order", dict(WORKED_EXAMPLE, idempotency_key=new_key())),
             ("create_order", {"currency": "USD"}),  # a schema violation the face finds before invoke
             ("no_such_tool", {}),
             ("get_order", ["not", "an", "object"])]
    for key, code in ((None, "missing_api_key"), ("sk_test_nope", "invalid_api_key"),
                      (doomed["secret"], "api_key_revoked")):
        for name, arguments in calls:
            refused = raw_tool_call(client, key, version, name, arguments)
            assert refused.status_code == 401, (key, name, refused.text)
            assert refused.headers["WWW-Authenticate"] == 'Bearer realm="flint"'
            assert refused.headers["Flint-Should-Retry"] == "false"
            error = refused.json()["error"]
            assert (error["type"], error["code"]) == ("authentication_error", code), (key, name)
            assert error["request_id"] == refused.headers["Request-Id"]
    assert len(api.ok("GET", "/v1/orders")["data"]) == 1  # nothing was created
    assert len(api.ok("GET", "/v1/request_logs", params={"face": "mcp"})["data"]) == before
    # with a good key, a failed call stays a tool error and a malformed one a JSON-RPC error
    for name, arguments in calls[2:4]:
        failed = raw_tool_call(client, api.key, version, name, arguments)
        assert failed.status_code == 200 and failed.json()["result"]["isError"] is True, failed.text
    malformed = raw_tool_call(client, api.key, version, *calls[4])
    assert malformed.status_code != 401 and malformed.json()["error"]["code"] == -32602, malformed.text
    done = raw_tool_call(client, api.key, version, "get_order", {"order_id": order_id})
    assert done.status_code == 200 and done.json()["result"]["structuredContent"]["order_id"] == order_id


@pytest.mark.parametrize("mode", MODES)
def test_streamable_http_against_flint_serve(tmp_path: Path, mode: str) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    port = free_port()
    proc, out = start(url, port)
    try:
        key = next(word for word in out.split() if word.startswith("FLINT_API_KEY=")).split("=", 1)[1]

        async def main() -> None:
            async with http_client_for(f"http://127.0.0.1:{port}/mcp", key, mode) as client:
                await exercise(client, sessionless=mode == "auto")

        anyio.run(main)
    finally:
        stop(proc)
