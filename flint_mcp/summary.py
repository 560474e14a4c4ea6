"""One-line text summaries of tool results.

MCP clients that ignore `structuredContent` show the model only the text content, so the text says the
few facts an agent acts on (id, status, money, what it may do next) and points at the structured JSON
for the rest. Summaries are derived from the JSON alone: they never need the database.
"""

from __future__ import annotations

from typing import Any

from flint_core import CurrencyError, Money


def money(value: Any) -> str:
    """``{"amount": 13824, "currency": "USD"}`` -> ``138.24 USD``."""
    if not isinstance(value, dict) or "amount" not in value or "currency" not in value:
        return "?"
    try:
        return Money(value["amount"], value["currency"]).format()
    except (CurrencyError, KeyError, TypeError, ValueError):
        return f"{value['amount']} {value['currency']} (minor units)"


def _next(obj: dict[str, Any]) -> str:
    actions = obj.get("available_actions")
    return f"; next: {', '.join(actions)}" if actions else ""


def _order(o: dict[str, Any]) -> str:
    total = money(o.get("pricing_amounts", {}).get("total_money"))
    text = f"order {o.get('order_id') or '(preview)'} {o.get('status')}, total {total}"
    refunded = o.get("settlement_amounts", {}).get("refunded_money")
    if refunded and refunded.get("amount"):
        text += f", refunded {money(refunded)}"
    return text + f", {len(o.get('line_items', []))} line(s)" + _next(o)


def _payment(p: dict[str, Any]) -> str:
    text = f"payment {p.get('payment_intent_id')} {p.get('status')}, {money(p.get('amount_money'))} " \
           f"for order {p.get('order_id')} (order {p.get('order_status')})"
    failure = p.get("failure")
    if failure:
        options = ", ".join(failure.get("recovery_options") or []) or "none"
        text += f"; declined: {failure.get('decline_code') or failure.get('code')}, retryable " \
                f"{str(failure.get('retryable')).lower()}, recovery: {options}"
    return text + _next(p)


def _refund(r: dict[str, Any]) -> str:
    return f"refund {r.get('refund_id')} {r.get('status')}, {money(r.get('amount_money'))} " \
           f"(tax {money(r.get('tax_money'))}) from order {r.get('order_id')} (order now {r.get('order_status')})"


def _refund_preview(p: dict[str, Any]) -> str:
    if not p.get("allowed"):
        error = (p.get("error") or {}).get("error", p.get("error") or {})
        return f"refund preview for order {p.get('order_id')}: NOT allowed " \
               f"({error.get('code')}: {error.get('message')})"
    return f"refund preview for order {p.get('order_id')}: would return {money(p.get('amount_money'))} " \
           f"(tax {money(p.get('tax_money'))}); order after: {p.get('order_status_after')}, refunded " \
           f"{money(p.get('refunded_money_after'))}; preview_id {p.get('preview_id')}"


def _list(page: dict[str, Any]) -> str:
    data = page.get("data", [])
    kinds = sorted({item.get("object", "object") for item in data if isinstance(item, dict)})
    items = "; ".join(summarize_object(item) for item in data[:5] if isinstance(item, dict))
    more = f" (+{len(data) - 5} more)" if len(data) > 5 else ""
    token = page.get("next_page_token")
    paging = f"; next page: page_token={token}" if token else "; last page"
    return f"{len(data)} {'/'.join(kinds) or 'object'}(s){paging}" + (f": {items}{more}" if items else "")


def summarize_object(obj: dict[str, Any]) -> str:
    kind = obj.get("object")
    if kind == "order":
        return _order(obj)
    if kind == "payment_intent":
        return _payment(obj)
    if kind == "refund":
        return _refund(obj)
    if kind == "refund_preview":
        return _refund_preview(obj)
    if kind == "list":
        return _list(obj)
    if kind == "customer":
        who = " ".join(str(x) for x in (obj.get("name"), f"<{obj['email']}>" if obj.get("email") else None) if x)
        return f"customer {obj.get('customer_id')} {who}".rstrip()
    ident = next((f"{k} {v}" for k, v in obj.items() if k.endswith("_id") and isinstance(v, str)), "")
    status = f" {obj['status']}" if isinstance(obj.get("status"), str) else ""
    return f"{kind or 'result'} {ident}{status}".strip() + _next(obj)


def summarize(result: Any, *, replayed: bool = False) -> str:
    """The text content of a successful tool result."""
    text = summarize_object(result) if isinstance(result, dict) else "result"
    if replayed:
        text += " (idempotent replay: the first response to this idempotency_key; nothing was done again)"
    return text + ". The full JSON follows."


def summarize_error(envelope: dict[str, Any]) -> str:
    """The text content of a tool error: what failed, whether to retry, what to call next."""
    e = envelope.get("error", {})
    retry = "retry with the SAME idempotency_key" if e.get("retryable") else "do not retry unchanged"
    text = f"{e.get('type')} {e.get('code')}: {e.get('message')} (param: {e.get('param')}; effect: " \
           f"{e.get('effect')}; {retry}"
    if e.get("retry_after_seconds"):
        text += f" after {e['retry_after_seconds']}s"
    text += ")"
    if e.get("suggested_actions"):
        text += f". Suggested: {', '.join(e['suggested_actions'])}"
    return text + f". See {e.get('doc_url')}; request {e.get('request_id')}."
