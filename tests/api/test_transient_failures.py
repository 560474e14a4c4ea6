"""Database failures on the request path, through the real app. A transient one (deadlock, serialization
failure, lost connection) is retried transparently while a rerun is harmless; one that outlasts the
retries is a retryable 503 ``database_busy`` with Retry-After; any other database error is a 500
``database_error`` that is not retryable; a bug outside the database stays ``internal_error``. An
operation that committed a checkpoint (and called the processor) is never rerun by Flint: the client's
retry with the same key resumes it, and the card is charged once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import psycopg.errors
import pytest
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm import Session

from flint_core.platform import idempotency, rate_limits
from flint_core.processors.simulator import Simulator
from flint_core.store.db import ATTEMPTS
from tests.conftest import WORKED_EXAMPLE, Api


def deadlock() -> Exception:
    return OperationalError("INSERT", {}, psycopg.errors.DeadlockDetected("deadlock detected"))


def connection_lost() -> Exception:
    return OperationalError("COMMIT", {}, psycopg.OperationalError("server closed the connection unexpectedly"),
                            connection_invalidated=True)


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("flint_core.store.db.time.sleep", lambda _seconds: None)


def failing(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, error: Callable[[], Exception],
            times: int = 10**6) -> list[int]:
    """Make ``module.name`` raise ``error()`` on its first ``times`` calls; returns the list of calls."""
    original, calls = getattr(module, name), []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) <= times:
            raise error()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)
    return calls


def order_count(api: Api) -> int:
    return len(api.ok("GET", "/v1/orders")["data"])


def assert_error(response: Any, status: int, code: str, *, retryable: bool, effect: str = "none") -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["type"], error["code"], error["retryable"], error["effect"]) == ("api_error", code, retryable, effect)
    assert response.headers["flint-should-retry"] == ("true" if retryable else "false")
    return error


def test_a_deadlocked_operation_is_run_again_and_applied_once(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # storing the answer comes after the handler: the order is already in the attempt that rolls back
    calls = failing(monkeypatch, idempotency, "complete", deadlock, times=2)
    response = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="order-deadlocked-twice")
    assert response.status_code == 200, response.text
    assert len(calls) == 3
    monkeypatch.undo()
    assert order_count(api) == 1
    again = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="order-deadlocked-twice")
    assert again.headers["idempotent-replayed"] == "true" and again.text == response.text
    logged = api.ok("GET", "/v1/request_logs", params={"operation": "create_order"})["data"]
    assert [entry["object_ids"] for entry in logged][-1] == [response.json()["order_id"]]  # not a rolled-back id


def test_a_deadlocked_admission_is_run_again(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = failing(monkeypatch, rate_limits, "take", deadlock, times=1)
    assert api.get("/v1/whoami").status_code == 200 and len(calls) == 2


def test_a_transient_failure_that_outlasts_the_retries_is_a_retryable_503(api: Api,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    calls = failing(monkeypatch, idempotency, "complete", deadlock)
    response = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="order-always-deadlocked")
    error = assert_error(response, 503, "database_busy", retryable=True)
    assert error["retry_after_seconds"] == 1 and response.headers["retry-after"] == "1"
    assert len(calls) == ATTEMPTS
    monkeypatch.undo()
    assert order_count(api) == 0  # nothing was applied, and the key was given back
    assert api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="order-always-deadlocked").status_code == 200

    failing(monkeypatch, rate_limits, "take", deadlock)  # admission: an answer, not an escaped exception
    assert_error(api.get("/v1/whoami"), 503, "database_busy", retryable=True)


@pytest.mark.parametrize(("error", "status", "code", "retryable"), [
    (lambda: DataError("INSERT", {}, psycopg.errors.InvalidTextRepresentation("invalid input syntax")), 500,
     "database_error", False),
    (lambda: KeyError("a bug outside the database"), 500, "internal_error", True),
])
def test_other_failures_are_not_retried_and_only_bugs_outside_the_database_say_retryable(
        api: Api, monkeypatch: pytest.MonkeyPatch, error: Callable[[], Exception], status: int, code: str,
        retryable: bool) -> None:
    calls = failing(monkeypatch, idempotency, "complete", error)
    assert_error(api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key=f"order-{code}"), status, code,
                 retryable=retryable)
    assert len(calls) == 1
    monkeypatch.undo()
    assert order_count(api) == 0
    assert api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key=f"order-{code}").status_code == 200


def test_after_a_checkpoint_flint_never_reruns_and_the_same_key_resumes_without_charging_twice(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    order, complete_for_real = api.ok("POST", "/v1/orders", WORKED_EXAMPLE), idempotency.complete
    authorized = failing(monkeypatch, Simulator, "authorize", deadlock, times=0)  # counts, never fails
    stores = failing(monkeypatch, idempotency, "complete", deadlock)  # the transaction after the processor call
    path, body = f"/v1/orders/{order['order_id']}/pay", {"payment_source": "tok_visa"}
    response = api.post(path, body, idempotency_key="pay-after-checkpoint")
    error = assert_error(response, 503, "database_busy", retryable=True, effect="unknown")
    assert error["retry_after_seconds"] == 1
    assert len(stores) == 1 and len(authorized) == 1  # not rerun: the processor was called once
    monkeypatch.setattr(idempotency, "complete", complete_for_real)  # the database is well again
    paid = api.post(path, body, idempotency_key="pay-after-checkpoint")
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "SUCCEEDED" and paid.json()["order_status"] == "PAID"
    assert len(authorized) == 1  # the retry asked the processor about the first charge instead
    assert api.ok("GET", f"/v1/orders/{order['order_id']}")["payment_intent_ids"] == [paid.json()["payment_intent_id"]]


def test_a_commit_that_may_have_happened_is_not_rerun_without_an_idempotency_key(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection broke while committing, after the commit happened: a rerun would create a second order."""
    commit = Session.commit
    armed = [True]

    def commit_then_lose_the_connection(session: Session) -> None:
        commit(session)
        if armed[0]:
            armed[0] = False
            raise connection_lost()

    monkeypatch.setattr(Session, "commit", commit_then_lose_the_connection)
    assert_error(api.post("/v1/orders", WORKED_EXAMPLE), 503, "database_busy", retryable=True)
    assert order_count(api) == 1

    armed[0] = True  # with a key, the rerun is fenced by the stored answer: still one order
    first = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="order-commit-lost")
    assert first.status_code == 409 and first.json()["error"]["code"] == "idempotency_request_in_progress"
    assert order_count(api) == 2
    replay = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="order-commit-lost")
    assert replay.status_code == 200 and replay.headers["idempotent-replayed"] == "true"
    assert order_count(api) == 2


def test_an_answer_whose_commit_was_lost_is_never_released(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first attempt committed (its connection broke on the way back); every rerun deadlocks. The claim
    released after the last one must not take the stored answer with it: the key still replays it."""
    commit, complete = Session.commit, idempotency.complete
    commits: list[int] = []

    def commit_then_lose_the_connection(session: Session) -> None:
        commit(session)
        commits.append(1)
        if len(commits) == 1:
            raise connection_lost()

    completes: list[int] = []

    def complete_then_deadlock(*args: Any, **kwargs: Any) -> bool:
        completes.append(1)
        if len(completes) > 1:
            raise deadlock()
        return complete(*args, **kwargs)

    monkeypatch.setattr(Session, "commit", commit_then_lose_the_connection)
    monkeypatch.setattr(idempotency, "complete", complete_then_deadlock)
    assert_error(api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="order-lost-then-busy"), 503,
                 "database_busy", retryable=True)
    assert len(completes) == ATTEMPTS
    monkeypatch.undo()
    replay = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="order-lost-then-busy")
    assert replay.status_code == 200 and replay.headers["idempotent-replayed"] == "true"
    assert order_count(api) == 1
