"""The docs pages (``docs/*.md``) as data: pages, their headings and anchors, and a BM25 search index.

Each page is parsed once with markdown-it-py and chunked by heading: one section per heading (the text
up to the next heading of any level), with its heading path ("Refunds > Retrying create_refund") and
its anchor. Anchors are GitHub-style heading slugs, or the explicit ``<a id="...">`` right before a
heading (docs/errors.md has one per error code), so ``/docs/errors#order_not_refundable`` works.

Search is SQLite FTS5 (an in-memory database, independent of Flint's own) with BM25 over weighted
columns, re-ranked so that exact identifiers win: searching ``order_not_refundable``, ``create_refund``
or ``refundable_money`` finds the section whose heading, anchor or field table names it. The index is
rebuilt whenever a file under the docs directory changes.
"""

from __future__ import annotations

import bisect
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_ANCHOR_HTML = re.compile(r"""<a\s+(?:id|name)=["']([^"']+)["']\s*>""", re.I)
_WORD = re.compile(r"\w+")
_STOP = frozenset("a an and are as at be by can do does for from how i in is it my of on or the this to what "
                  "when where which who why with".split())
# Column weights for bm25(): context (page title and parent headings), heading, defs (identifiers a
# table row or list item starts with), code spans, examples (fenced code), prose.
_WEIGHTS = (2.0, 10.0, 5.0, 3.0, 0.5, 1.0)
_FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1\s*$", re.M | re.S)
_OBJECT_HEADING = re.compile(r"\bobject\b", re.I)
_FIELD = re.compile(r"^[a-z][a-z0-9_]*(\[\])?$")
_IDENT = re.compile(r"\w+(?:[-_.]\w+)+")  # snake_case, dotted.path and Header-Name identifiers


def markdown() -> MarkdownIt:
    """The parser every face uses: CommonMark plus tables, raw HTML kept (the docs are ours)."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def github_slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped (``_`` and ``-`` kept), spaces to ``-``."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def inline_text(token: Token) -> str:
    """The text of an inline token as a reader sees it (code spans without backticks, no markup)."""
    kinds = ("text", "code_inline", "text_special")
    return "".join(c.content if c.type in kinds else " " if c.type == "softbreak" else ""
                   for c in token.children or [])


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str
    line: int  # 0-based line of the heading in the page's markdown
    code: tuple[str, ...]  # code spans in the heading


@dataclass
class Section:
    """One chunk: a heading and the text up to the next heading (the part before the first h2 has the
    page title as heading and no anchor)."""

    slug: str
    title: str
    heading: str
    path: tuple[str, ...]
    anchor: str
    level: int
    markdown: str
    heading_code: tuple[str, ...] = ()
    defs: list[str] = field(default_factory=list)  # identifiers a table row or list item starts with
    code: list[str] = field(default_factory=list)  # every other code span

    @property
    def heading_path(self) -> str:
        return " > ".join(self.path)

    @property
    def url(self) -> str:
        return f"/docs/{self.slug}" + (f"#{self.anchor}" if self.anchor else "")


@dataclass
class Page:
    slug: str
    title: str
    description: str
    markdown: str
    headings: list[Heading]
    sections: list[Section]
    anchors: set[str]

    @property
    def url(self) -> str:
        return f"/docs/{self.slug}"

    def headings_in(self, anchor: str) -> list[Heading]:
        """The heading with this anchor and the headings of its subsections ([] if there is none)."""
        for i, heading in enumerate(self.headings):
            if heading.anchor == anchor:
                end = next((j for j in range(i + 1, len(self.headings)) if self.headings[j].level <= heading.level),
                           len(self.headings))
                return self.headings[i:end]
        return []

    def section_markdown(self, anchor: str) -> str | None:
        """The markdown of the section with this anchor, its subsections included."""
        inside = self.headings_in(anchor)
        if not inside:
            return None
        lines = self.markdown.splitlines()
        after = self.headings[self.headings.index(inside[-1]) + 1:]
        end = _start(lines, after[0].line) if after else len(lines)
        return "\n".join(lines[_start(lines, inside[0].line):end]).strip() + "\n"


def assign_anchors(tokens: list[Token]) -> list[Heading]:
    """Give every heading_open an ``id`` (an explicit ``<a id>`` paragraph right before it, else its
    GitHub slug, de-duplicated with -1, -2 like GitHub) and return the headings in order."""
    headings: list[Heading] = []
    seen: dict[str, int] = {}
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[i + 1]
        text = inline_text(inline).strip()
        anchor = explicit_anchor(tokens, i) or github_slug(text)
        if anchor in seen:
            seen[anchor] += 1
            anchor = f"{anchor}-{seen[anchor]}"
        seen.setdefault(anchor, 0)
        token.attrSet("id", anchor)
        code = tuple(c.content for c in inline.children or [] if c.type == "code_inline")
        headings.append(Heading(int(token.tag[1]), text, anchor, (token.map or [0])[0], code))
    return headings


def explicit_anchor(tokens: list[Token], heading_index: int) -> str | None:
    """The id of a paragraph holding only ``<a id="..."></a>`` directly before the heading."""
    if heading_index < 3 or tokens[heading_index - 1].type != "paragraph_close":
        return None
    inline = tokens[heading_index - 2]
    children = inline.children or []
    if children and all(c.type == "html_inline" for c in children):
        match = _ANCHOR_HTML.search(inline.content)
        return match.group(1) if match else None
    return None


def _description(tokens: list[Token]) -> str:
    """The first sentence of the page's first paragraph."""
    for i, token in enumerate(tokens):
        if token.type == "paragraph_open" and tokens[i + 1].children and not explicit_anchor(tokens, i + 3):
            text = " ".join(inline_text(tokens[i + 1]).split())
            if text:
                return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return ""


