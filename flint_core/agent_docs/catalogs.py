"""The reference sections of the docs generated from Flint's catalogs, so they cannot drift: docs/errors.md
(every error code) and the catalog section of docs/events.md (every event type). Tests keep both current.

    python -m flint_core.agent_docs errors > docs/errors.md
    python -m flint_core.agent_docs events [--check]     # rewrites docs/events.md's catalog section
"""

from __future__ import annotations

import sys
from pathlib import Path

from flint_core.kernel import errors
from flint_core.kernel.errors import ErrorSpec
from flint_core.platform import outbox, registry

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"


def error_specs() -> list[ErrorSpec]:
    """Every error code: those any part of Flint raises first, then each domain's, in reading order."""
    registry.load()  # every domain declared its codes
    order = {"": -1} | {domain: i for i, domain in enumerate(registry.DOMAINS)}
    position = {code: i for i, code in enumerate(errors.CATALOG)}
    return sorted(errors.CATALOG.values(), key=lambda spec: (order[spec.domain], position[spec.code]))


def errors_page() -> str:
    """docs/errors.md: one anchor per code, grouped by type (kept current by a test)."""
    specs = error_specs()
    out = ["# Errors", "",
           "Every failure on every face (HTTP, MCP, tool calls) is the same envelope:", "",
           "```json", '{"error": {"type": "state_conflict_error", "code": "order_not_refundable",',
           ' "message": "...", "param": "order_id", "retryable": false, "effect": "none",',
           ' "retry_after_seconds": null, "request_id": "req_...",',
           ' "doc_url": "http://127.0.0.1:8000/docs/errors#order_not_refundable",',
           ' "suggested_actions": ["get_order"]}}', "```", "",
           "- `retryable`: whether sending the same request again (same idempotency key) can succeed.",
           "- `effect`: `none` means nothing changed: fix the input and send it again with a new idempotency "
           "key. `unknown` means the outcome is not known yet: retry only with the same idempotency key.",
           "- `param`: the offending field as a dotted path (`line_items.0.quantity`), or null.",
           "- `suggested_actions`: operations that are legal now and likely to help.",
           "- `doc_url`: this code's entry below, as an absolute URL starting with the server's "
           "[public URL](/docs/getting-started#public-url).",
           "- HTTP responses also carry `Flint-Should-Retry: true|false` and `Request-Id`.",
           "- `GET /v1/errors/{code}` (`explain_error`) returns any entry below as JSON.", ""]
    for type_ in dict.fromkeys(spec.type for spec in specs):
        out += [f"## {type_}", ""]
        for spec in (s for s in specs if s.type == type_):
            retry = "retryable" if spec.retryable else "not retryable"
            out += [f'<a id="{spec.code}"></a>', f"### `{spec.code}`", "",
                    f"HTTP {spec.http_status}, {retry}, effect `{spec.effect}`. {spec.explanation}", ""]
    return "\n".join(out)


# docs/events.md: a hand-written guide around a catalog section generated from the event types
CATALOG_BEGIN = "<!-- catalog: generated from the event types by `python -m flint_core.agent_docs events`; edit there -->"
CATALOG_END = "<!-- end of catalog -->"
_OBJECTS = {"order": ("get_order", "/docs/orders"), "payment_intent": ("get_payment_intent", "/docs/payments"),
            "refund": ("get_refund", "/docs/refunds"), "checkout_session": ("get_checkout_session", "/docs/checkout"),
            "webhook_endpoint": ("get_webhook_endpoint", "/docs/webhooks"), "item": ("get_item", "/docs/catalog"),
            "inventory": ("get_inventory", "/docs/catalog#inventory"),
            "setup_intent": ("get_setup_intent", "/docs/saved-cards"),
            "payment_method": ("get_payment_method", "/docs/saved-cards"),
            "notification": ("get_notification", "/docs/notifications")}


def previous(t: outbox.EventType) -> str:
    if t.previous == outbox.CREATED:
        return t.previous
    return f"the old value of each field that changed; typically {t.previous}"


def events_catalog() -> str:
    """The catalog: a summary table, then one anchored section per type (``/docs/events#order.paid``)."""
    out = [CATALOG_BEGIN, "", "| type | `data.object` | when |", "|---|---|---|"]
    types = outbox.event_types()
    out += [f"| [`{t.name}`](#{t.name}) | {t.object_type} | {t.summary} |" for t in types.values()]
    for family in dict.fromkeys(name.split(".")[0] for name in types):
        out += ["", f"### {family} events"]
        for t in (t for t in types.values() if t.name.startswith(f"{family}.")):
            getter, page = _OBJECTS[t.object_type]
            order = ("its order, as get_order returned it right after the change" if t.with_order
                     else "absent") + ("; null for a SETUP session, which has no order"
                                       if t.object_type == "checkout_session" else "")
            out += ["", f'<a id="{t.name}"></a>', f"#### `{t.name}`", "", t.trigger, "",
                    f"- `data.object`: the [{t.object_type}]({page}), as {getter} returned it right after the change.",
                    f"- `data.previous_attributes`: {previous(t)}.", f"- `data.order`: {order}."]
    return "\n".join([*out, "", CATALOG_END])


def events_page(page: str) -> str:
    """``page`` with its catalog section replaced by the current one."""
    head, _, rest = page.partition(CATALOG_BEGIN)
    _, found, tail = rest.partition(CATALOG_END)
    if not found:
        raise ValueError(f"docs/events.md lacks the markers {CATALOG_BEGIN!r} ... {CATALOG_END!r}")
    return head + events_catalog() + tail


def main(argv: list[str]) -> int:
    if argv[:1] == ["errors"]:
        print(errors_page(), end="")
        return 0
    if argv[:1] == ["events"]:
        path = DOCS_DIR / "events.md"
        current = path.read_text(encoding="utf-8")
        if "--check" in argv:
            stale = events_page(current) != current
            if stale:
                print("docs/events.md is stale: python -m flint_core.agent_docs events", file=sys.stderr)
            return 1 if stale else 0
        path.write_text(events_page(current), encoding="utf-8")
        return 0
    print(__doc__, file=sys.stderr)
    return 2
