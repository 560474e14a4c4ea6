"""The shape of the code, checked over its imports (ast, every import: top level, in functions, under
TYPE_CHECKING). The floors are those of the house style (kernel, store, processors, platform, then the
domains in floors; the README's "Inside flint_core" lists them):

- a part of flint_core imports only its own folder and lower floors: never sideways, never up;
- the one exception is a domain's pure vocabulary (its ``lifecycle.py``: a status enum and its state
  machine), which any domain may read;
- kernel/ imports nothing of Flint outside kernel/, and platform/ imports no domain;
- the faces (flint_http, flint_mcp, skill, flint_cli) import only the ``flint_core`` door, and flint_http
  and flint_mcp never import each other (the server that mounts both is composed in flint_server.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import flint_core

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "flint_core"
FLOORS = {
    "kernel": 1, "store": 2, "processors": 3, "platform": 4,
    "customers": 5, "payment_methods": 5, "tax": 5, "coupons": 5, "activity": 5, "agent_docs": 5, "webhooks": 5, "test_helpers": 5,
    "notifications": 5,
    "catalog": 6,
    "orders": 7, "accounts": 7,
    "payments": 8,
    "refunds": 9, "checkout": 9,
    "hosted": 10,
}
SHARED_VOCABULARY = "lifecycle"  # flint_core.<domain>.lifecycle: readable from any domain
FACES = ("flint_http", "flint_mcp", "skill", "flint_cli")


def imported_modules(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every absolute import in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
    return found


def targets(module: str, names: list[str]) -> list[str]:
    """The flint_core modules an import reaches: ``from flint_core.orders import flows`` reaches
    ``flint_core.orders.flows``; ``from flint_core.orders.flows import LEFT_OPEN`` the module itself."""
    if not module.startswith("flint_core"):
        return []
    package = CORE.parent / module.replace(".", "/")
    if package.is_dir():
        return [f"{module}.{name}" if (package / f"{name}.py").exists() or (package / name).is_dir() else module
                for name in names] or [module]
    return [module]


def core_files() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py") if "migrations" not in p.parts)


def part_of(path: Path) -> str:
    return path.relative_to(CORE).parts[0]


def test_every_folder_of_the_core_has_a_floor() -> None:
    folders = {p.name for p in CORE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(FLOORS), "give each new folder of flint_core its floor here (and in the README)"
    assert not [p.name for p in CORE.glob("*.py") if p.name != "__init__.py"], "no flat modules beside the folders"


@pytest.mark.parametrize("path", [p for p in core_files() if p.parent != CORE], ids=lambda p: str(p.relative_to(CORE)))
def test_the_core_imports_only_its_own_folder_and_lower_floors(path: Path) -> None:
    here = part_of(path)
    wrong = []
    for line, module, names in imported_modules(path):
        for target in targets(module, names):
            parts = target.split(".")
            if len(parts) < 2 or parts[1] == here:
                continue
            there = parts[1]
            if len(parts) > 2 and parts[2] == SHARED_VOCABULARY and FLOORS[here] > FLOORS["platform"]:
                continue
            if FLOORS.get(there, 99) >= FLOORS[here]:
                wrong.append(f"line {line}: {here} (floor {FLOORS[here]}) imports {target} (floor {FLOORS.get(there)})")
    assert not wrong, "\n".join(wrong)


def test_kernel_is_pure_and_platform_imports_no_domain() -> None:
    for path in core_files():
        if part_of(path) not in ("kernel", "platform"):
            continue
        allowed = {"kernel"} if part_of(path) == "kernel" else {"kernel", "store", "processors", "platform"}
        for line, module, names in imported_modules(path):
            for target in targets(module, names):
                assert target.split(".")[1] in allowed, f"{path.relative_to(ROOT)}:{line} imports {target}"


def face_files() -> list[Path]:
    return sorted(p for face in FACES for p in (ROOT / face).rglob("*.py")) + [ROOT / "flint_server.py"]


@pytest.mark.parametrize("path", face_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_faces_import_only_the_door(path: Path) -> None:
    door = set(flint_core.__all__)
    for line, module, names in imported_modules(path):
        where = f"{path.relative_to(ROOT)}:{line}"
        if module.startswith("flint_core."):
            pytest.fail(f"{where} imports {module}: import it from the flint_core door")
        if module == "flint_core":
            assert set(names) <= door, f"{where}: {sorted(set(names) - door)} not in flint_core.__all__"


def test_http_and_mcp_never_import_each_other() -> None:
    for face, other in (("flint_http", "flint_mcp"), ("flint_mcp", "flint_http")):
        for path in (ROOT / face).rglob("*.py"):
            for line, module, _ in imported_modules(path):
                assert not module.startswith(other), f"{path.relative_to(ROOT)}:{line} imports {module}"


def test_the_door_names_only_what_exists() -> None:
    assert all(hasattr(flint_core, name) for name in flint_core.__all__)
