"""schemathesis hooks for tests/api/test_openapi_contract.py.

- A page_token is only valid when it comes from an earlier page of the same list (400 otherwise), which no
  schema can declare, so generated ones are dropped rather than reported as valid input refused.
- An Idempotency-Key (or a tool call's `idempotency_key` argument) names one request: a retry with the same key and the same parameters gets the first
  answer, and the same key with other parameters is refused (422 idempotency_key_reused, docs/idempotency.md),
  correctly. The generator draws keys from a small space ("0", "00", ...) and sends one with many different
  requests, so every request that carries a valid key gets a fresh one here. This is `before_call`: it runs
  on the final case just before it is sent, in every phase (the `map_headers` family only applies to the
  fuzzing phase's strategies, not to the examples and coverage phases). A key the case made invalid on
  purpose (a negative case: too long, not printable ASCII) is left as generated.
- create_api_key's `expires_at` must be in the future, which no schema can say either: generated ones are
  dropped (the generator's RFC 3339 date-times are mostly in the past).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import schemathesis

_VALID_KEY = re.compile(r"[\x20-\x7E]{1,255}")
_fresh = itertools.count(1)


@schemathesis.hook
def map_query(context: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
    if query:
        query.pop("page_token", None)
    return query


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    # A negative case is left alone: schemathesis revalidates an edited case, and one whose only fault is a
    # missing Authorization header (which no parameter schema holds) would be relabelled valid and sent with
    # it. A refused request keeps its key free, so a negative case needs no fresh key anyway.
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return
    headers = case.headers or {}
    for name, value in headers.items():
        if name.lower() == "idempotency-key" and isinstance(value, str) and _VALID_KEY.fullmatch(value):
            headers[name] = f"contract-{next(_fresh)}"
    body = case.body if isinstance(case.body, dict) else {}
    if case.operation.path == "/v1/api_keys" and case.method.upper() == "POST":
        body.pop("expires_at", None)  # "must be in the future": a rule of the clock, not of the schema
    arguments = body.get("arguments")
    if isinstance(arguments, dict) and isinstance(arguments.get("idempotency_key"), str):  # POST /v1/tool_calls
        if _VALID_KEY.fullmatch(arguments["idempotency_key"]):
            arguments["idempotency_key"] = f"contract-{next(_fresh)}"
