"""StripeProcessor against a fake stripe.HTTPClient: no network. The fake records every request the real
SDK builds (method, path, headers, form body) and answers with canned JSON shaped like Stripe's API."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

from flint_core.processors.base import CardSource, ChargeStatus, PaymentProcessor, ProcessorError, RefundOutcome
from flint_core.processors.stripe import FAILURE_TABLE, REFUND_STATUS_TABLE, STATUS_TABLE, StripeProcessor

API_KEY = "sk_test_51FlintUnitTestKeyDoNotLeak000"
KEY = "pi_01FLINT:authorize"
PM = CardSource(token="pm_card_visa", brand="visa", last4="4242")


@dataclass
class Sent:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, str]  # query (GET) or form body (POST), flattened: "metadata[flint_key]" -> "..."
    raw: str


class FakeStripeHTTP(stripe.HTTPClient):
    """Answers from a queue: (status, json body) pairs, or exceptions to raise (connection errors)."""

    name = "fake"

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Sent] = []
        self.replies: list[Any] = []

    def reply(self, *replies: Any) -> FakeStripeHTTP:
        self.replies.extend(replies)
        return self

    def _sleep_time_seconds(self, num_retries: int) -> float:  # the SDK's retry backoff: none in tests
        return 0.0

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        parts = urlsplit(url)
        params = dict(parse_qsl(body if method == "post" else parts.query, keep_blank_values=True))
        self.sent.append(Sent(method, parts.path, dict(headers or {}), params, url + "\n" + body))
        assert self.replies, f"unexpected request {method} {url}"
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        status, payload = reply
        return json.dumps(payload), status, {"Request-Id": "req_fake123"}

    def close(self) -> None:
        pass


# --- Stripe JSON, shaped like the documented objects -------------------------------------------------

def intent(status: str, *, id: str = "pi_3Q0stripe", amount: int = 2500, received: int | None = None,
           capture_method: str = "automatic", last_payment_error: dict | None = None,
           next_action: dict | None = None, key: str = KEY) -> dict:
    if received is None:
        received = amount if status == "succeeded" else 0
    return {
        "id": id, "object": "payment_intent", "amount": amount,
        "amount_capturable": amount if status == "requires_capture" else 0, "amount_received": received,
        "capture_method": capture_method, "client_secret": f"{id}_secret_x", "confirmation_method": "automatic",
        "created": 1760000000, "currency": "usd", "description": "Order ord_01", "livemode": False,
        "last_payment_error": last_payment_error, "latest_charge": "ch_3Q0stripe",
        "metadata": {"flint_key": key}, "next_action": next_action, "payment_method": "pm_1Q0card",
        "payment_method_types": ["card"], "status": status,
    }


def card_error(code: str, decline_code: str | None = None, message: str = "Your card was declined.",
               with_intent: bool = True) -> tuple[int, dict]:
    error = {"type": "card_error", "code": code, "decline_code": decline_code, "message": message,
             "charge": "ch_3Q0stripe", "doc_url": f"https://stripe.com/docs/error-codes/{code}"}
    if with_intent:
        error["payment_intent"] = intent("requires_payment_method", last_payment_error=dict(error))
    return 402, {"error": error}


def api_error(status: int, type_: str, message: str, code: str | None = None, **extra: Any) -> tuple[int, dict]:
    return status, {"error": {"type": type_, "message": message, "code": code, **extra}}


def refund(status: str, failure_reason: str | None = None) -> dict:
    return {"id": "re_3Q0refund", "object": "refund", "amount": 1000, "charge": "ch_3Q0stripe",
            "currency": "usd", "payment_intent": "pi_3Q0stripe", "status": status,
            "failure_reason": failure_reason, "metadata": {"flint_key": "re_01FLINT:refund"},
            "created": 1760000000}


def search(*items: dict) -> dict:
    return {"object": "search_result", "url": "/v1/payment_intents/search", "has_more": False,
            "data": list(items), "next_page": None}


def authorize(proc: StripeProcessor, *, capture: bool = True, source: CardSource = PM, key: str = KEY,
              return_url: str | None = None):
    return proc.authorize(key=key, amount=2500, currency="USD", source=source, capture=capture,
                          description="Order ord_01", return_url=return_url)


# --- the status table --------------------------------------------------------------------------------

STATUS_ROWS = [
    ("succeeded", ChargeStatus.SUCCEEDED, 2500, 2500),
    ("requires_capture", ChargeStatus.REQUIRES_CAPTURE, 2500, 0),
    ("requires_action", ChargeStatus.REQUIRES_ACTION, 0, 0),
    ("requires_confirmation", ChargeStatus.REQUIRES_ACTION, 0, 0),
    ("canceled", ChargeStatus.CANCELED, 0, 0),
    ("requires_payment_method", ChargeStatus.FAILED, 0, 0),
    ("processing", None, None, None),
]


def test_status_rows_cover_the_table() -> None:
    assert {row[0] for row in STATUS_ROWS} == set(STATUS_TABLE)


@pytest.mark.parametrize("stripe_status,expected,authorized,captured", STATUS_ROWS)
def test_status_table(proc, http, stripe_status, expected, authorized, captured) -> None:
    error = {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
             "message": "Your card has insufficient funds."}
    http.reply((200, intent(stripe_status, last_payment_error=error)))
    if expected is None:
        with pytest.raises(ProcessorError) as info:
            authorize(proc)
        assert info.value.timeout is True  # processing: outcome unknown, lookup later
        return
    result = authorize(proc)
    assert (result.status, result.reference) == (expected, "pi_3Q0stripe")
    assert (result.amount_authorized, result.amount_captured) == (authorized, captured)
    if expected is ChargeStatus.FAILED:
        assert (result.failure.code, result.failure.decline_code) == ("card_declined", "insufficient_funds")
        assert result.failure.message == "Your card has insufficient funds."
    else:
        assert result.failure is None


def test_unknown_status_is_an_unknown_outcome(proc, http) -> None:
    http.reply((200, intent("some_future_status")))
    with pytest.raises(ProcessorError) as info:
        authorize(proc)
    assert info.value.timeout is True


@pytest.mark.parametrize("next_action,url", [
    ({"type": "redirect_to_url", "redirect_to_url": {"url": "https://hooks.stripe.com/3d_secure_2/x",
                                                     "return_url": "https://shop.test/back"}},
     "https://hooks.stripe.com/3d_secure_2/x"),
    ({"type": "use_stripe_sdk",
      "use_stripe_sdk": {"type": "three_d_secure_redirect",
                         "stripe_js": "https://hooks.stripe.com/redirect/authenticate/src_1"}},
     "https://hooks.stripe.com/redirect/authenticate/src_1"),
    ({"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "stripe_3ds2_fingerprint", "source": "src_1"}}, None),
])
def test_requires_action_next_action_url(proc, http, next_action, url) -> None:
    http.reply((200, intent("requires_action", next_action=next_action)))
    result = authorize(proc, return_url="https://shop.test/back")
    assert result.status is ChargeStatus.REQUIRES_ACTION and result.next_action_url == url


# --- the failure table (declines are outcomes) -----------------------------------------------------

CODE_ROWS = [  # Stripe `code` -> Flint code
    ("card_declined", "card_declined"), ("expired_card", "expired_card"), ("incorrect_cvc", "incorrect_cvc"),
    ("invalid_cvc", "incorrect_cvc"), ("incorrect_number", "incorrect_number"),
    ("invalid_number", "incorrect_number"), ("processing_error", "processing_error"),
    ("authentication_required", "authentication_required"),
    ("payment_intent_authentication_failure", "authentication_failed"),
    ("card_decline_rate_limit_exceeded", "card_declined"),
]
DECLINE_ROWS = [  # Stripe `decline_code` -> Flint decline_code
    ("generic_decline", "generic_decline"), ("insufficient_funds", "insufficient_funds"),
    ("lost_card", "lost_card"), ("stolen_card", "stolen_card"), ("fraudulent", "fraudulent"),
    ("merchant_blacklist", "merchant_blacklist"), ("do_not_honor", "do_not_honor"), ("call_issuer", "call_issuer"),
    ("pickup_card", "pickup_card"), ("restricted_card", "restricted_card"),
    ("security_violation", "security_violation"), ("transaction_not_allowed", "transaction_not_allowed"),
    ("not_permitted", "transaction_not_allowed"), ("card_not_supported", "card_not_supported"),
    ("currency_not_supported", "currency_not_supported"), ("card_velocity_exceeded", "card_velocity_exceeded"),
    ("withdrawal_count_limit_exceeded", "card_velocity_exceeded"), ("incorrect_zip", "incorrect_zip"),
    ("try_again_later", "try_again_later"), ("issuer_not_available", "try_again_later"),
    ("reenter_transaction", "try_again_later"), ("testmode_decline", "generic_decline"),
]


def test_failure_rows_cover_the_table() -> None:
    assert {s for s, _ in CODE_ROWS} | {s for s, _ in DECLINE_ROWS} == set(FAILURE_TABLE)


@pytest.mark.parametrize("stripe_code,flint_code", CODE_ROWS + [("some_new_code", "card_declined")])
def test_error_code_table(proc, http, stripe_code, flint_code) -> None:
    http.reply(card_error(stripe_code, None, "Stripe says no."))
    result = authorize(proc)
    assert result.status is ChargeStatus.FAILED and result.reference == "pi_3Q0stripe"
    assert (result.failure.code, result.failure.decline_code, result.failure.message) == (
        flint_code, None, "Stripe says no.")


@pytest.mark.parametrize("stripe_decline,flint_decline", DECLINE_ROWS + [("some_new_reason", "generic_decline")])
def test_decline_code_table(proc, http, stripe_decline, flint_decline) -> None:
    http.reply(card_error("card_declined", stripe_decline))
    result = authorize(proc)
    assert result.status is ChargeStatus.FAILED
    assert (result.failure.code, result.failure.decline_code) == ("card_declined", flint_decline)
    assert result.amount_authorized == result.amount_captured == 0


def test_decline_without_payment_intent_is_still_an_outcome(proc, http) -> None:
    http.reply(card_error("expired_card", "expired_card", "Your card has expired.", with_intent=False))
    result = authorize(proc)
    assert result.status is ChargeStatus.FAILED and result.reference == ""
    assert (result.failure.code, result.failure.decline_code) == ("expired_card", "expired_card")


def test_failed_without_last_payment_error_has_a_failure(proc, http) -> None:
    http.reply((200, intent("requires_payment_method")))
    failure = authorize(proc).failure
    assert failure.code == "card_declined" and failure.decline_code is None and failure.message


# --- the refund status table -------------------------------------------------------------------------

REFUND_ROWS = [
    ("pending", None, RefundOutcome.PENDING, None),
    ("requires_action", None, RefundOutcome.PENDING, None),
    ("succeeded", None, RefundOutcome.SUCCEEDED, None),
    ("failed", "expired_or_canceled_card", RefundOutcome.FAILED, "expired_or_canceled_card"),
    ("canceled", None, RefundOutcome.FAILED, "canceled"),
]


def test_refund_rows_cover_the_table() -> None:
    assert {row[0] for row in REFUND_ROWS} == set(REFUND_STATUS_TABLE)


@pytest.mark.parametrize("stripe_status,reason,expected,flint_reason", REFUND_ROWS)
def test_refund_status_table(proc, http, stripe_status, reason, expected, flint_reason) -> None:
    http.reply((200, refund(stripe_status, reason)), (200, refund(stripe_status, reason)))
    created = proc.refund(key="re_01FLINT:refund", reference="pi_3Q0stripe", amount=1000)
    polled = proc.refund_status(reference="re_3Q0refund")
    for result in (created, polled):
        assert (result.status, result.reference, result.failure_reason) == (expected, "re_3Q0refund", flint_reason)
    assert (http.sent[1].method, http.sent[1].path) == ("get", "/v1/refunds/re_3Q0refund")


def test_failed_refund_without_reason(proc, http) -> None:
    http.reply((200, refund("failed")))
    assert proc.refund_status(reference="re_3Q0refund").failure_reason == "unknown"


# --- what is sent ------------------------------------------------------------------------------------

@pytest.mark.parametrize("capture,method", [(True, "automatic"), (False, "manual")])
def test_authorize_sends_amount_currency_capture_method_and_metadata(proc, http, capture, method) -> None:
    http.reply((200, intent("succeeded" if capture else "requires_capture", capture_method=method)))
    authorize(proc, capture=capture)
    (sent,) = http.sent
    assert (sent.method, sent.path) == ("post", "/v1/payment_intents")
    assert sent.params == {
        "amount": "2500", "currency": "usd", "confirm": "true", "capture_method": method,
        "payment_method": "pm_card_visa", "payment_method_types[0]": "card", "description": "Order ord_01",
        "metadata[flint_key]": KEY,
    }
    assert sent.headers["Idempotency-Key"] == KEY
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"


def test_authorize_passes_return_url_and_converts_legacy_tokens(proc, http) -> None:
    http.reply((200, intent("succeeded")))
    authorize(proc, source=CardSource(token="tok_visa"), return_url="https://shop.test/back")
    params = http.sent[0].params
    assert params["return_url"] == "https://shop.test/back"
    assert params["payment_method_data[type]"] == "card"
    assert params["payment_method_data[card][token]"] == "tok_visa"
    assert "payment_method" not in params


def test_capture_void_refund_paths_and_params(proc, http) -> None:
    http.reply((200, intent("succeeded", amount=2500, received=2000)), (200, intent("canceled")),
               (200, refund("succeeded")))
    captured = proc.capture(key="pi_01FLINT:capture", reference="pi_3Q0stripe", amount=2000)
    voided = proc.void(key="pi_01FLINT:void", reference="pi_3Q0stripe")
    refunded = proc.refund(key="re_01FLINT:refund", reference="pi_3Q0stripe", amount=1000)
    assert (captured.status, captured.amount_authorized, captured.amount_captured) == (
        ChargeStatus.SUCCEEDED, 2500, 2000)
    assert voided.status is ChargeStatus.CANCELED and refunded.status is RefundOutcome.SUCCEEDED
    capture, cancel, create = http.sent
    assert capture.path == "/v1/payment_intents/pi_3Q0stripe/capture"
    assert capture.params == {"amount_to_capture": "2000"}
    assert (cancel.path, cancel.params) == ("/v1/payment_intents/pi_3Q0stripe/cancel", {})
    assert create.path == "/v1/refunds"
    assert create.params == {"payment_intent": "pi_3Q0stripe", "amount": "1000",
                             "metadata[flint_key]": "re_01FLINT:refund"}


def test_every_mutating_call_sends_flints_key_and_reads_send_none(proc, http) -> None:
    http.reply((200, intent("requires_action")),
               (200, intent("requires_confirmation")), (200, intent("requires_capture")),
               (200, intent("succeeded")), (200, intent("canceled")), (200, refund("pending")),
               (200, refund("succeeded")), (200, search(intent("succeeded"))))
    authorize(proc, capture=False)
    proc.confirm(key="pi_01FLINT:confirm", reference="pi_3Q0stripe")
    proc.capture(key="pi_01FLINT:capture", reference="pi_3Q0stripe", amount=2500)
    proc.void(key="pi_01FLINT:void", reference="pi_3Q0stripe")
    proc.refund(key="re_01FLINT:refund", reference="pi_3Q0stripe", amount=100)
    proc.refund_status(reference="re_3Q0refund")
    proc.lookup(key=KEY)
    keys = [(s.method, s.path, s.headers.get("Idempotency-Key")) for s in http.sent]
    assert keys == [
        ("post", "/v1/payment_intents", KEY),
        ("get", "/v1/payment_intents/pi_3Q0stripe", None),
        ("post", "/v1/payment_intents/pi_3Q0stripe/confirm", "pi_01FLINT:confirm"),
        ("post", "/v1/payment_intents/pi_3Q0stripe/capture", "pi_01FLINT:capture"),
        ("post", "/v1/payment_intents/pi_3Q0stripe/cancel", "pi_01FLINT:void"),
        ("post", "/v1/refunds", "re_01FLINT:refund"),
        ("get", "/v1/refunds/re_3Q0refund", None),
        ("get", "/v1/payment_intents/search", None),
    ]


def test_a_retried_authorize_sends_the_same_key_and_body(proc, http) -> None:
    http.reply((200, intent("succeeded")), (200, intent("succeeded")))
    first, second = authorize(proc), authorize(proc)
    assert first == second
    a, b = http.sent
    assert a.headers["Idempotency-Key"] == b.headers["Idempotency-Key"] == KEY and a.params == b.params


@pytest.mark.parametrize("failure", [
    api_error(500, "api_error", "An unknown error occurred"),
    stripe.APIConnectionError("connection reset", should_retry=True),
])
def test_sdk_retries_reuse_the_key(http, failure) -> None:
    proc = StripeProcessor(API_KEY, http_client=http, max_network_retries=2)
    http.reply(failure, (200, intent("succeeded")))
    assert authorize(proc).status is ChargeStatus.SUCCEEDED
    assert [s.headers["Idempotency-Key"] for s in http.sent] == [KEY, KEY]


def test_confirm_only_confirms_an_intent_waiting_for_it(proc, http) -> None:
    http.reply((200, intent("succeeded")))  # the 3DS redirect already confirmed it on Stripe's side
    assert proc.confirm(key="pi_01FLINT:confirm", reference="pi_3Q0stripe").status is ChargeStatus.SUCCEEDED
    assert [s.method for s in http.sent] == ["get"]


def test_call_on_an_intent_that_moved_on_reports_its_state(proc, http) -> None:
    http.reply(api_error(400, "invalid_request_error", "This PaymentIntent's status is canceled.",
                         "payment_intent_unexpected_state", payment_intent=intent("canceled")))
    result = proc.capture(key="pi_01FLINT:capture", reference="pi_3Q0stripe", amount=1)
    assert result.status is ChargeStatus.CANCELED and http.sent[0].path.endswith("/capture")


# --- errors ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reply,timeout", [
    (stripe.APIConnectionError("Network error: timed out"), True),
    (api_error(500, "api_error", "Internal error"), True),  # a failed write is indeterminate
    (api_error(503, "api_error", "Service unavailable"), True),
    (api_error(409, "idempotency_error", "another in-progress request uses this key"), True),
    (api_error(429, "invalid_request_error", "Too many requests", "rate_limit"), False),
    (api_error(400, "invalid_request_error", "Missing required param: amount.", "parameter_missing"), False),
    (api_error(400, "idempotency_error", "Keys for idempotent requests can only be used with the same parameters"),
     False),
    (api_error(401, "invalid_request_error", f"Invalid API Key provided: {API_KEY}"), False),
    (api_error(403, "invalid_request_error", f"The provided key '{API_KEY}' does not have access"), False),
])
def test_errors_on_a_write(proc, http, reply, timeout) -> None:
    http.reply(reply)
    with pytest.raises(ProcessorError) as info:
        authorize(proc)
    assert info.value.timeout is timeout
    assert API_KEY not in str(info.value) and "sk_test_" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.parametrize("reply,timeout", [
    (stripe.APIConnectionError("Network error: timed out"), True),
    (api_error(500, "api_error", "Internal error"), False),  # a failed read changed nothing
    (api_error(404, "invalid_request_error", "No such refund: 're_x'", "resource_missing"), False),
])
def test_errors_on_a_read(proc, http, reply, timeout) -> None:
    http.reply(reply)
    with pytest.raises(ProcessorError) as info:
        proc.refund_status(reference="re_x")
    assert info.value.timeout is timeout


def test_the_key_never_shows(proc) -> None:
    assert API_KEY not in repr(proc) and API_KEY not in str(vars(proc))
    with pytest.raises(ValueError) as info:
        StripeProcessor("pk_live_publishable")
    assert "pk_live_publishable" not in str(info.value)
    assert StripeProcessor("sk_live_x").live and not proc.live


# --- lookup ------------------------------------------------------------------------------------------

def test_lookup_finds_by_metadata(proc, http) -> None:
    http.reply((200, search(intent("requires_capture"))))
    result = proc.lookup(key=KEY)
    assert result is not None and result.status is ChargeStatus.REQUIRES_CAPTURE
    assert http.sent[0].params == {"query": f"metadata['flint_key']:'{KEY}'", "limit": "1"}


def test_lookup_not_found_is_none(proc, http) -> None:
    http.reply((200, search()))
    assert proc.lookup(key="pi_never:authorize") is None


def test_lookup_escapes_quotes(proc, http) -> None:
    http.reply((200, search()))
    proc.lookup(key="a'b")
    assert http.sent[0].params["query"] == "metadata['flint_key']:'a\\'b'"


# --- card numbers ------------------------------------------------------------------------------------

PAN = re.compile(r"(?<!\d)(?:\d[ -]?){13,19}(?!\d)")


@pytest.mark.parametrize("number", ["4242424242424242", "4242 4242 4242 4242", "4000-0000-0000-0002"])
def test_a_card_number_is_never_sent(proc, http, number) -> None:
    with pytest.raises(ProcessorError) as info:
        authorize(proc, source=CardSource(token=number))
    assert info.value.timeout is False and number not in str(info.value) and http.sent == []


def test_no_request_contains_a_card_number(proc, http) -> None:
    http.reply((200, intent("requires_capture")), (200, intent("succeeded")), (200, refund("succeeded")),
               (200, search(intent("succeeded"))))
    authorize(proc, capture=False, source=CardSource(token="pm_1Q0card", brand="visa", last4="4242"))
    proc.capture(key="pi_01FLINT:capture", reference="pi_3Q0stripe", amount=2500)
    proc.refund(key="re_01FLINT:refund", reference="pi_3Q0stripe", amount=2500)
    proc.lookup(key=KEY)
    assert len(http.sent) == 4
    for sent in http.sent:
        assert not PAN.search(sent.raw), sent.raw


def test_satisfies_the_protocol(proc) -> None:
    processor: PaymentProcessor = proc
    assert processor.name == "stripe"
    for method in ("authorize", "confirm", "capture", "void", "refund", "refund_status", "lookup"):
        assert callable(getattr(processor, method))
