"""What the MCP Inspector shows. Its client checks a tool result against the tool's outputSchema: a result
that is not an error must carry structuredContent that validates; older Inspectors validated any
structuredContent, errors included, and so hid Flint's error envelope behind "data must have required
property 'order_id'". Both rules are reproduced here over real calls, and the Inspector's own CLI (Node 22,
fetched by npx) runs against `flint serve` when it can be installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import anyio
import pytest
from jsonschema import Draft202012Validator

from tests.conftest import WORKED_EXAMPLE, Api
from tests.e2e.processes import free_port, start, stop
from tests.mcp.helpers import ALL, MODES, memory_client, new_key

INSPECTOR = ["npx", "-y", "-p", "node@22", "-p", "@modelcontextprotocol/inspector@2", "mcp-inspector", "--cli"]


def inspector_accepts(tool: Any, result: Any) -> str | None:
    """Why the Inspector would refuse to show ``result`` as the tool's answer (None: it shows it)."""
    if tool.output_schema is None:
        return None
    if result.structured_content is None:
        return None if result.is_error else "has an output schema but did not return structured content"
    # the older Inspector validated whatever structuredContent came back, error or not
    errors = list(Draft202012Validator(tool.output_schema).iter_errors(result.structured_content))
    return errors[0].message if errors else None


@pytest.mark.parametrize("mode", MODES)
def test_successes_and_errors_pass_the_inspectors_rule(api: Api, db: Any, mode: str) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    calls = [
        ("get_order", {"order_id": order["order_id"]}, False),
        ("list_orders", {}, False),
        ("preview_refund", {"order_id": order["order_id"], "amount_money": {"amount": 100}}, True),
        ("pay_order", {"order_id": order["order_id"], "payment_source": "tok_visa", "idempotency_key": new_key()},
         False),
        ("get_order", {"order_id": "ord_nope"}, True),
        ("create_order", WORKED_EXAMPLE, True),  # no idempotency key
        ("create_customer", {"name": "Sarah", "idempotency_key": new_key()}, False),
        ("search_docs", {"q": "refund one line item"}, False),
        ("list_toolsets", {}, False),
    ]

    async def main() -> None:
        async with memory_client(db, api.key, mode, ALL) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            for name, arguments, fails in calls:
                result = await client.call_tool(name, arguments)
                assert bool(result.is_error) is fails, (name, result.content[0].text)
                assert inspector_accepts(tools[name], result) is None, name
                if fails:
                    envelope = json.loads(result.content[-1].text)
                    assert envelope["error"]["code"] in result.content[0].text

    anyio.run(main)


def _inspector(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*INSPECTOR, *args], capture_output=True, text=True, timeout=180, cwd=cwd)


def test_the_inspector_cli_lists_and_calls(tmp_path: Path) -> None:
    if shutil.which("npx") is None:
        pytest.skip("npx is not installed: the Inspector rule is checked above without it")
    try:
        probe = _inspector("--help", cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.skip("the MCP Inspector could not be fetched in time (no npm registry?)")
    if probe.returncode != 0:
        pytest.skip(f"the MCP Inspector could not be installed: {probe.stderr.strip()[-300:]}")
    port = free_port()
    proc, out = start(f"sqlite:///{tmp_path / 'serve.db'}", port)
    try:
        key = next(word for word in out.split() if word.startswith("FLINT_API_KEY=")).split("=", 1)[1]
        target = [f"http://127.0.0.1:{port}/mcp", "--header", f"Authorization: Bearer {key}"]
        for query in ("", "?toolsets=all"):
            target[0] = f"http://127.0.0.1:{port}/mcp{query}"
            listed = _inspector(*target, "--strict", "--method", "tools/list", cwd=tmp_path)
            assert listed.returncode == 0, listed.stdout[-2000:] + listed.stderr[-2000:]
            names = {tool["name"] for tool in json.loads(listed.stdout)["tools"]}
            assert {"create_order", "list_toolsets"} <= names
        missing = _inspector(*target, "--method", "tools/call", "--tool-name", "get_order", "--tool-arg",
                             "order_id=ord_nope", cwd=tmp_path)
        shown = missing.stdout + missing.stderr
        assert "resource_missing" in shown and "required property" not in shown, shown[-2000:]
        created = _inspector(*target, "--method", "tools/call", "--tool-name", "create_customer", "--tool-arg",
                             "name=Sarah", f"idempotency_key={new_key()}", cwd=tmp_path)
        assert created.returncode == 0 and '"cus_' in created.stdout, created.stdout[-2000:] + created.stderr
    finally:
        stop(proc)
