"""Live card processing on Stripe PaymentIntents (DESIGN.md section 4).

Why it is shaped like this:
- Flint's idempotency ``key`` is sent as Stripe's ``Idempotency-Key`` on every mutating call, so a retry
  (Flint's, or the SDK's own network retries, which reuse the header) replays the first outcome instead of
  charging twice. Stripe keeps keys for 24 hours, matching Flint's window (API.md section 3).
- The key is also stored in the PaymentIntent's ``metadata['flint_key']`` so ``lookup`` can find the charge
  after a timeout or a crash without creating anything.
- A decline is an outcome, not an exception (API.md section 2): ``stripe.CardError`` becomes a FAILED result.
- Everything else Stripe raises becomes ``ProcessorError``; ``timeout=True`` whenever money may have moved.
- Only tokens / payment method ids are ever sent; anything that looks like a card number is refused.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable

import stripe

from flint_core.processors.base import (
    CardDetails,
    CardSource,
    ChargeResult,
    ChargeStatus,
    Failure,
    ProcessorError,
    RefundOutcome,
    RefundResult,
    SetupResult,
    SetupStatus,
)

# Stripe PaymentIntent status -> Flint ChargeStatus (the one table). None: outcome not known yet.
STATUS_TABLE: dict[str, ChargeStatus | None] = {
    "succeeded": ChargeStatus.SUCCEEDED,
    "requires_capture": ChargeStatus.REQUIRES_CAPTURE,
    "requires_action": ChargeStatus.REQUIRES_ACTION,  # 3DS; next_action_url tells where
    # Only after a client-side 3DS step (Stripe.js handleCardAction): Flint's confirm() finishes it.
    "requires_confirmation": ChargeStatus.REQUIRES_ACTION,
    "canceled": ChargeStatus.CANCELED,
    "requires_payment_method": ChargeStatus.FAILED,  # a confirm failed; last_payment_error says why
    # Stripe has not decided yet. ChargeStatus has no PROCESSING, and calling it FAILED or SUCCEEDED would
    # be a guess, so it is reported like a timeout: ProcessorError(timeout=True) -> lookup later.
    "processing": None,
}

# Stripe failure strings -> Flint's vocabulary (the one table, for both `code` and `decline_code`).
# Flint speaks Stripe's vocabulary, so most rows are identities; the rest fold synonyms together.
# A string not listed becomes "card_declined" (as a code) or "generic_decline" (as a decline code), so
# consumers only ever see documented values; Stripe's human message is always kept verbatim.
FAILURE_TABLE: dict[str, str] = {
    # Stripe error `code`
    "card_declined": "card_declined",
    "expired_card": "expired_card",
    "incorrect_cvc": "incorrect_cvc",
    "invalid_cvc": "incorrect_cvc",
    "incorrect_number": "incorrect_number",
    "invalid_number": "incorrect_number",
    "processing_error": "processing_error",
    "authentication_required": "authentication_required",
    "payment_intent_authentication_failure": "authentication_failed",  # failed 3DS (the simulator's code)
    "card_decline_rate_limit_exceeded": "card_declined",
    # Stripe `decline_code` (the issuer's reason)
    "generic_decline": "generic_decline",
    "insufficient_funds": "insufficient_funds",
    "lost_card": "lost_card",
    "stolen_card": "stolen_card",
    "fraudulent": "fraudulent",
    "merchant_blacklist": "merchant_blacklist",
    "do_not_honor": "do_not_honor",
    "call_issuer": "call_issuer",
    "pickup_card": "pickup_card",
    "restricted_card": "restricted_card",
    "security_violation": "security_violation",
    "transaction_not_allowed": "transaction_not_allowed",
    "not_permitted": "transaction_not_allowed",
    "card_not_supported": "card_not_supported",
    "currency_not_supported": "currency_not_supported",
    "card_velocity_exceeded": "card_velocity_exceeded",
    "withdrawal_count_limit_exceeded": "card_velocity_exceeded",
    "incorrect_zip": "incorrect_zip",
    "try_again_later": "try_again_later",
    "issuer_not_available": "try_again_later",
    "reenter_transaction": "try_again_later",
    "testmode_decline": "generic_decline",  # a live card used with a test key
}

# Stripe Refund status -> Flint RefundOutcome. An unknown status stays PENDING: refund_status settles it.
REFUND_STATUS_TABLE: dict[str, RefundOutcome] = {
    "pending": RefundOutcome.PENDING,
    "requires_action": RefundOutcome.PENDING,
    "succeeded": RefundOutcome.SUCCEEDED,
    "failed": RefundOutcome.FAILED,
    "canceled": RefundOutcome.FAILED,
}

# Stripe SetupIntent status -> Flint SetupStatus. None: not decided yet (reported like a timeout).
SETUP_STATUS_TABLE: dict[str, SetupStatus | None] = {
    "succeeded": SetupStatus.SUCCEEDED,
    "requires_action": SetupStatus.REQUIRES_ACTION,
    "requires_confirmation": SetupStatus.REQUIRES_ACTION,  # after a client-side 3DS step: confirm_setup
    "requires_payment_method": SetupStatus.FAILED,  # last_setup_error says why
    "canceled": SetupStatus.CANCELED,
    "processing": None,
}
_CARD_NUMBER = re.compile(r"^[\d -]{12,23}$")
_SECRET = re.compile(r"\b[sr]k_(?:live|test)_[0-9A-Za-z*]+")


class StripeProcessor:
    """``PaymentProcessor`` on Stripe. One ``StripeClient`` per instance: never the global ``stripe.api_key``."""

    name = "stripe"

    def __init__(self, api_key: str, *, http_client: stripe.HTTPClient | None = None,
                 max_network_retries: int = 2) -> None:
        if not isinstance(api_key, str) or not api_key.startswith(("sk_", "rk_")):
            raise ValueError("StripeProcessor needs a Stripe secret key (sk_live_..., sk_test_... or rk_...)")
        self.live = api_key.startswith(("sk_live_", "rk_live_"))
        # The SDK's own retries (connection errors, 409, 5xx) resend the same Idempotency-Key: safe.
        client = stripe.StripeClient(api_key, http_client=http_client, max_network_retries=max_network_retries)
        self._intents = client.v1.payment_intents
        self._refunds = client.v1.refunds
        self._setups = client.v1.setup_intents
        self._methods = client.v1.payment_methods
        self._customers = client.v1.customers

    def __repr__(self) -> str:  # never show the key
        return f"StripeProcessor(live={self.live})"

    def authorize(self, *, key: str, amount: int, currency: str, source: CardSource, capture: bool,
                  description: str, return_url: str | None = None, off_session: bool = False) -> ChargeResult:
        """Create and confirm a card PaymentIntent in one idempotent call."""
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "confirm": True,
            "capture_method": "automatic" if capture else "manual",
            # Cards only: no redirect-based methods, so confirming without a return_url is allowed.
            "payment_method_types": ["card"],
            "description": description,
            "metadata": {"flint_key": key},
            **_payment_method(source.token),
        }
        if source.customer:  # a saved card: charged under the customer it is attached to
            params["customer"] = source.customer
        if off_session:  # the customer is absent: Stripe fails authentication_required rather than asking
            params["off_session"] = True
        if return_url:
            params["return_url"] = return_url  # 3DS then comes back as next_action.redirect_to_url
        return self._charge(self._intents.create, params, options={"idempotency_key": key})

    def confirm(self, *, key: str, reference: str) -> ChargeResult:
        """After 3DS. A redirect-based 3DS step already confirmed the intent on Stripe's side, so read it
        first and only confirm one still waiting for confirmation (re-confirming would restart 3DS)."""
        intent = self._call(self._intents.retrieve, reference, mutating=False)
        if intent.get("status") != "requires_confirmation":
            return _charge_result(intent)
        return self._charge(self._intents.confirm, reference, options={"idempotency_key": key})

    def capture(self, *, key: str, reference: str, amount: int) -> ChargeResult:
        return self._charge(self._intents.capture, reference, params={"amount_to_capture": amount},
                            options={"idempotency_key": key})

    def void(self, *, key: str, reference: str) -> ChargeResult:
        return self._charge(self._intents.cancel, reference, options={"idempotency_key": key})

    def refund(self, *, key: str, reference: str, amount: int) -> RefundResult:
        params = {"payment_intent": reference, "amount": amount, "metadata": {"flint_key": key}}
        return _refund_result(self._call(self._refunds.create, params, options={"idempotency_key": key},
                                         mutating=True))

    def refund_status(self, *, reference: str) -> RefundResult:
        return _refund_result(self._call(self._refunds.retrieve, reference, mutating=False))

    # -- saved cards: SetupIntents and PaymentMethods, under a Stripe customer per Flint customer ----------
    def setup(self, *, key: str, source: CardSource, customer_key: str, return_url: str | None = None
              ) -> SetupResult:
        """Create and confirm a card SetupIntent (usage off_session) in one idempotent call, under the
        Flint customer's Stripe customer (created the first time, keyed by the Flint customer id)."""
        customer = source.customer or self._customer(customer_key)
        params: dict[str, Any] = {"customer": customer, "confirm": True, "usage": "off_session",
                                  "payment_method_types": ["card"], "metadata": {"flint_key": key},
                                  "expand": ["payment_method"], **_payment_method(source.token)}
        if return_url:
            params["return_url"] = return_url
        return self._setup(self._setups.create, params, options={"idempotency_key": key})

    def confirm_setup(self, *, key: str, reference: str) -> SetupResult:
        """After 3DS: a redirect already confirmed it on Stripe's side; only one still waiting is confirmed."""
        seti = self._call(self._setups.retrieve, reference, {"expand": ["payment_method"]}, mutating=False)
        if seti.get("status") != "requires_confirmation":
            return _setup_result(seti)
        return self._setup(self._setups.confirm, reference, {"expand": ["payment_method"]},
                           options={"idempotency_key": key})

    def cancel_setup(self, *, key: str, reference: str) -> SetupResult:
        return self._setup(self._setups.cancel, reference, options={"idempotency_key": key})

    def describe(self, *, source: CardSource) -> CardDetails:
        """Saving the card of a payment needs the payment to have been made for a Stripe customer; Flint's
        live payments are not yet, so this is refused (the payment itself stands)."""
        raise ProcessorError("saving the card of a live payment is not available yet: save it with "
                             "create_setup_intent", timeout=False)

    def detach(self, *, key: str, reference: str) -> None:
        self._call(self._methods.detach, reference, options={"idempotency_key": key}, mutating=True)

    def _customer(self, customer_key: str) -> str:
        """A new Stripe customer for a Flint customer; its id is remembered on the Flint customer (the
        Idempotency-Key makes a retry within Stripe's 24 hours return the same one)."""
        created = self._call(self._customers.create, {"metadata": {"flint_customer_id": customer_key}},
                             options={"idempotency_key": f"{customer_key}:customer"}, mutating=True)
        return created["id"]

    def _setup(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> SetupResult:
        """Run a SetupIntent call whose declines are outcomes, not errors."""
        try:
            return _setup_result(_plain(method(*args, **kwargs)))
        except stripe.CardError as e:
            seti = _error_body(e).get("setup_intent")
            failure = _failure(_error_body(e))
            if isinstance(seti, dict) and seti.get("id"):
                return dataclasses.replace(_setup_result(seti), status=SetupStatus.FAILED, card=None, failure=failure)
            return SetupResult(SetupStatus.FAILED, "", failure=failure)
        except stripe.StripeError as e:
            raise _processor_error(e, mutating=True) from None

    def lookup(self, *, key: str) -> ChargeResult | None:
        """Find the PaymentIntent created with ``key`` via its ``metadata['flint_key']``.

        Stripe search is eventually consistent (usually under a minute, up to an hour in incidents) and is
        not offered to merchants in India, so None means "not found yet", not proof that authorize never
        reached Stripe: the safe follow-up is retrying authorize with the same key, which Stripe replays
        for 24 hours instead of charging again."""
        escaped = key.replace("\\", "\\\\").replace("'", "\\'")
        found = self._call(self._intents.search, {"query": f"metadata['flint_key']:'{escaped}'", "limit": 1},
                           mutating=False)
        data = found.get("data") or []
        return _charge_result(data[0]) if data else None

    def _charge(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> ChargeResult:
        """Run a PaymentIntent call whose declines are outcomes, not errors."""
        try:
            return _charge_result(_plain(method(*args, **kwargs)))
        except stripe.CardError as e:
            return _declined(e)
        except stripe.InvalidRequestError as e:
            # The intent had already moved on (e.g. captured, canceled or confirmed by the 3DS redirect):
            # report where it is now rather than failing; the status tells the caller what happened.
            intent = _error_body(e).get("payment_intent")
            if e.code == "payment_intent_unexpected_state" and isinstance(intent, dict):
                return _charge_result(intent)
            raise _processor_error(e, mutating=True) from None
        except stripe.StripeError as e:
            raise _processor_error(e, mutating=True) from None

    def _call(self, method: Callable[..., Any], *args: Any, mutating: bool, **kwargs: Any) -> dict[str, Any]:
        try:
            return _plain(method(*args, **kwargs))
        except stripe.StripeError as e:
            raise _processor_error(e, mutating=mutating) from None


def _payment_method(token: str) -> dict[str, Any]:
    """A pm_/card_/src_ id is a payment method; a legacy tok_ token becomes one inline."""
    if _CARD_NUMBER.match(token) and sum(c.isdigit() for c in token) >= 12:
        raise ProcessorError("Refusing to send a raw card number to Stripe: tokenize it first", timeout=False)
    if token.startswith("tok_"):
        return {"payment_method_data": {"type": "card", "card": {"token": token}}}
    return {"payment_method": token}


def _charge_result(intent: dict[str, Any]) -> ChargeResult:
    raw = intent.get("status")
    if raw not in STATUS_TABLE or STATUS_TABLE[raw] is None:
        raise ProcessorError(f"Stripe PaymentIntent {intent.get('id')} is {raw!r}: the outcome is not known "
                             "yet; lookup later with the same key", timeout=True)
    status = STATUS_TABLE[raw]
    assert status is not None
    held = status in (ChargeStatus.SUCCEEDED, ChargeStatus.REQUIRES_CAPTURE)
    return ChargeResult(
        status=status,
        reference=intent["id"],
        amount_authorized=int(intent.get("amount") or 0) if held else 0,
        amount_captured=int(intent.get("amount_received") or 0),
        failure=_failure(intent.get("last_payment_error") or {}) if status is ChargeStatus.FAILED else None,
        next_action_url=_next_action_url(intent) if status is ChargeStatus.REQUIRES_ACTION else None,
    )


def _next_action_url(intent: dict[str, Any]) -> str | None:
    """redirect_to_url when a return_url was given; 3DS1's use_stripe_sdk.stripe_js otherwise. 3DS2 through
    use_stripe_sdk has no URL at all (it needs Stripe.js and the client_secret): None then."""
    action = intent.get("next_action") or {}
    url = (action.get("redirect_to_url") or {}).get("url")
    if not url:
        url = (action.get("use_stripe_sdk") or {}).get("stripe_js")
    return url if isinstance(url, str) and url else None


def _failure(error: dict[str, Any]) -> Failure:
    decline = error.get("decline_code")
    return Failure(
        code=FAILURE_TABLE.get(error.get("code") or "", "card_declined"),
        decline_code=FAILURE_TABLE.get(decline, "generic_decline") if decline else None,
        message=error.get("message") or "The card was declined.",
    )


def _declined(e: stripe.CardError) -> ChargeResult:
    error = _error_body(e)
    failure = _failure(error)
    intent = error.get("payment_intent")
    if isinstance(intent, dict) and intent.get("id"):
        result = _charge_result(intent)
        return dataclasses.replace(result, failure=failure) if result.status is ChargeStatus.FAILED else result
    return ChargeResult(status=ChargeStatus.FAILED, reference="", amount_authorized=0, amount_captured=0,
                        failure=failure)


def _setup_result(seti: dict[str, Any]) -> SetupResult:
    raw = seti.get("status")
    status = SETUP_STATUS_TABLE.get(raw or "")
    if status is None:
        raise ProcessorError(f"Stripe SetupIntent {seti.get('id')} is {raw!r}: the outcome is not known yet",
                             timeout=True)
    method = seti.get("payment_method")
    card = _card(method) if status is SetupStatus.SUCCEEDED and isinstance(method, dict) else None
    customer = seti.get("customer")
    return SetupResult(
        status=status, reference=seti["id"], card=card,
        failure=_failure(seti.get("last_setup_error") or {}) if status is SetupStatus.FAILED else None,
        next_action_url=_next_action_url(seti) if status is SetupStatus.REQUIRES_ACTION else None,
        customer=customer.get("id") if isinstance(customer, dict) else customer)


def _card(method: dict[str, Any]) -> CardDetails:
    """A Stripe PaymentMethod of type card, as Flint keeps it (Stripe never returns the number)."""
    card = method.get("card") or {}
    return CardDetails(reference=method["id"], brand=card.get("brand") or "unknown", last4=card.get("last4") or "",
                       exp_month=int(card.get("exp_month") or 0), exp_year=int(card.get("exp_year") or 0),
                       funding=card.get("funding") or "unknown", country=card.get("country"),
                       fingerprint=card.get("fingerprint") or method["id"])


def _refund_result(refund: dict[str, Any]) -> RefundResult:
    raw = refund.get("status") or ""
    status = REFUND_STATUS_TABLE.get(raw, RefundOutcome.PENDING)
    reason = None
    if status is RefundOutcome.FAILED:
        reason = refund.get("failure_reason") or ("canceled" if raw == "canceled" else "unknown")
    return RefundResult(status=status, reference=refund["id"], failure_reason=reason)


def _processor_error(e: stripe.StripeError, *, mutating: bool) -> ProcessorError:
    """Map a Stripe exception to ProcessorError; ``timeout`` is True whenever money may have moved."""
    where = f" (Stripe request {e.request_id})" if e.request_id else ""
    detail = _SECRET.sub("[redacted]", e.user_message or type(e).__name__)
    if isinstance(e, stripe.APIConnectionError):
        return ProcessorError(f"Stripe could not be reached or did not answer in time; the outcome is unknown: "
                              f"retry with the same key or lookup{where}", timeout=True)
    if isinstance(e, stripe.RateLimitError):  # refused before Stripe's idempotency layer: nothing happened
        return ProcessorError(f"Stripe rate limit reached; nothing was done, retry later{where}", timeout=False)
    if isinstance(e, (stripe.AuthenticationError, stripe.PermissionError)):
        return ProcessorError(f"Stripe rejected the configured API key ({type(e).__name__}); check Flint's "
                              f"Stripe configuration{where}", timeout=False)
    if isinstance(e, (stripe.InvalidRequestError, stripe.IdempotencyError, stripe.CardError)):
        return ProcessorError(f"Stripe refused the request (a Flint bug or misconfiguration){where}: {detail}",
                              timeout=False)
    # APIError: 5xx, or 409 (the same key still in flight). Stripe documents a 5xx on a write as
    # indeterminate, so a mutating call reports an unknown outcome; a failed read changed nothing.
    unknown = mutating and (e.http_status is None or e.http_status >= 500 or e.http_status == 409)
    tail = "; the outcome is unknown: retry with the same key or lookup" if unknown else ""
    return ProcessorError(f"Stripe failed (HTTP {e.http_status}){tail}{where}: {detail}", timeout=unknown)


def _error_body(e: stripe.StripeError) -> dict[str, Any]:
    body = e.json_body if isinstance(e.json_body, dict) else {}
    error = body.get("error")
    return error if isinstance(error, dict) else {}


def _plain(obj: Any) -> dict[str, Any]:
    """StripeObject -> plain dict, so one mapping handles responses and error bodies alike."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
