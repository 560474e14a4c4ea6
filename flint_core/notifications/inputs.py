"""What notification operations accept."""

from __future__ import annotations

from pydantic import Field

from flint_core.notifications.lifecycle import NotificationStatus, NotificationType
from flint_core.platform.schema import Input, ListInput, lenient_enum

TypeIn = lenient_enum(NotificationType, "PAYMENT_RECEIPT or REFUND_CONFIRMATION.")
StatusIn = lenient_enum(NotificationStatus, "QUEUED, SENT, FAILED or SKIPPED.")


class ListNotificationsInput(ListInput):
    customer_id: str | None = Field(None, max_length=40, description="Only notifications about this customer's "
                                                                      "orders, `cus_...`.")
    order_id: str | None = Field(None, max_length=40, description="Only notifications about this order, `ord_...`.")
    type: TypeIn | None = Field(None, description="Only this type: PAYMENT_RECEIPT or REFUND_CONFIRMATION.")
    status: StatusIn | None = Field(None, description="Only this status: QUEUED, SENT, FAILED or SKIPPED.")


class GetNotificationInput(Input):
    notification_id: str = Field(description="Id of the notification, `ntf_...`.")
