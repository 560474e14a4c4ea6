"""Confirmed destructive actions: a preview hands out a ``preview_id`` bound to the exact parameters and
the object's version; the action accepts it only while both still match, for 10 minutes. An agent that
previews, shows the result, and acts with the preview_id can never act on a state it did not see."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError, not_found
from flint_core.platform import idempotency, registry
from flint_core.platform.context import Context
from flint_core.platform.schema import Output
from flint_core.store.tables import Preview

VALID_FOR = timedelta(minutes=10)


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
    again = [name for name in (registry.get(operation).preview_by,) if name]  # what to call to preview anew
    if preview is None or (preview.merchant_id, preview.env_id) != (ctx.merchant_id, ctx.env_id):
        raise not_found("preview", preview_id, "preview_id")
    if (preview.operation, preview.fingerprint, preview.object_id) != (operation, fingerprint, object_id):
        raise FlintError("preview_mismatch", param="preview_id", preview_id=preview_id, operation=preview.operation,
                         suggested_actions=again)
    if preview.expires_at <= ctx.now:
        raise FlintError("preview_stale", param="preview_id", preview_id=preview_id,
                         detail="it is older than 10 minutes", suggested_actions=again)
    if preview.version != version:
        raise FlintError("preview_stale", param="preview_id", preview_id=preview_id,
                         detail=f"the order changed (version {preview.version} -> {version})",
                         suggested_actions=again)


class ActionPreview(Output):
    object: Literal["action_preview"] = Field("action_preview", description="Always `action_preview`.")
    operation: str = Field(description="The operation previewed.")
    object_id: str = Field(description="What it would act on.")
    allowed: bool = Field(description="Whether it would be accepted now.")
    error: dict[str, Any] | None = Field(description="When not allowed: the error it would return.")
    effects: dict[str, Any] = Field(description="What would change: field -> [now, after].")
    preview_id: str | None = Field(description="Pass it to the operation (same parameters) to act only if nothing "
                                               "changed since; valid 10 minutes.")
    expires_at: datetime | None = Field(description="When preview_id stops being accepted.")


def action_preview(ctx: Context, operation: str, params: BaseModel, object_id: str, version: int,
                   effects: dict[str, list[Any]], error: FlintError | None) -> ActionPreview:
    """The preview of a destructive action that has no richer preview of its own: whether it would be
    accepted now (else the error it would return), what it would change, and the preview_id that
    confirms exactly that."""
    preview_id = None if error else issue(ctx, operation, fingerprint(operation, params), object_id, version)
    return ActionPreview(operation=operation, object_id=object_id, allowed=error is None, error=ctx.refusal(error),
                         effects={} if error else effects, preview_id=preview_id,
                         expires_at=None if error else ctx.now + VALID_FOR)
