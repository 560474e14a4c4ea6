"""The agent skill over HTTP (API.md section 8): /SKILL.md, its reference files, and the well-known
skill indexes. Serves the committed files under skill/flint/, read at request time, never a fresh render:
what agents read is what was reviewed. No key needed.

One thing changes on the way out: links. In the committed folder, links between SKILL.md and its
references are relative (``references/orders.md``, ``../SKILL.md``) and links to guides are absolute with
the default public URL (``http://127.0.0.1:8000/docs/money``), so they work in an installed skill folder.
Served, every link is absolute with this server's public URL: a reader that fetched ``/SKILL.md`` has no
folder to resolve relative links against."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

import skill
from flint_core import DEFAULT_PUBLIC_URL

SKILL_ROOT = Path(skill.__file__).resolve().parent / "flint"
SCHEMA = "https://schemas.agentskills.io/discovery/0.2.0/schema.json"
_REFERENCE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_LINK = re.compile(r"\]\(([^)\s]+)\)")  # a markdown link's target
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def absolute_links(text: str, rel: str, public_url: str) -> str:
    """``text`` of the file ``rel`` (``SKILL.md``, ``references/orders.md``) with every link absolute: relative
    ones resolved where the file is served (``/skill/<rel>``), the default public URL replaced by
    ``public_url``. In-page anchors (``#pay_order``) stay as they are."""
    here = f"{public_url}/skill/{rel}"

    def rewrite(match: re.Match[str]) -> str:
        target = match.group(1)
        if target.startswith(DEFAULT_PUBLIC_URL + "/"):
            target = public_url + target[len(DEFAULT_PUBLIC_URL):]
        elif not target.startswith("#") and not _SCHEME.match(target):
            target = urljoin(here, target)
        return f"]({target})"

    return _LINK.sub(rewrite, text)


def _read(rel: str, root: Path, public_url: str = DEFAULT_PUBLIC_URL) -> bytes:
    """The committed file as served: its links absolute with ``public_url``."""
    path = root / rel
    if not path.is_file():
        raise HTTPException(status_code=404)
    return absolute_links(path.read_text(encoding="utf-8"), rel, public_url).encode("utf-8")


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


def index(root: Path = SKILL_ROOT, public_url: str = DEFAULT_PUBLIC_URL) -> dict[str, Any]:
    """The Agent Skills discovery index (v0.2 fields, plus `files` for v0.1 clients and `references`); the
    digest is of SKILL.md as served."""
    body = _read("SKILL.md", root, public_url)
    meta = front_matter(body.decode("utf-8"))
    names = files(root)
    return {"$schema": SCHEMA, "skills": [{
        "name": meta.get("name", "flint"), "type": "skill-md", "description": meta.get("description", ""),
        "url": "/SKILL.md", "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
        "references": [f"/skill/{name}" for name in names[1:]], "files": names}]}


def skill_router(root: Path = SKILL_ROOT, public_url: str = DEFAULT_PUBLIC_URL) -> APIRouter:
    """The skill's routes; ``public_url`` is the address links are made absolute with (Settings.public_url)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/SKILL.md")
    @router.get("/skill/SKILL.md")
    async def skill_md() -> Response:
        return _markdown(_read("SKILL.md", root, public_url))

    # /references/... too, for clients that resolved the committed relative links against /SKILL.md
    @router.get("/skill/references/{name}.md")
    @router.get("/references/{name}.md")
    async def reference(name: str) -> Response:
        if not _REFERENCE.match(name):
            raise HTTPException(status_code=404)
        return _markdown(_read(f"references/{name}.md", root, public_url))

    @router.get("/.well-known/agent-skills/index.json")
    @router.get("/.well-known/skills/index.json")
    async def skills_index() -> Response:
        return JSONResponse(index(root, public_url))

    # v0.1 discovery clients fetch each listed file from /.well-known/skills/<name>/<file>
    @router.get("/.well-known/skills/flint/{path:path}")
    @router.get("/.well-known/agent-skills/flint/{path:path}")
    async def well_known_file(path: str) -> Response:
        if path not in files(root):
            raise HTTPException(status_code=404)
        return _markdown(_read(path, root, public_url))

    return router
