"""schemathesis hooks for tests/api/test_openapi_contract.py: a page_token is only valid when it comes
from an earlier page of the same list (400 otherwise), which no schema can declare, so generated ones
are dropped rather than reported as valid input refused."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.hook
def map_query(context: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
    if query:
        query.pop("page_token", None)
    return query
