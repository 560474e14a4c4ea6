"""The committed skill folder passes the Agent Skills reference validator (PyPI `skills-ref`, the test
extra): `skills-ref validate skill/flint` (its command is `agentskills` in skills-ref 0.1)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skill import build

pytest.importorskip("skills_ref", reason="skills-ref is not installed: `pip install -e '.[test]'` (make install)")


def validate(folder: Path) -> subprocess.CompletedProcess[str]:
    """Run the package's own command line on ``folder``."""
    bin_dir = Path(sys.executable).parent
    script = next((bin_dir / name for name in ("skills-ref", "agentskills") if (bin_dir / name).is_file()), None)
    command = [str(script)] if script else [sys.executable, "-c", "from skills_ref.cli import main; main()"]
    return subprocess.run([*command, "validate", str(folder)], capture_output=True, text=True, check=False)


def test_skills_ref_validate_passes() -> None:
    done = validate(build.ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Valid skill" in done.stdout


def test_skills_ref_validate_catches_a_broken_skill(tmp_path: Path) -> None:
    """The validator really reads our file: a copy whose name does not match its folder fails."""
    copy = tmp_path / "flint"
    shutil.copytree(build.ROOT, copy)
    skill_md = copy / "SKILL.md"
    skill_md.write_text(skill_md.read_text(encoding="utf-8").replace("name: flint", "name: Flint_2", 1),
                        encoding="utf-8")
    done = validate(copy)
    assert done.returncode == 1 and "name" in done.stderr
