"""Full-text search over threads and their published posts, on SQLite (FTS5) or PostgreSQL.

Both databases get the same query language: the words of the search, English stop words
left out, every one of which must occur in one post, where an opening post counts its
thread's title as its own. Words are stemmed ("waterproofing" finds "waterproof").
Operators users type (quotes, -, OR, NEAR, *) are not syntax: they are dropped.
"""

import re
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import (ColumnElement, Float, Integer, Select, Text, case, cast, column, func,
                        literal_column, null, select, table, union, union_all)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import contains_eager

from .. import text, urls, visibility
from ..errors import ValidationError
from ..extensions import db
from ..models import Post, PostState, Thread
from .paging import Page

MAX_QUERY = 200  # characters
MAX_TERMS = 32
MAX_PER_PAGE = 50
TITLE_WEIGHT = 2.0
SNIPPET_CHARS = 240
SNIPPET_LEAD = 60  # characters shown before the first match
SIMILAR_MIN_LENGTH = 3
SIMILAR_MAX = 20
# A search ranks at most this many matching posts and as many matching titles, the most
# recent ones: a word in one post in ten would otherwise rank 100k posts at every search.
# Fewer matches than this are all ranked, so a rare word's best match always comes first.
CANDIDATES = 200

# PostgreSQL's english.stop, so SQLite (whose FTS5 keeps every word) ignores the same words.
STOP_WORDS = frozenset("""
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom
    this that these those am is are was were be been being have has had having do does did
    doing a an the and but if or because as until while of at by for with about against
    between into through during before after above below to from up down in out on off over
    under again further then once here there when where why how all any both each few more
    most other some such no nor not only own same so than too very s t can will just don
    should now
""".split())

# What migration 0003 adds behind the models' back: FTS5 makes shadow tables of its own.
_FTS_TABLE = "post_fts"
_FTS_SUFFIXES = ("", "_data", "_idx", "_docsize", "_config", "_content")
_SEARCH_INDEXES = ("ix_post_body_search", "ix_post_vector_search", "ix_thread_title_search",
                   "ix_thread_vector_search")
# PostgreSQL: migration 0017's generated columns, to_tsvector('english', …) of a post's body
# and a thread's title, stored.
_VECTOR_COLUMN = "search_vector"

# Markers the database wraps matched words in; only used to learn which words matched.
_START, _STOP = "\x02", "\x03"
_MARKED = re.compile(f"{_START}([^{_START}{_STOP}]{{1,100}}){_STOP}")
_WORD = re.compile(r"[^\W_]+")
# websearch_to_tsquery's operators: quotes, a leading "-" and the word "or".
_WEBSEARCH_OPERATORS = re.compile(r'"|(?:^|(?<=\s))-+|\bor\b', re.IGNORECASE)
_HEADLINE_OPTIONS = f"HighlightAll=true, StartSel={_START}, StopSel={_STOP}"

_fts = table(_FTS_TABLE, column("rowid", Integer))
_FTS = literal_column(_FTS_TABLE)  # the table's own name, as MATCH and bm25() want it
_ENGLISH = literal_column("'english'::regconfig")  # as written, so the GIN indexes apply


@dataclass(frozen=True)
class SearchHit:
    """One thread found, and its best-matching post (None when only the title matched)."""

    thread: Thread
    post_id: int | None
    title_html: Markup
    snippet_html: Markup
    score: float

    @property
    def url(self) -> str:
        return urls.post_url(self.post_id) if self.post_id else urls.thread_url(self.thread.id)


@dataclass
class SearchPage(Page[SearchHit]):
    """One page of search hits for `query` (a page past the last one is empty). `more` is
    true when there were more matches than CANDIDATES: `total` counts the threads among the
    most recent ones."""

    query: str = ""
    more: bool = False


def is_search_object(name: str) -> bool:
    """Whether `name` is a table or index of the search index (the models don't describe it)."""
    return name in _SEARCH_INDEXES or any(name == _FTS_TABLE + s for s in _FTS_SUFFIXES)


