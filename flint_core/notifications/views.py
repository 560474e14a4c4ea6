"""The notification as every face returns it (and as its events carry it)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from flint_core.notifications.lifecycle import NOTIFICATION
from flint_core.platform.context import Context
from flint_core.platform.schema import Output
from flint_core.store.tables import LIVE, Notification


class NotificationOut(Output):
    object: Literal["notification"] = Field("notification", description="Always `notification`.")
    notification_id: str = Field(description="Id, `ntf_...`.")
    type: str = Field(description="PAYMENT_RECEIPT (a payment collected money) or REFUND_CONFIRMATION (a refund "
                                  "succeeded).")
    status: str = Field(description="QUEUED (waiting for the mail job, or for its next retry), SENT (the SMTP "
                                    "server accepted it), FAILED (refused for good, or every retry failed) or "
                                    "SKIPPED (never to be delivered: see skip_reason).")
    skip_reason: str | None = Field(description="Why a SKIPPED notification is not delivered: no SMTP server is "
                                                "configured, or its sandbox has not opted in to email delivery.")
    to_address: str = Field(description="The buyer's email: the payment's buyer_email, else the order's, else the "
                                        "customer's.")
    reply_to: str | None = Field(description="Where a reply goes: the merchant's email.")
    subject: str = Field(description="The subject line.")
    text_body: str = Field(description="The plain-text body, exactly as sent (a card shows only brand and last 4).")
    html_body: str = Field(description="The HTML body, exactly as sent.")
    message_id: str = Field(description="The Message-ID header, the same on every attempt: a receiver that got the "
                                        "message twice (after a crash) can tell.")
    customer_id: str | None = Field(description="The order's customer, if any.")
    order_id: str | None = Field(description="The order it is about.")
    payment_intent_id: str | None = Field(description="The payment it is about (a receipt; for a refund, the "
                                          "payment refunded).")
    refund_id: str | None = Field(description="The refund it is about (a refund confirmation).")
    attempts: int = Field(description="Attempts to send it so far (one killed mid-send counts).")
    last_attempt_at: datetime | None = Field(description="When it was last tried.")
    next_attempt_at: datetime | None = Field(description="When a QUEUED notification is tried next.")
    smtp_reply: str | None = Field(description="The SMTP server's last answer, its code first (e.g. `250 OK`), or "
                                               "what went wrong when it gave none.")
    sent_at: datetime | None = Field(description="When the SMTP server accepted it.")
    livemode: bool = Field(description="True in live mode, false in a sandbox.")
    available_actions: list[str] = Field(description="Operations legal on it now: none, a notification is a "
                                                     "record.")
    created_at: datetime = Field(description="When it was written: in the transaction of the event that caused it.")
    updated_at: datetime = Field(description="When its delivery last changed.")


def notification_out(ctx: Context, n: Notification) -> NotificationOut:
    return NotificationOut(
        notification_id=n.notification_id, type=n.type, status=n.status, skip_reason=n.skip_reason,
        to_address=n.to_address, reply_to=n.reply_to, subject=n.subject, text_body=n.text_body,
        html_body=n.html_body, message_id=n.message_id, customer_id=n.customer_id, order_id=n.order_id,
        payment_intent_id=n.payment_intent_id, refund_id=n.refund_id, attempts=n.attempts,
        last_attempt_at=n.last_attempt_at, next_attempt_at=n.next_attempt_at, smtp_reply=n.smtp_reply,
        sent_at=n.sent_at, livemode=n.env_id == LIVE, available_actions=NOTIFICATION.actions_for(n.status, ctx.can),
        created_at=n.created_at, updated_at=n.updated_at)
