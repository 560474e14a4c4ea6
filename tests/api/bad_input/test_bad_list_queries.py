"""Bad query strings on the list operations (orders, coupons, events, request logs): status filters (lenient
spellings accepted, bad ones refused), page sizes, orderings, unknown parameters, and date-times, which are
RFC 3339 only, in a query string or a body. Every case is a clear 4xx with the API.md section 2 envelope naming
the right `param`, and nothing in the database changes (no order, no coupon redemption, no activity)."""

from __future__ import annotations

import pytest

from tests.api.bad_input.helpers import World, assert_error
from tests.conftest import Api

# --- status filters: bad spellings rejected, lenient spellings accepted -----------------------------------

@pytest.mark.parametrize("spelling,canceled", [("open", "canceled"), ("OPEN", "CANCELED"), ("Open", "Canceled"),
                                               ("ORDER_STATUS_OPEN", "order_status_canceled")])
def test_lenient_status_filter(frozen: World, spelling: str, canceled: str) -> None:
    listed = frozen.api.ok("GET", "/v1/orders", params={"status": spelling})
    assert [o["order_id"] for o in listed["data"]] == [frozen.order["order_id"]]
    assert frozen.api.ok("GET", "/v1/orders", params={"status": canceled})["data"] == []


@pytest.mark.parametrize("spelling", ["opened", "PENDING", "0"])
def test_bad_status_filter(frozen: World, spelling: str) -> None:
    assert_error(frozen.api.get("/v1/orders", params={"status": spelling}), 400, "parameter_invalid", "status")


# --- paging, ordering and unknown parameters --------------------------------------------------------------

def test_bad_list_parameters(frozen: World) -> None:
    api = frozen.api
    assert_error(api.get("/v1/orders", params={"page_size": "ten"}), 400, "parameter_invalid", "page_size")
    assert_error(api.get("/v1/orders", params={"page_size": -1}), 400, "parameter_invalid", "page_size")
    assert_error(api.get("/v1/orders", params={"order_by": "total"}), 400, "parameter_invalid", "order_by")
    assert_error(api.get("/v1/orders", params={"created_after": "yesterday"}), 400, "parameter_invalid",
                 "created_after")
    assert_error(api.get("/v1/orders", params={"colour": "red"}), 400, "unknown_parameter", "colour")
    assert_error(api.get("/v1/coupons", params={"active": "maybe"}), 400, "parameter_invalid", "active")


def test_list_choices_are_refused_by_name(frozen: World) -> None:
    assert_error(frozen.api.get("/v1/orders", params={"order_by": ""}), 400, "parameter_invalid", "order_by")
    assert_error(frozen.api.get("/v1/request_logs", params={"face": "fax"}), 400, "parameter_invalid", "face")
    assert frozen.api.ok("GET", "/v1/request_logs", params={"face": "tool_call", "order_by": "-created_at"})


# --- date-times: RFC 3339 only ----------------------------------------------------------------------------

@pytest.mark.parametrize("list_path", ["/v1/orders", "/v1/events", "/v1/request_logs"])
@pytest.mark.parametrize("value", ["0.5", "1767225600", "2026-12-31", "2026-12-31 23:59:59Z", "yesterday"])
def test_created_before_takes_only_rfc3339_date_times(frozen: World, list_path: str, value: str) -> None:
    # pydantic alone read `0.5` and `1767225600` as Unix times: /openapi.json declares `format: date-time`
    assert_error(frozen.api.get(list_path, params={"created_before": value}), 400, "parameter_invalid",
                 "created_before")


def test_a_number_is_not_a_timestamp_in_a_body_either(api: Api) -> None:
    assert_error(api.post("/v1/coupons", {"code": "UNIX", "percentage": "5", "expires_at": 4102444800}), 400,
                 "parameter_invalid", "expires_at")


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_date_times_at_the_ends_of_the_calendar_are_not_500s(frozen: World, value: str) -> None:
    # valid RFC 3339, but out of datetime's range once converted to UTC
    response = frozen.api.get("/v1/orders", params={"created_before": value})
    assert response.status_code == 200, response.text


def test_naive_created_after_is_not_a_500(frozen: World) -> None:
    response = frozen.api.get("/v1/orders", params={"created_after": "2000-01-01T00:00:00"})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert_error(response, 400, "parameter_invalid", "created_after")
    else:
        assert [o["order_id"] for o in response.json()["data"]] == [frozen.order["order_id"]]
