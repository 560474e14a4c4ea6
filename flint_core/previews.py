"""Confirmed destructive actions: a preview hands out a ``preview_id`` bound to the exact parameters and
the object's version; the action accepts it only while both still match, for 10 minutes. An agent that
previews, shows the result, and acts with the preview_id can never act on a state it did not see."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel

from flint_core import idempotency, ids
from flint_core.errors import FlintError, not_found
from flint_core.store.models import Preview

if TYPE_CHECKING:
    from flint_core.runtime import Context

VALID_FOR = timedelta(minutes=10)
# The preview operation of each confirmable action: what an agent should call after a preview error.
PREVIEW_OF = {"create_refund": "preview_refund", "cancel_order": "preview_cancel_order",
              "void_payment": "preview_void_payment"}


def fingerprint(operation: str, params: BaseModel) -> str:
    """What an action would do, as its parameters (its own preview_id excluded)."""
    return idempotency.fingerprint(operation, params.model_dump(mode="json", exclude={"preview_id"}))


def issue(ctx: Context, operation: str, fingerprint: str, object_id: str, version: int) -> str:
    preview = Preview(preview_id=ids.new_id("preview"), merchant_id=ctx.merchant_id, env_id=ctx.env_id,
                      created_at=ctx.now, operation=operation, fingerprint=fingerprint, object_id=object_id,
                      version=version, expires_at=ctx.now + VALID_FOR)
    ctx.session.add(preview)
    return preview.preview_id


def confirm(ctx: Context, preview_id: str, operation: str, fingerprint: str, object_id: str, version: int) -> None:
    """Raise unless ``preview_id`` previewed exactly this operation on this object at this version."""
    preview = ctx.session.get(Preview, preview_id)
    if preview is None or (preview.merchant_id, preview.env_id) != (ctx.merchant_id, ctx.env_id):
        raise not_found("preview", preview_id, "preview_id")
    if (preview.operation, preview.fingerprint, preview.object_id) != (operation, fingerprint, object_id):
        raise FlintError("preview_mismatch", param="preview_id", preview_id=preview_id, operation=preview.operation,
                         suggested_actions=[PREVIEW_OF[operation]])
    if preview.expires_at <= ctx.now:
        raise FlintError("preview_stale", param="preview_id", preview_id=preview_id,
                         detail="it is older than 10 minutes", suggested_actions=[PREVIEW_OF[operation]])
    if preview.version != version:
        raise FlintError("preview_stale", param="preview_id", preview_id=preview_id,
                         detail=f"the order changed (version {preview.version} -> {version})",
                         suggested_actions=[PREVIEW_OF[operation]])