def parse_page(slug: str, text: str, description: str | None = None) -> Page:
    """Parse one page into its headings, anchors and sections (one per heading)."""
    tokens = markdown().parse(text)
    headings = assign_anchors(tokens)
    title = next((h.text for h in headings if h.level == 1), slug)
    lines = text.splitlines()
    starts = [_start(lines, h.line) for h in headings] or [0]
    starts[0] = 0
    sections: list[Section] = []
    stack: list[Heading] = []
    for k, heading in enumerate(headings or [Heading(1, title, "", 0, ())]):
        while stack and stack[-1].level >= heading.level:
            stack.pop()
        stack.append(heading)
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        top = heading.level == 1
        sections.append(Section(slug, title, heading.text, (title, *[h.text for h in stack if h.level > 1]),
                                "" if top else heading.anchor, heading.level,
                                "\n".join(lines[starts[k]:end]).strip(), heading.code))
    cell = 0
    for i, token in enumerate(tokens):
        if token.type in ("tr_open", "table_close"):
            cell = 0
        elif token.type in ("td_open", "th_open"):
            cell += 1
        elif token.type == "inline" and token.map and tokens[i - 1].type != "heading_open":
            section = sections[max(bisect.bisect_right(starts, token.map[0]) - 1, 0)]
            children = [c for c in token.children or [] if c.type != "text" or c.content.strip()]
            spans = [c.content for c in children if c.type == "code_inline"]
            leads = cell == 1 or tokens[i - 1].type == "paragraph_open"  # a row, list item or paragraph
            if leads and children and children[0].type == "code_inline":
                section.defs.append(spans.pop(0))
            if _OBJECT_HEADING.search(section.heading):  # an object's reference: every field it names
                section.defs.extend(s for s in spans if _FIELD.match(s))
                spans = [s for s in spans if not _FIELD.match(s)]
            section.code.extend(spans)
    anchors = {h.anchor for h in headings} | set(_ANCHOR_HTML.findall(text))
    return Page(slug, title, description or _description(tokens), text, headings, sections, anchors)


def _start(lines: list[str], line: int) -> int:
    """Where a heading's section starts: its line, or the explicit anchor line right above it."""
    return line - 1 if line and _ANCHOR_HTML.fullmatch(lines[line - 1].strip().removesuffix("</a>")) else line


