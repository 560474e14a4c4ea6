"""Flint's webhook signatures are Standard Webhooks signatures: the reference verifier (the
`standardwebhooks` package) accepts them, with either secret during a rotation; and the retry schedule."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from flint_core.platform.settings import Settings
from flint_core.webhooks import schedule, signing

BODY = json.dumps({"event_id": "evt_1", "type": "order.paid", "data": {"object": {"name": "Café ☕"}}},
                  ensure_ascii=False, separators=(",", ":")).encode()


def test_secret_format() -> None:
    secrets = {signing.new_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"))) <= 64


def test_known_vector_from_the_spec() -> None:
    # The Standard Webhooks reference test vector.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    assert signing.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}') == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")


def test_reference_verifier_accepts_flint_headers() -> None:
    secret = signing.new_secret()
    headers = signing.headers([secret], "evt_1", int(time.time()), BODY)
    assert headers["content-type"] == "application/json" and "Flint" in headers["user-agent"]
    assert headers["webhook-id"] == "evt_1"
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


@pytest.mark.parametrize("tamper", ["body", "id", "timestamp", "secret"])
def test_reference_verifier_rejects_tampering(tamper: str) -> None:
    secret = signing.new_secret()
    now = int(time.time())
    headers = signing.headers([secret], "evt_1", now, BODY)
    body = BODY
    if tamper == "body":
        body = BODY.replace(b"paid", b"open")
    elif tamper == "id":
        headers["webhook-id"] = "evt_2"
    elif tamper == "timestamp":
        headers["webhook-timestamp"] = str(now - 1)
    else:
        secret = signing.new_secret()
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_rotation_signs_with_both_secrets() -> None:
    new, old = signing.new_secret(), signing.new_secret()
    headers = signing.headers([new, old], "evt_1", int(time.time()), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(BODY, headers) and Webhook(old).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(BODY, headers)


def test_stale_timestamps_are_rejected_by_receivers() -> None:
    """Why each attempt is signed with its own, current timestamp."""
    secret = signing.new_secret()
    headers = signing.headers([secret], "evt_1", int(time.time()) - 600, BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, headers)


def test_default_schedule_spans_about_three_days() -> None:
    delays = schedule.delays(Settings())
    assert delays[:6] == (5, 300, 1800, 7200, 18000, 36000)
    assert 2.5 * 86400 < sum(delays) < 3.5 * 86400
    assert schedule.disable_after(Settings()) == timedelta(days=3)


def test_next_delay_has_jitter_above_the_schedule_and_ends() -> None:
    settings = Settings(webhook_retry_delays=(10.0, 100.0))
    waits = [schedule.next_delay(settings, 1) for _ in range(200)]
    assert all(w is not None and 10 <= w.total_seconds() <= 10 * (1 + schedule.JITTER) for w in waits)
    assert len({w for w in waits}) > 1
    assert 100 <= schedule.next_delay(settings, 2).total_seconds() <= 115  # type: ignore[union-attr]
    assert schedule.next_delay(settings, 3) is None


def test_the_environment_sets_the_schedule() -> None:
    settings = Settings.from_env({"FLINT_WEBHOOK_RETRY_DELAYS": "0.2, 0.2,0.5",
                                  "FLINT_WEBHOOK_DISABLE_AFTER_SECONDS": "60"})
    assert schedule.delays(settings) == (0.2, 0.2, 0.5)
    assert schedule.disable_after(settings) == timedelta(seconds=60)
    assert schedule.delays(Settings.from_env({"FLINT_WEBHOOK_RETRY_DELAYS": ""})) == schedule.DEFAULT_DELAYS
    assert schedule.delays(Settings.from_env({"FLINT_WEBHOOK_RETRY_DELAYS": "0"})) == (0.0,)
    with pytest.raises(ValueError, match="FLINT_WEBHOOK_RETRY_DELAYS"):
        Settings.from_env({"FLINT_WEBHOOK_RETRY_DELAYS": "5,-1"})
