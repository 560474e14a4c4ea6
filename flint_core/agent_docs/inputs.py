"""What the self-description operations accept: an error code, a docs query, a docs page (or URL)."""

from __future__ import annotations

from pydantic import Field

from flint_core.platform.schema import Input

MAX_SEARCH_RESULTS = 20


class ExplainErrorInput(Input):
    code: str = Field(description="The error code from an error envelope's `code`, e.g. `order_not_refundable`.")


class SearchDocsInput(Input):
    q: str = Field(min_length=1, max_length=200, description="What to look for, 1-200 characters: an error code "
                   "(`order_not_refundable`), a field (`refundable_money`), an operation (`create_refund`) or a "
                   "question in plain words (\"refund one line item\").")
    limit: int = Field(5, ge=1, description="How many sections to return, 1-20 (default 5; larger values are "
                                            "treated as 20).")


class GetDocInput(Input):
    slug: str = Field(max_length=200, description="The page's slug, e.g. `refunds` (from search_docs), or a "
                                                  "docs URL such as an error's `doc_url` (its `/docs/<slug>` and "
                                                  "`#<anchor>` are used).")
    section: str | None = Field(None, max_length=200, description="An anchor on that page, e.g. "
                                "`retrying-create_refund` or an error code on `errors`: return only that section "
                                "(with its subsections). Omit for the whole page.")


class ListToolsetsInput(Input):
    """No parameters: the list is every toolset, with what the calling key may use in each."""
