"""Request logs: every request of this merchant and mode on every face, newest first (docs/request-logs.md)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import select

from flint_core.errors import FlintError, not_found
from flint_core.operations.common import created_between, scoped
from flint_core.pagination import Page, paginate
from flint_core.registry import READ_ONLY, operation
from flint_core.runtime import Context
from flint_core.schema import WS, Input, ListInput, Output, Timestamp, one_of, openapi_only
from flint_core.store.models import RequestLog, RequestLogObject

Face = one_of(("http", "mcp", "tool_call", "hosted"))


class RequestLogOut(Output):
    object: Literal["request_log"] = Field("request_log", description="Always `request_log`.")
    request_id: str = Field(description="The request's id, `req_...`: the `Request-Id` header and the "
                                        "`request_id` of its error envelope.")
    face: str = Field(description="Where it came from: http, mcp, tool_call or hosted (checkout and 3D Secure "
                                  "pages).")
    operation: str | None = Field(description="The operation (tool) it asked for, e.g. `create_refund`; null for "
                                               "hosted page views and HTTP routes that match no operation.")
    method: str = Field(description="HTTP method; `tools/call` for MCP tool calls.")
    path: str = Field(description="HTTP path with its ids (`/v1/orders/ord_.../pay`); `/mcp` or `stdio` for MCP.")
    api_key_id: str | None = Field(description="The key that made it (`key_...`); null for hosted pages and "
                                               "merchant signup.")
    idempotency_key: str | None = Field(description="Its idempotency key, if it sent one.")
    replayed: bool = Field(description="True when the answer was an idempotent replay of an earlier request.")
    status: int = Field(description="HTTP status of the answer (also on MCP and tool calls: the status the same "
                                    "call gets over HTTP).")
    error_type: str | None = Field(description="Error envelope `type` when it failed, e.g. state_conflict_error.")
    error_code: str | None = Field(description="Error envelope `code` when it failed, e.g. order_not_refundable.")
    duration_ms: int = Field(description="Time Flint spent on it, in milliseconds.")
    object_ids: list[str] = Field(description="Ids of the objects it touched: ids in its arguments, objects it "
                                              "changed, and the object it returned.")
    params: dict[str, Any] = Field(description="Its arguments, with secrets and card data replaced by "
                                               "`[REDACTED]` (cards keep their last four digits).")
    created_at: datetime = Field(description="When it arrived (RFC 3339, UTC).")


def request_log_out(row: RequestLog) -> RequestLogOut:
    return RequestLogOut(request_id=row.request_id, face=row.face, operation=row.operation, method=row.method,
                         path=row.path, api_key_id=row.api_key_id, idempotency_key=row.idempotency_key,
                         replayed=row.replayed, status=row.status, error_type=row.error_type,
                         error_code=row.error_code, duration_ms=row.duration_ms, object_ids=row.object_ids or [],
                         params=row.params or {}, created_at=row.created_at)


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


@operation("list_request_logs", http="GET /v1/request_logs", scope="logs:read", safety=READ_ONLY,
           summary="List requests (who asked for what, and what came of it), newest first, with filters.")
def list_request_logs(ctx: Context, params: ListRequestLogsInput) -> Page[RequestLogOut]:
    """List the requests made in this merchant and mode, on every face (HTTP, MCP, tool calls, hosted
    pages), newest first (`order_by=created_at` for oldest first). Filter by key, idempotency key,
    operation, status (`409` or `4xx`), an object the request touched (`object_id`), face and time range.
    Use it to audit what an agent did (`api_key_id`), to see every attempt of one write
    (`idempotency_key`), to find what touched an order (`object_id`), or to find failures (`status=4xx`).
    Secrets and card data in the logged parameters are redacted. Changes nothing. Errors: 400
    parameter_invalid (bad `status` or `face`), 400 invalid_page_token."""
    stmt = scoped(ctx, RequestLog)
    if params.api_key_id is not None:
        stmt = stmt.where(RequestLog.api_key_id == params.api_key_id)
    if params.idempotency_key is not None:
        stmt = stmt.where(RequestLog.idempotency_key == params.idempotency_key)
    if params.operation is not None:
        stmt = stmt.where(RequestLog.operation == params.operation)
    if params.status is not None:
        low, high = _status_filter(params.status)
        stmt = stmt.where(RequestLog.status >= low, RequestLog.status < high)
    if params.face is not None:
        stmt = stmt.where(RequestLog.face == params.face)
    if params.object_id is not None:
        stmt = stmt.where(RequestLog.request_id.in_(
            select(RequestLogObject.request_id).where(RequestLogObject.merchant_id == ctx.merchant_id,
                                                      RequestLogObject.env_id == ctx.env_id,
                                                      RequestLogObject.object_id == params.object_id)))
    stmt = created_between(stmt, RequestLog.created_at, params)
    filters = params.model_dump(mode="json", exclude={"page_size", "page_token", "order_by"})
    rows, token = paginate(ctx.session, stmt, RequestLog.request_id, params, filters)
    return Page[RequestLogOut](data=[request_log_out(r) for r in rows], next_page_token=token)


class GetRequestLogInput(Input):
    request_id: str = Field(max_length=64, description="The request, `req_...`: a response's `Request-Id` header "
                                                       "or an error envelope's `request_id`.")


@operation("get_request_log", http="GET /v1/request_logs/{request_id}", scope="logs:read", safety=READ_ONLY,
           summary="Fetch one request's log: what was asked, by which key, on which face, and what came of it.")
def get_request_log(ctx: Context, params: GetRequestLogInput) -> RequestLogOut:
    """Fetch the log of one request by its id. Every error envelope carries `request_id`: pass it here
    to see the failed request's operation, redacted parameters, key, idempotency key, status and error
    code, and the objects it touched (then get_order, list_order_activities, ... on those ids). Requests
    made without a valid key are not logged. Changes nothing. Errors: 404 resource_missing (no such
    request in this merchant and mode)."""
    row = ctx.session.scalar(scoped(ctx, RequestLog).where(RequestLog.request_id == params.request_id))
    if row is None:
        raise not_found("request_log", params.request_id, "request_id")
    return request_log_out(row)
