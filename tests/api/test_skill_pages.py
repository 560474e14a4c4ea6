"""/SKILL.md, /skill/references/*.md and the well-known skill indexes serve the committed skill files, with
every link made absolute with the server's public URL (the committed folder keeps relative links between
its files, and guide links with the default public URL, so it works installed as a folder)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flint_core import DEFAULT_PUBLIC_URL
from flint_core.platform.settings import Settings
from flint_http.skill_pages import absolute_links
from flint_server import create_server
from skill import build
from tests.conftest import BASE_URL, TEST_RATE_LIMITS

FILES = sorted(p.relative_to(build.ROOT).as_posix() for p in build.ROOT.rglob("*.md"))
COMMITTED = {rel: (build.ROOT / rel).read_text(encoding="utf-8") for rel in FILES}
REFERENCES = [rel for rel in FILES if rel.startswith("references/")]
PUBLIC = "https://pay.example.com"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def served(rel: str, public_url: str = DEFAULT_PUBLIC_URL) -> bytes:
    return absolute_links(COMMITTED[rel], rel, public_url).encode("utf-8")


def _markdown(client: Any, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    return response.content


def test_the_layout_is_one_reference_per_toolset() -> None:
    assert "SKILL.md" in FILES and "references/errors.md" in FILES and "references/orders.md" in FILES
    assert "references/operations.md" not in FILES


def test_skill_md_is_the_committed_file(client: Any) -> None:
    body = _markdown(client, "/SKILL.md")
    assert body == served("SKILL.md")
    assert _markdown(client, "/skill/SKILL.md") == body
    assert body.startswith(b"---\nname: flint\n")


@pytest.mark.parametrize("rel", REFERENCES)
def test_references_are_the_committed_files(client: Any, rel: str) -> None:
    body = _markdown(client, f"/skill/{rel}")
    assert body == served(rel)
    assert _markdown(client, f"/{rel}") == body  # where a client resolving /SKILL.md's relative links lands


def test_served_links_are_absolute_and_work(client: Any) -> None:
    """Every link of every served file is absolute on this server, and following it is a 200 (anchors
    aside); the text besides the links is the committed text."""
    followed = set()
    for rel in FILES:
        text = served(rel).decode("utf-8")
        assert LINK.sub("", text) == LINK.sub("", COMMITTED[rel])
        for target in LINK.findall(text):
            if target.startswith("#"):
                continue
            assert target.startswith(DEFAULT_PUBLIC_URL + "/"), f"{rel}: {target}"
            followed.add(target.removeprefix(DEFAULT_PUBLIC_URL).split("#")[0])
    assert {"/skill/references/orders.md", "/skill/references/errors.md", "/skill/SKILL.md"} <= followed
    assert any(path.startswith("/docs/") for path in followed)
    for path in sorted(followed):
        assert client.get(path).status_code == 200, path


@pytest.fixture(scope="module")
def proxied(db: Any) -> Iterator[TestClient]:
    app = create_server(db, settings=Settings(public_url=PUBLIC, rate_limits=TEST_RATE_LIMITS))
    with TestClient(app, base_url=BASE_URL) as client:
        yield client


def test_links_use_the_public_url(proxied: TestClient) -> None:
    skill_md = _markdown(proxied, "/SKILL.md").decode("utf-8")
    assert f"]({PUBLIC}/skill/references/orders.md)" in skill_md
    assert f"]({PUBLIC}/docs/money)" in skill_md
    assert f"]({DEFAULT_PUBLIC_URL}/" not in skill_md and "](references/" not in skill_md
    orders = _markdown(proxied, "/skill/references/orders.md").decode("utf-8")
    assert f"]({PUBLIC}/skill/SKILL.md)" in orders and f"]({PUBLIC}/skill/references/errors.md)" in orders
    assert "](#create_order)" in orders  # in-page anchors stay
    index = proxied.get("/.well-known/skills/index.json").json()
    assert index["skills"][0]["digest"] == "sha256:" + hashlib.sha256(skill_md.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("path", ["/skill/references/nope.md", "/skill/references/..%2FSKILL.md",
                                  "/skill/references/operations.md",
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
    assert 0 < len(entry["description"]) <= 1024 and entry["description"] in COMMITTED["SKILL.md"]
    skill_md = _markdown(client, entry["url"])
    assert entry["url"] == "/SKILL.md"
    assert entry["digest"] == "sha256:" + hashlib.sha256(skill_md).hexdigest()
    assert entry["references"] == [f"/skill/{rel}" for rel in REFERENCES]
    for url in entry["references"]:
        assert _markdown(client, url) == served(url.removeprefix("/skill/"))
    assert entry["files"] == ["SKILL.md", *REFERENCES]
    base = path.removesuffix("index.json") + "flint/"  # where v0.1 clients fetch each listed file
    for rel in entry["files"]:
        assert _markdown(client, base + rel) == served(rel)


def test_no_key_needed_and_a_bad_key_is_ignored(client: Any) -> None:
    response = client.get("/SKILL.md", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 200
