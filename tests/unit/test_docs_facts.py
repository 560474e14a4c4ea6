"""What the user-facing docs (README.md, docs/*.md, skill/flint/) state about the server, checked against
the server: the copy-paste examples can be followed one after the other on one database, the scope lists
are the registry's, no tool count is pinned, and nothing cites the project's internal contract files."""

from __future__ import annotations

import json
import re
import shlex
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from flint_core.kernel.errors import CATALOG
from flint_core.platform import registry, tool_schemas
from flint_mcp import prompts
from flint_mcp.server import INSTRUCTIONS
from tests.internal_files import INTERNAL

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
SKILL_FILES = sorted((REPO / "skill" / "flint").rglob("*.md"))
SHELL = re.compile(r"^```(?:sh|bash|shell)\n(.*?)^```", re.M | re.S)

# Keys a page sends again with another request on purpose: idempotency.md shows `idempotency_key_reused` with
# the key of the getting-started order.
DELIBERATE_REUSE = {("idempotency.md", "order-2026-0001")}


def shell_commands(block: str) -> list[str]:
    """The commands of a shell block: lines joined at `\\` continuations and inside quotes."""
    commands, current, quote, i = [], [], "", 0
    while i < len(block):
        char = block[i]
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"':
                current.append(char)
                i += 1
                char = block[i]
        elif char in "'\"":
            quote = char
        elif char == "\\" and block[i + 1:i + 2] == "\n":
            current.append(" ")
            i += 2
            continue
        elif char == "\n":
            commands.append("".join(current))
            current = []
            i += 1
            continue
        current.append(char)
        i += 1
    commands.append("".join(current))
    return [c.strip() for c in commands if c.strip()]


def keyed_requests(path: Path) -> Iterator[tuple[str, tuple[str, str, str]]]:
    """(idempotency key, (method, url, body)) for every curl command of the page that sends a fixed key,
    as the `Idempotency-Key` header or as a tool call's `idempotency_key` argument."""
    for block in SHELL.findall(path.read_text(encoding="utf-8")):
        for command in shell_commands(block):
            words = shlex.split(command, comments=True)
            if "curl" not in words:
                continue
            words = words[words.index("curl") + 1:]
            words = words[:words.index("|")] if "|" in words else words
            method, url, data, key = "", "", "", ""
            args = iter(words)
            for word in args:
                if word == "-X":
                    method = next(args)
                elif word in ("-d", "--data"):
                    data = next(args)
                elif word == "-H":
                    name, _, value = next(args).partition(":")
                    key = value.strip() if name.strip().lower() == "idempotency-key" else key
                elif word.startswith("http"):
                    url = word
            try:
                body = json.loads(data) if data else None
            except ValueError:
                body = data
            if isinstance(body, dict) and isinstance(body.get("arguments"), dict):
                key = body["arguments"].get("idempotency_key") or key
            if key and "$" not in key:  # "$(uuidgen)" is a new key on every run
                yield key, (method or ("POST" if data else "GET"), url, json.dumps(body, sort_keys=True))


def test_the_readme_and_the_guide_use_their_own_keys() -> None:
    """Both walk through the same order; followed one after the other on one database, a shared key would
    replay the first walk's answers and then fail with idempotency_key_reused."""
    readme = {key for key, _ in keyed_requests(README)}
    guide = {key for key, _ in keyed_requests(REPO / "docs" / "getting-started.md")}
    assert len(readme) == 5 and len(guide) == 5, (readme, guide)
    assert readme & guide == set()


def test_a_key_always_names_the_same_request() -> None:
    """Pages may repeat a step of another page with its key (a replay), never send another request with it."""
    requests: dict[str, dict[tuple[str, str, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in (README, *DOCS):
        for key, request in keyed_requests(path):
            requests[key][request].append(path.name)
    assert len(requests) > 30
    clashes = {key: dict(by_request) for key, by_request in requests.items() if len(by_request) > 1
               and not {(page, key) for pages in by_request.values() for page in pages} & DELIBERATE_REUSE}
    assert clashes == {}
    for page, key in DELIBERATE_REUSE:
        assert len(requests[key]) == 2 and any(page in pages for pages in requests[key].values())


def test_the_guide_shows_every_scope_of_a_secret_key() -> None:
    text = (REPO / "docs" / "getting-started.md").read_text(encoding="utf-8")
    whoami = re.search(r"jq '\{mode, sandbox_id, kind, scopes\}'\n```\n\n```json\n(.*?)\n```", text, re.S)
    assert whoami is not None
    assert json.loads(whoami.group(1))["scopes"] == list(registry.SCOPES)


def test_the_scope_table_lists_every_scope_and_operation() -> None:
    text = (REPO / "docs" / "authentication.md").read_text(encoding="utf-8")
    table = text[text.index("| scope | operations |"):]
    rows = dict(re.findall(r"^\| `([a-z]+:[a-z]+)` \| (.*) \|$", table[:table.index("\n\n")], flags=re.M))
    assert list(rows) != [] and sorted(rows) == sorted(registry.SCOPES)
    for op in registry.operations():
        if op.scope is not None:
            assert f"`{op.name}`" in rows[op.scope], f"{op.name} missing from the {op.scope} row"


def test_the_tools_every_key_sees_are_named_exactly() -> None:
    text = (REPO / "docs" / "tool-catalog.md").read_text(encoding="utf-8")
    named = re.search(r"plus the tools that need no\s+scope \(([^)]*)\)", text)
    assert named is not None
    expected = {op.name for op in registry.operations() if op.scope is None and op.safety.read_only}
    assert set(re.findall(r"`(\w+)`", named.group(1))) == expected


@pytest.mark.parametrize("path", [README, *DOCS, *SKILL_FILES], ids=lambda p: p.name)
def test_no_pinned_counts_of_tools_operations_or_scopes(path: Path) -> None:
    """Such counts go stale with every new operation: say "every tool" and let the registry count."""
    counts = re.findall(r"\b\d+ (?:\w+ )?(?:tools|operations|scopes)\b", path.read_text(encoding="utf-8"))
    assert counts == []


def user_facing_texts() -> Iterator[tuple[str, str]]:
    for path in (README, *DOCS, *SKILL_FILES):
        yield str(path.relative_to(REPO)), path.read_text(encoding="utf-8")
    for op in registry.operations():
        for fmt in tool_schemas.FORMATS:
            yield f"tool {op.name} ({fmt})", json.dumps(tool_schemas.tool(op, fmt))
    for code, spec in CATALOG.items():
        yield f"error {code}", repr(spec)
    yield "MCP instructions", INSTRUCTIONS
    for prompt in prompts.PROMPTS:
        yield f"MCP prompt {prompt.name}", repr(prompt)


def test_nothing_user_facing_cites_internal_files() -> None:
    """API.md, DESIGN.md, STYLE.md and COMMERCE.md are the project's own notes: users do not have them."""
    texts = list(user_facing_texts())
    assert len(texts) > 200
    cited = [name for name, text in texts if INTERNAL.search(text)]
    assert cited == []
