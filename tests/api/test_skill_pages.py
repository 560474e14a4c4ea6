"""/SKILL.md, /skill/references/*.md and the well-known skill indexes serve the committed skill files."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from skill import build

COMMITTED = {rel: (build.ROOT / rel).read_bytes() for rel in
             ("SKILL.md", "references/operations.md", "references/errors.md")}


def _markdown(client: Any, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    return response.content


def test_skill_md_is_the_committed_file(client: Any) -> None:
    assert _markdown(client, "/SKILL.md") == COMMITTED["SKILL.md"]
    assert _markdown(client, "/skill/SKILL.md") == COMMITTED["SKILL.md"]
    assert COMMITTED["SKILL.md"].startswith(b"---\nname: flint\n")


@pytest.mark.parametrize("name", ["operations", "errors"])
def test_references_are_the_committed_files(client: Any, name: str) -> None:
    body = _markdown(client, f"/skill/references/{name}.md")
    assert body == COMMITTED[f"references/{name}.md"]
    assert _markdown(client, f"/references/{name}.md") == body  # relative links inside /SKILL.md


@pytest.mark.parametrize("path", ["/skill/references/nope.md", "/skill/references/..%2FSKILL.md",
                                  "/.well-known/skills/flint/../../pyproject.toml",
                                  "/.well-known/skills/flint/build.py"])
def test_unknown_files_are_404_envelopes(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"


@pytest.mark.parametrize("path", ["/.well-known/agent-skills/index.json", "/.well-known/skills/index.json"])
def test_well_known_index_lists_the_skill(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    index = response.json()
    assert index["$schema"].startswith("https://schemas.agentskills.io/discovery/")
    [entry] = index["skills"]
    assert entry["name"] == "flint" and entry["type"] == "skill-md"
    assert 0 < len(entry["description"]) < 1024 and entry["description"] in COMMITTED["SKILL.md"].decode()
    skill_md = _markdown(client, entry["url"])
    assert entry["url"] == "/SKILL.md"
    assert entry["digest"] == "sha256:" + hashlib.sha256(skill_md).hexdigest()
    assert entry["references"] == ["/skill/references/errors.md", "/skill/references/operations.md"]
    for url in entry["references"]:
        assert _markdown(client, url) == COMMITTED[url.removeprefix("/skill/")]
    assert entry["files"] == ["SKILL.md", "references/errors.md", "references/operations.md"]
    base = path.removesuffix("index.json") + "flint/"  # where v0.1 clients fetch each listed file
    for rel in entry["files"]:
        assert _markdown(client, base + rel) == COMMITTED[rel]


def test_no_key_needed_and_a_bad_key_is_ignored(client: Any) -> None:
    response = client.get("/SKILL.md", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 200