def alembic_include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's include_name hook: leave the search index out of schema comparisons."""
    if type_ == "column":
        return not (name == _VECTOR_COLUMN and parent_names.get("table_name") in ("post", "thread"))
    return not (type_ in ("table", "index") and name is not None and is_search_object(name))


# --- queries ---------------------------------------------------------------------------

def search(viewer, q: str, page: int = 1, per_page: int = 20) -> SearchPage:
    """Threads matching `q` that `viewer` may see, one hit per thread, best first.

    A thread scores TITLE_WEIGHT × title part + post part. The title part counts when the
    title alone holds every word; the post part when a post does (an opening post with
    its title's help), if that post's body holds any of them. A part is 0 without a
    match, else 1 + r/(1 + r) with r the bm25 (SQLite) or ts_rank (PostgreSQL) of the
    title or body, so a title match outranks any body-only match. Ties go to the most
    recently active thread, then the newest. Only published posts count, and a title
    only while its opening post is published. Only the CANDIDATES most recent matching
    posts (and titles) the viewer may read are ranked, so a common word costs what a rare
    one does (`more` tells when there were more). A query longer than MAX_QUERY characters
    is a ValidationError on field "q"; per_page is clamped to 1..MAX_PER_PAGE.
    """
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise ValidationError("The search is too long.", {"q": f"At most {MAX_QUERY} characters."})
    page, per_page = max(1, page), min(max(1, per_page), MAX_PER_PAGE)
    match = _Match.of(q)
    if match is None:
        return SearchPage([], page, per_page, 0, q)

    # Threads whose title the viewer may read: the replies of a hidden thread stay
    # published, but must not find it.
    visible = visibility.readable_threads(viewer)
    hits = _thread_hits(match, visible)
    # One pass: the page, with the number of threads found and of posts ranked beside it.
    score = TITLE_WEIGHT * _part(hits.c.title_r) + _part(hits.c.body_r)
    rows = db.session.execute(
        select(Thread, hits.c.post_id, score.label("score"), func.count().over().label("total"),
               func.max(hits.c.found).over().label("found"))
        .join(hits, hits.c.thread_id == Thread.id)
        .join(Thread.forum).options(contains_eager(Thread.forum))
        .where(visible)
        .order_by(score.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    if rows:
        total, more = rows[0].total, (rows[0].found or 0) > CANDIDATES
    else:  # past the last page, or nothing found
        total = 0 if page == 1 else db.session.scalar(
            select(func.count()).select_from(hits).join(Thread, Thread.id == hits.c.thread_id)
            .where(visible))
        more = False
    result = SearchPage([], page, per_page, total, q, more)
    result.items = _build_hits(match, rows)
    return result


def similar_threads(viewer, title: str, limit: int = 5) -> list[Thread]:
    """Visible threads whose titles share significant words with `title`, best first.

    Any word of SIMILAR_MIN_LENGTH letters or more that is not a stop word counts (OR
    semantics); ordered by bm25/ts_rank of the title, then the most recently active.
    """
    words = [w for w in _terms(_clean((title or "")[:MAX_QUERY])) if len(w) >= SIMILAR_MIN_LENGTH]
    if not words:
        return []
    stmt = (select(Thread).join(Thread.forum).options(contains_eager(Thread.forum))
            .where(visibility.readable_threads(viewer)))
    if _postgresql():
        query = func.websearch_to_tsquery(_ENGLISH, " or ".join(words))
        vector = _title_vector()
        stmt = (stmt.join(Post, _opening_post_published(Thread.id))
                .where(vector.bool_op("@@")(query)).order_by(func.ts_rank(vector, query).desc()))
    else:
        # Only opening posts have a title in the index.
        stmt = (stmt.join(Post, Post.thread_id == Thread.id).join(_fts, _fts.c.rowid == Post.id)
                .where(_FTS.match("{title} : (%s)" % " OR ".join(f'"{w}"' for w in words)),
                       Post.state == PostState.PUBLISHED)
                .order_by(func.bm25(_FTS)))
    stmt = stmt.order_by(Thread.last_activity_at.desc(), Thread.id.desc())
    return list(db.session.scalars(stmt.limit(min(max(1, limit), SIMILAR_MAX))))


# --- the query language -----------------------------------------------------------------

def _clean(q: str) -> str:
    """`q` in NFC, with control, format, private-use and surrogate characters as spaces."""
    q = "".join(" " if unicodedata.category(c).startswith("C") else c for c in q)
    return unicodedata.normalize("NFC", q)


def _terms(q: str) -> list[str]:
    """The distinct lower-cased words of `q` that are not stop words, in order."""
    words = dict.fromkeys(w for w in _WORD.findall(q.lower()) if w not in STOP_WORDS)
    return list(words)[:MAX_TERMS]


@dataclass(frozen=True)
class _Match:
    """A user's search in each database's syntax."""

    terms: tuple[str, ...]
    fts5: str  # SQLite: each term quoted, so nothing in it is an operator
    websearch: str  # PostgreSQL: websearch_to_tsquery's input, without its operators

    @classmethod
    def of(cls, q: str) -> "_Match | None":
        q = _clean(q)
        terms = _terms(q)
        if not terms:
            return None
        # PostgreSQL parses the text itself, so e-mail addresses and versions match as stored.
        websearch = " ".join(_WEBSEARCH_OPERATORS.sub(" ", q).split())
        return cls(terms=tuple(terms), fts5=" ".join(f'"{t}"' for t in terms), websearch=websearch)

    def fts5_any(self) -> str:
        return " OR ".join(f'"{t}"' for t in self.terms)

    def every_word(self) -> ColumnElement:
        return func.websearch_to_tsquery(_ENGLISH, self.websearch)

    def any_word(self) -> ColumnElement:
        # Lexemes never contain spaces, so " & " can only be the AND between them.
        return cast(func.replace(cast(self.every_word(), Text), " & ", " | "), TSQUERY)


# --- hits --------------------------------------------------------------------------------

def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _opening_post_published(thread_id) -> ColumnElement[bool]:
    return (Post.thread_id == thread_id) & (Post.number == 1) & (Post.state == PostState.PUBLISHED)


def _post_matches(match: _Match, visible: ColumnElement[bool]) -> Select:
    """(thread_id, post_id, number, r) for the CANDIDATES newest published posts matching the
    search in threads the viewer may read (`visible`, a condition on Thread)."""
    # r ranks the body alone: 0 means an opening post matched by its title's words only.
    # With the LIMIT, the planners walk the posts newest first for a common word (the FTS5
    # table by rowid; PostgreSQL's primary key) and the word's index for a rare one.
    published = Post.state == PostState.PUBLISHED
    if _postgresql():
        every, body, title = match.every_word(), _post_vector(), _title_vector()
        columns = (Post.thread_id, Post.id.label("post_id"), Post.number,
                   func.ts_rank(body, match.any_word()).label("r"))
        bodies = (select(*columns).join(Thread, Thread.id == Post.thread_id)
                  .where(body.bool_op("@@")(every), published, visible)
                  .order_by(Post.id.desc()).limit(CANDIDATES + 1).subquery("body_hits"))
        if len(match.terms) == 1:
            # One word: an opening post whose body lacks it ranks 0 (its title alone
            # matched: title_hits has it), so the branch below would add nothing.
            return select(bodies)
        # Opening posts that match with their title's words: a title must have one.
        openings = (select(*columns).join(Thread, Thread.id == Post.thread_id)
                    .where(Post.number == 1, published, title.bool_op("@@")(match.any_word()),
                           title.op("||")(body).bool_op("@@")(every), visible)
                    .order_by(Thread.id.desc()).limit(CANDIDATES).subquery("opening_hits"))
        return union(select(bodies), select(openings))
    return (select(Post.thread_id, Post.id.label("post_id"), Post.number,
                   (-func.bm25(_FTS, 0.0, 1.0)).label("r"))  # weights: title 0, body 1
            .select_from(_fts).join(Post, Post.id == _fts.c.rowid)
            .join(Thread, Thread.id == Post.thread_id)
            .where(_FTS.match(match.fts5), published, visible)
            .order_by(_fts.c.rowid.desc()).limit(CANDIDATES + 1))


def _title_matches(match: _Match, visible: ColumnElement[bool]) -> Select:
    """(thread_id, r) for the CANDIDATES newest threads whose title alone matches, opening
    post published, that the viewer may read."""
    if _postgresql():
        every, title = match.every_word(), _title_vector()
        return (select(Thread.id.label("thread_id"), func.ts_rank(title, every).label("r"))
                .join(Post, _opening_post_published(Thread.id))
                .where(title.bool_op("@@")(every), visible)
                .order_by(Thread.id.desc()).limit(CANDIDATES))
    return (select(Post.thread_id, (-func.bm25(_FTS)).label("r"))
            .select_from(_fts).join(Post, Post.id == _fts.c.rowid)
            .join(Thread, Thread.id == Post.thread_id)
            .where(_FTS.match("{title} : (%s)" % match.fts5), Post.state == PostState.PUBLISHED,
                   visible)
            .order_by(_fts.c.rowid.desc()).limit(CANDIDATES))


def _post_vector() -> ColumnElement:
    """PostgreSQL: a post's stored search vector (migration 0017), to_tsvector of its body."""
    return literal_column(f"post.{_VECTOR_COLUMN}")


def _title_vector() -> ColumnElement:
    """PostgreSQL: a thread's stored search vector (migration 0017), to_tsvector of its title."""
    return literal_column(f"thread.{_VECTOR_COLUMN}")


def _thread_hits(match: _Match, visible: ColumnElement[bool]):
    """A subquery of (thread_id, post_id, body_r, title_r): one row per matching thread."""
    found = _post_matches(match, visible).subquery("post_hits")
    # One candidate more than CANDIDATES is read, to tell that there are more; it is not ranked.
    posts = select(
        found, func.count().over().label("found"),
        func.row_number().over(order_by=found.c.post_id.desc()).label("k"),
    ).subquery("candidates")
    ranked = select(
        posts.c.thread_id, posts.c.post_id, posts.c.r, posts.c.found,
        func.row_number().over(partition_by=posts.c.thread_id,
                               order_by=(posts.c.r.desc(), posts.c.number)).label("n"),
    ).where(posts.c.k <= CANDIDATES).subquery("ranked")
    titles = _title_matches(match, visible).subquery("title_hits")
    both = union_all(
        # r = 0: no word in the body, so the title alone matched and title_hits has it.
        select(ranked.c.thread_id, ranked.c.post_id, ranked.c.r.label("body_r"),
               cast(null(), Float).label("title_r"), ranked.c.found)
        .where(ranked.c.n == 1, ranked.c.r > 0),
        select(titles.c.thread_id, cast(null(), Integer), cast(null(), Float), titles.c.r,
               cast(null(), Integer)),
    ).subquery("both_hits")
    return select(
        both.c.thread_id, func.max(both.c.post_id).label("post_id"),
        func.max(both.c.body_r).label("body_r"), func.max(both.c.title_r).label("title_r"),
        func.max(both.c.found).label("found"),
    ).group_by(both.c.thread_id).subquery("hits")


def _part(r) -> ColumnElement[float]:
    """0 when this part did not match, else in [1, 2): 1 + r/(1 + r)."""
    return case((r.is_(None), 0.0), (r > 0, 1.0 + r / (1.0 + r)), else_=1.0)


# --- highlighting --------------------------------------------------------------------------

def _build_hits(match: _Match, rows) -> list[SearchHit]:
    """SearchHits for one page of (thread, post_id, score) rows, with highlighted text."""
    thread_ids = [r.Thread.id for r in rows]
    openings = dict(db.session.execute(
        select(Post.thread_id, Post.id).where(Post.thread_id.in_(thread_ids), Post.number == 1)
    ).all())
    shown = {r.Thread.id: r.post_id or openings.get(r.Thread.id) for r in rows}
    bodies = dict(db.session.execute(
        select(Post.id, Post.body).where(Post.id.in_([p for p in shown.values() if p]))).all())
    marked_bodies, marked_titles = _marked_texts(match, list(bodies), openings)

    hits = []
    for thread, post_id, score, *_ in rows:
        body = bodies.get(shown[thread.id], "")
        words = (_marked_words(thread.title, marked_titles.get(thread.id, ""))
                 | _marked_words(body, marked_bodies.get(shown[thread.id], "")))
        pattern = _pattern(words)
        hits.append(SearchHit(thread=thread, post_id=post_id, score=float(score),
                              title_html=_mark(thread.title, pattern),
                              snippet_html=_snippet(text.plain_text(body), pattern)))
    return hits


def _marked_texts(match: _Match, post_ids: list[int],
                  openings: dict[int, int]) -> tuple[dict[int, str], dict[int, str]]:
    """Bodies by post id and titles by thread id, the words of the search marked."""
    if _postgresql():
        words = match.any_word()
        bodies = select(Post.id, func.ts_headline(_ENGLISH, Post.body, words, _HEADLINE_OPTIONS)) \
            .where(Post.id.in_(post_ids))
        titles = select(Thread.id, func.ts_headline(_ENGLISH, Thread.title, words,
                                                    _HEADLINE_OPTIONS)) \
            .where(Thread.id.in_(list(openings)))
        return dict(db.session.execute(bodies).all()), dict(db.session.execute(titles).all())
    by_post = {post_id: thread_id for thread_id, post_id in openings.items()}
    rows = db.session.execute(
        select(_fts.c.rowid, func.highlight(_FTS, 0, _START, _STOP),
               func.highlight(_FTS, 1, _START, _STOP))
        .where(_FTS.match(match.fts5_any()), _fts.c.rowid.in_(set(post_ids) | set(by_post)))
    ).all()
    return ({pid: body for pid, _, body in rows},
            {by_post[pid]: title for pid, title, _ in rows if pid in by_post})


def _marked_words(original: str, marked: str) -> set[str]:
    """The lower-cased words the database marked in `marked`, a marked copy of `original`."""
    if _START in original or _STOP in original:
        return set()  # the author typed the markers: real ones can't be told apart
    return {w.lower() for w in _MARKED.findall(marked)}


def _pattern(words: set[str]) -> re.Pattern | None:
    """A regex finding any of `words` as whole words, longest first."""
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", re.IGNORECASE)


def _mark(plain: str, pattern: re.Pattern | None) -> Markup:
    """`plain` escaped, with <mark> around each match of `pattern`."""
    if pattern is None:
        return escape(plain)
    parts, position = [], 0
    for found in pattern.finditer(plain):
        parts += [escape(plain[position:found.start()]), Markup("<mark>%s</mark>") % found.group()]
        position = found.end()
    parts.append(escape(plain[position:]))
    return Markup("").join(parts)


def _snippet(plain: str, pattern: re.Pattern | None) -> Markup:
    """About SNIPPET_CHARS of `plain` from just before its first match, matches marked."""
    start, end = 0, len(plain)
    first = pattern.search(plain) if pattern else None
    if first and first.start() > SNIPPET_LEAD and len(plain) > SNIPPET_CHARS:
        start = max(0, min(first.start() - SNIPPET_LEAD, len(plain) - SNIPPET_CHARS))
        space = plain.find(" ", start, first.start())
        start = space + 1 if space >= 0 else start
    if end - start > SNIPPET_CHARS:
        end = start + SNIPPET_CHARS
        space = plain.rfind(" ", start + SNIPPET_CHARS // 2, end)
        end = space if space >= 0 else end
    lead = "… " if start > 0 else ""
    tail = " …" if end < len(plain) else ""
    return lead + _mark(plain[start:end], pattern) + tail
