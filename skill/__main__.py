"""``python -m skill`` writes skill/flint/; ``python -m skill --check`` exits 1 if the committed copy is stale
or SKILL.md's body is over budget (under 5,000 tokens, estimated as bytes / 4, and under 500 lines)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from skill import build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skill", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 if stale "
                        "or over budget")
    parser.add_argument("--root", type=Path, default=build.ROOT, help="package directory (default skill/flint)")
    args = parser.parse_args(argv)
    problems = build.over_budget(build.render()["SKILL.md"])
    if args.check:
        differing = build.stale(args.root)
        for rel in differing:
            print(f"stale: {args.root / rel} (run `python -m skill` and commit the result)", file=sys.stderr)
        skill_md = args.root / "SKILL.md"
        if skill_md.is_file():  # the committed copy too, in case it is stale in the other direction
            problems = list(dict.fromkeys(problems + build.over_budget(skill_md.read_text(encoding="utf-8"))))
        for problem in problems:
            print(f"over budget: {problem}", file=sys.stderr)
        return 1 if differing or problems else 0
    for rel in build.write(args.root):
        print(f"wrote {args.root / rel}")
    size, tokens, lines = build.body_size(build.render()["SKILL.md"])
    print(f"SKILL.md body: {size} bytes, ~{tokens} tokens (bytes / 4), {lines} lines")
    for problem in problems:
        print(f"over budget: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
