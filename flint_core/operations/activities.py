"""The audit trail: one activity per mutation, written in the mutation's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from flint_core.operations.common import fetch, scoped
from flint_core.pagination import Page, paginate
from flint_core.registry import READ_ONLY, operation
from flint_core.runtime import Context
from flint_core.schema import ListInput, Output
from flint_core.store.models import Activity, Order


class ActivityOut(Output):
    object: Literal["activity"] = Field("activity", description="Always `activity`.")
    activity_id: str = Field(description="Id, `act_...`.")
    object_type: str = Field(description="What changed, e.g. `order`.")
    object_id: str = Field(description="Its id.")
    sequence: int = Field(description="Its place in the object's history: 1 for the first change, then one more "
                                      "per change, without gaps, in the order the changes were applied (also "
                                      "when requests raced). A field of the object (status, an amount...) "
                                      "changed here has as `before` its `after` in the previous activity "
                                      "that changed it.")
    type: str = Field(description="What happened, e.g. ORDER_CREATED, COUPON_APPLIED, ORDER_CANCELED.")
    occurred_at: datetime = Field(description="When (RFC 3339, UTC).")
    actor: str = Field(description="The API key that did it (`key_...`), or `system`.")
    face: str = Field(description="Where the request came from: http, mcp, tool_call, hosted or system.")
    request_id: str | None = Field(description="The request that did it (`req_...`).")
    delta: dict[str, Any] = Field(description="field -> [before, after] for every field that changed.")


def activity_out(activity: Activity) -> ActivityOut:
    return ActivityOut(activity_id=activity.activity_id, object_type=activity.object_type,
                       object_id=activity.object_id, sequence=activity.sequence, type=activity.type, occurred_at=activity.occurred_at,
                       actor=activity.actor, face=activity.face, request_id=activity.request_id, delta=activity.delta)


class ListOrderActivitiesInput(ListInput):
    order_id: str = Field(description="The order whose history to list.")


@operation("list_order_activities", http="GET /v1/orders/{order_id}/activities", scope="orders:read",
           safety=READ_ONLY, summary="An order's audit trail: every change, who made it, and what moved.")
def list_order_activities(ctx: Context, params: ListOrderActivitiesInput) -> Page[ActivityOut]:
    """List the order's activities by `sequence`, newest first (`order_by=created_at` for the order the
    changes were applied in, oldest first). Each names the key and request that made the change and its
    before/after values; payments, refunds and checkout sessions record theirs on the order too."""
    fetch(ctx, Order, params.order_id, resource="order")
    stmt = scoped(ctx, Activity).where(Activity.object_id == params.order_id, Activity.object_type == "order")
    rows, token = paginate(ctx.session, stmt, Activity.sequence, params, {"order_id": params.order_id})
    return Page[ActivityOut](data=[activity_out(a) for a in rows], next_page_token=token)
