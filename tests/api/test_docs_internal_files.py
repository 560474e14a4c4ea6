"""What the server itself serves to users (OpenAPI, llms.txt, SKILL.md, the tool catalogs) cites none of the
project's internal contract files; the files behind them are checked in tests/unit/test_docs_facts.py."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.internal_files import INTERNAL


def test_served_texts_cite_no_internal_file(api: Api, client: Any) -> None:
    paths = ["/openapi.json", "/llms.txt", "/SKILL.md", "/docs/index.md", "/v1/errors/order_not_refundable",
             *(f"/v1/tools?format={fmt}" for fmt in ("mcp", "openai", "anthropic", "gemini"))]
    for path in paths:
        response = client.get(path, headers={"Authorization": f"Bearer {api.key}"})
        assert response.status_code == 200, path
        cited = INTERNAL.search(response.text)
        assert cited is None, (path, response.text[max(cited.start() - 100, 0):cited.end()])
