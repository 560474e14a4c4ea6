"""The served /openapi.json and the server agree: schemathesis fuzzes every operation of the real app
(uvicorn on a free port, on the database the suite runs on) with all of its checks on, so a parameter
the document declares but the server refuses, or one the server takes but the document does not allow,
fails the suite. A fixed seed and a bounded number of examples per operation keep it deterministic and
around a minute; the long exploratory run is described in docs/testing.md.

There is no baseline of accepted failures. The one check changed is "schema-valid request rejected": the
hooks (openapi_contract_hooks.py) run schemathesis's own check but let these refusals pass, each named by
operation and Flint error code (ACCEPTED there; a tool call through POST /v1/tool_calls gets the same), because
each is a rule that depends on stored data or arithmetic, which no schema can state:

- create_coupon, `resource_already_exists` (400): a coupon code is unique per merchant (existing data). Flint
  keeps 400 (Stripe's status for it) rather than the 409 schemathesis would accept.
- any operation, `coupon_already_applied` (400): a coupon applies once per order (the stored order; codes match
  ignoring case and surrounding whitespace, so `uniqueItems` would not state it for `coupon_codes` either).
- update_order, `currency_mismatch`: one order has one currency, the stored order's.
- update_order, `line_item_not_found`: the line item ids to update or remove must be the stored order's.
- pay_order and create_setup_intent, `invalid_payment_source` / `invalid_card_number`: the sources taken depend
  on the mode (test tokens and card numbers, or a processor's `tok_`/`pm_` ids in live mode), and a card number
  needs a valid Luhn check digit: no pattern states that exactly.
- any operation, `amount_too_large`: each amount is declared within 2^53 - 1, but the bound on a sum
  (quantity times price over all items, plus the stored order's on an update) is arithmetic.
- any operation, `parameter_invalid` "Input should be a valid integer": JSON Schema counts `1.0` as an
  integer; Flint takes only integer literals for amounts and counts (money is exact, DESIGN.md).

The hooks also drop what is valid only against the clock or earlier answers (page tokens, `expires_at`) and
give each request its own Idempotency-Key. `FLINT_CONTRACT_REPORT=DIR` writes a HAR of every request to DIR.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import delete, func, select

from flint_core.platform.rate_limits import Budget, RateLimits
from flint_core.platform.settings import Settings
from flint_core.store.db import Database
from flint_core.store.tables import Job
from flint_server import create_server

SEED = 20261202
MAX_EXAMPLES = 2  # per operation in the fuzzing phase; the coverage phase is deterministic by itself
ROOT = Path(__file__).resolve().parents[2]
# The call_tool body is one variant per tool, each the tool's operation input: the coverage phase would
# walk all of them again (minutes); they are covered on their own routes, and call_tool is still fuzzed.
# preview_order takes create_order's input and checks it with the same code without storing anything: its
# coverage phase stands for create_order and for the order fields of create_checkout_session (both are
# still fuzzed), which keeps the run around half a minute per database.
CONFIG = """
[[operations]]
include-operation-id = "call_tool"
phases.coverage.enabled = false

[[operations]]
include-operation-id = "create_order"
phases.coverage.enabled = false

[[operations]]
include-operation-id = "create_checkout_session"
phases.coverage.enabled = false
"""
OFF = Budget(0, 0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(db: Database) -> Iterator[str]:
    """The app on a real socket, rate limits off (the fuzzer sends thousands of requests)."""
    app = create_server(db, settings=Settings(rate_limits=RateLimits(per_key=OFF, per_merchant=OFF, per_client=OFF)))
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    with db.transaction() as session:
        last_job = session.scalar(select(func.max(Job.job_id))) or 0
    yield base
    uv.should_exit = True
    thread.join(timeout=10)
    # The run queues thousands of jobs (webhook deliveries to the endpoints it registered): they are its own,
    # and a later test that drains the queue must not spend half a minute delivering them.
    with db.transaction() as session:
        session.execute(delete(Job).where(Job.job_id > last_job))


def test_the_document_declares_what_the_server_checks(client: Any) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    header = next(p for p in paths["/v1/orders"]["post"]["parameters"] if p["name"] == "Idempotency-Key")
    assert header["schema"] == {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7E]+$"}
    assert any(p["name"] == "Idempotency-Key" for p in paths["/v1/webhook_endpoints/{webhook_endpoint_id}"]["delete"]
               ["parameters"])  # DELETE is a write too
    query = {p["name"]: p["schema"] for p in paths["/v1/request_logs"]["get"]["parameters"]}
    assert query["order_by"]["enum"] == ["created_at", "-created_at"] and query["page_size"]["minimum"] == 0
    assert query["face"]["enum"] == ["http", "mcp", "tool_call", "hosted"]
    assert query["created_before"]["format"] == "date-time" and "anyOf" not in query["created_before"]
    catalog = {p["name"]: p["schema"] for p in paths["/v1/tools"]["get"]["parameters"]}
    assert catalog["format"]["enum"] == ["mcp", "openai", "openai_responses", "anthropic", "gemini", "flint"]
    assert catalog["toolsets"] == {"type": "string"} and catalog["read_only"] == {"type": "boolean"}
    calls = paths["/v1/tool_calls"]["post"]["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert {c["properties"]["name"]["enum"][0] for c in calls} >= {"create_order", "whoami"}
    # docs and signup need no key (one may still be sent); everything else does
    assert paths["/v1/docs/search"]["get"]["security"] == [{}, {"bearer": []}]
    assert "security" not in paths["/v1/orders"]["get"] and document["security"] == [{"bearer": []}]


def test_server_answers_as_openapi_json_declares(server: str, tmp_path: Path) -> None:
    signup = httpx.post(f"{server}/v1/merchants", json={"name": "Contract", "email": "contract@example.com"})
    key: Any = signup.json()["api_key"]["secret"]
    (tmp_path / "schemathesis.toml").write_text(CONFIG)
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{server}/openapi.json",
        "-H", f"Authorization: Bearer {key}", "--checks", "all", "--phases", "examples,coverage,fuzzing",
        "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES), "--generation-database", "none",
        "--workers", "1", "--request-timeout", "30", "--suppress-health-check", "all", "--no-shrink",
        "--continue-on-failure", "--no-color",
        # the same check with the accepted refusals of openapi_contract_hooks.ACCEPTED (see the docstring)
        "--exclude-checks", "positive_data_acceptance",
        # revoking or rolling the key the run uses would turn every later request into a 401
        "--exclude-operation-id", "revoke_api_key", "--exclude-operation-id", "roll_api_key",
    ]
    if os.environ.get("FLINT_CONTRACT_REPORT"):  # a HAR of every request, to see where the time goes
        command += ["--report", "har", "--report-dir", os.environ["FLINT_CONTRACT_REPORT"]]
    # st writes its cache in its working directory: a temporary one keeps the checkout clean
    hooks = {"SCHEMATHESIS_HOOKS": "tests.api.openapi_contract_hooks", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600,
                            env=os.environ | {"NO_COLOR": "1"} | hooks)
    report = tmp_path / "schemathesis.txt"
    report.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"{report}:\n{result.stdout[-20000:]}{result.stderr[-5000:]}"
