"""The generated agent skill (skill/flint/): current with the registry, well-formed, complete."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flint_core.kernel import errors
from flint_core.platform import registry, tool_schemas
from skill import build, facts, names, references
from skill.__main__ import main

ROOT = build.ROOT
REPO = Path(__file__).resolve().parents[2]
SKILL = (ROOT / "SKILL.md").read_text(encoding="utf-8")
OPERATIONS_MD = (ROOT / "references" / "operations.md").read_text(encoding="utf-8")
ERRORS_MD = (ROOT / "references" / "errors.md").read_text(encoding="utf-8")
REGENERATE = "skill/flint/ is stale: run `python -m skill` and commit the result"


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    assert text.startswith("---\n"), "SKILL.md starts with YAML front matter"
    head, _, body = text[4:].partition("\n---\n")
    meta = {}
    for line in head.split("\n"):
        key, _, value = line.partition(": ")
        meta[key] = json.loads(value) if value.startswith('"') else value
    return meta, body


def section(text: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n")
    rest = text[start + len(heading) + 2:]
    stop = re.search(rf"^#{{1,{len(level)}}} ", rest, flags=re.M)
    return rest[:stop.start()] if stop else rest


def test_committed_copy_is_current(tmp_path: Path) -> None:
    written = build.write(tmp_path)
    assert written == ["SKILL.md", "references/errors.md", "references/operations.md"]
    for rel in written:
        committed = ROOT / rel
        assert committed.is_file(), f"{rel} missing: {REGENERATE}"
        assert (tmp_path / rel).read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), \
            f"{rel}: {REGENERATE}"
    assert build.stale(ROOT) == [], REGENERATE


def test_check_fails_when_an_operation_is_added_without_regenerating(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    build.write(tmp_path)  # a copy current with today's registry
    fake = dataclasses.replace(registry.get("whoami"), name="frobnicate_order", summary="Frobnicate an order.")
    monkeypatch.setitem(registry._OPERATIONS, fake.name, fake)
    assert build.stale(tmp_path) == ["SKILL.md", "references/operations.md"]
    assert main(["--check", "--root", str(tmp_path)]) == 1
    assert "`frobnicate_order`" in build.render()["SKILL.md"]


def test_check_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(tmp_path)]) == 0
    assert main(["--check", "--root", str(tmp_path)]) == 0
    (tmp_path / "references" / "errors.md").write_text("# Errors\n")
    (tmp_path / "references" / "old.md").write_text("no longer generated\n")
    capsys.readouterr()
    assert main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "references/errors.md" in err and "references/old.md" in err and "SKILL.md" not in err
    main(["--root", str(tmp_path)])  # writing removes files the package no longer has
    assert not (tmp_path / "references" / "old.md").exists() and build.stale(tmp_path) == []


def test_output_is_deterministic() -> None:
    """Same output whatever the hash seed (set iteration order) of the generating process."""
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-m", "skill", "--check"], cwd=REPO, env=env, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr


def test_output_does_not_depend_on_registry_order(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = build.render()
    shuffled = list(reversed(registry.operations()))
    monkeypatch.setattr(registry, "operations", lambda: list(shuffled))
    assert build.render() == expected


def test_front_matter_and_size() -> None:
    meta, body = split_front_matter(SKILL)
    assert set(meta) == {"name", "description"}
    assert meta["name"] == "flint" and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta["name"])
    assert 100 < len(meta["description"]) < 1024
    assert "order" in meta["description"] and "Use this skill" in meta["description"]
    assert len(body.split("\n")) < 500, "SKILL.md body must stay under 500 lines; move detail to references/"
    for heading in ("## Critical rules", "## Authentication", "## Conventions", "## Routing table",
                    "## Status tables", "## Retry rules", "## Recipes"):
        assert f"\n{heading}\n" in body
    for recipe in ("Create and pay an order", "Refund one line item", "Recover a failed payment",
                   "Find a customer's last order", "Hosted checkout"):
        assert f"\n### {recipe}\n" in section(body, "## Recipes")


def test_critical_rules() -> None:
    rules = section(SKILL, "## Critical rules")
    for phrase in ("idempotency key", "SAME key", "`preview_refund` before `create_refund`",
                   "`preview_order` before `create_order`", "Never invent ids", "Declines are outcomes",
                   "`FAILED`", "`failure` block", "integer minor units", "`available_actions`"):
        assert phrase in rules, phrase


@pytest.mark.parametrize("op", registry.operations(), ids=lambda op: op.name)
def test_every_operation_is_routed_and_referenced(op: registry.Operation) -> None:
    routing = section(SKILL, "## Routing table")
    link = f"[`{op.name}`](references/operations.md#{op.name})"
    row = next((line for line in routing.split("\n") if f"| {link} |" in line), None)
    assert row is not None, f"{op.name} missing from the routing table: {REGENERATE}"
    assert row.endswith(f"| {link} | {facts.scope_text(op)} | {facts.safety_words(op)} |")
    assert row.startswith(f"| {references.cell(op.summary)} |")

    entry = section(OPERATIONS_MD, f"### `{op.name}`")
    assert f'<a id="{op.name}"></a>\n### `{op.name}`' in OPERATIONS_MD
    assert f"- HTTP: `{op.method} {op.path}`" in entry
    assert f"- Scope: {facts.scope_text(op)}" in entry
    assert f"- Safety block: `{json.dumps(tool_schemas.safety_block(op), sort_keys=True)}`" in entry
    assert f"- Returns: `{facts.output_name(op)}`" in entry
    assert op.description in entry
    schema = tool_schemas.input_schema(op)
    for field in schema["properties"]:
        required = "yes" if field in schema["required"] else "no"
        assert re.search(rf"^\| `{field}` \| [^|]+ \| {required} \|", entry, flags=re.M), field


def test_safety_words_follow_the_safety_block() -> None:
    assert facts.safety_words(registry.get("get_order")) == "read-only"
    assert facts.safety_words(registry.get("create_order")) == "write"
    words = facts.safety_words(registry.get("create_refund"))
    assert words.startswith("destructive") and "moves money" in words
    assert "undo: create_refund" in facts.safety_words(registry.get("pay_order"))


def test_every_lifecycle_status_and_transition_appears() -> None:
    tables = section(SKILL, "## Status tables")
    for machine in registry.machines().values():
        table = section(tables, f"### {machine.resource} (starts `{machine.initial}`)")
        for status in machine.statuses:
            row = next(line for line in table.split("\n") if line.startswith(f"| `{status}` |"))
            cells = [c.strip() for c in row.strip("|").split("|")]
            assert set(re.findall(r"`(\w+)`", cells[1])) == set(machine.transitions[status]), row
            assert set(re.findall(r"`(\w+)`", cells[2])) == set(machine.actions_for(status)), row


def test_every_error_code_is_in_errors_md_and_retry_rules() -> None:
    retry = section(SKILL, "## Retry rules")
    for code, spec in errors.CATALOG.items():
        assert f'<a id="{code}"></a>' in ERRORS_MD and f"### `{code}`" in ERRORS_MD, code
        assert f"`{code}`" in retry, code
        if spec.retryable:
            assert re.search(rf"^\| `{code}` \| {spec.http_status} \| `{spec.effect}` \|", retry, flags=re.M)


def test_payment_recovery_and_test_cards() -> None:
    retry = section(SKILL, "## Retry rules")
    for category in ("transient", "hard_decline", "customer_action"):
        assert f"| `{category}` |" in retry
    from flint_core.processors.cards import TEST_CARDS
    for card in TEST_CARDS:
        assert f"| `{card.number}` | `{card.token}` |" in SKILL


def test_doc_links_point_to_existing_pages() -> None:
    linked = set()
    for text in (SKILL, OPERATIONS_MD, ERRORS_MD):
        linked |= set(re.findall(r"\]\(/docs/([^)#\s]+)(?:#[^)\s]*)?\)", text))
    assert {"payments", "refunds", "retries-and-recovery", "testing"} <= linked
    for slug in linked:
        assert (REPO / "docs" / f"{slug}.md").is_file(), f"/docs/{slug} has no docs/{slug}.md"


def test_reference_links_resolve() -> None:
    for target, anchor in re.findall(r"\]\((references/[a-z_]+\.md)(?:#(\w+))?\)", SKILL):
        text = (ROOT / target).read_text(encoding="utf-8")
        assert anchor == "" or f'<a id="{anchor}"></a>' in text, f"{target}#{anchor}"
    for anchor in re.findall(r"\]\(#(\w+)\)", OPERATIONS_MD):
        assert f'<a id="{anchor}"></a>' in OPERATIONS_MD


def test_recipes_only_name_registered_operations() -> None:
    assert names.op("pay_order") == "`pay_order`"
    with pytest.raises(LookupError):
        names.op("refund_everything")
    calls = re.findall(r"`([a-z_]+) \{\"", section(SKILL, "## Recipes"))
    assert {"create_order", "pay_order", "preview_refund", "search_customers", "list_orders"} <= set(calls)
    assert all(registry.registered(name) for name in calls)
