"""The docs pages (``docs/*.md``) as data: pages, their headings and anchors, and a BM25 search index.

Each page is parsed once with markdown-it-py and chunked by heading: one section per heading (the text
up to the next heading of any level), with its heading path ("Refunds > Retrying create_refund") and
its anchor. Anchors are GitHub-style heading slugs, or the explicit ``<a id="...">`` right before a
heading (docs/errors.md has one per error code), so ``/docs/errors#order_not_refundable`` works.

Search is SQLite FTS5 (an in-memory database, independent of Flint's own) with BM25 over weighted
columns, re-ranked so that exact identifiers win: searching ``order_not_refundable``, ``create_refund``
or ``refundable_money`` finds the section whose heading, anchor or field table names it.

The index is built once per process (``flint serve`` and ``flint mcp`` build it at start, anything else
at its first read) and answers from memory: what re-ranking needs of a section (its heading's words and
names, identifiers, code spans, snippet text) is worked out when it is built, and heading words are
indexed by stem, so a query costs one FTS5 lookup, a few dictionary lookups per matching section and
the snippets of the hits returned. It is rebuilt whenever a file under the docs directory is added,
removed or changed (name, size or mtime): ``DocsIndex`` checks the files on every read, the process's
``default_index()`` at most once a second.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import os
import re
import sqlite3
import threading
import time
from collections import Counter
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
_BM25_WEIGHTS = "2.0, 10.0, 5.0, 3.0, 0.5, 1.0"
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


@dataclass(frozen=True)
class _Facts:
    """What re-ranking needs of one section, worked out once when the index is built."""

    heading: str  # the heading's words, lower case, one space apart
    heading_words: frozenset[str]
    path_words: frozenset[str]  # the words of the page title and of every heading down to this one
    names: frozenset[str]  # what the heading names: its words, code spans and anchor
    defs: frozenset[str]
    code: frozenset[str]  # code spans and defs
    page_words: frozenset[str]  # the slug's words, singular ("holds-and-capture": hold, and, capture)
    anchor_phrase: str
    level: int
    is_object: bool  # an object's reference ("The order object")
    text: str  # the plain text a snippet is cut from (with its subsections when it is only a heading)

    @classmethod
    def of(cls, section: Section, page: Page) -> _Facts:
        heading = " ".join(_WORD.findall(section.heading.lower()))
        words = frozenset(heading.split())
        defs = frozenset(d.lower().rstrip("[]") for d in section.defs)
        text = _plain(section.markdown)
        if len(text) < len(section.heading) + 40:  # a heading whose text is in its subsections
            text = _plain(page.section_markdown(section.anchor) or section.markdown)
        return cls(heading, words, frozenset(_WORD.findall(" ".join(section.path).lower())),
                   frozenset(c.lower() for c in section.heading_code) | words | {section.anchor}, defs,
                   frozenset(c.lower() for c in section.code) | defs,
                   frozenset(w.rstrip("s") for w in section.slug.split("-")), section.anchor.replace("-", " "),
                   section.level, bool(_OBJECT_HEADING.search(section.heading)), text)


class _Alike:
    """Strings by stem, so that the ones roughly the same as a query's (``_same``) are looked up instead
    of compared one by one."""

    def __init__(self, strings: set[str]) -> None:
        self.by_stem: dict[str, set[str]] = {}
        for string in strings:
            self.by_stem.setdefault(_stem(string), set()).add(string)
        self.longer: dict[str, set[str]] = {}  # a stem's first len-1 and len-2 letters -> the stem
        for stem in self.by_stem:
            for n in range(max(3, len(stem) - 2), len(stem)):
                self.longer.setdefault(stem[:n], set()).add(stem)

    def __call__(self, term: str) -> set[str]:
        """``term`` and every string ``s`` with ``_same(term, s)``."""
        stem = _stem(term)
        found = {term}
        for n in range(max(3, len(stem) - 2), len(stem) + 1):  # the same stem, or one up to 2 letters shorter
            found.update(self.by_stem.get(stem[:n], ()))
        for longer in self.longer.get(stem, ()) if len(stem) >= 3 else ():  # or one up to 2 letters longer
            found.update(self.by_stem[longer])
        return found


class _Headings:
    """Which sections have which words in their heading and in their heading path, and which sections a
    whole query names: by heading (roughly: ``_same``) or by anchor read as words."""

    def __init__(self, facts: list[_Facts]) -> None:
        self.in_heading: dict[str, set[int]] = {}  # word -> the sections whose heading has it
        self.in_path: dict[str, set[int]] = {}
        self.by_heading: dict[str, set[int]] = {}
        self.by_anchor: dict[str, set[int]] = {}
        for i, f in enumerate(facts):
            for word in f.heading_words:
                self.in_heading.setdefault(word, set()).add(i)
            for word in f.path_words:
                self.in_path.setdefault(word, set()).add(i)
            self.by_heading.setdefault(f.heading, set()).add(i)
            self.by_anchor.setdefault(f.anchor_phrase, set()).add(i)
        self.word_alike = _Alike(set(self.in_heading) | set(self.in_path))
        self.heading_alike = _Alike(set(self.by_heading))

    @staticmethod
    def having(index: dict[str, set[int]], words: set[str]) -> set[int]:
        return set().union(*(index[w] for w in words if w in index))

    def named(self, phrase: str) -> set[int]:
        """The sections whose heading is roughly ``phrase``, or whose anchor is it."""
        return self.having(self.by_heading, self.heading_alike(phrase)) | self.by_anchor.get(phrase, set())

    def counts(self, index: dict[str, set[int]], terms: list[str]) -> Counter[int]:
        """For each section, how many of ``terms`` its words (in ``index``) have, roughly (``_same``)."""
        found: Counter[int] = Counter()
        for term in terms:
            found.update(self.having(index, self.word_alike(term)))
        return found


class _Query:
    """What re-ranking needs of a query, worked out once for every section it scores: the sections whose
    heading is the query, and how many of its terms each section's heading and heading path have."""

    def __init__(self, query: str, terms: list[str], headings: _Headings) -> None:
        self.n = len(terms)
        phrase = " ".join(_WORD.findall(query.lower()))
        self.titled = headings.named(phrase) if phrase else set()
        self.in_heading = headings.counts(headings.in_heading, terms)
        self.in_path = headings.counts(headings.in_path, terms)
        idents = [i.lower() for i in _IDENT.findall(query)]
        self.names = idents or (terms if len(terms) == 1 else [])
        # a snake_case name's parts ("create_order": create, order) in headings, and its long words, singular
        self.parts: dict[str, tuple[int, Counter[int]]] = {}
        self.part_words: dict[str, set[str]] = {}
        for term in self.names:
            if "_" in term:
                parts = [p for p in term.split("_") if p]
                self.parts[term] = (len(parts), headings.counts(headings.in_heading, parts))
                self.part_words[term] = {w.rstrip("s") for w in term.split("_") if len(w) > 3}


