"""``python -m skill`` writes skill/flint/; ``python -m skill --check`` exits 1 if the committed copy is stale."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from skill import build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skill", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 if stale")
    parser.add_argument("--root", type=Path, default=build.ROOT, help="package directory (default skill/flint)")
    args = parser.parse_args(argv)
    if args.check:
        differing = build.stale(args.root)
        for rel in differing:
            print(f"stale: {args.root / rel} (run `python -m skill` and commit the result)", file=sys.stderr)
        return 1 if differing else 0
    for rel in build.write(args.root):
        print(f"wrote {args.root / rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
