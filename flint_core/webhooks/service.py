"""What webhook operations read beyond their own rows: the types of a page of deliveries' events, in one query
(``event_types``)."""

from __future__ import annotations

from sqlalchemy import select

from flint_core.platform.context import Context
from flint_core.store.tables import Event


def event_types(ctx: Context, event_ids: set[str]) -> dict[str, str]:
    rows = ctx.session.execute(select(Event.event_id, Event.type).where(
        Event.merchant_id == ctx.merchant_id, Event.env_id == ctx.env_id, Event.event_id.in_(event_ids)))
    return {event_id: type_ for event_id, type_ in rows}
