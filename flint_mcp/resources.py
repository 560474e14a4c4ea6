"""MCP resources: what an agent reads before acting.

- ``flint://skill``: the generated SKILL.md (``skill/flint/SKILL.md``), and its reference files at
  ``flint://skill/references/{name}``.
- ``flint://docs/{slug}``: each ``docs/*.md`` page, read from disk on every request so edited docs are
  served without a restart.
- ``flint://status-tables``: every state machine of ``registry.machines()`` as markdown, rendered from the
  same tables the core enforces, so it cannot drift from behaviour.

Resources are documentation: they need no API key and are the same for every caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flint_core import registry

ROOT = Path(__file__).resolve().parent.parent
DOCS_DIR = ROOT / "docs"
SKILL_DIR = ROOT / "skill" / "flint"
MARKDOWN = "text/markdown"
SKILL_URI, STATUS_URI = "flint://skill", "flint://status-tables"
DOC_TEMPLATE, REFERENCE_TEMPLATE = "flint://docs/{slug}", "flint://skill/references/{name}"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_PLACEHOLDER = """---
name: flint
description: Flint, an order-first commerce API for AI agents (orders, payments, refunds).
---

# Flint

The generated skill file is not built on this server yet. Fetch `GET /SKILL.md` from the Flint HTTP
server, read `flint://status-tables` and the `flint://docs/{slug}` pages (start with
`flint://docs/index`), and list the tools: every tool's description says when to use it.
"""


@dataclass(frozen=True)
class Doc:
    uri: str
    name: str
    title: str
    description: str
    text: str


def _title(text: str, fallback: str) -> str:
    heading = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), None)
    return heading or fallback


def _first_paragraph(text: str) -> str:
    lines = [line for line in text.split("\n\n") if line.strip() and not line.lstrip().startswith(("#", "---"))]
    return " ".join(lines[0].split())[:300] if lines else ""


def doc_slugs() -> list[str]:
    return sorted(path.stem for path in DOCS_DIR.glob("*.md") if _NAME.match(path.stem))


def reference_names() -> list[str]:
    return sorted(path.stem for path in (SKILL_DIR / "references").glob("*.md") if _NAME.match(path.stem))


def skill_text() -> str:
    path = SKILL_DIR / "SKILL.md"
    return path.read_text(encoding="utf-8") if path.is_file() else _PLACEHOLDER


def status_tables() -> str:
    """Every state machine: its statuses, where each may move, and the operations legal in each."""
    out = ["# Flint status tables", "",
           "Rendered from each domain's `lifecycle.py`, the tables the server enforces. An object's "
           "`available_actions` is the operations legal in its status, filtered by the calling key's scopes.", ""]
    for machine in registry.machines().values():
        out += [f"## {machine.resource}", "", f"Initial status: `{machine.initial}`.", "",
                "| status | can move to | operations legal in this status |", "|---|---|---|"]
        for status, targets in machine.transitions.items():
            moves = ", ".join(f"`{t}`" for t in sorted(targets)) or "(final)"
            actions = ", ".join(f"`{a}`" for a in machine.actions_for(status)) or "none"
            out.append(f"| `{status}` | {moves} | {actions} |")
        if machine.error_codes:
            codes = ", ".join(f"`{op}` -> `{code}`" for op, code in machine.error_codes.items())
            out += ["", f"Calling an operation in a status that does not allow it is a 409: {codes}."]
        out.append("")
    return "\n".join(out)


def static_docs() -> list[Doc]:
    """The fixed resources (``resources/list``)."""
    skill = skill_text()
    return [Doc(SKILL_URI, "skill", "Flint SKILL.md", "Read first: critical rules, routing table, status tables, "
                "retry rules and recipes for driving Flint safely.", skill),
            Doc(STATUS_URI, "status-tables", "Status tables", "Every lifecycle: statuses, legal transitions and the "
                "operations each status allows.", status_tables())]


def page_docs() -> list[Doc]:
    """Every docs page and skill reference file as a concrete resource (also listed, for discovery)."""
    docs = []
    for slug in doc_slugs():
        text = (DOCS_DIR / f"{slug}.md").read_text(encoding="utf-8")
        docs.append(Doc(f"flint://docs/{slug}", f"docs/{slug}", _title(text, slug), _first_paragraph(text), text))
    for name in reference_names():
        text = (SKILL_DIR / "references" / f"{name}.md").read_text(encoding="utf-8")
        docs.append(Doc(f"flint://skill/references/{name}", f"skill/references/{name}", _title(text, name),
                        _first_paragraph(text), text))
    return docs


def read(uri: str) -> str | None:
    """The markdown behind a ``flint://`` URI, or None when there is no such resource."""
    if uri == SKILL_URI:
        return skill_text()
    if uri == STATUS_URI:
        return status_tables()
    for prefix, folder in (("flint://docs/", DOCS_DIR), ("flint://skill/references/", SKILL_DIR / "references")):
        if uri.startswith(prefix):
            name = uri[len(prefix):].removesuffix(".md")
            path = folder / f"{name}.md"
            return path.read_text(encoding="utf-8") if _NAME.match(name) and path.is_file() else None
    return None
