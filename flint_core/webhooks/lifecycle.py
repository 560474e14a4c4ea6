"""The statuses of webhook endpoints and deliveries. Pure. Neither has a state machine: every endpoint
action is legal in either status, and a delivery only ever moves from PENDING to an end."""

from __future__ import annotations

from enum import StrEnum


class WebhookEndpointStatus(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class WebhookDeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


MACHINES = ()
