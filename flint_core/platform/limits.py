"""Guard rails on API keys for agents, enforced server-side (not hints).

A restricted key may carry: ``read_only`` (no write operation at all), ``require_preview`` (every
destructive operation needs the ``preview_id`` of a matching preview), ``allowed_currencies``,
``max_refund_money`` (per refund) and ``max_daily_refund_money`` (refunds created by the key per UTC
day). Exceeding one is a 403 ``key_limit_exceeded`` naming the limit. A key created by a limited key
inherits the stricter of both sets, so limits can never be shed by minting a new key.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select

from flint_core.kernel import lifecycle
from flint_core.kernel.errors import FlintError
from flint_core.platform import registry
from flint_core.platform.context import Context
from flint_core.platform.registry import Operation
from flint_core.store.tables import Refund

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


def check_refund(ctx: Context, amount: int, currency: str) -> None:
    """Per-refund and per-day refund limits of the calling key (call under the order's lock)."""
    if ctx.principal is None:
        return
    limits = ctx.principal.limits
    check_currency(ctx, currency, "amount_money.currency")
    cap = limits.get("max_refund_money")
    if cap and (cap["currency"] != currency or amount > cap["amount"]):
        raise FlintError("key_limit_exceeded", param="amount_money", limit="max_refund_money",
                         detail=f"a refund of {amount} {currency} exceeds {cap['amount']} {cap['currency']}",
                         suggested_actions=["whoami"])
    daily = limits.get("max_daily_refund_money")
    if daily:
        start = datetime.combine(ctx.now.date(), time(0), tzinfo=ctx.now.tzinfo)
        today = ctx.session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.created_by == ctx.principal.api_key_id, Refund.currency == currency,
            Refund.created_at >= start, Refund.status != lifecycle.FAILED)) or 0
        if daily["currency"] != currency or today + amount > daily["amount"]:
            raise FlintError("key_limit_exceeded", param="amount_money", limit="max_daily_refund_money",
                             detail=f"{today} {currency} refunded today plus {amount} exceeds {daily['amount']} "
                                    f"{daily['currency']}", suggested_actions=["whoami"])


def refund_refusal(ctx: Context, amount: int, currency: str) -> FlintError | None:
    """The error create_refund would raise for the calling key before refunding ``amount`` (its scope,
    read_only, and the refund limits), so a preview never says "allowed" for what the key may not do."""
    op = registry.get("create_refund")
    assert op is not None
    try:
        if ctx.principal is not None and not ctx.principal.has_scope(op.scope):
            raise FlintError("missing_scope", scope=op.scope, operation=op.name)
        if ctx.principal is not None:
            check_operation(ctx.principal.limits, op, {"preview_id": "issued by the preview"})
        check_refund(ctx, amount, currency)
    except FlintError as exc:
        return exc
    return None
