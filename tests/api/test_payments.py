"""Payments through the real ASGI app: outcomes per test card, holds, 3D Secure, declines, faults, retries."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import concurrently, new_order, pay, settlement
from tests.conftest import BASE_URL, WORKED_EXAMPLE, Api, usd


@pytest.mark.parametrize("source", ["tok_visa", "4242424242424242", "4242 4242 4242 4242", "5555555555554444"])
def test_successful_payment_pays_the_order(api: Api, source: str) -> None:
    order = new_order(api)
    response = pay(api, order["order_id"], source, buyer_email="sarah@example.com")
    assert response.status_code == 200, response.text
    pi = response.json()
    assert (pi["status"], pi["order_status"], pi["capture_method"]) == ("SUCCEEDED", "PAID", "AUTOMATIC")
    assert pi["amount_money"] == usd(13824) and pi["amount_captured_money"] == usd(13824)
    assert pi["payment_method"]["last4"] == source.replace(" ", "")[-4:] if source[0].isdigit() else True
    assert "4242424242424242" not in response.text.replace(" ", "")  # the number never comes back
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert got["status"] == "PAID" and got["buyer_email"] == "sarah@example.com"
    assert settlement(got) == {"authorized": 0, "paid": 13824, "refunded": 0, "outstanding": 0, "refundable": 13824}
    assert got["payment_intent_ids"] == [pi["payment_intent_id"]]
    assert "pay_order" not in got["available_actions"] and "close_order" in got["available_actions"]
    types = [a["type"] for a in api.ok("GET", f"/v1/orders/{order['order_id']}/activities",
                                       params={"order_by": "created_at"})["data"]]
    assert types == ["ORDER_CREATED", "PAYMENT_STARTED", "PAYMENT_CAPTURED"]
    # paying again is a state conflict naming the status
    again = pay(api, order["order_id"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "order_not_payable"


CUSTOMER_ACTION = ["request_new_payment_method", "create_checkout_session"]  # hosted fallback on the same order


def test_retry_payment_on_a_decline_says_what_it_does_and_names_pay_order(api: Api) -> None:
    """retry_payment only re-drives a payment whose outcome is unknown; a decline is retried by pay_order."""
    order = new_order(api)
    declined = pay(api, order["order_id"], "tok_chargeDeclined").json()
    response = api.post(f"/v1/payment_intents/{declined['payment_intent_id']}/retry", {}, idempotency_key="r-1")
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("payment_not_processing", "payment_intent_id")
    assert "only re-drives a payment left PROCESSING" in error["message"] and "pay_order" in error["message"]
    assert error["suggested_actions"] == ["pay_order", "get_payment_intent"]
    paid = pay(api, order["order_id"], "tok_visa").json()  # the call it names works
    assert paid["status"] == "SUCCEEDED"
    # once the order is paid there is nothing to retry and pay_order is no longer suggested
    after = api.post(f"/v1/payment_intents/{declined['payment_intent_id']}/retry", {}, idempotency_key="r-2")
    assert after.json()["error"]["suggested_actions"] == ["get_payment_intent"]


@pytest.mark.parametrize("source,code,decline,category,options", [
    ("tok_chargeDeclined", "card_declined", "generic_decline", "customer_action", CUSTOMER_ACTION),
    ("4000000000009995", "card_declined", "insufficient_funds", "customer_action", CUSTOMER_ACTION),
    ("4000000000000069", "expired_card", "expired_card", "customer_action", CUSTOMER_ACTION),
    ("4000000000000127", "incorrect_cvc", "incorrect_cvc", "customer_action", CUSTOMER_ACTION),
    ("4000000000000119", "processing_error", "processing_error", "transient", ["pay_order"]),
    ("4100000000000019", "card_declined", "fraudulent", "hard_decline", []),
    ("4000000000009987", "card_declined", "lost_card", "hard_decline", []),
])
def test_declines_are_outcomes_not_errors(api: Api, source: str, code: str, decline: str, category: str,
                                          options: list[str]) -> None:
    order = new_order(api)
    response = pay(api, order["order_id"], source)
    assert response.status_code == 200, response.text
    pi = response.json()
    assert (pi["status"], pi["order_status"]) == ("FAILED", "OPEN")
    failure = pi["failure"]
    assert (failure["code"], failure["decline_code"], failure["category"]) == (code, decline, category)
    assert failure["retryable"] is (category == "transient")
    assert failure["recovery_options"] == options
    assert pi["attempts"][-1]["outcome"] == "FAILED" and pi["attempts"][-1]["decline_code"] == decline
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert got["status"] == "OPEN" and got["last_payment_failure"] == failure
    assert got["recovery_options"] == options
    # the order is still payable with another card
    assert pay(api, order["order_id"], "tok_visa").json()["status"] == "SUCCEEDED"
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert got["last_payment_failure"] is None and len(got["payment_intent_ids"]) == 2


def test_manual_capture_hold_then_capture(api: Api) -> None:
    order = new_order(api)
    pi = pay(api, order["order_id"], capture_method="manual").json()
    assert (pi["status"], pi["order_status"]) == ("REQUIRES_CAPTURE", "AUTHORIZED")
    assert set(pi["available_actions"]) == {"capture_payment", "void_payment"}
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert settlement(got)["authorized"] == 13824 and settlement(got)["outstanding"] == 0
    assert api.patch(f"/v1/orders/{order['order_id']}", {"metadata": {"a": "b"}}).status_code == 409
    captured = api.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/capture", {})
    assert (captured["status"], captured["order_status"]) == ("SUCCEEDED", "PAID")
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert settlement(got) == {"authorized": 0, "paid": 13824, "refunded": 0, "outstanding": 0, "refundable": 13824}


def test_partial_capture_records_what_was_captured(api: Api) -> None:
    order = new_order(api)
    pi = pay(api, order["order_id"], capture_method="MANUAL").json()
    captured = api.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/capture",
                      {"amount_money": usd(10000)})
    assert captured["amount_captured_money"] == usd(10000) and captured["order_status"] == "PAID"
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert settlement(got) == {"authorized": 0, "paid": 10000, "refunded": 0, "outstanding": 3824,
                               "refundable": 10000}
    too_much = api.post(f"/v1/payment_intents/{pi['payment_intent_id']}/capture", {"amount_money": usd(1)})
    assert too_much.status_code == 409


def test_void_releases_the_hold_and_reopens_the_order(api: Api) -> None:
    order = new_order(api)
    pi = pay(api, order["order_id"], capture_method="MANUAL").json()
    voided = api.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/void", {})
    assert (voided["status"], voided["order_status"]) == ("CANCELED", "OPEN")
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert settlement(got)["authorized"] == 0 and settlement(got)["outstanding"] == 13824
    assert "update_order" in got["available_actions"]


def test_cancel_an_authorized_order_voids_its_hold(api: Api) -> None:
    order = new_order(api)
    pi = pay(api, order["order_id"], capture_method="MANUAL").json()
    canceled = api.ok("POST", f"/v1/orders/{order['order_id']}/cancel", {})
    assert canceled["status"] == "CANCELED"
    assert api.ok("GET", f"/v1/payment_intents/{pi['payment_intent_id']}")["status"] == "CANCELED"


def test_3d_secure_requires_action_then_confirm(api: Api, client: Any) -> None:
    order = new_order(api)
    pi = pay(api, order["order_id"], "4000002500003155").json()
    assert (pi["status"], pi["order_status"]) == ("REQUIRES_ACTION", "OPEN")
    url = pi["next_action"]["url"]
    # absolute, on the server's public URL: the customer may open it anywhere (an email, a phone)
    assert pi["next_action"]["type"] == "redirect_to_url" and url.startswith(f"{BASE_URL}/simulator/3ds/")
    # not authenticated yet: confirm leaves it waiting; the order cannot change meanwhile
    assert api.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/confirm", {})["status"] == "REQUIRES_ACTION"
    assert api.patch(f"/v1/orders/{order['order_id']}", {"metadata": {"a": "b"}}).json()["error"]["code"] == (
        "payment_in_progress")
    # pay_order again returns the payment in flight rather than charging a second time
    assert pay(api, order["order_id"]).json()["payment_intent_id"] == pi["payment_intent_id"]
    page = client.get(url)
    assert page.status_code == 200 and "3D Secure" in page.text
    assert client.post(url, data={"outcome": "pass"}, follow_redirects=False).status_code in (200, 303)
    done = api.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/confirm", {})
    assert (done["status"], done["order_status"]) == ("SUCCEEDED", "PAID")


def test_3d_secure_failed_authentication(api: Api, client: Any) -> None:
    order = new_order(api)
    pi = pay(api, order["order_id"], "tok_threeDSecureRequired").json()
    client.post(pi["next_action"]["url"], data={"outcome": "fail"})
    done = api.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/confirm", {})
    assert done["status"] == "FAILED" and done["failure"]["code"] == "authentication_failed"
    assert done["order_status"] == "OPEN"


def test_abandoned_3d_secure_can_be_voided(api: Api) -> None:
    order = new_order(api)
    pi = pay(api, order["order_id"], "4000002500003155").json()
    voided = api.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/void", {})
    assert voided["status"] == "CANCELED" and voided["order_status"] == "OPEN"
    assert pay(api, order["order_id"]).json()["status"] == "SUCCEEDED"


def test_processor_timeout_then_retry_payment_finds_the_charge(api: Api, db: Any, merchant: dict[str, Any]) -> None:
    """The simulator charges, then the answer is lost: 504 effect unknown. retry_payment asks the processor
    with the same key, finds the charge, and records exactly one payment."""
    order = new_order(api)
    api.ok("POST", "/v1/simulator/faults", {"mode": "timeout", "count": 1})
    response = pay(api, order["order_id"], idempotency_key="pay-1")
    assert response.status_code == 504
    error = response.json()["error"]
    assert (error["type"], error["code"], error["effect"], error["retryable"]) == (
        "processor_error", "processor_timeout", "unknown", True)
    assert "retry_payment" in error["suggested_actions"]
    stuck = api.ok("GET", "/v1/payment_intents", params={"order_id": order["order_id"]})["data"]
    assert [p["status"] for p in stuck] == ["PROCESSING"] and stuck[0]["available_actions"] == ["retry_payment"]
    assert api.patch(f"/v1/orders/{order['order_id']}", {"metadata": {"a": "b"}}).status_code == 409
    retried = api.ok("POST", f"/v1/payment_intents/{stuck[0]['payment_intent_id']}/retry", {})
    assert (retried["status"], retried["order_status"]) == ("SUCCEEDED", "PAID")
    assert [a["outcome"] for a in retried["attempts"]] == ["TIMEOUT", "SUCCEEDED"]
    # the same idempotency key now resolves to the recorded payment; nothing is charged twice
    again = pay(api, order["order_id"], idempotency_key="pay-1")
    assert again.status_code == 200 and again.json()["payment_intent_id"] == retried["payment_intent_id"]
    assert again.json()["status"] == "SUCCEEDED"
    assert len(api.ok("GET", f"/v1/orders/{order['order_id']}")["payment_intent_ids"]) == 1
    assert settlement(api.ok("GET", f"/v1/orders/{order['order_id']}"))["paid"] == 13824


def test_retry_with_the_same_idempotency_key_resumes_the_payment(api: Api, db: Any,
                                                                 merchant: dict[str, Any]) -> None:
    order = new_order(api)
    faults = api.ok("POST", "/v1/simulator/faults", {"mode": "UNAVAILABLE"})
    assert (faults["mode"], faults["remaining"], faults["sandbox_id"]) == ("UNAVAILABLE", 1,
                                                                           merchant["sandbox"]["sandbox_id"])
    assert pay(api, order["order_id"], idempotency_key="pay-2").status_code == 502
    resumed = pay(api, order["order_id"], idempotency_key="pay-2")
    assert resumed.status_code == 200 and resumed.json()["status"] == "SUCCEEDED"
    assert [a["outcome"] for a in resumed.json()["attempts"]] == ["UNAVAILABLE", "SUCCEEDED"]
    replay = pay(api, order["order_id"], idempotency_key="pay-2")
    assert replay.content == resumed.content and replay.headers["Idempotent-Replayed"] == "true"


def test_payment_source_validation(api: Api) -> None:
    order = new_order(api)
    for source, code in [("4242424242424241", "invalid_card_number"), ("tok_nope", "invalid_payment_source"),
                         ("hello", "invalid_payment_source")]:
        response = pay(api, order["order_id"], source)
        assert response.status_code == 400 and response.json()["error"]["code"] == code
        assert response.json()["error"]["param"] == "payment_source"
    assert api.ok("GET", f"/v1/orders/{order['order_id']}")["payment_intent_ids"] == []


def test_restricted_key_needs_payments_write(api: Api, client: Any) -> None:
    from tests.conftest import Api as ApiClass

    reader = ApiClass(client, api.ok("POST", "/v1/api_keys", {"scopes": ["orders:write"]})["secret"])
    order = new_order(api)
    assert pay(reader, order["order_id"]).status_code == 403
    assert "pay_order" not in reader.ok("GET", f"/v1/orders/{order['order_id']}")["available_actions"]
    assert "pay_order" in api.ok("GET", f"/v1/orders/{order['order_id']}")["available_actions"]


def test_fault_switch_is_per_sandbox_and_clears(api: Api, client: Any) -> None:
    from tests.conftest import Api as ApiClass

    other = ApiClass(client, api.ok("POST", "/v1/sandboxes", {"name": "other"})["api_key"]["secret"])
    api.ok("POST", "/v1/simulator/faults", {"mode": "UNAVAILABLE", "count": 3})
    assert pay(other, new_order(other)["order_id"]).status_code == 200  # the other sandbox is unaffected
    cleared = api.ok("POST", "/v1/simulator/faults", {"mode": "none"})
    assert (cleared["mode"], cleared["remaining"]) == ("NONE", 0)
    assert pay(api, new_order(api)["order_id"]).status_code == 200


def test_card_numbers_never_reach_the_database(api: Api, db: Any) -> None:
    from sqlalchemy import text

    from flint_core.store.tables import Base

    order = new_order(api)
    api.post(f"/v1/orders/{order['order_id']}/pay", {"payment_source": "4000 0000 0000 9995"},
             idempotency_key="card-1")
    api.post(f"/v1/orders/{order['order_id']}/pay", {"payment_source": "4242-4242-4242-4242"})
    with db.transaction(write=False) as session:
        for table in Base.metadata.sorted_tables:
            rows = session.execute(text(f"SELECT * FROM {table.name}")).all()
            dump = " ".join(str(v) for row in rows for v in row).replace(" ", "").replace("-", "")
            for number in ("4000000000009995", "4242424242424242"):
                assert number not in dump, table.name


def test_10_concurrent_pay_order_calls_charge_once(api: Api, app: Any, db: Any, merchant: dict[str, Any]) -> None:
    import asyncio

    from sqlalchemy import func, select

    from flint_core.store.tables import SimulatedCharge

    order = new_order(api)
    calls = [("POST", f"/v1/orders/{order['order_id']}/pay", {"payment_source": "tok_visa"}, f"p-{i}")
             for i in range(10)]
    responses = asyncio.run(concurrently(app, api.key, calls))
    ok = [r.json() for r in responses if r.status_code == 200]
    assert ok and all(r.status_code in (200, 409) for r in responses), [r.text for r in responses]
    assert {p["payment_intent_id"] for p in ok} == {ok[0]["payment_intent_id"]}  # one payment, resumed or shared
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert got["status"] == "PAID" and len(got["payment_intent_ids"]) == 1
    assert settlement(got)["paid"] == 13824
    with db.transaction(write=False) as session:
        charges = session.scalar(select(func.count()).select_from(SimulatedCharge)
                                 .where(SimulatedCharge.env_id == merchant["sandbox"]["sandbox_id"]))
    assert charges == 1


def test_actions_while_a_payment_is_in_flight(api: Api) -> None:
    order = new_order(api)
    pay(api, order["order_id"], "4000002500003155")
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert got["status"] == "OPEN" and got["available_actions"] == []


def test_card_numbers_with_any_separator_are_tokenized_never_echoed(api: Api) -> None:
    order = new_order(api)
    pi = pay(api, order["order_id"], "4242.4242.4242.4242").json()
    assert pi["status"] == "SUCCEEDED" and pi["payment_method"] == {"token": "tok_visa", "brand": "visa",
                                                                    "last4": "4242"}
    bad = pay(api, new_order(api)["order_id"], "4242/4242/4242/4241")
    assert bad.json()["error"]["code"] == "invalid_card_number" and "4242" not in bad.json()["error"]["message"]


def test_zero_total_orders_are_paid_without_a_processor_call(api: Api) -> None:
    api.ok("POST", "/v1/coupons", {"code": "FREE", "percentage": "100"})
    order = api.ok("POST", "/v1/orders", dict(WORKED_EXAMPLE, coupon_codes=["FREE"]))
    assert order["pricing_amounts"]["total_money"]["amount"] == 0
    pi = pay(api, order["order_id"]).json()
    assert (pi["status"], pi["processor"], pi["order_status"]) == ("SUCCEEDED", "none", "PAID")


def test_canceling_an_authorized_order_needs_payments_write(api: Api, client: Any) -> None:
    from tests.conftest import Api as ApiClass

    clerk = ApiClass(client, api.ok("POST", "/v1/api_keys", {"scopes": ["orders:write"]})["secret"])
    order = new_order(api)
    pay(api, order["order_id"], capture_method="MANUAL")
    denied = clerk.post(f"/v1/orders/{order['order_id']}/cancel", {})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "missing_scope"
    assert api.ok("GET", f"/v1/orders/{order['order_id']}")["status"] == "AUTHORIZED"


def test_capture_timeout_suggests_capturing_again(api: Api) -> None:
    order = new_order(api)
    pi = pay(api, order["order_id"], capture_method="MANUAL").json()
    api.ok("POST", "/v1/simulator/faults", {"mode": "TIMEOUT"})
    timed_out = api.post(f"/v1/payment_intents/{pi['payment_intent_id']}/capture", {}, idempotency_key="cap-1")
    error = timed_out.json()["error"]
    assert timed_out.status_code == 504 and error["suggested_actions"][0] == "capture_payment"
    assert pi["payment_intent_id"] in error["message"]
    again = api.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/capture", {}, idempotency_key="cap-1")
    assert again["status"] == "SUCCEEDED" and again["amount_captured_money"] == usd(13824)


def test_payment_source_tokens_is_another_spelling_of_payment_source(api: Api) -> None:
    order = new_order(api)
    paid = api.post(f"/v1/orders/{order['order_id']}/pay", {"payment_source_tokens": ["tok_visa"]},
                    idempotency_key="spelling-1")
    assert paid.status_code == 200 and paid.json()["status"] == "SUCCEEDED", paid.text
    # the same request in the other spelling is the same request: a replay, not idempotency_key_reused
    again = api.post(f"/v1/orders/{order['order_id']}/pay", {"payment_source": "tok_visa"},
                     idempotency_key="spelling-1")
    assert again.headers.get("idempotent-replayed") == "true" and again.text == paid.text


@pytest.mark.parametrize("body,code,param,words", [
    ({"payment_source_tokens": ["tok_visa", "tok_mastercard"]}, "parameter_invalid", "payment_source_tokens",
     "exactly one token"),
    ({"payment_source_tokens": []}, "parameter_invalid", "payment_source_tokens", "exactly one token"),
    # null means absent at any depth, so [null] is no token (it was a 500)
    ({"payment_source_tokens": [None]}, "parameter_invalid", "payment_source_tokens", "exactly one token"),
    ({"payment_source": "tok_visa", "payment_source_tokens": ["tok_visa"]}, "parameter_invalid",
     "payment_source_tokens", "not both"),
    ({}, "parameter_missing", "payment_source", "payment_source"),
])
def test_payment_source_spellings_that_cannot_work_say_why(api: Api, body: dict[str, Any], code: str, param: str,
                                                           words: str) -> None:
    order = new_order(api)
    response = api.post(f"/v1/orders/{order['order_id']}/pay", body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"]) == (code, param) and words in error["message"]
    assert api.ok("GET", f"/v1/orders/{order['order_id']}")["payment_intent_ids"] == []


@pytest.mark.parametrize("path,body", [
    ("/v1/simulator/faults", {"mode": "NONE", "count": False}),
    ("/v1/coupons", {"code": "STRICT1", "percentage": "10", "max_redemptions": True}),
])
def test_a_json_boolean_is_not_a_count(api: Api, path: str, body: dict[str, Any]) -> None:
    response = api.post(path, body)
    assert response.status_code == 400, response.text  # /openapi.json says integer; false is not 0
