"""The operations' route index answers as a walk through their routes would (flint_http.routing)."""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import Match

from flint_core import Database, registry
from flint_http.app import create_app
from flint_http.routing import OperationRoutes

METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def _walk(routes: list[Any], scope: dict[str, Any]) -> tuple[Match, Any]:
    """Starlette's rule: the first route that matches fully, else the first that matches the path."""
    partial = None
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return match, child["route"]
        if match is Match.PARTIAL and partial is None:
            partial = child["route"]
    return (Match.NONE, None) if partial is None else (Match.PARTIAL, partial)


def test_the_index_finds_what_the_walk_finds(tmp_path) -> None:
    app = create_app(Database(f"sqlite:///{tmp_path / 'flint.db'}"))
    (index,) = [route for route in app.router.routes if isinstance(route, OperationRoutes)]
    paths = {re.sub(r"\{[^}]+\}", "x_1", op.path) for op in registry.operations()}
    paths |= {"/v1/customers/search", "/v1/orders/x/nope", "/v1/nothing", "/v1", "/", "/v1/orders/"}
    for path in paths:
        for method in METHODS:
            scope = {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}
            match, child = index.matches(dict(scope))
            expected, route = _walk(index.routes, dict(scope))
            assert match is expected, (method, path)
            assert (child or {}).get("route") is route, (method, path)
    assert index.matches({"type": "websocket", "path": "/v1/whoami", "root_path": ""})[0] is Match.NONE
