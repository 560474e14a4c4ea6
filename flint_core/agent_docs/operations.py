"""Self-description operations: explain_error, and docs search (search_docs, get_doc) over docs/*.md."""

from __future__ import annotations

from urllib.parse import urlsplit

from flint_core.agent_docs import docs_index
from flint_core.agent_docs.inputs import (
    MAX_SEARCH_RESULTS,
    ExplainErrorInput,
    GetDocInput,
    ListToolsetsInput,
    SearchDocsInput,
)
from flint_core.agent_docs.views import (
    DocHeading,
    DocPage,
    DocSearchHit,
    DocSearchResults,
    ErrorExplanation,
    ToolsetOut,
)
from flint_core.kernel.errors import CATALOG, not_found
from flint_core.platform import registry, toolsets
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page
from flint_core.platform.registry import READ_ONLY, operation


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


@operation("list_toolsets", http="GET /v1/toolsets", scope=None, safety=READ_ONLY,
           summary="List the toolsets (groups of tools by domain) and which tools the calling key may use.")
def list_toolsets(ctx: Context, params: ListToolsetsInput) -> Page[ToolsetOut]:
    """Every toolset: a domain's tools (orders, payments, refunds, webhooks, ...), what it is for, whether
    it is in the default set an MCP client sees without a selection, and the tools of it the calling key
    may use. Over MCP, enable_toolset adds one to the session; elsewhere select with `?toolsets=a,b` on
    /mcp or /v1/tools. Scopes still decide what a key may call: a toolset only decides what is shown."""
    principal = ctx.principal
    assert principal is not None
    out = []
    for group in registry.groups():
        ops = [op for op in registry.operations() if op.group == group.name]
        names = [op.name for op in ops if toolsets.visible(principal, op)]
        docs_url = ctx.settings.absolute_url(f"/docs/{group.docs}") if group.docs else None
        out.append(ToolsetOut(
            name=group.name, title=group.title, description=group.description,
            default=group.name in toolsets.DEFAULT, tool_count=len(ops), usable=bool(names),
            usable_tool_count=len(names), tools=names, docs_url=docs_url))
    return Page[ToolsetOut](data=out, next_page_token="")
