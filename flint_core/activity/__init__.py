"""Activity: the reads of what happened (an order's activities and timeline, events, request logs)."""

TITLE = "Activity: order history, events and request logs"
DOCS = "events"
