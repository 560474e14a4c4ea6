"""Webhook endpoints and deliveries over HTTP, and the deliver_webhook job against a real local receiver:
the secret is shown once, inputs are validated naming the param, scopes are enforced; deliveries are
signed (verified with the `standardwebhooks` package), retried on schedule with every attempt recorded,
end FAILED, and an endpoint failing for days is disabled with an event."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from standardwebhooks import Webhook

from flint_core.platform import outbox, queue, registry
from flint_core.platform.auth import Principal, issue_key
from flint_core.platform.context import Context, utcnow
from flint_core.platform.settings import Settings
from flint_core.store.tables import LIVE, Activity, Event, Job, WebhookDelivery, WebhookEndpoint
from flint_core.webhooks import fanout
from tests.conftest import Api
from tests.webhook_receiver import receiver

FAST = Settings(webhook_retry_delays=(0.0, 0.0))  # three attempts in all, back to back


def scope_of(merchant: dict[str, Any]) -> tuple[str, str]:
    return merchant["merchant"]["merchant_id"], merchant["sandbox"]["sandbox_id"]


def emit(db: Any, merchant: dict[str, Any], event_type: str = "order.created") -> str:
    """An event as the operations write it, in its own transaction (queues its deliveries)."""
    merchant_id, env_id = scope_of(merchant)
    principal = Principal(api_key_id="key_test", merchant_id=merchant_id, env_id=env_id, mode="test",
                          kind="secret", scopes=frozenset({"*"}))
    with db.transaction() as session:
        op = registry.get("create_order")
        assert op is not None
        ctx = Context(session=session, principal=principal, operation=op, request_id="req_test", face="http",
                      now=utcnow())
        event = outbox.emit(ctx, event_type, {"order_id": f"ord_{time.monotonic_ns()}", "object": "order",
                                              "status": "OPEN", "note": "Café ☕"})
        return event.event_id


def deliver(db: Any, settings: Settings = FAST, **kw: Any) -> int:
    return queue.drain(db, settings, kinds=[fanout.DELIVER_WEBHOOK], **kw)


def create(api: Api, url: str, events_: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return api.ok("POST", "/v1/webhook_endpoints", {"url": url, "enabled_events": events_ or ["*"], **extra})


def deliveries(api: Api, **params: Any) -> list[dict[str, Any]]:
    return api.ok("GET", "/v1/webhook_deliveries", params=params)["data"]


def error(response: Any, status: int, code: str, param: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == code and (param is None or body["param"] == param), body
    return body


# --- endpoints ---------------------------------------------------------------------------------------

def test_create_shows_the_secret_once(api: Api) -> None:
    created = create(api, "http://127.0.0.1:9/hook", ["order.paid", "refund.succeeded", "order.paid"],
                     description="fulfilment", metadata={"team": "ops"})
    assert created["object"] == "webhook_endpoint" and created["webhook_endpoint_id"].startswith("we_")
    assert created["secret"].startswith("whsec_") and created["status"] == "ENABLED"
    assert created["enabled_events"] == ["order.paid", "refund.succeeded"]  # deduplicated, in order
    assert created["livemode"] is False and created["metadata"] == {"team": "ops"}
    assert "update_webhook_endpoint" in created["available_actions"]
    endpoint_id = created["webhook_endpoint_id"]
    fetched = api.ok("GET", f"/v1/webhook_endpoints/{endpoint_id}")
    listed = api.ok("GET", "/v1/webhook_endpoints")["data"]
    assert fetched["secret"] is None and [e["secret"] for e in listed] == [None]
    assert created["secret"] not in json.dumps(fetched) + json.dumps(listed)
    assert {k: v for k, v in fetched.items() if k != "secret"} == {k: v for k, v in created.items() if k != "secret"}


@pytest.mark.parametrize("body, code, param", [
    ({"url": "ftp://example.com/hook"}, "parameter_invalid", "url"),
    ({"url": "example.com/hook"}, "parameter_invalid", "url"),
    ({"url": "https://"}, "parameter_invalid", "url"),
    ({"url": "https://exa mple.com/"}, "parameter_invalid", "url"),
    ({"url": "https://example.com:99999/"}, "parameter_invalid", "url"),
    ({"url": "https://example.com/#frag"}, "parameter_invalid", "url"),
    ({"enabled_events": ["order.pad"]}, "unknown_event_type", "enabled_events"),
    ({"enabled_events": ["*", "order.paid"]}, "parameter_invalid", "enabled_events"),
    ({"enabled_events": []}, "parameter_invalid", "enabled_events"),
    ({"enabled_events": "order.paid"}, "parameter_invalid", "enabled_events"),
    ({"url": None}, "parameter_missing", "url"),
    ({"secret": "whsec_mine"}, "unknown_parameter", "secret"),
])
def test_create_validation_names_the_param(api: Api, body: dict[str, Any], code: str, param: str) -> None:
    request = {"url": "https://example.com/hook", "enabled_events": ["*"]} | body
    error(api.post("/v1/webhook_endpoints", {k: v for k, v in request.items() if v is not None}), 400, code, param)


def test_unknown_event_type_suggests_the_close_one(api: Api) -> None:
    body = error(api.post("/v1/webhook_endpoints", {"url": "https://example.com", "enabled_events": ["order.pad"]}),
                 400, "unknown_event_type", "enabled_events")
    assert "'order.pad'" in body["message"] and "order.paid" in body["message"]


def test_live_mode_needs_https_and_a_public_host(api: Api, merchant: dict[str, Any], db: Any) -> None:
    with db.transaction() as session:
        _, live_key = issue_key(session, merchant_id=scope_of(merchant)[0], env_id=LIVE, kind="secret", scopes=[],
                                now=utcnow())
    for url in ("http://example.com/hook", "https://127.0.0.1/hook", "https://localhost:8443/",
                "https://10.1.2.3/", "https://[::1]/", "https://169.254.169.254/latest"):
        error(api.post("/v1/webhook_endpoints", {"url": url, "enabled_events": ["*"]}, key=live_key),
              400, "parameter_invalid", "url")
    live = api.ok("POST", "/v1/webhook_endpoints", {"url": "https://example.com/hook", "enabled_events": ["*"]},
                  key=live_key)
    assert live["livemode"] is True
    # test mode accepts local http receivers; the live endpoint is invisible to the sandbox key
    create(api, "http://127.0.0.1:4242/webhooks")
    create(api, "http://localhost:4242/webhooks")
    assert api.get(f"/v1/webhook_endpoints/{live['webhook_endpoint_id']}").status_code == 404


def test_scopes(api: Api) -> None:
    endpoint = create(api, "https://example.com/hook")
    path = f"/v1/webhook_endpoints/{endpoint['webhook_endpoint_id']}"
    reader = api.ok("POST", "/v1/api_keys", {"scopes": ["webhooks:read"]})["secret"]
    writer = api.ok("POST", "/v1/api_keys", {"scopes": ["webhooks:write"]})["secret"]
    orders = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:write"]})["secret"]
    assert api.get(path, key=reader).status_code == 200
    assert api.get("/v1/webhook_deliveries", key=reader).status_code == 200
    assert api.get(path, key=reader).json()["available_actions"] == ["get_webhook_endpoint", "list_webhook_deliveries"]
    new = {"url": "https://example.com", "enabled_events": ["*"]}
    for method, url, body in (("POST", "/v1/webhook_endpoints", new),
                              ("PATCH", path, {"description": "x"}), ("DELETE", path, None),
                              ("POST", f"{path}/roll_secret", {}), ("POST", "/v1/events/evt_x/redeliver", {})):
        error(api.request(method, url, body, key=reader), 403, "missing_scope")
    error(api.get("/v1/webhook_endpoints", key=orders), 403, "missing_scope")
    error(api.get("/v1/webhook_deliveries", key=orders), 403, "missing_scope")
    assert api.request("PATCH", path, {"description": "x"}, key=writer).status_code == 200  # write implies read
    assert api.get(path, key=writer).status_code == 200


def test_update_and_reenable_clears_failing_state(api: Api, db: Any) -> None:
    endpoint = create(api, "https://example.com/hook", ["order.paid"], description="old", metadata={"a": "1"})
    endpoint_id = endpoint["webhook_endpoint_id"]
    path = f"/v1/webhook_endpoints/{endpoint_id}"
    updated = api.ok("PATCH", path, {"url": "https://example.org/new", "enabled_events": ["refund.failed"],
                                     "description": "", "metadata": {"a": "", "b": "2"}})
    assert (updated["url"], updated["enabled_events"], updated["description"], updated["metadata"]) == (
        "https://example.org/new", ["refund.failed"], None, {"b": "2"})
    assert updated["secret"] is None and updated["updated_at"] >= endpoint["updated_at"]
    disabled = api.ok("PATCH", path, {"status": "disabled"})
    assert disabled["status"] == "DISABLED" and "update_webhook_endpoint" in disabled["disabled_reason"]
    assert [e["webhook_endpoint_id"] for e in api.ok("GET", "/v1/webhook_endpoints",
                                                     params={"status": "DISABLED"})["data"]] == [endpoint_id]
    with db.transaction() as session:  # as if deliveries had been failing
        session.get(WebhookEndpoint, endpoint_id).failing_since = utcnow() - timedelta(days=3)
    assert api.ok("GET", path)["failing_since"] is not None
    enabled = api.ok("PATCH", path, {"status": "ENABLED"})
    assert (enabled["status"], enabled["disabled_reason"], enabled["failing_since"]) == ("ENABLED", None, None)
    error(api.patch(path, {"url": "mailto:me@example.com"}), 400, "parameter_invalid", "url")
    error(api.patch(path, {"enabled_events": ["nope"]}), 400, "unknown_event_type", "enabled_events")
    error(api.patch(path, {"status": "PAUSED"}), 400, "parameter_invalid", "status")
    error(api.patch("/v1/webhook_endpoints/we_missing", {"description": "x"}), 404, "resource_missing",
          "webhook_endpoint_id")
    with db.transaction(write=False) as session:
        types = session.scalars(select(Activity.type).where(Activity.object_id == endpoint_id)).all()
    assert types.count("WEBHOOK_ENDPOINT_UPDATED") == 3 and "WEBHOOK_ENDPOINT_CREATED" in types


def test_delete(api: Api) -> None:
    endpoint_id = create(api, "https://example.com/hook")["webhook_endpoint_id"]
    path = f"/v1/webhook_endpoints/{endpoint_id}"
    assert api.ok("DELETE", path, idempotency_key="del-1") == {"object": "webhook_endpoint",
                                                                "webhook_endpoint_id": endpoint_id, "deleted": True}
    replay = api.delete(path, idempotency_key="del-1")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    error(api.get(path), 404, "resource_missing", "webhook_endpoint_id")
    error(api.delete(path), 404, "resource_missing", "webhook_endpoint_id")
    assert api.ok("GET", "/v1/webhook_endpoints")["data"] == []


def test_roll_secret(api: Api) -> None:
    created = create(api, "https://example.com/hook")
    path = f"/v1/webhook_endpoints/{created['webhook_endpoint_id']}/roll_secret"
    rolled = api.ok("POST", path, {})
    assert rolled["secret"].startswith("whsec_") and rolled["secret"] != created["secret"]
    assert rolled["previous_secret_expires_at"] is not None
    assert api.ok("GET", f"/v1/webhook_endpoints/{created['webhook_endpoint_id']}")["secret"] is None
    short = api.ok("POST", path, {"grace_period_seconds": 60})
    now_rolled = api.ok("POST", path, {"grace_period_seconds": 0})
    assert short["previous_secret_expires_at"] < rolled["previous_secret_expires_at"]
    assert now_rolled["previous_secret_expires_at"] is None
    for bad in (-1, 86401, "soon"):
        error(api.post(path, {"grace_period_seconds": bad}), 400, "parameter_invalid", "grace_period_seconds")


# --- deliveries --------------------------------------------------------------------------------------

def test_delivery_is_signed_and_recorded(api: Api, merchant: dict[str, Any], db: Any) -> None:
    with receiver() as rec:
        rec.reply = b"x" * 2000
        endpoint = create(api, rec.url, ["order.created"])
        create(api, rec.url + "/other", ["refund.failed"])  # not subscribed: gets nothing
        event_id = emit(db, merchant)
        deliver(db)
        assert len(rec.requests) == 1
        request = rec.requests[0]
    with db.transaction(write=False) as session:
        payload = session.get(Event, event_id).payload
    assert request.body == payload.encode()  # the stored payload, byte for byte
    headers = request.headers
    assert headers["webhook-id"] == event_id and headers["content-type"] == "application/json"
    assert "Flint" in headers["user-agent"] and abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert Webhook(endpoint["secret"]).verify(request.body, headers)["event_id"] == event_id
    [delivery] = deliveries(api, event_id=event_id)
    assert delivery["status"] == "SUCCEEDED" and delivery["event_type"] == "order.created"
    assert delivery["webhook_endpoint_id"] == endpoint["webhook_endpoint_id"] and delivery["next_attempt_at"] is None
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] == 200 and attempt["error"] is None and attempt["latency_ms"] >= 0
    assert attempt["response_snippet"] == "x" * 500


def test_retries_until_accepted_then_endpoint_is_healthy(api: Api, merchant: dict[str, Any], db: Any) -> None:
    with receiver() as rec:
        rec.script.extend([500, 503])
        endpoint = create(api, rec.url)
        event_id = emit(db, merchant)
        with db.transaction(write=False) as session:
            statuses = session.scalars(select(WebhookDelivery.status).where(WebhookDelivery.event_id == event_id))
            assert statuses.all() == ["PENDING"]
        deliver(db)
        assert [r.status for r in rec.requests] == [500, 503, 200]
        assert {r.headers["webhook-id"] for r in rec.requests} == {event_id}  # stable across retries
        for r in rec.requests:
            Webhook(endpoint["secret"]).verify(r.body, r.headers)
    [delivery] = deliveries(api, event_id=event_id)
    assert delivery["status"] == "SUCCEEDED"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    assert api.ok("GET", f"/v1/webhook_endpoints/{endpoint['webhook_endpoint_id']}")["failing_since"] is None


def test_retry_waits_for_the_schedule(api: Api, merchant: dict[str, Any], db: Any) -> None:
    with receiver() as rec:
        rec.default = 500
        create(api, rec.url)
        event_id = emit(db, merchant)
        deliver(db, Settings(webhook_retry_delays=(300.0,)))
        assert len(rec.requests) == 1  # the retry is five minutes away
        [delivery] = deliveries(api, event_id=event_id)
        wait = (api_time(delivery["next_attempt_at"]) - api_time(delivery["attempts"][0]["attempted_at"]))
        assert delivery["status"] == "PENDING" and 300 <= wait.total_seconds() <= 345
        deliver(db, Settings(webhook_retry_delays=(300.0,)), now=utcnow() + timedelta(minutes=6))
        assert len(rec.requests) == 2
    [delivery] = deliveries(api, event_id=event_id)
    assert delivery["status"] == "FAILED" and "after 2 attempts (last: HTTP 500)" in delivery["failure_reason"]


def api_time(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_gives_up_then_disables_an_endpoint_failing_for_days(api: Api, merchant: dict[str, Any], db: Any) -> None:
    with receiver() as bad, receiver() as good:
        bad.default = 500
        failing = create(api, bad.url)
        watcher = create(api, good.url, ["webhook_endpoint.disabled"])
        first = emit(db, merchant)
        deliver(db)
        assert len(bad.requests) == 3
        [delivery] = deliveries(api, event_id=first)
        assert delivery["status"] == "FAILED" and len(delivery["attempts"]) == 3
        assert delivery["failure_reason"] == "no 2xx response after 3 attempts (last: HTTP 500)"
        endpoint = api.ok("GET", f"/v1/webhook_endpoints/{failing['webhook_endpoint_id']}")
        assert endpoint["status"] == "ENABLED" and endpoint["failing_since"] is not None  # failing, not for days

        second = emit(db, merchant)
        deliver(db, now=utcnow() + timedelta(days=3, hours=1))  # its attempts happen three days on
        assert len(bad.requests) == 6
        endpoint = api.ok("GET", f"/v1/webhook_endpoints/{failing['webhook_endpoint_id']}")
        assert endpoint["status"] == "DISABLED" and "disabled automatically" in endpoint["disabled_reason"]
        [disabled_event] = good.requests
        payload = Webhook(watcher["secret"]).verify(disabled_event.body, disabled_event.headers)
        assert payload["type"] == "webhook_endpoint.disabled"
        assert payload["data"]["object"]["webhook_endpoint_id"] == failing["webhook_endpoint_id"]
        assert payload["data"]["object"]["status"] == "DISABLED" and payload["data"]["object"]["secret"] is None
        assert failing["secret"].removeprefix("whsec_") not in disabled_event.body.decode()
        assert payload["data"]["previous_attributes"]["status"] == "ENABLED"

        # nothing more is queued or sent to a disabled endpoint; a pending retry ends without a request
        third = emit(db, merchant)
        assert deliveries(api, event_id=third, webhook_endpoint_id=failing["webhook_endpoint_id"]) == []
        assert deliveries(api, event_id=second)[0]["status"] == "FAILED"
        with db.transaction(write=False) as session:
            activity = session.scalar(select(Activity).where(Activity.object_id == failing["webhook_endpoint_id"],
                                                             Activity.type == "WEBHOOK_ENDPOINT_DISABLED"))
        assert activity is not None and activity.actor == "system"


def test_disabled_or_deleted_endpoint_fails_pending_deliveries_without_a_request(
        api: Api, merchant: dict[str, Any], db: Any) -> None:
    with receiver() as rec:
        disabled = create(api, rec.url)
        deleted = create(api, rec.url)
        event_id = emit(db, merchant)
        api.ok("PATCH", f"/v1/webhook_endpoints/{disabled['webhook_endpoint_id']}", {"status": "DISABLED"})
        api.ok("DELETE", f"/v1/webhook_endpoints/{deleted['webhook_endpoint_id']}")
        deliver(db)
        assert rec.requests == []
    reasons = {d["webhook_endpoint_id"]: d for d in deliveries(api, event_id=event_id)}
    assert reasons[disabled["webhook_endpoint_id"]]["status"] == "FAILED"
    assert "is DISABLED; not sent" in reasons[disabled["webhook_endpoint_id"]]["failure_reason"]
    assert "was deleted; not sent" in reasons[deleted["webhook_endpoint_id"]]["failure_reason"]
    assert all(d["attempts"] == [] for d in reasons.values())
    # the deleted endpoint's history stays listable by its id
    assert len(deliveries(api, webhook_endpoint_id=deleted["webhook_endpoint_id"])) == 1


def test_transport_errors_and_redirects_are_failed_attempts(api: Api, merchant: dict[str, Any], db: Any) -> None:
    with receiver() as rec:
        closed_url = rec.url
    with receiver() as redirecting:
        redirecting.default, redirecting.extra_headers = 302, {"location": "https://example.com/elsewhere"}
        refused = create(api, closed_url)
        moved = create(api, redirecting.url)
        event_id = emit(db, merchant)
        deliver(db, Settings(webhook_retry_delays=()))
    by_endpoint = {d["webhook_endpoint_id"]: d for d in deliveries(api, event_id=event_id)}
    [attempt] = by_endpoint[refused["webhook_endpoint_id"]]["attempts"]
    assert attempt["status_code"] is None and attempt["error"] and "ConnectError" in attempt["error"]
    assert "last: ConnectError" in by_endpoint[refused["webhook_endpoint_id"]]["failure_reason"]
    [attempt] = by_endpoint[moved["webhook_endpoint_id"]]["attempts"]
    assert attempt["status_code"] == 302 and "not followed" in attempt["error"]
    assert by_endpoint[moved["webhook_endpoint_id"]]["status"] == "FAILED"


def test_rotation_grace_signs_with_both_secrets(api: Api, merchant: dict[str, Any], db: Any) -> None:
    with receiver() as rec:
        created = create(api, rec.url)
        path = f"/v1/webhook_endpoints/{created['webhook_endpoint_id']}/roll_secret"
        rolled = api.ok("POST", path, {"grace_period_seconds": 3600})
        emit(db, merchant)
        deliver(db)
        retired = api.ok("POST", path, {"grace_period_seconds": 0})
        emit(db, merchant)
        deliver(db)
        during, after = rec.requests
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(created["secret"]).verify(during.body, during.headers)
    Webhook(rolled["secret"]).verify(during.body, during.headers)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(retired["secret"]).verify(after.body, after.headers)
    with pytest.raises(Exception):
        Webhook(rolled["secret"]).verify(after.body, after.headers)


def test_list_deliveries_filters(api: Api, merchant: dict[str, Any], db: Any) -> None:
    with receiver() as ok, receiver() as bad:
        bad.default = 500
        good_endpoint, bad_endpoint = create(api, ok.url), create(api, bad.url)
        first, second = emit(db, merchant), emit(db, merchant)
        deliver(db, Settings(webhook_retry_delays=()))
    everything = deliveries(api)
    assert len(everything) == 4 and everything[0]["created_at"] >= everything[-1]["created_at"]
    assert {d["event_id"] for d in deliveries(api, event_id=first)} == {first}
    assert {d["status"] for d in deliveries(api, webhook_endpoint_id=bad_endpoint["webhook_endpoint_id"])} == {"FAILED"}
    succeeded = deliveries(api, status="succeeded")
    assert {d["webhook_endpoint_id"] for d in succeeded} == {good_endpoint["webhook_endpoint_id"]}
    assert deliveries(api, status="PENDING") == []
    page = api.ok("GET", "/v1/webhook_deliveries", params={"page_size": 3})
    rest = api.ok("GET", "/v1/webhook_deliveries", params={"page_size": 3, "page_token": page["next_page_token"]})
    assert len(page["data"]) == 3 and len(rest["data"]) == 1 and rest["next_page_token"] == ""
    error(api.get("/v1/webhook_deliveries", params={"status": "LOST"}), 400, "parameter_invalid", "status")
    error(api.get("/v1/webhook_deliveries", params={"page_token": page["next_page_token"], "event_id": second}),
          400, "invalid_page_token", "page_token")


def test_redeliver_event(api: Api, merchant: dict[str, Any], db: Any, client: Any) -> None:
    with receiver() as rec:
        subscribed = create(api, rec.url, ["order.created"])
        other = create(api, rec.url + "/refunds", ["refund.failed"])
        event_id = emit(db, merchant)
        deliver(db)
        # to every subscribed endpoint (not `other`), due now, same webhook-id
        again = api.ok("POST", f"/v1/events/{event_id}/redeliver", {}, idempotency_key="redo-1")
        assert again["object"] == "event_redelivery" and again["event_id"] == event_id
        [new] = again["deliveries"]
        assert new["status"] == "PENDING" and new["webhook_endpoint_id"] == subscribed["webhook_endpoint_id"]
        assert api.ok("POST", f"/v1/events/{event_id}/redeliver", {}, idempotency_key="redo-1") == again  # replay
        # explicitly to one endpoint, even one not subscribed to the type
        targeted = api.ok("POST", f"/v1/events/{event_id}/redeliver",
                          {"webhook_endpoint_id": other["webhook_endpoint_id"]})
        assert [d["webhook_endpoint_id"] for d in targeted["deliveries"]] == [other["webhook_endpoint_id"]]
        deliver(db)
        assert len(rec.requests) == 3
        assert {r.headers["webhook-id"] for r in rec.requests} == {event_id}
        assert len({r.body for r in rec.requests}) == 1
    assert len(deliveries(api, event_id=event_id)) == 3
    assert {d["status"] for d in deliveries(api, event_id=event_id)} == {"SUCCEEDED"}

    api.ok("PATCH", f"/v1/webhook_endpoints/{subscribed['webhook_endpoint_id']}", {"status": "DISABLED"})
    to_disabled = {"webhook_endpoint_id": subscribed["webhook_endpoint_id"]}
    body = error(api.post(f"/v1/events/{event_id}/redeliver", to_disabled), 409, "webhook_endpoint_disabled",
                 "webhook_endpoint_id")
    assert body["suggested_actions"] == ["update_webhook_endpoint"]
    error(api.post(f"/v1/events/{event_id}/redeliver", {}), 409, "no_subscribed_webhook_endpoint", "event_id")
    error(api.post("/v1/events/evt_missing/redeliver", {}), 404, "resource_missing", "event_id")
    error(api.post(f"/v1/events/{event_id}/redeliver", {"webhook_endpoint_id": "we_nope"}), 404, "resource_missing",
          "webhook_endpoint_id")
    # another merchant cannot see or replay this merchant's event
    from tests.conftest import signup

    stranger = Api(client, signup(client)["api_key"]["secret"])
    error(stranger.post(f"/v1/events/{event_id}/redeliver", {}), 404, "resource_missing", "event_id")
    assert deliveries(stranger) == []


def test_lease_lost_records_nothing(api: Api, merchant: dict[str, Any], db: Any) -> None:
    """A worker whose job was taken over after its lease lapsed writes no attempt (the fence)."""
    with receiver() as rec:
        create(api, rec.url)
        event_id = emit(db, merchant)
        [claim] = queue.claim(db, FAST, limit=1, kinds=[fanout.DELIVER_WEBHOOK])
        with db.transaction() as session:  # another worker takes the job over
            session.execute(update(Job).where(Job.job_id == claim.job_id).values(locked_by="other"))
        assert queue.run(claim) is False
        assert len(rec.requests) == 1  # the request went out (receivers dedupe on webhook-id) ...
    [delivery] = deliveries(api, event_id=event_id)
    assert delivery["attempts"] == [] and delivery["status"] == "PENDING"  # ... but no attempt was recorded
    with db.transaction() as session:
        session.execute(delete(Job).where(Job.job_id == claim.job_id))
