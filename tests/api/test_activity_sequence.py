"""An order's audit trail is one chain, however many writers raced: every activity carries the order's next
`sequence`, taken under the row lock that serialises the mutations, and list_order_activities and
get_order_timeline return activities in that order. Through the real ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from flint_core.store.db import Database, alembic_config
from flint_core.store.tables import Activity
from tests.api.helpers import concurrently, paid_order
from tests.conftest import WORKED_EXAMPLE, Api, line, usd

# Fields of the order itself (not references such as refund_id): the value one activity leaves is the
# value the next activity that changes the field starts from.
STATE_FIELDS = ("status", "refunded_money.amount", "paid_money.amount", "subtotal_money.amount",
                "tax_money.amount", "total_money.amount")


def every_page(api: Api, path: str, **params: Any) -> list[dict[str, Any]]:
    entries, token = [], None
    while True:
        page = api.ok("GET", path, params=params | ({"page_token": token} if token else {}))
        entries += page["data"]
        token = page["next_page_token"]
        if not token:
            return entries


def assert_chained(trail: list[dict[str, Any]]) -> None:
    assert [a["sequence"] for a in trail] == list(range(1, len(trail) + 1))
    last: dict[str, Any] = {}
    for activity in trail:
        for field in STATE_FIELDS:
            if field in activity["delta"]:
                before, after = activity["delta"][field]
                if field in last:
                    assert before == last[field], (f"{activity['type']} #{activity['sequence']} starts {field} "
                                                   f"at {before}; the activity before left it at {last[field]}")
                last[field] = after


def refunds(api: Api) -> tuple[str, list[tuple[str, str, dict[str, Any], str]], dict[str, Any]]:
    order_id = paid_order(api)["order_id"]  # 13824 paid: twenty refunds of 500 all fit
    calls = [("POST", "/v1/refunds", {"order_id": order_id, "amount_money": usd(500)}, f"seq-refund-{i}")
             for i in range(20)]
    return order_id, calls, {"refunded_money.amount": 20 * 500, "status": "PARTIALLY_REFUNDED"}


def updates(api: Api) -> tuple[str, list[tuple[str, str, dict[str, Any], str]], dict[str, Any]]:
    order_id = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)["order_id"]
    calls = [("PATCH", f"/v1/orders/{order_id}", {"add_line_items": [line(f"Extra {i}", 100)]}, f"seq-update-{i}")
             for i in range(20)]
    return order_id, calls, {"subtotal_money.amount": 12800 + 20 * 100}


@pytest.mark.parametrize("scenario", [refunds, updates], ids=["refunds", "update_order"])
def test_20_concurrent_mutations_leave_one_gapless_chain(api: Api, app: Any, scenario: Any) -> None:
    order_id, calls, final = scenario(api)
    responses = asyncio.run(concurrently(app, api.key, calls))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]

    trail = every_page(api, f"/v1/orders/{order_id}/activities", order_by="created_at", page_size=7)
    assert_chained(trail)
    assert len(trail) >= 21  # creation (and payment) + the twenty mutations (refunds: created and succeeded)
    last = {field: after for a in trail for field, (_, after) in a["delta"].items()}
    assert {field: last[field] for field in final} == final
    # newest first by default, page after page
    assert every_page(api, f"/v1/orders/{order_id}/activities", page_size=5) == trail[::-1]

    timeline = every_page(api, f"/v1/orders/{order_id}/timeline", page_size=7)
    whole = api.ok("GET", f"/v1/orders/{order_id}/timeline", params={"page_size": 200})["data"]
    assert timeline == [e for e in whole if e["detail"].get("operation") != "get_order_timeline"
                        or e in timeline]  # the small pages' own reads are logged as they go
    shown = [e for e in timeline if e["kind"] == "ACTIVITY"]
    assert [(e["entry_id"], e["detail"]["sequence"]) for e in shown] == [(a["activity_id"], a["sequence"])
                                                                       for a in trail]
    assert len({e["entry_id"] for e in timeline}) == len(timeline)
    requests = [e for e in timeline if e["kind"] == "REQUEST"]
    assert [(e["at"], e["entry_id"]) for e in requests] == sorted((e["at"], e["entry_id"]) for e in requests)


def test_page_tokens_from_before_sequences_are_refused(api: Api) -> None:
    order_id = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)["order_id"]
    legacy = base64.urlsafe_b64encode(json.dumps({"at": "2026-01-01T00:00:00+00:00", "id": "act_x",
                                                  "order": order_id}).encode()).decode().rstrip("=")
    refused = api.get(f"/v1/orders/{order_id}/timeline", params={"page_token": legacy})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "page_token"
    page = api.ok("GET", f"/v1/orders/{order_id}/activities", params={"page_size": 1})
    assert page["data"][0]["sequence"] == 1 and page["next_page_token"] == ""
    by_id = base64.urlsafe_b64encode(json.dumps({"after": "act_x", "binding": "x"}).encode()).decode()
    refused = api.get(f"/v1/orders/{order_id}/activities", params={"page_token": by_id})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_page_token"


def test_a_second_activity_with_a_taken_sequence_is_refused(api: Api, db: Database) -> None:
    """The safety net: a writer that skipped the row lock fails instead of forking the chain."""
    order_id = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)["order_id"]
    with db.transaction(write=False) as session:
        first = session.scalars(select(Activity).where(Activity.object_id == order_id)).one()
    twin = {c.key: getattr(first, c.key) for c in Activity.__table__.columns} | {"activity_id": "act_twin"}
    with pytest.raises(IntegrityError):
        with db.transaction() as session:
            session.add(Activity(**twin))


def test_migration_0004_numbers_existing_activities_in_time_order(api: Api, db: Database,
                                                                 database_url: str) -> None:
    order_id = paid_order(api)["order_id"]
    api.ok("POST", "/v1/refunds", {"order_id": order_id, "amount_money": usd(100)})  # five activities in all
    with db.transaction(write=False) as session:
        ids = list(session.scalars(select(Activity.activity_id).where(Activity.object_id == order_id)
                                   .order_by(Activity.sequence)))
        start = session.scalar(select(Activity.occurred_at).where(Activity.activity_id == ids[0]))
    assert start is not None
    # Before sequences, rows were ordered by (occurred_at, activity_id): make the times disagree with the
    # ids, with a tie, to see the backfill follow the times and break the tie on the id.
    times = {ids[0]: start + timedelta(seconds=5), ids[1]: start, ids[2]: start + timedelta(seconds=5),
             ids[3]: start + timedelta(seconds=1), ids[4]: start + timedelta(seconds=3)}
    with db.transaction() as session:
        for activity_id, at in times.items():
            session.execute(update(Activity).where(Activity.activity_id == activity_id).values(occurred_at=at))
    config = alembic_config(database_url)
    command.downgrade(config, "0003")
    command.upgrade(config, "head")
    with db.transaction(write=False) as session:
        renumbered = list(session.scalars(select(Activity.activity_id).where(Activity.object_id == order_id)
                                          .order_by(Activity.sequence)))
        sequences = list(session.scalars(select(Activity.sequence).where(Activity.object_id == order_id)
                                         .order_by(Activity.sequence)))
    assert renumbered == [ids[1], ids[3], ids[4], ids[0], ids[2]]  # ids[0] < ids[2]: made in that order
    assert sequences == [1, 2, 3, 4, 5]
