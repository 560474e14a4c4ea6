"""MCP resources (SKILL.md, every docs page, the status tables) and prompts for the safe workflows."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from flint_core.platform import registry
from flint_mcp import resources
from tests.conftest import Api
from tests.mcp.helpers import MODES, ROOT, memory_client


@pytest.mark.parametrize("mode", MODES)
def test_resources_serve_skill_docs_and_status_tables(api: Api, db: Any, mode: str) -> None:
    slugs = sorted(p.stem for p in (ROOT / "docs").glob("*.md"))
    assert "refunds" in slugs

    async def main() -> None:
        async with memory_client(db, api.key, mode) as client:
            listed = {str(r.uri): r for r in (await client.list_resources()).resources}
            assert {"flint://skill", "flint://status-tables"} <= set(listed)
            assert {f"flint://docs/{slug}" for slug in slugs} <= set(listed)
            assert listed["flint://docs/refunds"].title == "Refunds"
            assert all(r.mime_type == "text/markdown" for r in listed.values())
            templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
            assert "flint://docs/{slug}" in templates

            async def text(uri: str) -> str:
                contents = (await client.read_resource(uri)).contents
                assert len(contents) == 1 and contents[0].mime_type == "text/markdown"
                return contents[0].text

            for slug in slugs:
                assert await text(f"flint://docs/{slug}") == (ROOT / "docs" / f"{slug}.md").read_text()
            skill = ROOT / "skill" / "flint" / "SKILL.md"
            expected = skill.read_text() if skill.is_file() else None
            served = await text("flint://skill")
            assert served == expected if expected else "/SKILL.md" in served
            assert served.startswith("---\nname: flint")
            tables = await text("flint://status-tables")
            for machine in registry.machines().values():
                assert f"## {machine.resource}" in tables
            assert "| `PAID` | `CLOSED`, `PARTIALLY_REFUNDED`, `REFUNDED` |" in tables
            assert "`create_refund`" in tables
            for bad in ("flint://docs/nope", "flint://docs/../pyproject", "flint://other"):
                with pytest.raises(MCPError, match="Unknown resource"):
                    await client.read_resource(bad)

    anyio.run(main)


def test_status_tables_follow_the_lifecycle_tables() -> None:
    tables = resources.status_tables()
    order = registry.machines()["order"]
    for status in order.statuses:
        row = next(line for line in tables.splitlines() if line.startswith(f"| `{status}` |"))
        for action in order.actions_for(status):
            assert f"`{action}`" in row


@pytest.mark.parametrize("mode", MODES)
def test_prompts_for_safe_workflows(api: Api, db: Any, mode: str) -> None:
    async def main() -> None:
        async with memory_client(db, api.key, mode) as client:
            prompts = {p.name: p for p in (await client.list_prompts()).prompts}
            assert {"refund_line_item", "recover_failed_payment", "find_last_order",
                    "investigate_order"} <= set(prompts)
            assert [a.name for a in prompts["find_last_order"].arguments if a.required] == ["customer"]
            refund = await client.get_prompt("refund_line_item", {"customer": "Sarah", "item": "Coffee"})
            steps = refund.messages[0].content.text
            assert refund.messages[0].role == "user" and "Coffee" in steps and "Sarah" in steps
            order = [steps.index(name) for name in ("search_customers", "list_orders", "get_order",
                                                    "preview_refund(", "create_refund with")]
            assert order == sorted(order) and "idempotency_key" in steps
            recover = (await client.get_prompt("recover_failed_payment", {"order_id": "ord_1"})).messages[0]
            assert "ord_1" in recover.content.text and "retry_payment" in recover.content.text
            with pytest.raises(MCPError, match="needs argument"):
                await client.get_prompt("find_last_order", {})
            with pytest.raises(MCPError, match="Unknown prompt"):
                await client.get_prompt("nope", {})

    anyio.run(main)


def test_prompts_only_name_registered_tools() -> None:
    """A renamed operation cannot leave a prompt telling agents to call a tool that no longer exists."""
    import re

    from flint_core.platform import registry
    from flint_mcp.prompts import PROMPTS

    for prompt in PROMPTS:
        called = set(re.findall(r"\b([a-z]+(?:_[a-z]+)+)\(", prompt.template))
        assert called and all(registry.registered(name) for name in called), (prompt.name, called)


def test_prompts_read_well_without_their_optional_arguments() -> None:
    """An absent argument is replaced by what to assume, never by its description in parentheses."""
    from flint_mcp.prompts import PROMPTS

    for prompt in PROMPTS:
        text = prompt.render({a.name: "X" for a in prompt.arguments if a.required})
        assert "((" not in text and "))" not in text and "(not given:" not in text, text.splitlines()[0]
    refund = next(p for p in PROMPTS if p.name == "refund_line_item").render({"item": "Coffee"})
    assert refund.startswith("Refund Coffee (quantity: every refundable unit of that line) for customer")
