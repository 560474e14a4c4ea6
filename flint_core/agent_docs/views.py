"""What the self-description operations return: an error code explained, docs search hits, a docs page."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from flint_core.platform.schema import Output


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


class ToolsetOut(Output):
    object: Literal["toolset"] = Field("toolset", description="Always `toolset`.")
    name: str = Field(description="The toolset's name, for `?toolsets=` on /mcp and /v1/tools and for "
                                  "enable_toolset.")
    title: str = Field(description="A human title.")
    description: str = Field(description="When an agent needs it.")
    default: bool = Field(description="Whether an MCP client that selects nothing is shown it.")
    tool_count: int = Field(description="How many tools it has.")
    usable: bool = Field(description="Whether the calling key may use any of them.")
    usable_tool_count: int = Field(description="How many of them the calling key may use (scopes, key limits).")
    tools: list[str] = Field(description="The names of the tools the calling key may use, in reading order.")
    docs_url: str | None = Field(description="Its guide, an absolute URL (null when it has none).")
