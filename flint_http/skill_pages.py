"""The agent skill over HTTP (API.md section 8): /SKILL.md, its reference files, and the well-known
skill indexes. Serves the committed files under skill/flint/, read at request time, never a fresh render:
what agents read is what was reviewed. No key needed."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

import skill

SKILL_ROOT = Path(skill.__file__).resolve().parent / "flint"
SCHEMA = "https://schemas.agentskills.io/discovery/0.2.0/schema.json"
_REFERENCE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _read(rel: str, root: Path) -> bytes:
    path = root / rel
    if not path.is_file():
        raise HTTPException(status_code=404)
    return path.read_bytes()


def _markdown(body: bytes) -> Response:
    return Response(body, media_type="text/markdown; charset=utf-8")


def files(root: Path = SKILL_ROOT) -> list[str]:
    """The package's files, relative and sorted: SKILL.md, then references/*.md."""
    refs = sorted(f"references/{p.name}" for p in (root / "references").glob("*.md"))
    return ["SKILL.md", *refs]


def front_matter(text: str) -> dict[str, str]:
    """``key: value`` pairs between the leading ``---`` lines (values may be JSON-quoted strings)."""
    lines = text.split("\n")
    if not lines or lines[0] != "---" or "---" not in lines[1:]:
        return {}
    out = {}
    for line in lines[1:lines.index("---", 1)]:
        key, sep, value = line.partition(":")
        if sep:
            value = value.strip()
            out[key.strip()] = json.loads(value) if value.startswith('"') else value
    return out


def index(root: Path = SKILL_ROOT) -> dict[str, Any]:
    """The Agent Skills discovery index (v0.2 fields, plus `files` for v0.1 clients and `references`)."""
    body = _read("SKILL.md", root)
    meta = front_matter(body.decode("utf-8"))
    names = files(root)
    return {"$schema": SCHEMA, "skills": [{
        "name": meta.get("name", "flint"), "type": "skill-md", "description": meta.get("description", ""),
        "url": "/SKILL.md", "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
        "references": [f"/skill/{name}" for name in names[1:]], "files": names}]}


def skill_router(root: Path = SKILL_ROOT) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/SKILL.md")
    @router.get("/skill/SKILL.md")
    async def skill_md() -> Response:
        return _markdown(_read("SKILL.md", root))

    # /references/... too, so the relative links inside /SKILL.md resolve
    @router.get("/skill/references/{name}.md")
    @router.get("/references/{name}.md")
    async def reference(name: str) -> Response:
        if not _REFERENCE.match(name):
            raise HTTPException(status_code=404)
        return _markdown(_read(f"references/{name}.md", root))

    @router.get("/.well-known/agent-skills/index.json")
    @router.get("/.well-known/skills/index.json")
    async def skills_index() -> Response:
        return JSONResponse(index(root))

    # v0.1 discovery clients fetch each listed file from /.well-known/skills/<name>/<file>
    @router.get("/.well-known/skills/flint/{path:path}")
    @router.get("/.well-known/agent-skills/flint/{path:path}")
    async def well_known_file(path: str) -> Response:
        if path not in files(root):
            raise HTTPException(status_code=404)
        return _markdown(_read(path, root))

    return router
