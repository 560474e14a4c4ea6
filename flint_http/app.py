"""The REST face: FastAPI routes generated from the operation registry.

Each route only translates HTTP to ``runtime.invoke`` and back: path, query and JSON body become the
operation's arguments; the bearer key, Idempotency-Key header and request id are passed through; the
outcome's JSON text is returned as is (so idempotent replays are byte for byte).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flint_core import (
    Database,
    FlintError,
    Operation,
    Outcome,
    Settings,
    Transport,
    blocking,
    dotted,
    error_outcome,
    ids,
    invoke,
    registry,
    tool_calls,
)
from flint_http.bodies import read_json_object
from flint_http.checkout_pages import checkout_router
from flint_http.docs_pages import docs_router
from flint_http.landing import landing_router
from flint_http.openapi import build_openapi
from flint_http.routing import OperationRoutes
from flint_http.setup_pages import setup_router
from flint_http.simulator_pages import simulator_router
from flint_http.skill_pages import skill_router
from flint_http.tools import tools_router


class RequestIdMiddleware:
    """Gives every request a ``req_`` id (``scope["state"]["request_id"]``) and every response its header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ids.new_id("request")
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"request-id", request_id.encode()))
            await send(message)

        await self.app(scope, receive, send_with_id)


def error_response(exc: FlintError, request_id: str | None, settings: Settings) -> Response:
    return outcome_response(error_outcome(exc, request_id, settings))


def outcome_response(outcome: Outcome) -> Response:
    headers = {}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    if outcome.status >= 400:
        headers["Flint-Should-Retry"] = "true" if outcome.should_retry else "false"
    if outcome.quota is not None:  # RateLimit-* (and Retry-After on a 429): docs/rate-limits.md
        headers |= outcome.quota.headers()
    if outcome.status == 503 and (seconds := outcome.retry_after_seconds) is not None:  # database_busy
        headers["Retry-After"] = str(seconds)
    return Response(outcome.body, status_code=outcome.status, media_type="application/json", headers=headers)


def bearer_key(request: Request) -> str | None:
    """``Authorization: Bearer <key>``, or HTTP Basic with the key as user name (``curl -u sk_test_...:``)."""
    return tool_calls.api_key_from_authorization(request.headers.get("authorization"))


def transport_of(request: Request) -> Transport:
    """What the request log records about the transport (and the client address keyless budgets use)."""
    return Transport(request.method, request.url.path, request.client.host if request.client else None)


def make_endpoint(op: Operation, db: Database, settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        request_id = request.state.request_id
        arguments: dict[str, Any] = dict(request.query_params)
        rejected = None
        try:
            if op.method in ("POST", "PATCH", "PUT"):
                body = await read_json_object(request)
                clash = next((name for name in body if name in request.path_params), None)
                if clash is not None:
                    raise FlintError("unknown_parameter", param=clash)
                arguments |= body
            arguments |= request.path_params
        except FlintError as exc:
            rejected = exc  # still authenticated, budgeted and logged by invoke
        key = bearer_key(request)
        outcome = await blocking.run(db, partial(
            invoke, db, op.name, arguments, api_key=key, face="http", request_id=request_id,
            idempotency_key=request.headers.get("idempotency-key"), settings=settings,
            transport=transport_of(request), rejected=rejected), calls_out=blocking.may_call_out(op.name, key))
        return outcome_response(outcome)

    endpoint.__name__ = op.name
    return endpoint


def _route_order(op: Operation) -> list[tuple[int, str]]:
    """Literal path segments before parameters, so /customers/search wins over /customers/{id}."""
    return [(segment.startswith("{"), segment) for segment in op.path.split("/")]


def _template(path: str) -> re.Pattern[str]:
    return re.compile("/".join("[^/]+" if part.startswith("{") else re.escape(part) for part in path.split("/")))


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """The methods of the resource at this path. An API path: those /openapi.json declares for the most
    literal template that matches (/v1/orders/preview, not /v1/orders/{order_id}); Starlette's own 405
    names only the first route's, and each operation is a route of its own. Other paths: every method
    some route serves there."""
    declared = app.openapi()["paths"]
    templates = [path for path in declared if _template(path).fullmatch(request.url.path)]
    if templates:
        best = max(templates, key=lambda path: sum(not part.startswith("{") for part in path.split("/")))
        return [method.upper() for method in declared[best]]
    return [method for method in ("GET", "POST", "PATCH", "PUT", "DELETE")
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                   for route in app.router.routes)]


def create_app(db: Database | None = None, *, settings: Settings = Settings()) -> FastAPI:
    db = db or Database(settings.database_url)
    app = FastAPI(title="Flint", version="1", summary="Order-first commerce API built for AI agents.",
                  docs_url=None, redoc_url=None)
    app.state.db = db
    first = len(app.router.routes)
    for op in sorted(registry.operations(), key=_route_order):
        app.add_api_route(op.path, make_endpoint(op, db, settings), methods=[op.method], name=op.name,
                          include_in_schema=False)
    app.router.routes[first:] = [OperationRoutes(app.router.routes[first:])]
    app.include_router(simulator_router(db))
    app.include_router(tools_router(db, settings, bearer_key, outcome_response))
    app.include_router(checkout_router(db, settings))
    app.include_router(setup_router(db, settings))
    app.include_router(docs_router(settings.public_url))
    app.include_router(landing_router(settings.public_url))
    app.include_router(skill_router(public_url=settings.public_url))
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]

    async def refuse(request: Request, error: FlintError) -> Response:
        """An error found before any operation: logged (and budgeted) when the request carries a valid key."""
        key = bearer_key(request)
        if key is None:
            return error_response(error, request.state.request_id, settings)
        outcome = await blocking.run(db, partial(
            invoke, db, None, dict(request.query_params), api_key=key, face="http",
            request_id=request.state.request_id, settings=settings, transport=transport_of(request),
            rejected=error))
        return outcome_response(outcome)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        code = "method_not_allowed" if exc.status_code == 405 else "route_not_found"
        response = await refuse(request, FlintError(code, method=request.method, path=request.url.path))
        if exc.status_code == 405:  # RFC 9110: a 405 lists the methods the path does take
            response.headers["Allow"] = ", ".join(allowed_methods(app, request))
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = tuple(p for p in first["loc"] if p not in ("body", "query", "path", "header"))
        flint = (FlintError("parameter_missing", param=dotted(loc)) if first.get("type") == "missing" else
                 FlintError("parameter_invalid", param=dotted(loc) or None, detail=first["msg"]))
        return await refuse(request, flint)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        request_id = request.scope.get("state", {}).get("request_id")
        return error_response(FlintError("internal_error", request_id=request_id), request_id, settings)

    app.add_middleware(RequestIdMiddleware)
    return app
