"""What a notification is (its type) and where its delivery stands (its status). Pure.

A notification is QUEUED when it is written, in the transaction of the event that caused it. The mail
job then ends it: SENT (the SMTP server accepted it), FAILED (refused for good, or every retry failed)
or SKIPPED (never to be delivered: no SMTP server is configured, or a sandbox has not opted in to email
delivery). A sandbox that has not opted in writes its notifications SKIPPED at once, with no job. No
operation changes a notification: they are a record of what the buyer was (or would have been) sent.
"""

from __future__ import annotations

from enum import StrEnum

from flint_core.kernel.state_machine import StateMachine


class NotificationType(StrEnum):
    PAYMENT_RECEIPT = "PAYMENT_RECEIPT"  # a payment collected money (automatic capture, or a hold captured)
    REFUND_CONFIRMATION = "REFUND_CONFIRMATION"  # a refund succeeded


class NotificationStatus(StrEnum):
    QUEUED = "QUEUED"
    SENT = "SENT"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


S = NotificationStatus

NOTIFICATION = StateMachine(
    resource="notification",
    initial=S.QUEUED,
    transitions={S.QUEUED: frozenset({S.SENT, S.FAILED, S.SKIPPED}), S.SENT: frozenset(), S.FAILED: frozenset(),
                 S.SKIPPED: frozenset()},
    actions={},
    error_codes={},
)

MACHINES = (NOTIFICATION,)
