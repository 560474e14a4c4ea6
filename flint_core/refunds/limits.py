"""The key limits that apply to refunds: per refund and per day (docs/agent-safety.md)."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import func, select

from flint_core.kernel.errors import FlintError
from flint_core.platform import registry
from flint_core.platform.context import Context
from flint_core.platform.limits import check_currency, check_operation
from flint_core.refunds.lifecycle import RefundStatus
from flint_core.store.tables import Refund


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
            Refund.created_at >= start, Refund.status != RefundStatus.FAILED)) or 0
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