@dataclass(frozen=True)
class _Built:
    """One build of the index: the pages as read, and what searching them needs."""

    signature: tuple[tuple[str, int, int], ...]
    pages: dict[str, Page]
    sections: list[Section]
    facts: list[_Facts]
    headings: _Headings
    db: sqlite3.Connection


class DocsIndex:
    """The pages of one docs directory and their search index, built once and rebuilt when a file changes.

    Every read (``pages``, ``page``, ``search``) first looks at the directory's ``*.md`` files (one ``stat``
    each) unless it did so less than ``check_every`` seconds ago: with the default 0 a change is seen by
    the next read; ``default_index()`` looks at most once a second, so an edited page is searched within
    a second of saving it. ``refresh()`` looks now."""

    def __init__(self, directory: Path | str = DOCS_DIR, operations: dict[str, str] | None = None,
                 check_every: float = 0.0) -> None:
        """``operations`` maps operation names to their routes (``"POST /v1/refunds"``): a section that
        shows an operation's route is that operation's reference."""
        self.directory = Path(directory)
        self.operations = {name: route.lower() for name, route in (operations or {}).items()}
        self.check_every = check_every
        self._lock = threading.RLock()
        self._built: _Built | None = None
        self._checked = 0.0  # time.monotonic() of the last look at the files

    def refresh(self) -> None:
        """Re-read the pages and rebuild the index if any file was added, removed or changed."""
        with self._lock:
            signature = self._signature()
            if self._built is None or signature != self._built.signature:
                self._build(signature)
            self._checked = time.monotonic()

    def _signature(self) -> tuple[tuple[str, int, int], ...]:
        """Name, mtime and size of every ``*.md`` file in the directory."""
        try:
            with os.scandir(self.directory) as entries:
                stats = [(e.name, e.stat()) for e in entries if e.name.endswith(".md") and e.is_file()]
        except (FileNotFoundError, NotADirectoryError):
            return ()
        return tuple(sorted((name, st.st_mtime_ns, st.st_size) for name, st in stats))

    def _current(self) -> _Built:
        built = self._built
        if built is None or time.monotonic() - self._checked >= self.check_every:
            self.refresh()
            built = self._built
        assert built is not None
        return built

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
        facts = [_Facts.of(s, pages[s.slug]) for s in sections]
        old, self._built = self._built, _Built(signature, pages, sections, facts, _Headings(facts), db)
        if old is not None:
            old.db.close()

    def pages(self) -> list[Page]:
        """Every page, by slug (index first)."""
        return sorted(self._current().pages.values(), key=lambda p: (p.slug != "index", p.slug))

    def page(self, slug: str) -> Page | None:
        return self._current().pages.get(slug)

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        """The best sections for a query, best first: BM25 over the weighted columns, then boosts for
        identifiers (error codes, field and operation names) named by a section's heading, anchor or
        field table. Every section that matches is re-ranked."""
        terms = query_terms(query)
        if not terms:
            return []
        clauses = [f'"{t}"' for t in terms] + [f'"{" ".join(p for p in t.split("_") if p)}"'
                                               for t in terms if "_" in t.strip("_")]
        if len(terms) > 1:
            clauses.append(f'"{" ".join(terms)}"')
        self._current()
        with self._lock:  # one connection for every thread, which a rebuild (under this lock) closes
            built = self._built
            assert built is not None
            rows = built.db.execute(f"SELECT rowid, bm25(chunks, {_BM25_WEIGHTS}) FROM chunks WHERE chunks MATCH ?",
                                    (" OR ".join(clauses),)).fetchall()
        facts, q = built.facts, _Query(query, terms, built.headings)
        best = heapq.nsmallest(limit, ((-round(-bm25 + _boost(i, facts[i], q, self.operations), 3), i)
                                       for i, bm25 in rows))
        return [Hit(built.sections[i], -score, snippet(facts[i].text, terms)) for score, i in best]


