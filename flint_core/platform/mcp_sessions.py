"""MCP sessions on streamable HTTP: the toolsets a client enabled (``enable_toolset``), by session id.

The HTTP transport is stateless, so each request may reach another worker; a session's state is one row
(``McpSession``) under the ``Mcp-Session-Id`` Flint hands out on ``initialize``. Rows belong to the key that
wrote them: another key presenting the same id sees nothing. Housekeeping deletes sessions idle for
longer than ``IDLE``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from flint_core.platform.auth import Principal
from flint_core.platform.context import utcnow
from flint_core.store.db import Database
from flint_core.store.tables import McpSession

IDLE = timedelta(days=1)


def new_id() -> str:
    """A session id: visible ASCII, as the transport requires, and unguessable."""
    return "mcps_" + secrets.token_urlsafe(24)


def enabled(db: Database, session_id: str, principal: Principal) -> frozenset[str]:
    """The toolsets this key enabled in the session (none for an unknown or idle session)."""
    with db.transaction(write=False) as session:
        row = session.execute(select(McpSession.api_key_id, McpSession.toolsets, McpSession.updated_at)
                              .where(McpSession.session_id == session_id)).one_or_none()
    if row is None or row.api_key_id != principal.api_key_id or row.updated_at <= utcnow() - IDLE:
        return frozenset()
    return frozenset(row.toolsets)


def enable(db: Database, session_id: str, principal: Principal, toolsets: frozenset[str]) -> frozenset[str]:
    """Add toolsets to the session; returns everything it now has enabled. A row another key wrote is
    taken over from scratch (its toolsets are not inherited)."""

    def write(session: Any) -> frozenset[str]:
        now = utcnow()
        row = session.get(McpSession, session_id, with_for_update=True)
        if row is None:
            row = McpSession(session_id=session_id, api_key_id=principal.api_key_id, toolsets=[], created_at=now,
                             updated_at=now)
            session.add(row)
        elif row.api_key_id != principal.api_key_id or row.updated_at <= now - IDLE:
            row.api_key_id, row.toolsets = principal.api_key_id, []
        row.toolsets = sorted(set(row.toolsets) | toolsets)
        row.updated_at = now
        return frozenset(row.toolsets)

    try:
        return db.run(write)
    except IntegrityError:  # a concurrent first enable inserted the row: add to it
        return db.run(write)
