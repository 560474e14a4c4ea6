"""The generated tables of the skill: toolsets, routing, scopes, status machines, retry rules, payment
failure classification and test cards. Each reads one table of the core; nothing here is typed by hand
twice except the routing table's task wording (its operations are checked against the registry)."""

from __future__ import annotations

from typing import Any

from flint_core import TEST_CARDS, Failure, StateMachine, errors, recovery, registry
from skill import facts
from skill.names import op as op_name

# What to do about a non-retryable error, by type (each code and its own advice are in references/errors.md).
TYPE_ADVICE = {
    "invalid_request_error": "Fix the input (`param` names the field); send it with a NEW idempotency key.",
    "authentication_error": "Fix the key: `Authorization: Bearer <key>` with an active key.",
    "permission_error": "Use a key with the scope, or stay within its limits (`whoami` shows both).",
    "not_found_error": "Re-read the id from a response; ids never cross sandboxes or modes.",
    "state_conflict_error": "Re-read the object and choose from its `available_actions` (= `suggested_actions`).",
    "idempotency_error": "A new request needs a new key.",
    "api_error": "Flint's own failure that would repeat: report the `request_id`, do not loop.",
}

# The routing table: the common tasks, in toolset order. The operation decides the toolset and the route.
TASKS: tuple[tuple[str, str], ...] = (
    ("Quote an order (stores nothing)", "preview_order"),
    ("Create an order from line items", "create_order"),
    ("Read an order and its `available_actions`", "get_order"),
    ("Find orders (by customer, status, time)", "list_orders"),
    ("Edit an open order (lines, fees, tip, address)", "update_order"),
    ("Apply a coupon code to an order", "apply_coupon"),
    ("Cancel an unpaid order (preview first)", "cancel_order"),
    ("Charge an order's balance, or place a hold", "pay_order"),
    ("Finish a 3D Secure payment", "confirm_payment"),
    ("Capture a hold", "capture_payment"),
    ("Release a hold (preview first)", "void_payment"),
    ("Re-drive a payment stuck `PROCESSING`", "retry_payment"),
    ("See what a refund would return", "preview_refund"),
    ("Refund an amount, some lines, or everything", "create_refund"),
    ("Check a refund's status", "get_refund"),
    ("Send a buyer a hosted payment page (`mode: SETUP`: a page that saves a card)", "create_checkout_session"),
    ("Find a customer by name or email", "search_customers"),
    ("Create a customer", "create_customer"),
    ("Save a customer's card to charge later (off session)", "create_setup_intent"),
    ("Find a product and its `variation_id` (by name or SKU)", "search_items"),
    ("Add a product with its sizes and prices", "create_item"),
    ("Count stock in (received, recount)", "adjust_inventory"),
    ("Create a coupon code", "create_coupon"),
    ("Add a tax rate for a jurisdiction", "create_tax_rate"),
    ("Everything that happened to an order", "get_order_timeline"),
    ("Look up a request by its `request_id`", "get_request_log"),
    ("Receive events at a URL (webhooks)", "create_webhook_endpoint"),
    ("See the emails a buyer got (receipts, refund confirmations)", "list_notifications"),
    ("Check your key: mode, scopes, limits", "whoami"),
    ("Create a restricted key for an agent", "create_api_key"),
    ("Let a sandbox really send its emails", "update_sandbox"),
    ("Rehearse processor timeouts (test mode)", "set_simulator_faults"),
    ("Which toolsets exist; which your key may use", "list_toolsets"),
    ("Explain an error code", "explain_error"),
    ("Search the docs; read a page", "search_docs"),
)


