"""Helpers every operation module shares: scoped queries and object lookup."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Label, Select, func, inspect, select

from flint_core.kernel.errors import FlintError, not_found
from flint_core.platform.context import Context

M = TypeVar("M")
METADATA_MAX_KEYS = 50


def scoped(ctx: Context, model: type[M]) -> Select[tuple[M]]:
    """``SELECT model`` limited to the caller's merchant and environment."""
    return select(model).where(model.merchant_id == ctx.merchant_id,  # type: ignore[attr-defined]
                               model.env_id == ctx.env_id)  # type: ignore[attr-defined]


def row_columns(model: type) -> list[Label[Any]]:
    """The model's table columns, each labeled with its attribute name (``metadata`` as ``metadata_``): a
    Core select of them gives rows that read like the model's objects, without the ORM's cost per row."""
    return [prop.columns[0].label(prop.key) for prop in inspect(model).column_attrs]


def created_between(stmt: Select[Any], column: Any, params: Any) -> Select[Any]:
    """The list filters ``created_after`` (inclusive) and ``created_before`` (exclusive) on ``column``."""
    if params.created_after is not None:
        stmt = stmt.where(column >= params.created_after)
    if params.created_before is not None:
        stmt = stmt.where(column < params.created_before)
    return stmt


def fetch(ctx: Context, model: type[M], object_id: str, *, resource: str, param: str | None = None,
          lock: bool = False) -> M:
    """The caller's object with this id, or 404 (also for other merchants' and sandboxes' ids)."""
    key_column = getattr(model, f"{resource}_id")
    stmt = scoped(ctx, model).where(key_column == object_id)
    if lock:
        stmt = stmt.with_for_update()
    obj = ctx.session.scalar(stmt)
    if obj is None:
        raise not_found(resource, object_id, param or f"{resource}_id")
    return obj


def merge_metadata(current: dict[str, str], update: dict[str, Any] | None) -> dict[str, str]:
    """Stripe-style metadata update: keys are set, an empty string deletes a key."""
    if update is None:
        return current
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > METADATA_MAX_KEYS:
        raise FlintError("parameter_invalid", param="metadata",
                         detail=f"an object holds at most {METADATA_MAX_KEYS} metadata keys; this update would "
                                f"leave {len(merged)}")
    return merged


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, case-insensitively, with LIKE's wildcards in ``text`` taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")
