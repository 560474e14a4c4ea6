"""Keyset pagination (API.md section 4). Ids are time-sortable, so paging on the id is stable under
inserts (as is paging on a number that only grows, like an activity's sequence); the token binds the
filters and the order it was issued for."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, Literal, TypeVar

from pydantic import Field
from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from flint_core.kernel.errors import FlintError
from flint_core.platform.schema import ListInput, Output

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
T = TypeVar("T")


class Page(Output, Generic[T]):
    object: Literal["list"] = Field("list", description="Always `list`.")
    data: list[T] = Field(description="This page's objects.")
    next_page_token: str = Field(description="Pass as page_token for the next page; empty on the last page.")


def _filters_hash(filters: dict[str, Any], ascending: bool) -> str:
    canonical = json.dumps({"f": filters, "asc": ascending}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def paginate(session: Session, stmt: Select[Any], key: InstrumentedAttribute[Any] | ColumnElement[Any],
             params: ListInput, filters: dict[str, Any], *,
             load: Callable[[Select[Any]], Sequence[Any]] | None = None) -> tuple[list[Any], str]:
    """Run ``stmt`` one page at a time; returns the rows and the next page token ("" on the last page).
    ``load`` runs the page's statement (default: ``session.scalars``, for a statement of ORM objects)."""
    size = min(params.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)  # ListInput refused negative sizes
    ascending = params.order_by == "created_at"
    binding = _filters_hash({"list": key.expression.table.name, **filters}, ascending)
    if params.page_token:
        try:
            token = json.loads(base64.urlsafe_b64decode(params.page_token.encode() + b"=="))
            after, token_binding = token["after"], token["binding"]
        except (ValueError, KeyError, TypeError):
            raise FlintError("invalid_page_token", param="page_token") from None
        # a position of another type is a token of another key (e.g. from before a list changed its key)
        if token_binding != binding or not isinstance(after, key.type.python_type):
            raise FlintError("invalid_page_token", param="page_token")
        stmt = stmt.where(key > after if ascending else key < after)
    rows = list((load or session.scalars)(stmt.order_by(key.asc() if ascending else key.desc()).limit(size + 1)))
    if len(rows) <= size:
        return rows, ""
    rows = rows[:size]
    last = getattr(rows[-1], key.key)
    token = json.dumps({"after": last, "binding": binding}).encode()
    return rows, base64.urlsafe_b64encode(token).decode().rstrip("=")
