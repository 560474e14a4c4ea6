"""The error taxonomy: one catalog, one exception, one envelope on every face.

Every code Flint can return is declared once with ``define``: its type, HTTP status, retryable flag,
message template and an explanation for humans and agents. The codes any part of Flint may raise are
declared here; a domain declares its own in its ``errors.py`` (imported by the domain's package, so a code
is in ``CATALOG`` before the domain can raise it). ``explain_error``, docs/errors.md and SKILL.md are
rendered from the catalog, so a code cannot exist without documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DOCS_PAGE = "/docs/errors"


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: str
    type: str
    http_status: int
    retryable: bool
    message: str  # str.format template; fields come from the raise site
    explanation: str  # when it happens and what to do about it
    effect: str = "none"  # "none" or "unknown" (API.md section 2); never "applied"
    domain: str = ""  # the domain that declares it; "" for the codes declared here

    @property
    def doc_url(self) -> str:
        return f"{DOCS_PAGE}#{self.code}"


CATALOG: dict[str, ErrorSpec] = {}


def define(code: str, type_: str, status: int, message: str, explanation: str, *, retryable: bool = False,
           effect: str = "none", domain: str = "") -> None:
    """Declare one error code (once: a second declaration of a code is a bug)."""
    if code in CATALOG:
        raise ValueError(f"duplicate error code {code!r}")
    CATALOG[code] = ErrorSpec(code, type_, status, retryable, message, explanation, effect, domain)


INVALID, AUTH, PERM, NOT_FOUND, CONFLICT = (
    "invalid_request_error", "authentication_error", "permission_error", "not_found_error",
    "state_conflict_error")

# invalid_request_error: fix the input and send it again with a NEW idempotency key.
define("invalid_json", INVALID, 400, "The request body is not valid JSON: {detail}.",
       "The body could not be parsed as a JSON object. Send `Content-Type: application/json` with an object body.")
define("parameter_missing", INVALID, 400, "Missing required parameter: {param}.",
       "A required field is absent. `param` names it as a dotted path (`line_items.0.quantity`).")
define("parameter_invalid", INVALID, 400, "Invalid value for {param}: {detail}.",
       "A field has the wrong type or an out-of-range value (a negative or fractional quantity, an amount "
       "above 2^53 - 1, a malformed percentage), or text holds a control character (such as NUL; tab, newline "
       "and carriage return are allowed). `param` names the field. An id holding a control character names "
       "nothing: it is `resource_missing`.")
define("unknown_parameter", INVALID, 400, "Received unknown parameter: {param}.",
       "The request has a field the operation does not define. Flint rejects unknown fields instead of "
       "ignoring them, so a typo never silently drops an instruction.")
define("invalid_currency", INVALID, 400, "{value!r} is not a supported ISO 4217 currency code.",
       "Currencies are three-letter ISO 4217 codes such as USD, EUR, JPY or KWD.")
define("currency_mismatch", INVALID, 400,
       "{param} is in {other}, but the order is in {currency}; one order has one currency.",
       "Every amount on an order (line prices, fixed coupons, service charges, tips) must be in the order's "
       "currency. Create a separate order for another currency.")
define("amount_too_large", INVALID, 400, "{param} would exceed the largest supported amount, 2^53 - 1 minor units.",
       "Amounts are integers of minor units and must stay below 2^53 so every JSON client reads them exactly.")
define("request_too_large", INVALID, 413, "The request body is {size} bytes; the limit is {limit} bytes.",
       "Request bodies are capped to protect the service. Send fewer items per request.")
define("invalid_idempotency_key", INVALID, 400,
       "The idempotency key must be 1 to 255 printable ASCII characters.",
       "Use a UUID or another unique string per intended operation.")
define("invalid_page_token", INVALID, 400, "This page_token does not belong to this list and these filters.",
       "Pass `next_page_token` back unchanged, with exactly the filters of the call that returned it.")
define("resource_already_exists", INVALID, 400, "A {resource} with {param} {value!r} already exists.",
       "The identifier must be unique within this sandbox (or live mode). Choose another, or fetch the existing one.")
define("invalid_scope", INVALID, 400, "Unknown scope {scope!r}.",
       "Scopes are `resource:read` / `resource:write` names; see the authentication guide for the list.")
define("invalid_payment_source", INVALID, 400, "This payment_source is not a token, test card or payment method "
       "Flint can use.",
       "Pass a token (`tok_visa`), a test card number in test mode (`4242424242424242`), or a payment method "
       "id. See the testing guide for every test card.")
define("invalid_card_number", INVALID, 400, "That is not a valid card number.",
       "The number fails the Luhn check or has the wrong length. Test cards are listed in the testing guide.")
define("card_number_not_allowed", INVALID, 400, "Raw card numbers are accepted in test mode only.",
       "In live mode collect cards with the processor's own tokenization (or the hosted checkout page) and pass "
       "the token.")
define("route_not_found", NOT_FOUND, 404, "No route {method} {path}.",
       "Check the path against the API reference (`/openapi.json`).")
define("method_not_allowed", INVALID, 405, "{method} is not allowed on {path}.",
       "The path exists but takes another HTTP method; see `/openapi.json`.")

# authentication_error
define("missing_api_key", AUTH, 401, "No API key provided. Send `Authorization: Bearer <key>`.",
       "Every operation except create_merchant and explain_error needs a key.")
define("invalid_api_key", AUTH, 401, "The API key provided is not valid.",
       "The key is unknown. Keys are shown once when created; create a new one if it was lost.")
define("api_key_expired", AUTH, 401, "The API key expired at {expires_at}.",
       "The key passed its expiry, for example at the end of a roll's grace period. Use the rolled key.")
define("api_key_revoked", AUTH, 401, "The API key was revoked.",
       "A revoked key never works again. Use another key.")

# permission_error
define("missing_scope", PERM, 403, "This key lacks the {scope!r} scope needed by {operation}.",
       "Restricted keys only carry the scopes listed on them. Use a key with that scope.")
define("key_limit_exceeded", PERM, 403, "This key's {limit} limit forbids this: {detail}.",
       "Restricted keys can carry guard rails (read_only, allowed_currencies, max_refund_money, "
       "max_daily_refund_money, require_preview). whoami lists them; stay within them or use another key.")
define("preview_required", PERM, 403, "This key requires a preview before {operation}: pass the preview_id of a "
       "preview made with the same parameters.",
       "The key has `require_preview: true`. Call the preview operation (e.g. preview_refund) first, check what "
       "it shows, then send the same parameters with its `preview_id`.")

# not_found_error: 404, not 403, for objects of another merchant or sandbox (no existence leak).
define("resource_missing", NOT_FOUND, 404, "No such {resource}: {id!r}.",
       "No object with that id exists in this key's merchant and mode. Ids are never shared across sandboxes.")

# state_conflict_error
define("invalid_state_transition", CONFLICT, 409,
       "{resource} {id} is {status}; {operation} needs one of: {allowed}.",
       "The object's status does not allow this operation now. See its `available_actions`.")
define("processor_not_configured", "api_error", 500, "No card processor is configured for live mode.",
       "Live mode needs a Stripe secret key in the server configuration (FLINT_STRIPE_API_KEY).")
define("preview_stale", CONFLICT, 409, "Preview {preview_id} is stale: {detail}. Nothing was changed.",
       "The object changed since the preview (or the preview is older than 10 minutes). Preview again, check the "
       "new result, then act with the new preview_id.")
define("preview_mismatch", CONFLICT, 409,
       "Preview {preview_id} was made for other parameters ({operation}); nothing was changed.",
       "A preview_id only confirms the exact parameters that were previewed. Preview these parameters first.")

# idempotency_error
define("idempotency_request_in_progress", "idempotency_error", 409,
       "A request with this idempotency key is still being processed.",
       "Wait a moment and retry with the SAME key: you will get the first request's response.", retryable=True)
define("idempotency_key_reused", "idempotency_error", 422,
       "This idempotency key was already used for a different request ({operation}).",
       "An idempotency key names one intended operation with one set of parameters. Use a new key for a "
       "new request.")

# rate_limit_error, processor_error, api_error
define("rate_limited", "rate_limit_error", 429, "Too many requests; retry after {retry_after} seconds.",
       "Back off for `retry_after_seconds`, then retry with the same idempotency key.", retryable=True)
define("processor_unavailable", "processor_error", 502, "The payment processor failed: {detail}.",
       "Nothing was double-charged. Retry with the SAME idempotency key.", retryable=True, effect="unknown")
define("processor_timeout", "processor_error", 504, "The payment processor did not answer in time: {detail}.",
       "The outcome is unknown. Retry ONLY with the same idempotency key (for a payment left PROCESSING, "
       "retry_payment also works); never start a new payment. `suggested_actions` names the call to repeat.",
      retryable=True, effect="unknown")
define("internal_error", "api_error", 500, "Flint failed to process this request ({request_id}).",
       "Flint's fault, not yours. Nothing was applied. Retry with the same idempotency key. (If the operation "
       "had already called the card processor, `effect` is `unknown`: retry ONLY with the same idempotency key, "
       "which resumes that call's outcome instead of starting again.)", retryable=True)
define("database_busy", "api_error", 503, "The database could not complete this request right now ({request_id}); "
       "retry after {retry_after} second(s).",
       "A momentary database conflict (a deadlock or serialization failure between concurrent requests) or a "
       "lost database connection, which Flint already retried a few times. Nothing was applied: wait "
       "`retry_after_seconds` (also the `Retry-After` header), then send the same request with the same "
       "idempotency key. (If the operation had already called the card processor, `effect` is `unknown`: "
       "retry ONLY with the same idempotency key, which resumes that call's outcome.)", retryable=True)
define("database_error", "api_error", 500, "Flint's database rejected this request ({request_id}).",
       "Flint's fault, not yours, and not a momentary one: the same request would fail the same way, so it is "
       "not retryable. Nothing was applied (if `effect` is `unknown`, the operation had already called the card "
       "processor: look at the object, e.g. with get_order, before doing anything else). Report the "
       "`request_id` to the server's operator.")



class FlintError(Exception):
    """Raised anywhere in the core; every face renders it as the same envelope."""

    def __init__(self, error_code: str, /, *, param: str | None = None,
                 suggested_actions: list[str] | None = None, retry_after_seconds: int | None = None,
                 effect: str | None = None, **fields: Any) -> None:
        self.spec = CATALOG[error_code]
        # the catalog's effect, unless the raise site knows better (a failure after part of the work
        # was committed and the processor called: "unknown")
        self.effect = effect or self.spec.effect
        self.param = param
        self.suggested_actions = suggested_actions or []
        self.retry_after_seconds = retry_after_seconds
        self.message = self.spec.message.format(param=param, **fields)
        super().__init__(self.message)

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def http_status(self) -> int:
        return self.spec.http_status

    def envelope(self, request_id: str | None, *, public_url: str) -> dict[str, Any]:
        """The envelope every face returns. ``public_url`` (the server's, e.g. ``https://pay.example.com``)
        makes ``doc_url`` absolute: the reader may be an agent on stdio or a log, far from this server."""
        return {"error": {
            "type": self.spec.type,
            "code": self.spec.code,
            "message": self.message,
            "param": self.param,
            "retryable": self.spec.retryable,
            "effect": self.effect,
            "retry_after_seconds": self.retry_after_seconds,
            "request_id": request_id,
            "doc_url": public_url + self.spec.doc_url,
            "suggested_actions": self.suggested_actions,
        }}


def not_found(resource: str, object_id: str, param: str | None = None) -> FlintError:
    return FlintError("resource_missing", param=param, resource=resource, id=object_id)
