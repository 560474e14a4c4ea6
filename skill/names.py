"""Operation names in the skill's prose, checked against the registry so a rename cannot leave a stale recipe."""

from __future__ import annotations

import json

from flint_core import registry


def op(name: str) -> str:
    """`name` in backticks; generation fails if the operation is not registered."""
    if not registry.registered(name):
        raise LookupError(f"SKILL.md names an unregistered operation: {name}")
    return f"`{name}`"


def call(name: str, arguments: dict[str, object]) -> str:
    """A tool call as one code span: `name {arguments}`."""
    return f"`{op(name)[1:-1]} {json.dumps(arguments)}`"
