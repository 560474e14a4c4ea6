"""Notification operations: read what buyers were sent (nothing here sends or changes a notification;
the triggers write them and the mail job delivers them)."""

from __future__ import annotations

from flint_core.notifications import triggers  # noqa: F401  (registers the outbox subscriber that writes them)
from flint_core.notifications.inputs import GetNotificationInput, ListNotificationsInput
from flint_core.notifications.views import NotificationOut, notification_out
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import fetch, scoped
from flint_core.platform.registry import READ_ONLY, operation
from flint_core.store.tables import Notification


@operation("list_notifications", http="GET /v1/notifications", scope="orders:read", safety=READ_ONLY,
           summary="List the emails sent (or to be sent) to buyers, newest first: receipts, refund confirmations.")
def list_notifications(ctx: Context, params: ListNotificationsInput) -> Page[NotificationOut]:
    """List notifications, newest first, optionally only those of one customer or order, of one type, or in
    one status. Each holds the whole message (subject, text and HTML bodies) and its delivery: QUEUED,
    SENT (with the SMTP server's reply), FAILED or SKIPPED (with the reason: no SMTP server, or a sandbox
    that has not opted in to email delivery with update_sandbox). Every notification is stored whether or
    not it is delivered, so this shows exactly what the buyer would get. Errors: `invalid_page_token`."""
    filters = {"customer_id": params.customer_id, "order_id": params.order_id,
               "type": params.type.value if params.type else None,
               "status": params.status.value if params.status else None}
    stmt = scoped(ctx, Notification)
    for column, value in ((Notification.customer_id, filters["customer_id"]),
                          (Notification.order_id, filters["order_id"]), (Notification.type, filters["type"]),
                          (Notification.status, filters["status"])):
        if value:
            stmt = stmt.where(column == value)
    rows, token = paginate(ctx.session, stmt, Notification.notification_id, params, filters)
    return Page[NotificationOut](data=[notification_out(ctx, n) for n in rows], next_page_token=token)


@operation("get_notification", http="GET /v1/notifications/{notification_id}", scope="orders:read",
           safety=READ_ONLY, summary="Fetch one notification: the message, its recipient and its delivery status.")
def get_notification(ctx: Context, params: GetNotificationInput) -> NotificationOut:
    """Fetch a notification by id: what was (or would have been) sent to the buyer, to which address, and
    where its delivery stands (`status`, `attempts`, `smtp_reply`, `next_attempt_at`). Errors:
    `resource_missing` (also for another merchant's or sandbox's id)."""
    return notification_out(ctx, fetch(ctx, Notification, params.notification_id, resource="notification"))
