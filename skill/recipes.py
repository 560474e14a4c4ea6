"""The recipes of SKILL.md: the common safe workflows, step by step, as tool calls."""

from __future__ import annotations

from skill.names import call, op

ORDER = "<order_id>"


def _money(amount: int) -> dict[str, object]:
    return {"amount": amount, "currency": "USD"}


def create_and_pay() -> list[str]:
    lines = [{"name": "Espresso machine", "quantity": 1, "unit_price_money": _money(9900)},
             {"name": "Coffee beans", "quantity": 1, "unit_price_money": _money(2900)}]
    order = {"currency": "USD", "line_items": lines, "idempotency_key": "order-0001"}
    pay = {"order_id": ORDER, "payment_source": "tok_visa", "idempotency_key": "order-0001-pay"}
    return [
        "### Create and pay an order", "",
        f"1. {op('whoami')}: check the mode and that you hold `orders:write` and `payments:write`.",
        f"2. Quote (optional, stores nothing): {op('preview_order')} with the arguments of step 3.",
        f"3. {call('create_order', order)}. Read `order_id` and `pricing_amounts.total_money` (13824 with the "
        "default 8% test tax). Never compute the total yourself.",
        f"4. {call('pay_order', pay)}. The amount is always the outstanding balance, never an input.",
        "5. Read the payment intent's `status`: `SUCCEEDED` (order `PAID`: done); `FAILED` (a decline: see "
        "\"Recover a failed payment\"); `REQUIRES_ACTION` (send the customer to `next_action.url`, then "
        f"{op('confirm_payment')}); `REQUIRES_CAPTURE` (`capture_method: MANUAL` placed a hold: later "
        f"{op('capture_payment')} or {op('void_payment')}).",
        "6. On a 502/504 `processor_error`, resend step 4 unchanged (same key). Never a new key or card.", "",
    ]


def refund_line_item() -> list[str]:
    preview = {"order_id": ORDER, "line_items": [{"line_item_id": "<li_...>", "quantity": 1}],
               "reason": "REQUESTED_BY_CUSTOMER"}
    return [
        "### Refund one line item", "",
        f"1. {op('get_order')} (find the order first if needed: \"Find a customer's last order\"). Check that "
        f"`available_actions` contains {op('create_refund')}, and take the line's `line_item_id` from "
        "`line_items` (never guess it); its `refundable_quantity` must cover the quantity.",
        f"2. {call('preview_refund', preview)}. Read `allowed`, `amount_money` (the unit's share of the line "
        "total, discount and tax included), `tax_money` and `order_status_after`. If `allowed` is false, "
        "its `error` says why: stop.",
        f"3. Confirm the amount if a person asked, then {op('create_refund')} with the same arguments plus the "
        "`preview_id` from step 2 and a new `idempotency_key`. A retry with the same key refunds nothing more.",
        f"4. The refund is `PENDING` until the processor settles it; {op('get_refund')} shows `SUCCEEDED` or "
        "`FAILED` (`failure_reason`; the money becomes refundable again). The order moves to "
        "`PARTIALLY_REFUNDED` or `REFUNDED`.", "",
    ]


def recover_failed_payment() -> list[str]:
    session = {"order_id": ORDER, "idempotency_key": "order-0001-checkout"}
    return [
        "### Recover a failed payment", "",
        f"1. {op('pay_order')} answered 200 with `status: FAILED`: read `failure.category` and "
        "`failure.recovery_options` (also on the order: `last_payment_failure`, `recovery_options`).",
        "2. `transient`: wait a moment, then `pay_order` again on the same order with a NEW idempotency key.",
        "3. `customer_action`: ask the customer for another card and `pay_order` with it (new key), or "
        f"{call('create_checkout_session', session)} and send them to `checkout_session_url`.",
        "4. `hard_decline`: stop. Do not retry this card; tell the merchant.",
        "5. No answer at all (502/504, `effect: unknown`) is not a decline: resend the same request with the "
        f"same key, or {op('retry_payment')} the `PROCESSING` payment intent; check it with "
        f"{op('get_payment_intent')}. Never start a second payment.", "",
    ]


def last_order() -> list[str]:
    return [
        "### Find a customer's last order", "",
        f"1. {call('search_customers', {'name': 'sarah'})} (or `email`). Several matches: disambiguate by "
        "email or ask; never pick one at random.",
        f"2. {call('list_orders', {'customer_id': '<cus_...>', 'page_size': 1})}: lists are newest first, so "
        "`data[0]` is the last order (add `status` to filter).",
        f"3. {op('get_order')} it for `line_items`, `settlement_amounts` and `available_actions`.", "",
    ]


def hosted_checkout() -> list[str]:
    session = {"order_id": ORDER, "success_url": "https://shop.example/thanks",
               "idempotency_key": "order-0001-checkout"}
    return [
        "### Hosted checkout", "",
        f"1. {op('create_order')} as above (or give `currency` + `line_items` straight to "
        f"{op('create_checkout_session')}, or `checkout_flow: \"HOSTED\"` to create_order).",
        f"2. {call('create_checkout_session', session)}.",
        "3. Send the buyer to `checkout_session_url`. The page charges the outstanding balance, handles "
        "declines and 3D Secure, then redirects to `success_url`.",
        f"4. Never trust the redirect alone: {op('get_order')} (or {op('get_checkout_session')}'s "
        "`order_status`) must say `PAID`.",
        f"5. Cart changed? {op('expire_checkout_session')}, {op('update_order')}, then a new session.", "",
    ]


def investigate() -> list[str]:
    return [
        "### Find out what happened (to an order, or to your own request)", "",
        f"1. An error answered you: its `request_id` leads to {call('get_request_log', {'request_id': '<req_...>'})}: "
        "the operation, the parameters as received (secrets redacted), status, error code and the ids it touched.",
        f"2. An order: {call('get_order_timeline', {'order_id': ORDER})} lists, oldest first, each change "
        "(ACTIVITY), the request behind it on any face (REQUEST, failed and replayed ones too), the events it "
        "emitted (EVENT) and each webhook attempt (WEBHOOK_ATTEMPT, with status code). Entries sharing a "
        "`request_id` belong together.",
        f"3. Your own retries: {call('list_request_logs', {'idempotency_key': '<your key>'})} shows every "
        "attempt with that key and which were `replayed`.", "",
    ]


def receive_events() -> list[str]:
    endpoint = {"url": "https://shop.example/webhooks", "enabled_events": ["order.paid", "refund.succeeded"],
                "idempotency_key": "webhooks-1"}
    return [
        "### Receive events (webhooks)", "",
        f"1. {call('create_webhook_endpoint', endpoint)} (or `[\"*\"]` for every type). Store "
        "`secret` (`whsec_...`) at once: it is shown only in this answer.",
        "2. Verify every delivery's `webhook-signature` (Standard Webhooks; e.g. the `standardwebhooks` "
        "library), answer 2xx fast, and process each `webhook-id` (the event id) once: retries reuse it.",
        f"3. Missed something? {op('list_events')} (filter by `type`, `order_id`, `created_after`), "
        f"{op('list_webhook_deliveries')} for the attempts, {op('redeliver_event')} to send one again.", "",
    ]


def render() -> list[str]:
    return ["## Recipes", "",
            "Shown as tool calls (`name {arguments}`). Over HTTP send the same arguments to the route in the "
            "routing table, with `idempotency_key` as the `Idempotency-Key` header.", "",
            *create_and_pay(), *refund_line_item(), *recover_failed_payment(), *last_order(),
            *hosted_checkout(), *investigate(), *receive_events()]
