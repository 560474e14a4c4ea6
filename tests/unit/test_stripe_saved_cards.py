"""Saved cards on Stripe against the fake stripe.HTTPClient (no network): SetupIntents under a Stripe
customer made once per Flint customer, their statuses and declines, 3D Secure, cancel, detach, and
off-session charges of a saved card (authentication_required is a FAILED outcome)."""

from __future__ import annotations

from typing import Any

import pytest

from flint_core.processors.base import CardSource, ChargeStatus, ProcessorError, SetupStatus
from flint_core.processors.stripe import SETUP_STATUS_TABLE
from tests.unit.test_stripe_processor import card_error, intent

KEY = "seti_01FLINT:setup"
CUSTOMER = {"id": "cus_Stripe1", "object": "customer", "metadata": {"flint_customer_id": "cus_01flint"}}


def method(id: str = "pm_1Saved") -> dict[str, Any]:
    return {"id": id, "object": "payment_method", "type": "card", "customer": "cus_Stripe1",
            "card": {"brand": "visa", "last4": "3155", "exp_month": 12, "exp_year": 2034, "funding": "credit",
                     "country": "US", "fingerprint": "Xt5EWLLDS7FJjR1c"}}


def setup_intent(status: str, *, id: str = "seti_1Stripe", payment_method: Any = None,
                 last_setup_error: dict | None = None, next_action: dict | None = None) -> dict[str, Any]:
    return {"id": id, "object": "setup_intent", "status": status, "customer": "cus_Stripe1", "usage": "off_session",
            "payment_method": payment_method if payment_method is not None else method(),
            "last_setup_error": last_setup_error, "next_action": next_action, "metadata": {"flint_key": KEY}}


def test_setup_status_rows_cover_the_table() -> None:
    assert set(SETUP_STATUS_TABLE) == {"succeeded", "requires_action", "requires_confirmation",
                                       "requires_payment_method", "canceled", "processing"}


def test_first_setup_makes_the_stripe_customer_then_saves_the_card(proc, http) -> None:
    http.reply((200, CUSTOMER), (200, setup_intent("succeeded")))
    result = proc.setup(key=KEY, source=CardSource("tok_visa", "visa", "4242"), customer_key="cus_01flint")
    made, saved = http.sent
    assert (made.method, made.path, made.params["metadata[flint_customer_id]"]) == (
        "post", "/v1/customers", "cus_01flint")
    assert made.headers["Idempotency-Key"] == "cus_01flint:customer"
    assert (saved.path, saved.headers["Idempotency-Key"]) == ("/v1/setup_intents", KEY)
    assert saved.params["customer"] == "cus_Stripe1" and saved.params["confirm"] == "true"
    assert saved.params["usage"] == "off_session" and saved.params["expand[0]"] == "payment_method"
    assert saved.params["payment_method_data[card][token]"] == "tok_visa"
    assert (result.status, result.reference, result.customer) == (SetupStatus.SUCCEEDED, "seti_1Stripe", "cus_Stripe1")
    card = result.card
    assert card is not None and (card.reference, card.brand, card.last4, card.exp_year, card.fingerprint) == (
        "pm_1Saved", "visa", "3155", 2034, "Xt5EWLLDS7FJjR1c")


def test_a_known_customer_is_reused(proc, http) -> None:
    http.reply((200, setup_intent("succeeded")))
    proc.setup(key=KEY, source=CardSource("pm_card_visa", customer="cus_Stripe1"), customer_key="cus_01flint")
    [only] = http.sent
    assert only.path == "/v1/setup_intents" and only.params["payment_method"] == "pm_card_visa"


