"""The recipes: the common safe workflows, step by step, as tool calls. The essential ones are in SKILL.md;
the others in the reference of the toolset they belong to (``RECIPES``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from skill.names import call, op

ORDER = "<order_id>"
INTRO = ("Shown as tool calls (`name {arguments}`). Over HTTP send the same arguments to the operation's "
         "route, with `idempotency_key` as the `Idempotency-Key` header.")


def _money(amount: int) -> dict[str, object]:
    return {"amount": amount, "currency": "USD"}


def create_and_pay() -> list[str]:
    lines = [{"name": "Espresso machine", "quantity": 1, "unit_price_money": _money(9900)},
             {"name": "Coffee beans", "quantity": 1, "unit_price_money": _money(2900)}]
    order = {"currency": "USD", "line_items": lines, "idempotency_key": "order-0001"}
    pay = {"order_id": ORDER, "payment_source": "tok_visa", "idempotency_key": "order-0001-pay"}
    return [
        f"1. {call('create_order', order)} ({op('preview_order')} with the same arguments quotes it). Read "
        "`order_id` and `pricing_amounts.total_money` (13824 with the 8% test tax).",
        f"2. {call('pay_order', pay)}. It charges the outstanding balance.",
        "3. The payment intent's `status`: `SUCCEEDED` (order `PAID`); `FAILED` (a decline: see below); "
        f"`REQUIRES_ACTION` (send the customer to `next_action.url`, then {op('confirm_payment')}); "
        f"`REQUIRES_CAPTURE` (a `MANUAL` hold: later {op('capture_payment')} or {op('void_payment')}).",
        "4. On a 502/504, resend step 2 unchanged (same key). Never a new key or card.",
    ]


def refund_line_item() -> list[str]:
    preview = {"order_id": ORDER, "line_items": [{"line_item_id": "<li_...>", "quantity": 1}],
               "reason": "REQUESTED_BY_CUSTOMER"}
    return [
        f"1. {op('get_order')}: check that `available_actions` contains {op('create_refund')}; take the "
        "`line_item_id` from `line_items` (its `refundable_quantity` must cover the quantity).",
        f"2. {call('preview_refund', preview)}. Read `allowed`, `amount_money` (discount and tax included), "
        "`tax_money`, `order_status_after`. `allowed: false`: its `error` says why; stop.",
        f"3. Confirm the amount if a person asked, then {op('create_refund')} with the same arguments, the "
        "`preview_id` and a new `idempotency_key`.",
        f"4. The refund is `PENDING` until settled; {op('get_refund')} shows `SUCCEEDED` or `FAILED` "
        "(the money becomes refundable again).",
    ]


def sell_from_catalog() -> list[str]:
    search = {"query": "flat white"}
    order = {"line_items": [{"variation_id": "<var_...>", "quantity": 2}], "idempotency_key": "order-0002"}
    restock = {"order_id": ORDER, "line_items": [{"line_item_id": "<li_...>", "quantity": 1, "restock": True}]}
    return [
        f"1. {call('search_items', search)}: take the `variation_id` of the right size from `variations` "
        "(never the `item_id`). Its `inventory.available` says how many can be sold.",
        f"2. {call('create_order', order)}: Flint copies name, price and tax category; send no `name` or "
        "price (a `VARIABLE` variation takes `unit_price_money`).",
        f"3. {op('pay_order')} holds the stock; 409 `insufficient_inventory` names the line "
        "(`line_items.N`): nothing was charged; tell the buyer or sell less.",
        f"4. Goods returned: {call('preview_refund', restock)}, then {op('create_refund')} the same way.",
    ]


def charge_saved_card() -> list[str]:
    seti = {"customer_id": "<cus_...>", "payment_source": "tok_visa", "idempotency_key": "seti-0001"}
    page = {"mode": "SETUP", "customer_id": "<cus_...>", "success_url": "https://shop.example/cards"}
    pay = {"order_id": ORDER, "payment_method_id": "<pm_...>", "off_session": True,
           "idempotency_key": "renewal-0001"}
    return [
        f"1. Save: {call('create_setup_intent', seti)}. `SUCCEEDED`: `payment_method_id` is the card. "
        f"`REQUIRES_ACTION`: the customer opens `next_action.url`, then {op('confirm_setup_intent')}. "
        f"No card at hand: {call('create_checkout_session', page)}, send the customer `checkout_session_url`; "
        f"once `COMPLETE` its `payment_method_id` is the card. ({op('pay_order')} with "
        "`save_payment_method: true` also saves the card it charges.)",
        f"2. Later, without the customer: {call('pay_order', pay)} (`off_session: true` alone charges the "
        "customer's default card).",
        "3. `FAILED` with `failure.code: authentication_required` is not a bad card: the bank wants the "
        f"customer. Do not retry off session: {op('create_checkout_session')} for the order and send them "
        "`checkout_session_url`; the page offers the saved card and runs 3D Secure.",
        f"4. Never charge a detached card (409 `payment_method_detached`); {op('list_payment_methods')} "
        "shows the customer's cards and `is_default`.",
    ]


def recover_failed_payment() -> list[str]:
    session = {"order_id": ORDER, "idempotency_key": "order-0001-checkout"}
    return [
        f"1. {op('pay_order')} answered 200 with `status: FAILED`: read `failure.category` and "
        "`failure.recovery_options` (also on the order).",
        "2. `transient`: wait, then `pay_order` again with a NEW idempotency key.",
        "3. `customer_action`: ask for another card and `pay_order` with it (new key), or "
        f"{call('create_checkout_session', session)} and send them to `checkout_session_url`.",
        "4. `hard_decline`: stop; tell the merchant.",
        "5. No answer (502/504, `effect: unknown`) is not a decline: resend with the same key, or "
        f"{op('retry_payment')} the `PROCESSING` payment intent. Never start a second payment.",
    ]


def last_order() -> list[str]:
    return [
        f"1. {call('search_customers', {'query': 'sarah'})} (name or email). Several matches: disambiguate or "
        "ask; never pick one at random.",
        f"2. {call('list_orders', {'customer_id': '<cus_...>', 'page_size': 1})}: newest first, so `data[0]` "
        "is the last order.",
        f"3. {op('get_order')} for `line_items`, `settlement_amounts` and `available_actions`.",
    ]


def hosted_checkout() -> list[str]:
    session = {"order_id": ORDER, "success_url": "https://shop.example/thanks",
               "idempotency_key": "order-0001-checkout"}
    return [
        f"1. {op('create_order')} (or give `currency` + `line_items` straight to "
        f"{op('create_checkout_session')}, or `checkout_flow: \"HOSTED\"` to create_order).",
        f"2. {call('create_checkout_session', session)}.",
        "3. Send the buyer to `checkout_session_url`. The page charges the outstanding balance, handles "
        "declines and 3D Secure, then redirects to `success_url`.",
        f"4. Never trust the redirect alone: {op('get_order')} (or {op('get_checkout_session')}'s "
        "`order_status`) must say `PAID`.",
        f"5. Cart changed? {op('expire_checkout_session')}, {op('update_order')}, then a new session.",
    ]


def investigate() -> list[str]:
    return [
        f"1. An error answered you: its `request_id` leads to {call('get_request_log', {'request_id': '<req_...>'})}: "
        "the operation, the parameters as received (secrets redacted), status, error code and the ids it touched.",
        f"2. An order: {call('get_order_timeline', {'order_id': ORDER})} lists, oldest first, each change "
        "(ACTIVITY), the request behind it on any face (REQUEST, failed and replayed ones too), the events it "
        "emitted (EVENT) and each webhook attempt (WEBHOOK_ATTEMPT, with status code). Entries sharing a "
        "`request_id` belong together.",
        f"3. Your own retries: {call('list_request_logs', {'idempotency_key': '<your key>'})} shows every "
        "attempt with that key and which were `replayed`.",
    ]


def receive_events() -> list[str]:
    endpoint = {"url": "https://shop.example/webhooks", "enabled_events": ["order.paid", "refund.succeeded"],
                "idempotency_key": "webhooks-1"}
    return [
        f"1. {call('create_webhook_endpoint', endpoint)} (or `[\"*\"]` for every type). Store "
        "`secret` (`whsec_...`) at once: it is shown only in this answer.",
        "2. Verify every delivery's `webhook-signature` (Standard Webhooks; e.g. the `standardwebhooks` "
        "library), answer 2xx fast, and process each `webhook-id` (the event id) once: retries reuse it.",
        f"3. Missed something? {op('list_events')} (filter by `type`, `order_id`, `created_after`), "
        f"{op('list_webhook_deliveries')} for the attempts, {op('redeliver_event')} to send one again.",
    ]


@dataclass(frozen=True)
class Recipe:
    title: str
    steps: Callable[[], list[str]]
    toolsets: tuple[str, ...]  # the first is where it lives unless it is essential
    essential: bool  # in SKILL.md itself

    def render(self) -> list[str]:
        return [f"### {self.title}", "", *self.steps(), ""]


RECIPES = (
    Recipe("Create and pay an order", create_and_pay, ("orders", "payments"), essential=True),
    Recipe("Refund one line item", refund_line_item, ("refunds", "orders"), essential=True),
    Recipe("Sell from the catalog", sell_from_catalog, ("catalog", "orders"), essential=False),
    Recipe("Save a card, charge it later", charge_saved_card, ("payment_methods", "payments"), essential=True),
    Recipe("Recover a failed payment", recover_failed_payment, ("payments", "checkout"), essential=False),
    Recipe("Find a customer's last order", last_order, ("customers", "orders"), essential=True),
    Recipe("Hosted checkout", hosted_checkout, ("checkout",), essential=False),
    Recipe("Find out what happened (to an order, or to your own request)", investigate, ("activity",),
           essential=False),
    Recipe("Receive events (webhooks)", receive_events, ("webhooks",), essential=False),
)


def essential() -> list[Recipe]:
    return [r for r in RECIPES if r.essential]


def of_toolset(name: str) -> list[Recipe]:
    """The recipes a toolset's reference carries in full."""
    return [r for r in RECIPES if not r.essential and r.toolsets[0] == name]


def in_skill_md_for(name: str) -> list[Recipe]:
    """The essential recipes (in SKILL.md) that use the toolset."""
    return [r for r in RECIPES if r.essential and name in r.toolsets]


def render_skill_md() -> list[str]:
    others = ", ".join(f"{r.title} ([{r.toolsets[0]}](references/{r.toolsets[0]}.md#recipes))"
                       for r in RECIPES if not r.essential)
    out = ["## Recipes", "", INTRO, ""]
    for recipe in essential():
        out += recipe.render()
    return [*out, f"More in the toolset references: {others}.", ""]
