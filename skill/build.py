"""The skill package as files: render, write to skill/flint/, or check the committed copy is current."""

from __future__ import annotations

from pathlib import Path

from skill import references, skill_md

ROOT = Path(__file__).resolve().parent / "flint"


def render() -> dict[str, str]:
    """Relative path -> text of every file of the package, deterministically (no timestamps)."""
    return {
        "SKILL.md": skill_md.render(),
        "references/errors.md": references.render_errors(),
        "references/operations.md": references.render_operations(),
    }


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
