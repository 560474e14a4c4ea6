"""The generated agent skill (skill/flint/): current with the registry, within its budget, well-formed,
complete: SKILL.md routes tasks to toolsets, and every toolset has its reference, references/<toolset>.md."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flint_core import DEFAULT_PUBLIC_URL, TEST_CARDS
from flint_core.kernel import errors
from flint_core.platform import registry, tool_schemas
from skill import build, facts, names, skill_md, tables
from skill.__main__ import main

ROOT = build.ROOT
REPO = Path(__file__).resolve().parents[2]
SKILL = (ROOT / "SKILL.md").read_text(encoding="utf-8")
ERRORS_MD = (ROOT / "references" / "errors.md").read_text(encoding="utf-8")
TOOLSETS = [group.name for group in registry.groups() if any(op.group == group.name for op in registry.operations())]
REGENERATE = "skill/flint/ is stale: run `python -m skill` and commit the result"
ROW = re.compile(r"^\| (?P<task>.+?) \| \[(?P<toolset>\w+)\]\(references/(?P<file>\w+)\.md\) \| `(?P<op>\w+)` \| "
                 r"`(?P<method>[A-Z]+) (?P<path>\S+)` \|$", re.M)


def reference(toolset: str) -> str:
    return (ROOT / "references" / f"{toolset}.md").read_text(encoding="utf-8")


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


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    return set(re.findall(r'<a id="([^"]+)"></a>', text)) | {slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


# -- the generator ---------------------------------------------------------------------------------------


def test_committed_copy_is_current(tmp_path: Path) -> None:
    written = build.write(tmp_path)
    assert written == sorted(["SKILL.md", "references/errors.md", *(f"references/{t}.md" for t in TOOLSETS)])
    for rel in written:
        committed = ROOT / rel
        assert committed.is_file(), f"{rel} missing: {REGENERATE}"
        assert (tmp_path / rel).read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), \
            f"{rel}: {REGENERATE}"
    assert build.stale(ROOT) == [], REGENERATE
    assert not (ROOT / "references" / "operations.md").exists()  # replaced by one reference per toolset


def test_check_fails_when_an_operation_is_added_without_regenerating(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    build.write(tmp_path)  # a copy current with today's registry
    fake = dataclasses.replace(registry.get("whoami"), name="frobnicate_order", summary="Frobnicate an order.")
    monkeypatch.setitem(registry._OPERATIONS, fake.name, fake)
    assert build.stale(tmp_path) == [f"references/{fake.group}.md"]
    assert main(["--check", "--root", str(tmp_path)]) == 1
    assert "### `frobnicate_order`" in build.render()[f"references/{fake.group}.md"]


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


@pytest.mark.parametrize(("limit", "value", "says"), [("BODY_MAX_TOKENS", 1000, "tokens"),
                                                      ("BODY_MAX_LINES", 100, "lines")])
def test_check_fails_when_the_body_is_over_budget(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str], limit: str, value: int,
                                                  says: str) -> None:
    build.write(tmp_path)
    assert main(["--check", "--root", str(tmp_path)]) == 0
    monkeypatch.setattr(build, limit, value)  # current files, smaller budget: as if SKILL.md had grown
    capsys.readouterr()
    assert main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "over budget" in err and says in err and "stale" not in err


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


# -- SKILL.md --------------------------------------------------------------------------------------------


def test_front_matter() -> None:
    meta, _ = split_front_matter(SKILL)
    assert set(meta) == {"name", "description"}
    assert meta["name"] == "flint" and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta["name"])
    assert 100 < len(meta["description"]) <= 1024
    assert "order" in meta["description"] and "Use this skill" in meta["description"]


def test_body_is_within_the_agent_skills_budget() -> None:
    """Under 5,000 tokens (estimated as bytes / 4) and under 500 lines; detail goes to references/."""
    _, body = split_front_matter(SKILL)
    tokens = len(body.encode("utf-8")) / 4
    lines = len(body.rstrip("\n").split("\n"))
    assert tokens < 5000, f"SKILL.md body is ~{tokens:.0f} tokens: move detail to references/<toolset>.md"
    assert lines < 500, f"SKILL.md body is {lines} lines: move detail to references/<toolset>.md"
    assert build.body_size(SKILL) == (len(body.encode("utf-8")), len(body.encode("utf-8")) // 4, lines)
    assert build.over_budget(SKILL) == []


def test_sections() -> None:
    _, body = split_front_matter(SKILL)
    for heading in ("## Critical rules", "## Authentication", "## Conventions", "## Routing table",
                    "## Status tables", "## Retry rules", "## Test mode", "## Recipes"):
        assert f"\n{heading}\n" in body
    for recipe in ("Create and pay an order", "Refund one line item", "Find a customer's last order"):
        assert f"\n### {recipe}\n" in section(body, "## Recipes")


def test_critical_rules() -> None:
    rules = section(SKILL, "## Critical rules")
    for phrase in ("idempotency key", "SAME key", "`preview_refund` before `create_refund`",
                   "`preview_order` before `create_order`", "Never invent ids", "Declines are outcomes",
                   "`FAILED`", "`failure` block", "integer minor units", "`available_actions`"):
        assert phrase in rules, phrase
    for op in registry.operations():
        if op.safety.destructive:
            assert f"`{op.name}`" in rules, f"{op.name} cannot be undone: rule 2 must name it"


def test_keyless_operations_are_listed_from_the_registry() -> None:
    auth = section(SKILL, "## Authentication")
    listed = re.search(r"No key needed: ([^.]*)\.", auth)
    assert listed is not None
    keyless = {op.name for op in registry.operations() if op.auth == "public"}
    assert {"create_merchant", "explain_error", "search_docs", "get_doc"} <= keyless
    assert set(re.findall(r"`(\w+)`", listed.group(1))) == keyless


def test_routing_table_routes_are_the_registry_routes() -> None:
    routing = section(SKILL, "## Routing table")
    rows = list(ROW.finditer(routing))
    table_lines = [line for line in routing.split("\n") if line.startswith("| ") and not line.startswith("| task |")]
    assert len(rows) == len(table_lines) >= len(TOOLSETS), "every row is task | toolset | operation | route"
    for row in rows:
        op = registry.get(row["op"])
        assert op is not None, f"routing table names an unregistered operation: {row['op']}"
        assert row["toolset"] == row["file"] == op.group, row.group(0)
        assert (row["method"], row["path"]) == (op.method, op.path), row.group(0)
    assert {row["toolset"] for row in rows} == set(TOOLSETS), "every toolset appears in the routing table"
    must = {"create_order", "get_order", "pay_order", "preview_refund", "create_refund", "search_customers",
            "list_orders", "whoami"}
    assert must <= {row["op"] for row in rows}


def test_routing_table_tasks_are_checked_at_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "TASKS", (*tables.TASKS, ("Refund everything", "refund_everything")))
    with pytest.raises(LookupError):
        tables.routing_table()


def test_main_status_tables_in_skill_md() -> None:
    status = section(SKILL, "## Status tables")
    for name in skill_md.MAIN_MACHINES:
        machine = registry.machines()[name]
        assert f"**{machine.resource}** (starts `{machine.initial}`)" in status
    for machine in registry.machines().values():
        assert machine.resource in status  # shown, or linked to its toolset's reference


def test_retry_rules_and_declines() -> None:
    retry = section(SKILL, "## Retry rules")
    for spec in errors.CATALOG.values():
        if spec.retryable:
            assert re.search(rf"^\| `{spec.code}` \| {spec.http_status} \| `{spec.effect}` \|$", retry, flags=re.M)
        else:
            assert f"| `{spec.type}` |" in retry, spec.type
    for category in ("transient", "hard_decline", "customer_action"):
        assert f"| `{category}` |" in retry


def test_recipes_only_name_registered_operations() -> None:
    assert names.op("pay_order") == "`pay_order`"
    with pytest.raises(LookupError):
        names.op("refund_everything")
    texts = [section(SKILL, "## Recipes"), *(reference(t) for t in TOOLSETS)]
    calls = {name for text in texts for name in re.findall(r"`([a-z_]+) \{\"", text)}
    assert {"create_order", "pay_order", "preview_refund", "search_customers", "list_orders",
            "create_checkout_session", "get_order_timeline", "create_webhook_endpoint"} <= calls
    assert all(registry.registered(name) for name in calls)


# -- the references --------------------------------------------------------------------------------------


def test_every_toolset_has_its_reference() -> None:
    files = sorted(p.stem for p in (ROOT / "references").glob("*.md"))
    assert files == sorted([*TOOLSETS, "errors"])
    for toolset in TOOLSETS:
        text = reference(toolset)
        group = registry.group(toolset)
        assert text.startswith(f"# {group.title} (toolset `{toolset}`)\n")
        assert group.description in text
        assert f"[{toolset}](references/{toolset}.md)" in SKILL


@pytest.mark.parametrize("op", registry.operations(), ids=lambda op: op.name)
def test_every_operation_is_in_its_toolset_reference(op: registry.Operation) -> None:
    text = reference(op.group)
    assert f"| [`{op.name}`](#{op.name}) | `{op.method} {op.path}` | {facts.scope_text(op)} | " \
           f"{facts.safety_words(op)} |" in section(text, "## Contents")
    assert f'<a id="{op.name}"></a>\n### `{op.name}`' in text
    entry = section(text, f"### `{op.name}`")
    assert f"- HTTP: `{op.method} {op.path}`" in entry
    assert f"- Tool: `{op.name}`" in entry
    assert f"- Scope: {facts.scope_text(op)}" in entry
    assert f"- Safety block: `{json.dumps(tool_schemas.safety_block(op), sort_keys=True)}`" in entry
    assert f"- Returns: `{facts.output_name(op)}`" in entry
    assert op.description.replace("](/", f"]({DEFAULT_PUBLIC_URL}/") in entry
    schema = tool_schemas.input_schema(op)
    for field in schema["properties"]:
        required = "yes" if field in schema["required"] else "no"
        assert re.search(rf"^\| `{field}` \| [^|]+ \| {required} \|", entry, flags=re.M), field
    others = [t for t in TOOLSETS if t != op.group]
    assert all(f"### `{op.name}`" not in reference(t) for t in others), "one operation, one toolset"


def test_every_lifecycle_is_in_its_toolset_reference() -> None:
    for machine in registry.machines().values():
        text = reference(facts.machine_toolset(machine))
        statuses = section(text, "## Statuses")
        table = statuses[statuses.index(f"**{machine.resource}** (starts `{machine.initial}`)"):]
        for status in machine.statuses:
            row = next(line for line in table.split("\n") if line.startswith(f"| `{status}` |"))
            cells = [c.strip() for c in row.strip("|").split("|")]
            assert set(re.findall(r"`(\w+)`", cells[1])) == set(machine.transitions[status]), row
            assert set(re.findall(r"`(\w+)`", cells[2])) == set(machine.actions_for(status)), row
    assert facts.machine_toolset(registry.machines()["order"]) == "orders"


def test_every_error_code_is_in_errors_md() -> None:
    for code in errors.CATALOG:
        assert f'<a id="{code}"></a>' in ERRORS_MD and f"### `{code}`" in ERRORS_MD, code


def test_test_cards_and_scopes_in_their_references() -> None:
    payments = reference("payments")
    for card in TEST_CARDS:
        assert f"| `{card.number}` | `{card.token}` |" in payments
    accounts = section(reference("accounts"), "## Scopes")
    for scope in registry.SCOPES:
        assert f"| `{scope}` |" in accounts


def test_safety_words_follow_the_safety_block() -> None:
    assert facts.safety_words(registry.get("get_order")) == "read-only"
    assert facts.safety_words(registry.get("create_order")) == "write"
    words = facts.safety_words(registry.get("create_refund"))
    assert words.startswith("destructive") and "moves money" in words
    assert "undo: create_refund" in facts.safety_words(registry.get("pay_order"))


# -- links -----------------------------------------------------------------------------------------------


def skill_files() -> list[Path]:
    return sorted(ROOT.rglob("*.md"))


@pytest.mark.parametrize("path", skill_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_work_in_an_installed_skill_folder(path: Path) -> None:
    """Inside the folder links are relative and resolve to a file (and anchor) of the folder; links to
    guides are absolute (a folder has no host) and name an existing docs page."""
    text = path.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    assert not [t for t in targets if t.startswith("/")], "root-relative links break without a host"
    for target in targets:
        if target.startswith(f"{DEFAULT_PUBLIC_URL}/docs/"):
            page = target.removeprefix(f"{DEFAULT_PUBLIC_URL}/docs/").split("#")[0].removesuffix(".md")
            assert (REPO / "docs" / f"{page}.md").is_file(), target
        elif target.startswith("#"):
            assert target[1:] in anchors(text), target
        elif not re.match(r"^[a-z]+:", target):
            file, _, anchor = target.partition("#")
            resolved = (path.parent / file).resolve()
            assert resolved.is_file() and ROOT in resolved.parents, f"{target} leaves or misses the skill folder"
            assert anchor == "" or anchor in anchors(resolved.read_text(encoding="utf-8")), target


def test_skill_md_links_every_reference() -> None:
    linked = set(re.findall(r"\]\((references/\w+\.md)", SKILL))
    assert linked == {f"references/{name}.md" for name in [*TOOLSETS, "errors"]}
