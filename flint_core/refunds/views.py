"""The refund and the refund preview as every face returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from flint_core.platform.schema import MoneyOut, Output, Resource
from flint_core.store.tables import Refund


class RefundLineOut(Output):
    line_item_id: str = Field(description="The line refunded.")
    quantity: int = Field(description="Units refunded.")
    amount_money: MoneyOut = Field(description="What those units return, tax included.")
    tax_money: MoneyOut = Field(description="The tax part of amount_money.")
    restock: bool = Field(description="Whether the units went back into the catalog's stock.")


class RefundOut(Resource):
    object: Literal["refund"] = Field("refund", description="Always `refund`.")
    refund_id: str = Field(description="Id, `re_...`.")
    order_id: str = Field(description="The order refunded.")
    payment_intent_id: str = Field(description="The payment the money goes back through.")
    status: str = Field(description="PENDING, SUCCEEDED, FAILED or CANCELED.")
    amount_money: MoneyOut = Field(description="What is returned to the customer.")
    tax_money: MoneyOut = Field(description="The tax part of it.")
    line_items: list[RefundLineOut] = Field(description="Units refunded: the lines of a line refund, every remaining "
                                                        "unit of a full refund, none for an amount refund.")
    reason: str = Field(description="REQUESTED_BY_CUSTOMER, DUPLICATE, FRAUDULENT or OTHER.")
    failure_reason: str | None = Field(description="Why it failed; its money went back to the order.")
    idempotency_key: str | None = Field(description="The idempotency key it was created with.")
    order_status: str = Field(description="The order's status now.")
    available_actions: list[str] = Field(description="Operations legal on this refund now.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")


def refund_line_out(line: dict[str, Any], currency: str) -> RefundLineOut:
    """A refunded line as a refund stores it (and a plan holds it)."""
    return RefundLineOut(line_item_id=line["line_item_id"], quantity=line["quantity"],
                         amount_money=MoneyOut.of(line["amount"], currency),
                         tax_money=MoneyOut.of(line["tax"], currency), restock=line.get("restock", False))


def refund_out(refund: Refund, order_status: str) -> RefundOut:
    def m(amount: int) -> MoneyOut:
        return MoneyOut.of(amount, refund.currency)

    return RefundOut(
        refund_id=refund.refund_id, order_id=refund.order_id, payment_intent_id=refund.payment_intent_id,
        status=refund.status, amount_money=m(refund.amount), tax_money=m(refund.tax_amount),
        line_items=[refund_line_out(li, refund.currency) for li in refund.line_items],
        reason=refund.reason, failure_reason=refund.failure_reason, idempotency_key=refund.idempotency_key,
        order_status=order_status, available_actions=[], created_at=refund.created_at, updated_at=refund.updated_at)


class RefundPreview(Output):
    object: Literal["refund_preview"] = Field("refund_preview", description="Always `refund_preview`.")
    allowed: bool = Field(description="Whether create_refund with these parameters would be accepted now.")
    error: dict[str, Any] | None = Field(description="When not allowed: the error create_refund would return.")
    order_id: str = Field(description="The order.")
    payment_intent_id: str | None = Field(description="The payment the money would go back through.")
    amount_money: MoneyOut = Field(description="What would be returned.")
    tax_money: MoneyOut = Field(description="Its tax part.")
    line_items: list[RefundLineOut] = Field(description="Units that would be refunded.")
    preview_id: str | None = Field(description="Pass to create_refund with the same parameters to refund exactly "
                                               "this, only if the order is unchanged (valid 10 minutes).")
    order_status_after: str = Field(description="The order's status after the refund.")
    refunded_money_after: MoneyOut = Field(description="The order's refunded total after it.")
    refundable_money_after: MoneyOut = Field(description="What would still be refundable after it.")