def cell(text: str) -> str:
    """Make text safe inside a markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def codes(items: list[str]) -> str:
    return ", ".join(f"`{i}`" for i in items) if items else "—"


def routing_table() -> list[str]:
    """task | toolset (linked to its reference) | operation | route, ordered by toolset."""
    order = {group.name: index for index, group in enumerate(facts.groups())}
    rows = []
    for task, name in TASKS:
        op_name(name)  # fails generation when the operation is not registered
        op = registry.get(name)
        assert op is not None
        rows.append((order[op.group], task, op))
    out = ["| task | toolset | operation | HTTP |", "|---|---|---|---|"]
    for _, task, op in sorted(rows, key=lambda row: row[0]):
        group = facts.group_of(op)
        out.append(f"| {cell(task)} | [{group.name}]({group.reference}) | `{op.name}` | `{facts.route(op)}` |")
    return out


def toolset_list() -> list[str]:
    """One line per toolset: its reference, whether MCP shows it by default, what it is for."""
    out = []
    for group in facts.groups():
        default = " (default)" if group.default else ""
        out.append(f"- [`{group.name}`]({group.reference}){default}: {group.description}")
    return out


def scope_table() -> list[str]:
    out = ["| scope | operations that need it |", "|---|---|"]
    for scope in registry.SCOPES:
        names = [op.name for op in facts.ordered() if op.scope == scope]
        out.append(f"| `{scope}` | {codes(names) if names else 'none yet'} |")
    for label, auth in (("any valid key", "key"), ("no key", "public")):
        names = [op.name for op in facts.ordered() if op.scope is None and op.auth == auth]
        if names:
            out.append(f"| {label} | {codes(names)} |")
    return out


def status_table(machine: StateMachine[Any]) -> list[str]:
    statuses = machine.statuses
    out = [f"**{machine.resource}** (starts `{machine.initial}`)", "",
           "| status | can become | legal actions |", "|---|---|---|"]
    for status in statuses:
        targets = sorted(machine.transitions[status], key=statuses.index)
        out.append(f"| `{status}` | {codes(targets)} | {codes(machine.actions_for(status))} |")
    return out


def retry_table() -> list[str]:
    out = ["| code | HTTP | effect |", "|---|---|---|"]
    for spec in sorted(errors.CATALOG.values(), key=lambda s: (s.http_status, s.code)):
        if spec.retryable:
            out.append(f"| `{spec.code}` | {spec.http_status} | `{spec.effect}` |")
    return out


def not_retryable() -> list[str]:
    types = sorted({spec.type for spec in errors.CATALOG.values() if not spec.retryable})
    out = ["| type | what to do |", "|---|---|"]
    for type_ in types:
        out.append(f"| `{type_}` | {TYPE_ADVICE.get(type_, 'See references/errors.md.')} |")
    return out


def unknown_effect_codes() -> list[str]:
    return sorted(spec.code for spec in errors.CATALOG.values() if spec.effect == "unknown")


_CATEGORY_ADVICE = {
    "transient": "The same card may work: `pay_order` again after a moment, with a NEW idempotency key.",
    "hard_decline": "Never retry this card (lost, stolen, fraudulent, ...). Tell the merchant.",
    "customer_action": "Ask for another card (`pay_order`, NEW key) or send a hosted page.",
}


def failure_table() -> list[str]:
    """One row per `failure.category` of the recovery table (the response names the category)."""
    samples = (sorted(recovery.TRANSIENT)[0], sorted(recovery.HARD_DECLINES)[0], "card_declined")
    out = ["| `failure.category` | `recovery_options` | what to do |", "|---|---|---|"]
    for sample in samples:
        category, _retryable, options = recovery.classify(Failure(sample, None, ""))
        options = tuple(o for o in options if o == "request_new_payment_method" or registry.registered(o))
        out.append(f"| `{category}` | {codes(list(options))} | {_CATEGORY_ADVICE.get(category, '')} |")
    return out


def failure_classification() -> list[str]:
    """Which `failure.code` / `decline_code` falls in which category (the full recovery table)."""
    samples = (sorted(recovery.TRANSIENT), sorted(recovery.HARD_DECLINES), ["card_declined"])
    out = ["| `failure.category` | `failure.code` or `decline_code` | `retryable` | `recovery_options` |",
           "|---|---|---|---|"]
    for matched in samples:
        category, retryable, options = recovery.classify(Failure(matched[0], None, ""))
        options = tuple(o for o in options if o == "request_new_payment_method" or registry.registered(o))
        listed = codes(matched) if category != "customer_action" else "anything else (`generic_decline`, " \
            "`insufficient_funds`, `expired_card`, `incorrect_cvc`, `authentication_failed`, ...)"
        out.append(f"| `{category}` | {listed} | {str(retryable).lower()} | {codes(list(options))} |")
    return out


def test_cards() -> list[str]:
    out = ["| card number | token | outcome |", "|---|---|---|"]
    for card in TEST_CARDS:
        out.append(f"| `{card.number}` | `{card.token}` | {cell(card.description)} |")
    return out


def test_token(token: str) -> str:
    """A test token in backticks; generation fails if the test-card table has no such token."""
    if token not in {card.token for card in TEST_CARDS}:
        raise LookupError(f"SKILL.md names an unknown test token: {token}")
    return f"`{token}`"
