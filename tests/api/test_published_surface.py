"""The published surface, byte for byte: /openapi.json and the tool catalog in every format, as
committed snapshots in tests/snapshots/. A change to any schema, description, order or annotation shows
up here and in review (the snapshots are the diff). After an intended change, regenerate them:

    FLINT_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/api/test_published_surface.py

The committed SKILL.md is guarded the same way by ``python -m skill --check`` (tests/unit/test_skill.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Api

SNAPSHOTS = Path(__file__).parent.parent / "snapshots"
FORMATS = ("mcp", "openai", "openai_responses", "anthropic", "gemini", "flint")


def _matches(name: str, published: object) -> None:
    text = json.dumps(published, indent=1, ensure_ascii=False, sort_keys=False) + "\n"
    path = SNAPSHOTS / name
    if os.environ.get("FLINT_UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {name}: run with FLINT_UPDATE_SNAPSHOTS=1 to write it"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: see the module docstring"


def test_openapi_document_is_unchanged(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    _matches("openapi.json", response.json())


@pytest.mark.parametrize("fmt", FORMATS)
def test_tool_catalog_is_unchanged_for_a_full_key(api: Api, fmt: str) -> None:
    _matches(f"tools.{fmt}.json", api.ok("GET", "/v1/tools", params={"format": fmt}))

