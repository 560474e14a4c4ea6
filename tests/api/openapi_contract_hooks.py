"""schemathesis hooks for tests/api/test_openapi_contract.py.

- A page_token is only valid when it comes from an earlier page of the same list (400 otherwise), which no
  schema can declare, so generated ones are dropped rather than reported as valid input refused.
- An Idempotency-Key (or a tool call's `idempotency_key` argument) names one request: a retry with the same key and the same parameters gets the first
  answer, and the same key with other parameters is refused (422 idempotency_key_reused, docs/idempotency.md),
  correctly. The generator draws keys from a small space ("0", "00", ...) and sends one with many different
  requests, so every request that carries a valid key gets a fresh one here. This is `before_call`: it runs
  on the final case just before it is sent, in every phase (the `map_headers` family only applies to the
  fuzzing phase's strategies, not to the examples and coverage phases). A key the case made invalid on
  purpose (a negative case: too long, not printable ASCII) is left as generated.
- create_api_key's and create_coupon's `expires_at` must be in the future, which no schema can say either: generated ones are
  dropped (the generator's RFC 3339 date-times are mostly in the past).
- `flint_positive_data_acceptance` replaces schemathesis's `positive_data_acceptance` (the test excludes that
  one): the same check, except that a refusal named in ACCEPTED below, by operation and Flint error code, passes.
  Each is a rule the server checks on purpose that no schema can state; anything else still fails. A schema-
  valid request sent as a tool call (POST /v1/tool_calls) is accepted on the same grounds.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

# A schema-valid request refused on purpose: (operation, Flint error code, text the message holds) -> reason.
ACCEPTED: dict[tuple[str, str, str], str] = {
    ("POST /v1/coupons", "resource_already_exists", ""):
        "a coupon code is unique per merchant: it depends on existing data, which no schema can state "
        "(Flint answers 400 like Stripe's resource_already_exists, not 409)",
    ("*", "coupon_already_applied", ""):
        "a coupon applies once per order: it depends on the stored order, and codes are compared ignoring case "
        "and surrounding whitespace (so uniqueItems would not state it for coupon_codes either)",
    ("PATCH /v1/orders/{order_id}", "line_item_not_found", ""):
        "the line item ids an update names must be the stored order's: they depend on the stored order",
    ("PATCH /v1/orders/{order_id}", "currency_mismatch", ""):
        "one order has one currency: a tip, service charge or line item in another currency than the stored "
        "order's is refused; it depends on the stored order",
    ("POST /v1/orders/{order_id}/pay", "invalid_payment_source", ""):
        "the sources a payment takes depend on the mode (test card tokens and numbers in test mode, a "
        "processor's tok_/pm_ ids in live mode) and a card number needs a valid Luhn check digit: no pattern "
        "states it exactly",
    ("POST /v1/orders/{order_id}/pay", "invalid_card_number", ""): "(same: a Luhn check digit)",
    ("POST /v1/setup_intents", "invalid_payment_source", ""): "(the same sources as pay_order: by mode)",
    ("POST /v1/setup_intents", "invalid_card_number", ""): "(same: a Luhn check digit)",
    ("*", "amount_too_large", ""):
        "an order's amounts are bounded as sums (quantity times price over all items, with the stored order's on "
        "an update): each amount is declared within 2^53 - 1, but no schema states a bound on a sum",
    ("*", "parameter_invalid", "Input should be a valid integer"):
        "JSON Schema counts 1.0 as an integer; Flint takes only integer literals for amounts and counts (money "
        "is exact: no float ever touches an amount, DESIGN.md), so 7622.0 is refused",
}
TOOL_CALLS = "POST /v1/tool_calls"


def _accepted(operation: str, response: Any) -> bool:
    try:
        error = response.json()["error"]
        code, message = error["code"], error["message"]
    except (ValueError, KeyError, TypeError):
        return False
    return any(code == c and text in message and (op == "*" or operation in (op, TOOL_CALLS))
               for (op, c, text) in ACCEPTED)


@schemathesis.check
def flint_positive_data_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 400 and _accepted(case.operation.label, response):
            return None
        raise


_VALID_KEY = re.compile(r"[\x20-\x7E]{1,255}")
_fresh = itertools.count(1)


@schemathesis.hook
def map_query(context: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
    if query:
        query.pop("page_token", None)
    return query


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    # A negative case is left alone: schemathesis revalidates an edited case, and one whose only fault is a
    # missing Authorization header (which no parameter schema holds) would be relabelled valid and sent with
    # it. A refused request keeps its key free, so a negative case needs no fresh key anyway.
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return
    headers = case.headers or {}
    for name, value in headers.items():
        if name.lower() == "idempotency-key" and isinstance(value, str) and _VALID_KEY.fullmatch(value):
            headers[name] = f"contract-{next(_fresh)}"
    body = case.body if isinstance(case.body, dict) else {}
    if case.operation.path in ("/v1/api_keys", "/v1/coupons") and case.method.upper() == "POST":
        body.pop("expires_at", None)  # "must be in the future": a rule of the clock, not of the schema
    arguments = body.get("arguments")
    if isinstance(arguments, dict) and isinstance(arguments.get("idempotency_key"), str):  # POST /v1/tool_calls
        if _VALID_KEY.fullmatch(arguments["idempotency_key"]):
            arguments["idempotency_key"] = f"contract-{next(_fresh)}"