def _boost(i: int, section: _Facts, q: _Query, operations: dict[str, str]) -> float:
    """Exact identifiers first: the section a heading, anchor or field table names, then code spans."""
    boost = 0.0
    if i in q.titled:
        boost += 35 if section.level == 1 else 30  # "refunds": the Refunds page before a "Refunds" section
    # FTS5's idf is table-wide, so words on most pages ("key", "order") weigh nothing there: count them
    # here when the section's own heading (or a parent heading) has them.
    boost += 6 * (q.in_heading.get(i, 0) / q.n) + 2 * (q.in_path.get(i, 0) / q.n)
    for term in q.names:
        # more when the name is most of the heading: "create_refund" over "Retrying create_refund"
        if term in section.names:
            boost += 4 + 11 * min(1.0, len(term) / max(len(section.heading), 1))
        if term in section.defs:
            boost += 10 if section.is_object and term not in operations else 6
        elif term in section.code:
            boost += 2
        if term in operations and operations[term] in section.code:
            boost += 8
        if term in q.parts:  # create_order: "Creating an order"
            n, in_heading = q.parts[term]
            boost += 6 * (in_heading.get(i, 0) / n) if n else 0.0
            if q.part_words[term] & section.page_words:
                boost += 3  # get_order: a section of the orders page before one of the benchmarks page
    return boost


def _stem(word: str) -> str:
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[:-len(suffix)] + replacement
    return word


def _same(a: str, b: str) -> bool:
    """Roughly the same word: ``item``/``items``, ``refund``/``refunding``, ``retry``/``retries``."""
    return a == b or _stems_alike(_stem(a), _stem(b))


def _stems_alike(a: str, b: str) -> bool:
    """One stem starts the other (at least 3 letters), which is at most 2 letters longer."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 3 and long.startswith(short) and len(long) - len(short) <= 2


def snippet(text: str, terms: list[str], width: int = 220) -> str:
    """About ``width`` characters of ``text`` around the first match, matches in **bold**."""
    pattern, exact = _snippet_patterns(tuple(terms))
    match = next((m for p in exact if (m := p.search(text))), None) or pattern.search(text)
    first = match.start() if match else 0
    start = max(0, first - width // 3)
    if start:
        start = text.find(" ", start) + 1 or start
    end = min(len(text), start + width)
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > first else end
    piece = pattern.sub(lambda m: f"**{m.group(0)}**", text[start:end])
    return ("…" if start else "") + piece + ("…" if end < len(text) else "")


@functools.lru_cache(maxsize=256)
def _snippet_patterns(terms: tuple[str, ...]) -> tuple[re.Pattern[str], list[re.Pattern[str]]]:
    """Words starting with a term; and each snake_case term as a whole word (shown first when found)."""
    pattern = re.compile(r"(?<!\w)(?:%s)\w*" % "|".join(map(re.escape, sorted(terms, key=len, reverse=True))), re.I)
    return pattern, [re.compile(rf"(?<!\w){re.escape(t)}(?!\w)", re.I) for t in terms if "_" in t]


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

            _DEFAULT = DocsIndex(operations={op.name: f"{op.method} {op.path}" for op in registry.operations()},
                                 check_every=1.0)
        return _DEFAULT
