"""Pydantic validation errors -> the Flint error envelope, with ``param`` as the dotted field path."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from flint_core.kernel.errors import CATALOG, FlintError


def dotted(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def translate(exc: ValidationError) -> FlintError:
    """The first error decides; its location becomes ``param``."""
    error = exc.errors(include_url=False)[0]
    kind = error["type"]
    ctx = error.get("ctx", {})
    # a validator that looked inside the input names the field it found in ctx (`path`, or `first`)
    loc = tuple(error["loc"]) + tuple(ctx.get("path", ())) + ((ctx["first"],) if "first" in ctx else ())
    param = dotted(loc) or None
    if kind == "missing":
        return FlintError("parameter_missing", param=param)
    if kind == "extra_forbidden":
        return FlintError("unknown_parameter", param=param)
    if kind in CATALOG:  # custom errors raised by validators carry a catalog code as their type
        return FlintError(kind, param=param, **{k: v for k, v in ctx.items() if k != "path"})
    detail = error["msg"]
    if kind == "model_type" or (kind == "dict_type" and not error["loc"]):
        detail = "expected a JSON object"
    return FlintError("parameter_invalid", param=param, detail=detail)