def _plain(markdown_text: str) -> str:
    """Markdown to one line of readable text, for snippets and the body column."""
    text = re.sub(r"<[^>]+>", " ", markdown_text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^ {0,3}(```|~~~).*$|^ {0,3}(#{1,6}|>|[-*+]|\d+\.) +|^ *\|?[-:| ]+\| *$|\|", " ", text, flags=re.M)
    return " ".join(re.sub(r"`|\*\*", "", text).split())


def _expand(text: str) -> str:
    """Text plus the parts of its snake_case identifiers, so `refundable` also finds `refundable_money`."""
    parts = [" ".join(p for p in word.split("_") if p) for word in _WORD.findall(text) if "_" in word.strip("_")]
    return text + ("\n" + "\n".join(parts) if parts else "")


def query_terms(query: str) -> list[str]:
    """Lower-case words of a query, stop words dropped (unless nothing else is left)."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(query)))
    return [w for w in words if w not in _STOP] or words


@dataclass(frozen=True)
class Hit:
    section: Section
    score: float
    snippet: str


class DocsIndex:
    """The pages of one docs directory and their search index, rebuilt when a file changes."""

    def __init__(self, directory: Path | str = DOCS_DIR, operations: dict[str, str] | None = None) -> None:
        """``operations`` maps operation names to their routes (``"POST /v1/refunds"``): a section that
        shows an operation's route is that operation's reference."""
        self.directory = Path(directory)
        self.operations = {name: route.lower() for name, route in (operations or {}).items()}
        self._lock = threading.RLock()
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._pages: dict[str, Page] = {}
        self._sections: list[Section] = []
        self._db: sqlite3.Connection | None = None

    def refresh(self) -> None:
        """Re-read the pages and rebuild the index if any file was added, removed or changed."""
        with self._lock:
            files = sorted(self.directory.glob("*.md")) if self.directory.is_dir() else []
            signature = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
            if signature != self._signature:
                self._build(signature)

    def _build(self, signature: tuple[tuple[str, int, int], ...]) -> None:
        texts = {name[:-3]: (self.directory / name).read_text(encoding="utf-8") for name, _, _ in signature}
        texts = {slug: text for slug, text in texts.items() if SLUG.match(slug)}
        described = _index_descriptions(texts.get("index", ""))
        pages = {slug: parse_page(slug, texts[slug], described.get(slug)) for slug in sorted(texts)}
        db = sqlite3.connect(":memory:", check_same_thread=False)
        db.execute("CREATE VIRTUAL TABLE chunks USING fts5(context, heading, defs, code, examples, prose, "
                   "tokenize = \"porter unicode61 tokenchars '_'\")")
        sections = [s for page in pages.values() for s in page.sections]
        db.executemany("INSERT INTO chunks(rowid, context, heading, defs, code, examples, prose) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (i, " ".join(s.path[:-1] or s.path), f"{s.heading} {s.anchor}", " ".join(s.defs), " ".join(s.code),
             "\n".join(m.group(0) for m in _FENCE.finditer(s.markdown)), _expand(_plain(_FENCE.sub(" ", s.markdown))))
            for i, s in enumerate(sections)])
        if self._db is not None:
            self._db.close()
        self._db, self._pages, self._sections, self._signature = db, pages, sections, signature

    def pages(self) -> list[Page]:
        """Every page, by slug (index first)."""
        self.refresh()
        return sorted(self._pages.values(), key=lambda p: (p.slug != "index", p.slug))

    def page(self, slug: str) -> Page | None:
        self.refresh()
        return self._pages.get(slug)

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        """The best sections for a query, best first: BM25 over the weighted columns, then boosts for
        identifiers (error codes, field and operation names) named by a section's heading, anchor or
        field table."""
        terms = query_terms(query)
        if not terms:
            return []
        clauses = [f'"{t}"' for t in terms] + [f'"{" ".join(p for p in t.split("_") if p)}"'
                                               for t in terms if "_" in t.strip("_")]
        if len(terms) > 1:
            clauses.append(f'"{" ".join(terms)}"')
        with self._lock:
            self.refresh()
            assert self._db is not None
            rows = self._db.execute(
                f"SELECT rowid, bm25(chunks, {', '.join(map(str, _WEIGHTS))}) FROM chunks WHERE chunks MATCH ? "
                "ORDER BY rank LIMIT 1000", (" OR ".join(clauses),)).fetchall()
            sections, pages = self._sections, self._pages
        query_facts = (terms, [i.lower() for i in _IDENT.findall(query)], " ".join(_WORD.findall(query.lower())))
        scored = sorted((-round(-bm25 + _boost(sections[rowid], *query_facts, self.operations), 3), rowid)
                        for rowid, bm25 in rows)
        hits = []
        for score, rowid in scored[:limit]:
            section = sections[rowid]
            text = section.markdown
            if len(_plain(text)) < len(section.heading) + 40:  # a heading whose text is in its subsections
                text = pages[section.slug].section_markdown(section.anchor) or text
            hits.append(Hit(section, -score, snippet(_plain(text), terms)))
        return hits


def _boost(section: Section, terms: list[str], idents: list[str], phrase: str, operations: dict[str, str]) -> float:
    """Exact identifiers first: the section a heading, anchor or field table names, then code spans."""
    heading = " ".join(_WORD.findall(section.heading.lower()))
    names = {c.lower() for c in section.heading_code} | set(heading.split()) | {section.anchor}
    defs = {d.lower().rstrip("[]") for d in section.defs}
    code = {c.lower() for c in section.code} | defs
    page_words = {w.rstrip("s") for w in section.slug.split("-")}
    boost = 0.0
    if phrase and (_same(phrase, heading) or phrase == section.anchor.replace("-", " ")):
        boost += 35 if section.level == 1 else 30  # "refunds": the Refunds page before a "Refunds" section
    # FTS5's idf is table-wide, so words on most pages ("key", "order") weigh nothing there: count them
    # here when the section's own heading (or a parent heading) has them.
    boost += 6 * _overlap(terms, heading.split()) + 2 * _overlap(terms, _WORD.findall(" ".join(section.path).lower()))
    for term in idents or (terms if len(terms) == 1 else []):
        if term in names:  # more when the name is most of the heading: "create_refund" over "Retrying create_refund"
            boost += 4 + 11 * min(1.0, len(term) / max(len(heading), 1))
        if term in defs:
            boost += 10 if _OBJECT_HEADING.search(section.heading) and term not in operations else 6
        elif term in code:
            boost += 2
        if term in operations and operations[term] in code:
            boost += 8
        if "_" in term:  # create_order: "Creating an order"
            boost += 6 * _overlap([p for p in term.split("_") if p], heading.split())
        if "_" in term and {w.rstrip("s") for w in term.split("_") if len(w) > 3} & page_words:
            boost += 3  # get_order: a section of the orders page before one of the benchmarks page
    return boost


def _stem(word: str) -> str:
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[:-len(suffix)] + replacement
    return word


def _same(a: str, b: str) -> bool:
    """Roughly the same word: ``item``/``items``, ``refund``/``refunding``, ``retry``/``retries``."""
    if a == b:
        return True
    short, long = sorted((_stem(a), _stem(b)), key=len)
    return len(short) >= 3 and long.startswith(short) and len(long) - len(short) <= 2


def _overlap(terms: list[str], words: list[str]) -> float:
    """The share of ``terms`` found among ``words``."""
    return sum(any(_same(t, w) for w in words) for t in terms) / len(terms)


def snippet(text: str, terms: list[str], width: int = 220) -> str:
    """About ``width`` characters of ``text`` around the first match, matches in **bold**."""
    pattern = re.compile(r"(?<!\w)(?:%s)\w*" % "|".join(map(re.escape, sorted(terms, key=len, reverse=True))), re.I)
    exact = [m for t in terms if "_" in t and (m := re.search(rf"(?<!\w){re.escape(t)}(?!\w)", text, re.I))]
    match = exact[0] if exact else pattern.search(text)
    first = match.start() if match else 0
    start = max(0, first - width // 3)
    if start:
        start = text.find(" ", start) + 1 or start
    end = min(len(text), start + width)
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > first else end
    piece = pattern.sub(lambda m: f"**{m.group(0)}**", text[start:end])
    return ("…" if start else "") + piece + ("…" if end < len(text) else "")


def _index_descriptions(index_markdown: str) -> dict[str, str]:
    """One-line descriptions from the table of docs/index.md: ``| [Title](/docs/slug) | what it covers |``."""
    rows = re.findall(r"^\|\s*\[[^\]]+\]\(/docs/([\w-]+)\)\s*\|\s*(.+?)\s*\|\s*$", index_markdown, re.M)
    return {slug: text[0].upper() + text[1:] + ("" if text.endswith(".") else ".") for slug, text in rows}


_DEFAULT: DocsIndex | None = None
_DEFAULT_LOCK = threading.Lock()


def default_index() -> DocsIndex:
    """The index of the repository's docs/ directory (one per process)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            from flint_core.platform import registry

            _DEFAULT = DocsIndex(operations={op.name: f"{op.method} {op.path}" for op in registry.operations()})
        return _DEFAULT
