"""The generated tables of SKILL.md: scopes, routing, status machines, retry rules, payment failure
classification and test cards. Each reads one table of the core; nothing here is typed by hand twice."""

from __future__ import annotations

from flint_core import TEST_CARDS, Failure, errors, recovery, registry
from skill import facts
from skill.references import cell

# What to do about a non-retryable error, by type (codes and their own advice are in references/errors.md).
TYPE_ADVICE = {
    "invalid_request_error": "Fix the input (`param` names the field) and send it again with a NEW idempotency key.",
    "authentication_error": "Fix the key: send `Authorization: Bearer <key>` with a key that is active.",
    "permission_error": "Use a key that has the scope (or stay within its limits); `whoami` shows both.",
    "not_found_error": "Re-read the id from a response (list or search); ids never cross sandboxes or modes.",
    "state_conflict_error": "Re-read the object (`get_...`) and choose from its `available_actions` "
                            "(the error's `suggested_actions` repeats them).",
    "idempotency_error": "422 `idempotency_key_reused`: a new request needs a new key.",
    "api_error": "Flint's own failure that would repeat (its configuration, a database error): report it with the "
                 "`request_id`, do not loop.",
}


def scope_table() -> list[str]:
    ops = registry.operations()
    out = ["| scope | operations that need it |", "|---|---|"]
    for scope in registry.SCOPES:
        names = [op.name for op in facts.ordered() if op.scope == scope]
        out.append(f"| `{scope}` | {', '.join(f'`{n}`' for n in names) or 'none yet'} |")
    for label, auth in (("any valid key", "key"), ("no key", "public")):
        names = [op.name for op in ops if op.scope is None and op.auth == auth]
        if names:
            out.append(f"| {label} | {', '.join(f'`{n}`' for n in sorted(names))} |")
    return out


def routing_table() -> list[str]:
    """One small table per resource; each operation links to its entry in the reference."""
    out: list[str] = []
    for group in facts.groups():
        out += [f"### {group.title}", "", "| task | operation | scope | safety |", "|---|---|---|---|"]
        for op in group.operations:
            out.append(f"| {cell(op.summary)} | [`{op.name}`](references/operations.md#{facts.anchor(op)}) | "
                       f"{facts.scope_text(op)} | {facts.safety_words(op)} |")
        out.append("")
    return out


def codes(items: list[str]) -> str:
    return ", ".join(f"`{i}`" for i in items) if items else "—"


def status_tables() -> list[str]:
    out: list[str] = []
    for machine in registry.machines().values():
        statuses = machine.statuses
        out += [f"### {machine.resource} (starts `{machine.initial}`)", "",
                "| status | can become | legal actions in this status |", "|---|---|---|"]
        for status in statuses:
            targets = sorted(machine.transitions[status], key=statuses.index)
            out.append(f"| `{status}` | {codes(targets)} | {codes(machine.actions_for(status))} |")
        out.append("")
    return out


def retry_table() -> list[str]:
    out = ["| code | HTTP | effect | what to do |", "|---|---|---|---|"]
    for spec in sorted(errors.CATALOG.values(), key=lambda s: (s.http_status, s.code)):
        if spec.retryable:
            out.append(f"| `{spec.code}` | {spec.http_status} | `{spec.effect}` | {cell(spec.explanation)} |")
    return out


def not_retryable() -> list[str]:
    by_type: dict[str, list[str]] = {}
    for spec in errors.CATALOG.values():
        if not spec.retryable:
            by_type.setdefault(spec.type, []).append(spec.code)
    out = ["| type | codes | what to do |", "|---|---|---|"]
    for type_ in sorted(by_type):
        advice = TYPE_ADVICE.get(type_, "See references/errors.md.")
        out.append(f"| `{type_}` | {codes(sorted(by_type[type_]))} | {advice} |")
    return out


def unknown_effect_codes() -> list[str]:
    return sorted(spec.code for spec in errors.CATALOG.values() if spec.effect == "unknown")


_CATEGORY_ADVICE = {
    "transient": "The same card may work: `pay_order` again after a moment, with a NEW idempotency key.",
    "hard_decline": "Never retry this card, automatically or otherwise. Tell the merchant.",
    "customer_action": "Ask the customer for another card (then `pay_order` with a NEW key), or send them to a "
                       "hosted page (`create_checkout_session`).",
}


def failure_table() -> list[str]:
    samples = (sorted(recovery.TRANSIENT), sorted(recovery.HARD_DECLINES), ["card_declined"])
    out = ["| category | `failure.code` or `decline_code` | retryable | recovery_options | what to do |",
           "|---|---|---|---|---|"]
    for matched in samples:
        category, retryable, options = recovery.classify(Failure(matched[0], None, ""))
        options = tuple(o for o in options if o == "request_new_payment_method" or registry.registered(o))
        listed = codes(matched) if category != "customer_action" else "anything else (`generic_decline`, " \
            "`insufficient_funds`, `expired_card`, `incorrect_cvc`, `authentication_failed`, ...)"
        out.append(f"| `{category}` | {listed} | {str(retryable).lower()} | {codes(list(options))} | "
                   f"{_CATEGORY_ADVICE.get(category, '')} |")
    return out


def test_cards() -> list[str]:
    out = ["| card number | token | outcome |", "|---|---|---|"]
    for card in TEST_CARDS:
        out.append(f"| `{card.number}` | `{card.token}` | {cell(card.description)} |")
    return out
