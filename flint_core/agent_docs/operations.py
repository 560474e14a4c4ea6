"""Self-description operations: explain_error, and docs search (search_docs, get_doc) over docs/*.md."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field

from flint_core.agent_docs import docs_index
from flint_core.kernel.errors import CATALOG, not_found
from flint_core.platform.context import Context
from flint_core.platform.registry import READ_ONLY, operation
from flint_core.platform.schema import Input, Output

MAX_SEARCH_RESULTS = 20


class ExplainErrorInput(Input):
    code: str = Field(description="The error code from an error envelope's `code`, e.g. `order_not_refundable`.")


class ErrorExplanation(Output):
    object: Literal["error_code"] = Field("error_code", description="Always `error_code`.")
    code: str = Field(description="The error code.")
    type: str = Field(description="The error type, the family of codes it belongs to (e.g. `state_conflict_error`).")
    http_status: int = Field(description="HTTP status of this error.")
    retryable: bool = Field(description="Whether the same request, retried with the same idempotency key, can succeed.")
    effect: str = Field(description="`none` or `unknown`: what a request failing this way did.")
    message_template: str = Field(description="The message, with {placeholders} for the specifics.")
    explanation: str = Field(description="When it happens and what to do.")
    doc_url: str = Field(description="The docs anchor for this code, an absolute URL (the same as an error "
                                     "envelope's `doc_url`).")


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
                            doc_url=ctx.settings.absolute_url(spec.doc_url))


class SearchDocsInput(Input):
    q: str = Field(min_length=1, max_length=200, description="What to look for, 1-200 characters: an error code "
                   "(`order_not_refundable`), a field (`refundable_money`), an operation (`create_refund`) or a "
                   "question in plain words (\"refund one line item\").")
    limit: int = Field(5, ge=1, description="How many sections to return, 1-20 (default 5; larger values are "
                                            "treated as 20).")


class DocSearchHit(Output):
    object: Literal["doc_search_result"] = Field("doc_search_result", description="Always `doc_search_result`.")
    slug: str = Field(description="The page's slug; pass it to get_doc.")
    title: str = Field(description="The page's title.")
    heading: str = Field(description="The section's heading.")
    heading_path: str = Field(description="Where the section sits, e.g. `Refunds > Retrying create_refund`.")
    anchor: str | None = Field(description="The section's anchor (pass it to get_doc as `section`); null for the "
                                           "top of the page.")
    url: str = Field(description="The section as an HTML page, an absolute URL: "
                                 "`https://<server>/docs/<slug>#<anchor>`.")
    snippet: str = Field(description="Text of the section around the match, matched words in **bold**.")
    score: float = Field(description="Relevance, higher is better (BM25 plus boosts for exact identifiers).")


class DocSearchResults(Output):
    object: Literal["list"] = Field("list", description="Always `list`.")
    query: str = Field(description="The query as given.")
    data: list[DocSearchHit] = Field(description="The best sections, best first.")
    next_page_token: str = Field("", description="Always empty: raise `limit` for more results.")


@operation("search_docs", http="GET /v1/docs/search", scope=None, auth="public", safety=READ_ONLY,
           summary="Search Flint's documentation; returns the best sections with a snippet and URL.")
def search_docs(ctx: Context, params: SearchDocsInput) -> DocSearchResults:
    """Search the Flint guides (the pages under /docs), ranked by relevance. Use it before acting when you
    are unsure how an operation behaves, what a field means or what an error code asks you to do: an exact
    identifier (an error code, field or operation name) ranks the section that defines it first; plain
    questions work too. Each result names a page (`slug`) and a section (`anchor`): read it in full with
    get_doc. Needs no API key and changes nothing."""
    hits = docs_index.default_index().search(params.q, min(params.limit, MAX_SEARCH_RESULTS))
    return DocSearchResults(query=params.q, data=[DocSearchHit(
        slug=h.section.slug, title=h.section.title, heading=h.section.heading, heading_path=h.section.heading_path,
        anchor=h.section.anchor or None, url=ctx.settings.absolute_url(h.section.url), snippet=h.snippet,
        score=h.score) for h in hits])


class GetDocInput(Input):
    slug: str = Field(max_length=200, description="The page's slug, e.g. `refunds` (from search_docs), or a "
                                                  "docs URL such as an error's `doc_url` (its `/docs/<slug>` and "
                                                  "`#<anchor>` are used).")
    section: str | None = Field(None, max_length=200, description="An anchor on that page, e.g. "
                                "`retrying-create_refund` or an error code on `errors`: return only that section "
                                "(with its subsections). Omit for the whole page.")


class DocHeading(Output):
    level: int = Field(description="1 for the page title, 2 for a section, 3 for a subsection, ...")
    text: str = Field(description="The heading's text.")
    anchor: str = Field(description="Its anchor: pass it to get_doc as `section`.")
    url: str = Field(description="The heading as an absolute URL, `https://<server>/docs/<slug>#<anchor>`.")


class DocPage(Output):
    object: Literal["doc_page"] = Field("doc_page", description="Always `doc_page`.")
    slug: str = Field(description="The page's slug.")
    title: str = Field(description="The page's title.")
    description: str = Field(description="What the page covers, in one line.")
    section: str | None = Field(description="The anchor asked for, or null for the whole page.")
    url: str = Field(description="The page (or section) as HTML, an absolute URL; add `.md` to the page URL for "
                                 "markdown.")
    markdown: str = Field(description="The page, or the section with its subsections, as markdown.")
    headings: list[DocHeading] = Field(description="The headings in `markdown`, in order.")


@operation("get_doc", http="GET /v1/docs/{slug}", scope=None, auth="public", safety=READ_ONLY,
           summary="Read one documentation page, or one section of it, as markdown.")
def get_doc(ctx: Context, params: GetDocInput) -> DocPage:
    """Read a Flint guide as markdown: the whole page, or only the section named by `section` (an anchor
    from search_docs, from a page's `headings`, or from an error's `doc_url`, e.g. `errors` +
    `order_not_refundable`). Use search_docs first when you do not know the page. A docs URL
    (`https://<server>/docs/<slug>#<anchor>`, or only its path) may be passed as `slug`. Unknown pages and
    sections are 404 `resource_missing`. Needs no API key."""
    slug, _, fragment = _docs_path(params.slug).removeprefix("/").removeprefix("docs/").partition("#")
    slug = slug.removesuffix(".md")
    anchor = params.section or fragment or None
    page = docs_index.default_index().page(slug) if docs_index.SLUG.match(slug) else None
    if page is None:
        raise not_found("doc page", params.slug, "slug")
    markdown = page.markdown if anchor is None else page.section_markdown(anchor)
    if markdown is None:
        raise not_found("doc section", anchor or "", "section")
    headings = page.headings if anchor is None else page.headings_in(anchor)
    page_url = ctx.settings.absolute_url(page.url)
    return DocPage(slug=page.slug, title=page.title, description=page.description, section=anchor,
                   url=page_url + (f"#{anchor}" if anchor else ""), markdown=markdown, headings=[
                       DocHeading(level=h.level, text=h.text, anchor=h.anchor, url=f"{page_url}#{h.anchor}")
                       for h in headings])


def _docs_path(value: str) -> str:
    """A slug as given, or the path and fragment of a docs URL: the ``doc_url`` an agent holds may come from
    another server (or an older public URL), so the host is not checked, only the path is used."""
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc:
        return parts.path + (f"#{parts.fragment}" if parts.fragment else "")
    return text
