"""Activity: the reads of what happened (an order's activities and timeline, events, request logs)."""

TITLE = "Activity: order history, events and request logs"
DESCRIPTION = "What happened: an order's activities and timeline, events, request logs."
DOCS = "events"
