"""What the activity reads accept: their input models, and the parsing of the filters they take as text."""

from __future__ import annotations

import re

from pydantic import Field

from flint_core.kernel.errors import FlintError
from flint_core.platform import outbox
from flint_core.platform.schema import WS, Input, ListInput, Timestamp, one_of, openapi_only

EVENT_TYPES = outbox.event_types()  # every domain's, in reading order (the filter's enum is published)
FAMILIES = sorted({name.split(".", 1)[0] for name in EVENT_TYPES})

Face = one_of(("http", "mcp", "tool_call", "hosted"))


class ListOrderActivitiesInput(ListInput):
    order_id: str = Field(description="The order whose history to list.")


class GetOrderTimelineInput(Input):
    order_id: str = Field(description="The order whose timeline to read.")
    page_size: int = Field(0, ge=0, description="Entries per page: absent or 0 means 50, at most 200.")
    page_token: str | None = Field(None, description="The next_page_token of the previous page, unchanged.")


def _types(value: str) -> list[str]:
    """``order.paid`` (one type), ``order.*`` (a family) or ``*`` -> the types it selects; 400 otherwise."""
    if value in EVENT_TYPES:
        return [value]
    if value == "*":
        return list(EVENT_TYPES)
    family = value.removesuffix(".*")
    if value.endswith(".*") and family in FAMILIES:
        return [name for name in EVENT_TYPES if name.startswith(f"{family}.")]
    raise FlintError("parameter_invalid", param="type", detail=f"{value!r} is neither an event type from the "
                     f"catalog (/docs/events) nor a family such as `order.*` (families: "
                     f"{', '.join(f + '.*' for f in FAMILIES)})")


class ListEventsInput(ListInput):
    type: str | None = Field(None, max_length=64, json_schema_extra=openapi_only(
        enum=[*EVENT_TYPES, *(f"{family}.*" for family in FAMILIES), "*"]), description="Only events of this type (`order.paid`), or of "
                             "one family (`order.*`, `payment.*`, `refund.*`, `checkout_session.*`, ...); `*`: all.")
    object_id: str | None = Field(None, max_length=64, description="Only events about this object (`ord_...`, "
                                  "`pi_...`, `re_...`, `cs_...`).")
    order_id: str | None = Field(None, max_length=64, description="Only events concerning this order: its own, "
                                 "and those of its payments, refunds and checkout sessions.")
    created_after: Timestamp | None = Field(None, description="Only events created at or after this time "
                                            "(RFC 3339).")
    created_before: Timestamp | None = Field(None, description="Only events created before this time (RFC 3339).")


class GetEventInput(Input):
    event_id: str = Field(description="The event, `evt_...` (a webhook delivery's `webhook-id`).")


class ListRequestLogsInput(ListInput):
    api_key_id: str | None = Field(None, max_length=64, description="Only requests made with this key (`key_...`).")
    idempotency_key: str | None = Field(None, max_length=255, description="Only requests that sent this "
                                        "idempotency key (the first attempt and its retries and replays).")
    operation: str | None = Field(None, max_length=64, description="Only requests for this operation, e.g. "
                                  "`create_refund`.")
    status: str | None = Field(None, max_length=8, json_schema_extra=openapi_only(
        pattern=f"^{WS}[1-5]([0-9][0-9]|[Xx][Xx]){WS}$"), description="Only answers with this HTTP status (`409`) or "
                               "class (`2xx`, `4xx`, `5xx`).")
    object_id: str | None = Field(None, max_length=64, description="Only requests that touched this object "
                                  "(`ord_...`, `pi_...`, `re_...`, `cus_...`, ...).")
    face: Face | None = Field(None, description="Only requests from this face: http, mcp, tool_call or hosted.")
    created_after: Timestamp | None = Field(None, description="Only requests made at or after this time "
                                            "(RFC 3339).")
    created_before: Timestamp | None = Field(None, description="Only requests made before this time (RFC 3339).")


def _status_filter(value: str) -> tuple[int, int]:
    """``409`` -> [409, 410); ``4xx`` -> [400, 500)."""
    text = value.strip().lower()
    if re.fullmatch(r"[1-5][0-9][0-9]", text):
        return int(text), int(text) + 1
    if re.fullmatch(r"[1-5]xx", text):
        return int(text[0]) * 100, int(text[0]) * 100 + 100
    raise FlintError("parameter_invalid", param="status", detail="use an HTTP status like `409` or a class like "
                                                                 "`4xx`")


class GetRequestLogInput(Input):
    request_id: str = Field(max_length=64, description="The request, `req_...`: a response's `Request-Id` header "
                                                       "or an error envelope's `request_id`.")
