"""The skill package as files: render, write to skill/flint/, check the committed copy is current, and
check SKILL.md's body stays within the Agent Skills budget."""

from __future__ import annotations

import re
from pathlib import Path

from skill import facts, references, skill_md

ROOT = Path(__file__).resolve().parent / "flint"
# Agent Skills guidance: keep SKILL.md's body under 5,000 tokens and 500 lines; detail goes to references.
BODY_MAX_TOKENS = 5000  # estimated as bytes / 4
BODY_MAX_LINES = 500
# A root-relative link (`/docs/money`) has no host inside an installed skill folder: every one becomes
# absolute with the default public URL, which the server rewrites to its own when it serves the files.
_ROOT_RELATIVE = re.compile(r"\]\(/(?!/)")


def _absolute_links(text: str) -> str:
    return _ROOT_RELATIVE.sub(f"]({facts.BASE_URL}/", text)


def render() -> dict[str, str]:
    """Relative path -> text of every file of the package, deterministically (no timestamps)."""
    files = {"SKILL.md": skill_md.render(), "references/errors.md": references.render_errors()}
    for group in facts.groups():
        files[group.reference] = references.render_toolset(group)
    return {rel: _absolute_links(text) for rel, text in sorted(files.items())}


def body(text: str) -> str:
    """SKILL.md without its front matter (what an agent loads when the skill triggers)."""
    if not text.startswith("---\n"):
        return text
    _, sep, rest = text[4:].partition("\n---\n")
    return rest if sep else text


def body_size(text: str) -> tuple[int, int, int]:
    """(bytes, estimated tokens = bytes / 4, lines) of SKILL.md's body."""
    data = body(text).encode("utf-8")
    return len(data), len(data) // 4, len(body(text).rstrip("\n").split("\n"))


def over_budget(text: str) -> list[str]:
    """What is wrong with SKILL.md's size, empty when it is within budget."""
    size, tokens, lines = body_size(text)
    problems = []
    if tokens >= BODY_MAX_TOKENS:
        problems.append(f"SKILL.md body is ~{tokens} tokens ({size} bytes / 4); the budget is under "
                        f"{BODY_MAX_TOKENS}: move detail to references/<toolset>.md")
    if lines >= BODY_MAX_LINES:
        problems.append(f"SKILL.md body is {lines} lines; the budget is under {BODY_MAX_LINES}")
    return problems


def _on_disk(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def write(root: Path = ROOT) -> list[str]:
    """Write the package under ``root``, removing files it no longer has; returns the paths written."""
    files = render()
    for stale in _on_disk(root) - set(files):
        (root / stale).unlink()
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return sorted(files)


def stale(root: Path = ROOT) -> list[str]:
    """Paths under ``root`` that differ from a fresh render (changed, missing or no longer generated)."""
    files = render()
    out = [rel for rel, text in files.items()
           if not (root / rel).is_file() or (root / rel).read_text(encoding="utf-8") != text]
    return sorted(out + [rel for rel in _on_disk(root) - set(files)])
