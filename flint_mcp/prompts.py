"""MCP prompts: the common workflows, written as the safe sequence of tool calls.

Each prompt spells out the read-before-write order (find, inspect, preview, then act with an idempotency
key) so an agent that starts from a prompt never guesses ids or moves money twice. Arguments are plain
strings, substituted into the text; a missing optional one is replaced by its ``missing`` wording (what
the agent should assume or find out), never by its description.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Argument:
    name: str
    description: str
    required: bool = False
    missing: str = "not given"  # what the text says when the argument is absent


@dataclass(frozen=True)
class Prompt:
    name: str
    title: str
    description: str
    arguments: tuple[Argument, ...]
    template: str

    def render(self, values: dict[str, str]) -> str:
        filled = {a.name: values.get(a.name) or a.missing for a in self.arguments}
        return self.template.format(**filled)


_RULES = """Rules: never invent ids (copy them from tool results); pass a fresh unique idempotency_key
(e.g. a UUID) to every write and reuse it only to retry that same call; a card decline is an outcome
(a FAILED payment with a failure block), not an error; on an error, follow its `retryable`, `effect`
and `suggested_actions`."""

PROMPTS = (
    Prompt(
        "refund_line_item", "Refund a line item",
        "Refund some units of one line of a customer's order: find the order, preview the refund, then "
        "create it with an idempotency key.",
        (Argument("customer", "The customer's name or email (part of it is enough)."),
         Argument("item", "The line item's name as sold, e.g. Coffee.", required=True),
         Argument("quantity", "Units to refund (default: every refundable unit of that line).",
                  missing="every refundable unit of that line"),
         Argument("order_id", "The order, if already known (skips the search).", missing="to be found in step 1")),
        """Refund {item} (quantity: {quantity}) for customer {customer} (order: {order_id}).

1. If the order id is not known: search_customers(name=... or email=...) to get customer_id. If several
   customers match, ask which one. Then list_orders(customer_id=..., page_size=1) returns their most
   recent order (newest first).
2. get_order(order_id=...). Check its status is PAID, PARTIALLY_REFUNDED or CLOSED and that
   `preview_refund`/`create_refund` are in available_actions. Find the line whose name matches the item
   and read its line_item_id and refundable_quantity (never refund more than that).
3. preview_refund(order_id=..., line_items=[{{"line_item_id": ..., "quantity": ...}}]). Show the amount
   (and its tax part) to the user. If `allowed` is false, stop and explain its error.
4. create_refund with exactly the same order_id and line_items (plus preview_id from the preview when
   the key requires previews) and a new idempotency_key. If the call fails with a retryable error, retry
   it with the SAME idempotency_key: a replay never refunds twice.
5. Report the refund id, its status and the amount returned.

""" + _RULES),
    Prompt(
        "recover_failed_payment", "Recover a failed payment",
        "Work out why an order's payment failed and take the one recovery step that is safe for that failure.",
        (Argument("order_id", "The order whose payment failed.", required=True),),
        """Recover the failed payment of order {order_id}.

1. get_order(order_id=...). Read status, last_payment_failure, recovery_options and payment_intent_ids.
   If the order is already PAID or AUTHORIZED, there is nothing to recover.
2. If the newest payment intent is PROCESSING (a processor timeout or outage: the outcome is unknown),
   NEVER start a new payment: call retry_payment(payment_intent_id=...) with a new idempotency_key, or
   repeat the original pay_order call with its original idempotency_key.
3. If it is REQUIRES_ACTION, the customer must complete authentication at next_action.url; then
   confirm_payment.
4. If it FAILED (a decline), follow failure.category / recovery_options:
   - transient (`pay_order` listed): pay_order again after a moment, with a NEW idempotency_key.
   - customer_action (`request_new_payment_method`): ask the customer for another card, then pay_order
     with it; or create_checkout_session so they can pay on the hosted page.
   - hard_decline (no options): do not retry this card at all; tell the user.
5. Report what you did and the order's status.

""" + _RULES),
    Prompt(
        "find_last_order", "Find a customer's last order",
        "Find a customer by name or email and show their most recent order.",
        (Argument("customer", "The customer's name or email (part of it is enough).", required=True),),
        """Find the most recent order of customer {customer}.

1. search_customers(name=...) or search_customers(email=...) (case-insensitive, partial match). If
   several customers match, list them (name, email, customer_id) and ask which one; if none, say so.
2. list_orders(customer_id=..., page_size=1): orders are newest first, so this is the last order.
3. get_order(order_id=...) for the full order: lines, totals, status and available_actions.
4. Summarize: order id, date, status, total, lines, and what can be done next.

This is read-only: no idempotency key is needed and nothing changes.
"""),
    Prompt(
        "create_and_pay_order", "Create and pay an order",
        "Create an order for what is sold and charge it, safely retryable.",
        (Argument("items", "What is sold: names, quantities and unit prices.", required=True),
         Argument("currency", "ISO 4217 currency, e.g. USD.", missing="the prices' currency, else the sandbox's "
                  "default"),
         Argument("customer", "The customer's name or email, if the order is for a known customer.",
                  missing="none")),
        """Create and pay an order for: {items} (currency: {currency}; customer: {customer}).

1. If a customer is named: search_customers first; create_customer only if none matches.
2. preview_order with the line items (prices in minor units, e.g. 450 = 4.50 USD) to check the total.
3. create_order with the same fields and a new idempotency_key.
4. pay_order(order_id=..., payment_source=...) with another new idempotency_key. A FAILED payment is a
   decline: read its failure block (see the recover_failed_payment prompt); do not just retry.
5. Report the order id, status and total.

""" + _RULES),
    Prompt(
        "investigate_order", "Find out what happened to an order",
        "Explain an order's history: every change, the requests behind it (failed ones too), its events and "
        "whether the merchant's webhooks received them.",
        (Argument("order_id", "The order to investigate.", required=True),
         Argument("question", "What the user wants to know, e.g. why was it refunded twice?",
                  missing="what happened to it, in order")),
        """Investigate order {order_id}. Question: {question}.

1. get_order(order_id=...) for its current status, amounts and available_actions.
2. get_order_timeline(order_id=...), following next_page_token until it is empty. Entries are oldest
   first: ACTIVITY (a change: type, actor, before/after delta), REQUEST (an API call on any face, with
   status, error_code, idempotency_key and replayed), EVENT (what was announced) and WEBHOOK_ATTEMPT (a
   delivery attempt, with the receiver's status code). Entries with the same request_id belong together.
3. For a failed or surprising request, get_request_log(request_id=...) shows the parameters it was sent
   (secrets redacted) and the ids it touched; list_request_logs(idempotency_key=...) shows its retries.
4. If a webhook never succeeded: list_webhook_deliveries(event_id=...) shows each attempt; redeliver_event
   sends it again only if the user asks (it is a write: use a new idempotency_key).
5. Answer the question from the timeline, citing times, actors (key ids) and request ids. Change nothing
   unless the user asks.
"""),
)

BY_NAME = {prompt.name: prompt for prompt in PROMPTS}
