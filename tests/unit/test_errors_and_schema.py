from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from flint_core.agent_docs import catalogs
from flint_core.kernel import errors
from flint_core.store.tables import Base

ROOT = Path(__file__).resolve().parents[2]
TYPES = {"invalid_request_error": (400, 405, 413, 422), "authentication_error": (401,), "permission_error": (403,),
         "not_found_error": (404,), "state_conflict_error": (409,), "idempotency_error": (409, 422),
         "rate_limit_error": (429,), "processor_error": (502, 504),
         "api_error": (500, 503)}  # 503: database_busy, a transient failure to retry after Retry-After


def test_catalog_follows_the_taxonomy() -> None:
    for spec in errors.CATALOG.values():
        assert spec.http_status in TYPES[spec.type], spec.code
        assert spec.effect in ("none", "unknown")
        assert spec.explanation and spec.message
    assert errors.CATALOG["idempotency_request_in_progress"].retryable
    assert not errors.CATALOG["idempotency_key_reused"].retryable
    assert errors.CATALOG["processor_timeout"].effect == "unknown"
    # a database failure is retryable only when it is transient; Flint's other bugs stay retryable (API.md)
    assert errors.CATALOG["database_busy"].retryable and errors.CATALOG["database_busy"].http_status == 503
    assert not errors.CATALOG["database_error"].retryable
    assert errors.CATALOG["internal_error"].retryable


def test_errors_doc_is_generated_from_the_catalog() -> None:
    """docs/errors.md has one anchor per code; regenerate with `python -m flint_core.agent_docs errors > docs/errors.md`."""
    assert (ROOT / "docs" / "errors.md").read_text() == catalogs.errors_page()
    for code in errors.CATALOG:
        assert f'<a id="{code}"></a>' in catalogs.errors_page()


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diffs == []


def test_envelope_shape() -> None:
    error: dict[str, Any] = errors.FlintError("order_not_editable", param="order_id", order_id="ord_1",
                                              status="PAID", allowed="OPEN").envelope("req_9", public_url="https://pay.example.com")["error"]
    assert list(error) == ["type", "code", "message", "param", "retryable", "effect", "retry_after_seconds",
                           "request_id", "doc_url", "suggested_actions"]
    assert error["doc_url"] == "https://pay.example.com/docs/errors#order_not_editable"


def test_percentage_length_is_checked_before_parsing() -> None:
    """/openapi.json says maxLength 20 for a percentage: the server checks the text as sent, not the parsed "0"
    (the limit once came after the parser and a "0" padded with spaces passed, on tips and service charges)."""
    import pytest
    from pydantic import ValidationError

    from flint_core.orders.inputs import ServiceChargeIn, TipIn

    padded = "0" + "\u00a0" * 20
    with pytest.raises(ValidationError, match="at most 20 characters"):
        ServiceChargeIn.model_validate({"name": "Delivery", "percentage": padded})
    with pytest.raises(ValidationError, match="at most 20 characters"):
        TipIn.model_validate({"percentage": padded})
    assert TipIn.model_validate({"percentage": " 8.875 "}).percentage == "8.875"
