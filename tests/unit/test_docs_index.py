"""Docs chunking, anchors and search ranking (flint_core.docs_index): on small synthetic pages, and on the
real docs/ so that an error code, a field name or an operation name finds its own section first."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flint_core.agent_docs.docs_index import (
    DocsIndex,
    _same,
    default_index,
    github_slug,
    parse_page,
    query_terms,
    snippet,
)
from flint_core.kernel.errors import CATALOG
from flint_core.platform import registry

PAGE = """# Refunds

A refund returns money from a paid order.

## create_refund

### By amount

Send `amount_money`.

```sh
# not a heading: a shell comment
```

### By line items

| field | |
|---|---|
| `line_items` | the lines to refund |

## Retrying create_refund

Send an `Idempotency-Key`.

## Worked example

## Worked example
"""


def test_github_slugs_match_the_links_in_the_docs() -> None:
    assert github_slug("Crashes: the 60-second lease") == "crashes-the-60-second-lease"
    assert github_slug("Scopes: cancel_order on a hold needs payments:write") == \
        "scopes-cancel_order-on-a-hold-needs-paymentswrite"
    assert github_slug('create_order with checkout_flow: "HOSTED"') == "create_order-with-checkout_flow-hosted"
    assert github_slug("1. Create the order") == "1-create-the-order"
    assert github_slug("Outcomes: every one is a 200") == "outcomes-every-one-is-a-200"


def test_pages_are_chunked_by_heading() -> None:
    page = parse_page("refunds", PAGE)
    assert page.title == "Refunds" and page.description == "A refund returns money from a paid order."
    paths = [(s.heading_path, s.anchor) for s in page.sections]
    assert paths == [("Refunds", ""), ("Refunds > create_refund", "create_refund"),
                     ("Refunds > create_refund > By amount", "by-amount"),
                     ("Refunds > create_refund > By line items", "by-line-items"),
                     ("Refunds > Retrying create_refund", "retrying-create_refund"),
                     ("Refunds > Worked example", "worked-example"), ("Refunds > Worked example", "worked-example-1")]
    by_amount = page.sections[2]
    assert by_amount.markdown.startswith("### By amount") and "shell comment" in by_amount.markdown
    assert by_amount.url == "/docs/refunds#by-amount" and page.sections[0].url == "/docs/refunds"
    assert page.sections[3].defs == ["line_items"] and page.sections[4].code == ["Idempotency-Key"]
    # a section includes its subsections; headings_in lists them
    section = page.section_markdown("create_refund")
    assert section is not None and section.startswith("## create_refund") and "By line items" in section
    assert "Retrying" not in section
    assert [h.anchor for h in page.headings_in("create_refund")] == ["create_refund", "by-amount", "by-line-items"]
    assert page.section_markdown("nope") is None and page.headings_in("nope") == []
    assert {"refunds", "create_refund", "worked-example-1"} <= page.anchors


def test_explicit_anchors_name_their_heading() -> None:
    page = parse_page("errors", '# Errors\n\n<a id="order_not_refundable"></a>\n### `order_not_refundable`\n\n'
                                'HTTP 409.\n\n<a id="legacy"></a>\n## Something else\n\nText.\n')
    assert [h.anchor for h in page.headings] == ["errors", "order_not_refundable", "legacy"]
    assert page.sections[1].heading_code == ("order_not_refundable",)
    assert page.section_markdown("order_not_refundable") == \
        '<a id="order_not_refundable"></a>\n### `order_not_refundable`\n\nHTTP 409.\n'


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    (tmp_path / "errors.md").write_text(
        "# Errors\n\nEvery error.\n\n<a id=\"order_not_refundable\"></a>\n### `order_not_refundable`\n\n"
        "HTTP 409. The order cannot be refunded now.\n\n<a id=\"nothing_to_refund\"></a>\n### `nothing_to_refund`"
        "\n\nHTTP 400. Everything was refunded.\n")
    (tmp_path / "refunds.md").write_text(
        "# Refunds\n\nRefunds, refunds, refunds: `order_not_refundable` comes back when the order is OPEN; "
        "`order_not_refundable` again; a refund is limited by `refundable_money`, `refundable_money`.\n\n"
        "## create_refund\n\n`POST /v1/refunds` refunds money.\n\n## Retrying create_refund\n\n"
        "Retry `create_refund` with the same key. `create_refund` `create_refund` `create_refund`.\n")
    (tmp_path / "orders.md").write_text(
        "# Orders\n\n## The order object\n\n| field | |\n|---|---|\n| `settlement_amounts` | `paid_money`, "
        "`refundable_money` (= paid - refunded) |\n")
    (tmp_path / "notes.txt").write_text("not a page")
    (tmp_path / "Bad Name.md").write_text("# not a slug")
    return tmp_path


def test_exact_identifiers_rank_their_own_section_first(docs_dir: Path) -> None:
    index = DocsIndex(docs_dir, operations={"create_refund": "POST /v1/refunds"})
    assert [p.slug for p in index.pages()] == ["errors", "orders", "refunds"]
    first = {q: index.search(q, 3)[0].section.url for q in
             ("order_not_refundable", "refundable_money", "create_refund", "nothing_to_refund")}
    assert first == {"order_not_refundable": "/docs/errors#order_not_refundable",
                     "refundable_money": "/docs/orders#the-order-object",
                     "create_refund": "/docs/refunds#create_refund",
                     "nothing_to_refund": "/docs/errors#nothing_to_refund"}
    hits = index.search("order_not_refundable", 5)
    assert [h.section.slug for h in hits] == ["errors", "refunds"] and hits[0].score > hits[1].score
    assert index.search("refund", 1)[0].section.url == "/docs/refunds"  # the page named by a plain word


def test_the_index_follows_file_changes(docs_dir: Path) -> None:
    index = DocsIndex(docs_dir)
    assert index.search("chargeback") == []
    (docs_dir / "disputes.md").write_text("# Disputes\n\n## Chargebacks\n\nA chargeback is a dispute.\n")
    assert index.search("chargeback", 1)[0].section.url == "/docs/disputes#chargebacks"
    (docs_dir / "disputes.md").write_text("# Disputes\n\n## Evidence\n\nSend evidence.\n")
    os.utime(docs_dir / "disputes.md", ns=(1, 1))  # a different mtime even on coarse clocks
    assert index.search("chargeback") == [] and index.page("disputes") is not None
    (docs_dir / "disputes.md").unlink()
    assert index.page("disputes") is None


def test_queries_are_never_fts_syntax(docs_dir: Path) -> None:
    index = DocsIndex(docs_dir)
    for query in ('"', "*", "NEAR(refund", 'refund" OR (', "-", "   ", "^refund", "refund AND NOT"):
        index.search(query)  # no sqlite3.OperationalError
    assert index.search("   ") == [] and index.search("?!") == []
    assert query_terms("How do I refund a line item?") == ["refund", "line", "item"]
    assert query_terms("the") == ["the"]


def test_queries_of_underscores_only_find_what_they_can(docs_dir: Path) -> None:
    index = DocsIndex(docs_dir)
    for query in ("_", "___", "_ _", "a__b"):
        assert isinstance(index.search(query), list)  # no ZeroDivisionError for a name without parts


def test_an_index_that_checks_less_often_sees_changes_on_refresh(docs_dir: Path) -> None:
    index = DocsIndex(docs_dir, check_every=3600)
    assert index.search("chargeback") == []
    (docs_dir / "disputes.md").write_text("# Disputes\n\n## Chargebacks\n\nA chargeback is a dispute.\n")
    assert index.search("chargeback") == [] and index.page("disputes") is None  # not looked at yet
    index.refresh()
    assert index.search("chargeback", 1)[0].section.url == "/docs/disputes#chargebacks"


def test_words_looked_up_by_stem_are_the_words_compared_one_by_one() -> None:
    headings = default_index()._current().headings
    words = set(headings.in_heading) | set(headings.in_path)
    probes = words | {w + s for w in words for s in ("s", "es", "ed", "ing", "ies")} | {w[:-1] for w in words} \
        | {w[:-2] for w in words} | {"", "a", "ab", "abc"}
    for probe in probes:
        assert headings.word_alike(probe) & words == {w for w in words if _same(probe, w)}, probe
    for heading in set(headings.by_heading):
        for probe in (heading, heading + "s", heading[:-1]):
            assert headings.heading_alike(probe) & set(headings.by_heading) == \
                {h for h in headings.by_heading if _same(probe, h)}, probe


def test_snippets_show_the_match() -> None:
    text = "word " * 100 + "the order_not_refundable error means the order is OPEN " + "tail " * 100
    cut = snippet(text, ["order_not_refundable"])
    assert "**order_not_refundable**" in cut and cut.startswith("…") and cut.endswith("…") and len(cut) < 260
    assert snippet("Refunds refund refunded money", ["refund"]) == "**Refunds** **refund** **refunded** money"
    assert snippet("short text", ["missing"]) == "short text"


# The real docs: these guard the pages as much as the ranking.

def test_every_error_code_finds_its_entry_first() -> None:
    index = default_index()
    for code in CATALOG:
        hits = index.search(code, 1)
        assert hits and hits[0].section.url == f"/docs/errors#{code}", code
        assert f"**{code}**" in hits[0].snippet


@pytest.mark.parametrize(("query", "url"), [
    ("order_not_refundable", "/docs/errors#order_not_refundable"),
    ("refundable_money", "/docs/orders#the-order-object"),
    ("outstanding_money", "/docs/orders#the-order-object"),
    ("next_page_token", "/docs/pagination#the-list-object"),
    ("create_refund", "/docs/refunds#create_refund"),
    ("preview_refund", "/docs/refunds#preview_refund"),
    ("pay_order", "/docs/payments#pay_order"),
    ("capture_payment", "/docs/holds-and-capture#capture_payment"),
    ("void_payment", "/docs/holds-and-capture#void_payment"),
    ("update_order", "/docs/orders#update_order"),
    ("whoami", "/docs/authentication#whoami"),
    ("3D Secure", "/docs/testing#3d-secure"),
    ("how do I refund a line item", "/docs/refunds#by-line-items"),
])
def test_real_docs_rank_the_defining_section_first(query: str, url: str) -> None:
    hits = default_index().search(query, 3)
    assert hits[0].section.url == url, [(h.section.url, h.score) for h in hits]


def test_real_pages_parse() -> None:
    pages = default_index().pages()
    assert pages[0].slug == "index" and {"errors", "refunds", "orders", "payments"} <= {p.slug for p in pages}
    for page in pages:
        assert page.title and page.description and page.sections, page.slug
        assert len({h.anchor for h in page.headings}) == len(page.headings), page.slug
    names = {op.name for op in registry.operations()}
    assert {"search_docs", "get_doc"} <= names
