"""Reading request bodies: a JSON object, at most MAX_BODY_BYTES, or the error envelope's reason why not."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from flint_core import FlintError

MAX_BODY_BYTES = 512 * 1024


async def read_json_object(request: Request) -> dict[str, Any]:
    size, chunks = 0, []
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise FlintError("request_too_large", size=f"more than {MAX_BODY_BYTES}", limit=MAX_BODY_BYTES)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}

    def reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    try:
        body = json.loads(raw, parse_constant=reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise FlintError("invalid_json", detail=str(exc) or type(exc).__name__) from None
    if not isinstance(body, dict):
        raise FlintError("invalid_json", detail="the body must be a JSON object")
    return body
