"""Self-description operations: explain_error (and, later, docs search)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from flint_core.errors import CATALOG, not_found
from flint_core.registry import READ_ONLY, operation
from flint_core.runtime import Context
from flint_core.schema import Input, Output


class ExplainErrorInput(Input):
    code: str = Field(description="The error code from an error envelope's `code`, e.g. `order_not_refundable`.")


class ErrorExplanation(Output):
    object: Literal["error_code"] = Field("error_code", description="Always `error_code`.")
    code: str = Field(description="The error code.")
    type: str = Field(description="The error type (API.md section 2).")
    http_status: int = Field(description="HTTP status of this error.")
    retryable: bool = Field(description="Whether the same request, retried with the same idempotency key, can succeed.")
    effect: str = Field(description="`none` or `unknown`: what a request failing this way did.")
    message_template: str = Field(description="The message, with {placeholders} for the specifics.")
    explanation: str = Field(description="When it happens and what to do.")
    doc_url: str = Field(description="The docs anchor for this code.")


@operation("explain_error", http="GET /v1/errors/{code}", scope=None, auth="public", safety=READ_ONLY,
           summary="Explain an error code: its meaning, whether to retry, and how to fix it.")
def explain_error(ctx: Context, params: ExplainErrorInput) -> ErrorExplanation:
    """Look up any Flint error code. Use it when an error's message is not enough to decide what to do
    next: it says whether retrying can succeed and what to change. Needs no API key."""
    spec = CATALOG.get(params.code)
    if spec is None:
        raise not_found("error code", params.code, "code")
    return ErrorExplanation(code=spec.code, type=spec.type, http_status=spec.http_status, retryable=spec.retryable,
                            effect=spec.effect, message_template=spec.message, explanation=spec.explanation,
                            doc_url=spec.doc_url)
