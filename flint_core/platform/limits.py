"""Guard rails on API keys for agents, enforced server-side (not hints).

A restricted key may carry: ``read_only`` (no write operation at all), ``require_preview`` (every
destructive operation needs the ``preview_id`` of a matching preview), ``allowed_currencies``,
``max_refund_money`` (per refund) and ``max_daily_refund_money`` (refunds created by the key per UTC
day). Exceeding one is a 403 ``key_limit_exceeded`` naming the limit. A key created by a limited key
inherits the stricter of both sets, so limits can never be shed by minting a new key. The refund limits
are checked by the refunds domain (``flint_core.refunds.limits``), which knows what a refund is.
"""

from __future__ import annotations

from typing import Any

from flint_core.kernel.errors import FlintError
from flint_core.platform.context import Context
from flint_core.platform.registry import Operation

FLAGS = ("read_only", "require_preview")
AMOUNTS = ("max_refund_money", "max_daily_refund_money")


def stricter(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The union of two limit sets, each limit at its stricter value."""
    out: dict[str, Any] = {flag: True for flag in FLAGS if a.get(flag) or b.get(flag)}
    for name in AMOUNTS:
        values = [v for v in (a.get(name), b.get(name)) if v]
        if values:
            same = {v["currency"] for v in values}
            out[name] = min(values, key=lambda v: v["amount"]) if len(same) == 1 else values[0]
    currencies = [set(x["allowed_currencies"]) for x in (a, b) if x.get("allowed_currencies") is not None]
    if currencies:
        out["allowed_currencies"] = sorted(set.intersection(*currencies))
    return out


def check_operation(limits: dict[str, Any], op: Operation, arguments: dict[str, Any]) -> None:
    """Limits that apply before an operation runs, whatever its arguments mean."""
    if limits.get("read_only") and not op.safety.read_only:
        raise FlintError("key_limit_exceeded", limit="read_only", detail=f"{op.name} is not read-only",
                         suggested_actions=["whoami"])
    if limits.get("require_preview") and op.safety.destructive and not arguments.get("preview_id"):
        raise FlintError("preview_required", param="preview_id", operation=op.name,
                         suggested_actions=[op.preview_by] if op.preview_by else [])


def check_currency(ctx: Context, currency: str, param: str) -> None:
    allowed = ctx.principal.limits.get("allowed_currencies") if ctx.principal else None
    if allowed is not None and currency not in allowed:
        raise FlintError("key_limit_exceeded", param=param, limit="allowed_currencies",
                         detail=f"{currency} is not one of {', '.join(allowed) or 'none'}", suggested_actions=["whoami"])