def test_3d_secure_at_setup_then_confirm(proc, http) -> None:
    redirect = {"type": "redirect_to_url", "redirect_to_url": {"url": "https://hooks.stripe.com/3ds/x"}}
    http.reply((200, setup_intent("requires_action", payment_method="pm_1Saved", next_action=redirect)))
    asked = proc.setup(key=KEY, source=CardSource("pm_x", customer="cus_Stripe1"), customer_key="cus_01flint",
                       return_url="https://flint.example/back")
    assert (asked.status, asked.next_action_url, asked.card) == (
        SetupStatus.REQUIRES_ACTION, "https://hooks.stripe.com/3ds/x", None)
    assert http.sent[0].params["return_url"] == "https://flint.example/back"
    # the redirect already confirmed it at Stripe: confirm_setup reads it and does not confirm again
    http.reply((200, setup_intent("succeeded")))
    done = proc.confirm_setup(key="seti_01FLINT:confirm", reference="seti_1Stripe")
    assert done.status is SetupStatus.SUCCEEDED and done.card is not None
    assert [s.method for s in http.sent[1:]] == ["get"]
    http.reply((200, setup_intent("requires_confirmation", payment_method="pm_1Saved")), (200, setup_intent("succeeded")))
    proc.confirm_setup(key="seti_01FLINT:confirm", reference="seti_1Stripe")
    assert [(s.method, s.path) for s in http.sent[2:]] == [
        ("get", "/v1/setup_intents/seti_1Stripe"), ("post", "/v1/setup_intents/seti_1Stripe/confirm")]


def test_a_declined_setup_is_an_outcome(proc, http) -> None:
    status, body = card_error("card_declined", "insufficient_funds", with_intent=False)
    body["error"]["setup_intent"] = setup_intent("requires_payment_method", payment_method="",
                                                 last_setup_error=dict(body["error"]))
    http.reply((200, CUSTOMER), (status, body))
    result = proc.setup(key=KEY, source=CardSource("tok_visa"), customer_key="cus_01flint")
    assert result.status is SetupStatus.FAILED and result.card is None
    assert result.failure is not None and (result.failure.code, result.failure.decline_code) == (
        "card_declined", "insufficient_funds")


def test_unknown_setup_outcome_and_outages(proc, http) -> None:
    http.reply((200, setup_intent("processing")))
    with pytest.raises(ProcessorError) as unknown:
        proc.setup(key=KEY, source=CardSource("pm_x", customer="cus_Stripe1"), customer_key="cus_01flint")
    assert unknown.value.timeout
    http.reply((500, {"error": {"type": "api_error", "message": "boom"}}))
    with pytest.raises(ProcessorError) as failed:
        proc.setup(key=KEY, source=CardSource("pm_x", customer="cus_Stripe1"), customer_key="cus_01flint")
    assert failed.value.timeout  # a write that failed with a 5xx may have happened


def test_cancel_and_detach(proc, http) -> None:
    http.reply((200, setup_intent("canceled", payment_method="")), (200, method() | {"customer": None}))
    assert proc.cancel_setup(key="seti_01FLINT:cancel", reference="seti_1Stripe").status is SetupStatus.CANCELED
    proc.detach(key="pm_01FLINT:detach", reference="pm_1Saved")
    cancel, detach = http.sent
    assert (cancel.path, cancel.headers["Idempotency-Key"]) == ("/v1/setup_intents/seti_1Stripe/cancel",
                                                                "seti_01FLINT:cancel")
    assert (detach.path, detach.headers["Idempotency-Key"]) == ("/v1/payment_methods/pm_1Saved/detach",
                                                                "pm_01FLINT:detach")


def test_an_off_session_charge_of_a_saved_card(proc, http) -> None:
    saved = CardSource("pm_1Saved", "visa", "3155", customer="cus_Stripe1")
    http.reply((200, intent("succeeded")))
    paid = proc.authorize(key="pi_01:authorize", amount=2500, currency="USD", source=saved, capture=True,
                          description="Renewal", off_session=True)
    sent = http.sent[0]
    assert (sent.params["customer"], sent.params["payment_method"], sent.params["off_session"]) == (
        "cus_Stripe1", "pm_1Saved", "true")
    assert paid.status is ChargeStatus.SUCCEEDED
    http.reply(card_error("authentication_required", None, "This payment requires authentication."))
    failed = proc.authorize(key="pi_02:authorize", amount=2500, currency="USD", source=saved, capture=True,
                            description="Renewal", off_session=True)
    assert failed.status is ChargeStatus.FAILED and failed.failure is not None
    assert failed.failure.code == "authentication_required"


def test_saving_the_card_of_a_live_payment_is_refused_without_a_call(proc, http) -> None:
    with pytest.raises(ProcessorError) as refused:
        proc.describe(source=CardSource("tok_visa"))
    assert not refused.value.timeout and http.sent == []
