"""The text summaries of tool results: the facts an agent acts on, from the JSON alone."""

from __future__ import annotations

from flint_mcp.summary import money, summarize, summarize_error


def test_money_uses_the_currency_exponent() -> None:
    assert money({"amount": 13824, "currency": "USD"}) == "138.24 USD"
    assert money({"amount": 500, "currency": "JPY"}) == "500 JPY"
    assert money(None) == "?"


def test_decline_summary_says_whether_and_how_to_recover() -> None:
    text = summarize({"object": "payment_intent", "payment_intent_id": "pi_1", "status": "FAILED",
                      "amount_money": {"amount": 1080, "currency": "USD"}, "order_id": "ord_1", "order_status": "OPEN",
                      "failure": {"code": "card_declined", "decline_code": "insufficient_funds", "retryable": False,
                                  "recovery_options": ["request_new_payment_method"]},
                      "available_actions": []})
    assert text.startswith("payment pi_1 FAILED, 10.80 USD for order ord_1 (order OPEN); declined: "
                           "insufficient_funds, retryable false, recovery: request_new_payment_method")


def test_refused_preview_and_lists() -> None:
    refused = summarize({"object": "refund_preview", "allowed": False, "order_id": "ord_1", "error": {"error": {
        "code": "order_not_refundable", "message": "Order ord_1 is OPEN."}}})
    assert "NOT allowed (order_not_refundable: Order ord_1 is OPEN.)" in refused
    page = summarize({"object": "list", "data": [{"object": "customer", "customer_id": "cus_1", "name": "Sarah Chen",
                                                  "email": "s@example.com"}], "next_page_token": ""})
    assert page.startswith("1 customer(s); last page: customer cus_1 Sarah Chen <s@example.com>")
    assert summarize({"object": "list", "data": [], "next_page_token": ""}).startswith("0 object(s); last page")


def test_error_summary_carries_the_retry_rule() -> None:
    timeout = summarize_error({"error": {"type": "processor_error", "code": "processor_timeout", "message": "Late.",
                                         "param": None, "retryable": True, "effect": "unknown",
                                         "retry_after_seconds": None, "request_id": "req_1",
                                         "doc_url": "/docs/errors#processor_timeout",
                                         "suggested_actions": ["retry_payment", "get_payment_intent"]}})
    assert "retry with the SAME idempotency_key" in timeout and "effect: unknown" in timeout
    assert "Suggested: retry_payment, get_payment_intent" in timeout
