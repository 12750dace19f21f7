"""Member-written Markdown -> sanitised HTML; the only module that imports bleach.

Posts are rendered once, when written, and the stored HTML is what pages show, so
everything here errs towards dropping markup rather than passing it through:
markdown-it parses with raw HTML disabled, and bleach then re-parses the result
against an explicit allowlist as a second, independent line of defence.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import bleach
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token

MAX_BODY = 50_000  # characters; enforcing it is the caller's job
QUOTE_LIMIT = 1_000  # characters of the quoted post that quote_reference keeps

NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]{2,29}"
USERNAME_RE = re.compile(NAME)
QUOTE_OPEN_RE = re.compile(rf" {{0,3}}\[quote=({NAME}) post=(\d{{1,18}})\][ \t]*")
QUOTE_CLOSE_RE = re.compile(r" {0,3}\[/quote\][ \t]*")
QUOTE_MARKER_RE = re.compile(r"^( {0,3})(\[(?:quote=|/quote\]))", re.MULTILINE)
FENCE_RE = re.compile(r" {0,3}(`{3,}|~{3,})")

# "@" not preceded by anything that would make it part of an email address or a path;
# the name is taken greedily and trailing "." / "-" dropped afterwards ("thanks @bob.").
MENTION_RE = re.compile(r"(?<![\w.+\-@/])@([A-Za-z0-9_][A-Za-z0-9_.-]*)")

LINK_REL = "nofollow ugc noopener"
ELLIPSIS = "…"

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
    "code", "pre", "blockquote", "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
IMAGE_PROTOCOLS = frozenset({"http", "https"})
LANGUAGE_CLASS_RE = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
# Whitespace, controls and invisible format characters browsers ignore inside a scheme.
URL_NOISE_RE = re.compile(
    r"[\s\x00-\x20\x7f-\xa0\u00ad\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff`]+"
)
SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):")


@dataclass(frozen=True)
class Rendered:
    """A post body rendered to safe HTML, with what it mentions and quotes."""

    html: str
    mentions: tuple[str, ...]
    quoted_post_ids: tuple[int, ...]


# --- public API -------------------------------------------------------------------------

def render(
    source: str,
    *,
    resolve_mentions: Callable[[Iterable[str]], dict[str, str]] | None = None,
    user_url: Callable[[str], str] = lambda u: f"/u/{u}",
    post_url: Callable[[int], str] = lambda pid: f"/p/{pid}",
) -> Rendered:
    """Markdown -> sanitised HTML, with @mentions and quotes linked.

    `resolve_mentions` gets the candidate names, lower-cased, deduplicated, in order of
    first appearance, and returns {candidate: canonical username} for those that exist
    (keys are matched case-insensitively). Mentions inside quotes are left as text: they
    are someone else's words and must not notify again.
    """
    md, cleaner = _tools()
    tokens = md.parse(source or "", {})
    resolved: dict[str, str] = {}
    if resolve_mentions is not None:
        candidates = _mention_candidates(tokens)
        if candidates:
            found = resolve_mentions(candidates) or {}
            resolved = {key.lower(): name for key, name in found.items() if name}
    mentions, quoted = _decorate(tokens, resolved, user_url, post_url)
    html = md.renderer.render(tokens, md.options, {})
    return Rendered(cleaner.clean(html), mentions=tuple(mentions), quoted_post_ids=tuple(quoted))


def plain_text(source: str, limit: int | None = None) -> str:
    """The readable text of a Markdown body (no markup), e.g. for snippets and previews.

    Whitespace is collapsed to single spaces, images are dropped and quoted posts are
    left out (a reply's preview should show the reply). With `limit`, the text is cut at
    a word boundary and, ellipsis included, is at most `limit` characters.
    """
    md, _ = _tools()
    parts: list[str] = []
    depth = 0
    for token in md.parse(source or "", {}):
        if token.type == "quote_open":
            depth += 1
        elif token.type == "quote_close":
            depth -= 1
        elif depth:
            continue
        elif token.type == "inline":
            parts.extend(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
        parts.append(" ")
    text = " ".join("".join(parts).split())
    return text if limit is None else _truncate(text, limit, prefer_paragraph=False)


def quoted_post_ids(source: str) -> tuple[int, ...]:
    """The posts a Markdown body quotes itself, deduplicated in order of appearance.

    Quotes nested inside a quote are left out: those are the quoted author's quotes.
    """
    md, _ = _tools()
    quoted: dict[int, None] = {}
    depth = 0
    for token in md.parse(source or "", {}):
        if token.type == "quote_open":
            if not depth:
                quoted.setdefault(token.meta["post_id"], None)
            depth += 1
        elif token.type == "quote_close":
            depth -= 1
    return tuple(quoted)


def quote_reference(username: str, post_id: int, body: str) -> str:
    """The Markdown the 'Quote' action puts in the editor to quote `body` (post `post_id`).

    Quotes already in `body` are dropped (quote only the author's own words), stray
    quote markers are escaped so they cannot close the quote early, and the text is cut
    to QUOTE_LIMIT characters at a paragraph or word boundary.
    """
    text = _strip_quotes((body or "").replace("\r\n", "\n").replace("\r", "\n"))
    text = QUOTE_MARKER_RE.sub(r"\1\\\2", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    if len(text) > QUOTE_LIMIT:
        text = _close_open_fence(_truncate(text, QUOTE_LIMIT, prefer_paragraph=True))
    valid_id = isinstance(post_id, int) and not isinstance(post_id, bool) and post_id >= 0
    if not (valid_id and USERNAME_RE.fullmatch(username or "")):
        # Not something the quote syntax can name: fall back to a plain blockquote.
        return "".join(f"> {line}\n" if line else ">\n" for line in text.split("\n")) + "\n"
    return f"[quote={username} post={post_id}]\n{text}\n[/quote]\n\n"


# --- the parser and the cleaner -----------------------------------------------------------

_local = threading.local()


def _tools() -> tuple[MarkdownIt, bleach.Cleaner]:
    """This thread's parser and cleaner: neither linkify-it nor bleach is thread-safe."""
    tools = getattr(_local, "tools", None)
    if tools is None:
        tools = _local.tools = (_make_markdown(), _make_cleaner())
    return tools


def _make_markdown() -> MarkdownIt:
    """CommonMark with tables, strikethrough, bare-URL linking and the quote block."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.block.ruler.before(
        "fence", "quote", _quote_block, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
    return md


def _make_cleaner() -> bleach.Cleaner:
    """A cleaner that keeps only the tags, attributes and URLs the renderer produces."""
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_allowed_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    """The attribute allowlist, down to the values the renderer itself writes."""
    if tag == "a":
        return (
            (name == "href" and _url_allowed(value, ALLOWED_PROTOCOLS))
            or name == "title"
            or (name == "rel" and value == LINK_REL)
            or (name == "class" and value == "mention")
        )
    if tag == "img":
        return (name == "src" and _url_allowed(value, IMAGE_PROTOCOLS)) or name in ("alt", "title")
    if tag in ("th", "td"):
        return name == "align" and value in ("left", "center", "right")
    if tag == "ol":
        return name == "start" and value.isdigit()
    if tag == "code":
        return name == "class" and LANGUAGE_CLASS_RE.fullmatch(value) is not None
    if tag == "blockquote":
        return name == "class" and value == "quote"
    if tag == "p":
        return name == "class" and value == "quote-source"
    return False


def _url_allowed(value: str, protocols: frozenset[str]) -> bool:
    """Relative URLs, or a scheme in `protocols` once the usual disguises are removed."""
    # bleach hands over the value with entities already decoded; the noise browsers
    # skip ("java\tscript:") is removed before looking for the scheme.
    normalised = URL_NOISE_RE.sub("", value).lower()
    scheme = SCHEME_RE.match(normalised)
    return scheme is None or scheme.group(1) in protocols


# --- quotes -----------------------------------------------------------------------------

def _quote_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Block rule for `[quote=name post=N]` … `[/quote]` on lines of their own."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    opener = QUOTE_OPEN_RE.fullmatch(_line(state, start))
    if opener is None:
        return False
    close = _matching_close(state, start, end)
    if close is None:
        return False  # unterminated: the paragraph rule keeps it as literal text
    if silent:
        return True

    old_parent, old_max, old_indent = state.parentType, state.lineMax, state.blkIndent
    token = state.push("quote_open", "blockquote", 1)
    token.attrs = {"class": "quote"}
    token.meta = {"username": opener.group(1), "post_id": int(opener.group(2))}
    token.map = [start, close + 1]
    token.block = True

    state.parentType = "quote"
    state.lineMax = close
    state.blkIndent = state.sCount[start]
    state.md.block.tokenize(state, start + 1, close)
    state.parentType, state.lineMax, state.blkIndent = old_parent, old_max, old_indent

    state.push("quote_close", "blockquote", -1).block = True
    state.line = close + 1
    return True


def _matching_close(state: StateBlock, start: int, end: int) -> int | None:
    """The line closing the quote opened at `start`, counting nested quotes, or None.

    One scan records the answer for every opener it passes, so a post made of thousands
    of unterminated openers stays linear instead of rescanning for each of them.
    """
    memo = state.env.setdefault("quote_closes", {})
    def key(line: int) -> tuple[int, int, int, int]:
        return line, state.bMarks[line] + state.tShift[line], state.blkIndent, end

    if key(start) in memo:
        return memo[key(start)]
    stack = [start]
    line = start + 1
    while line < end and stack:
        if state.isEmpty(line):
            line += 1
            continue
        if state.sCount[line] < state.blkIndent:
            break  # the enclosing list item or blockquote ended first
        text = _line(state, line) if state.sCount[line] - state.blkIndent < 4 else ""
        if QUOTE_OPEN_RE.fullmatch(text):
            stack.append(line)
        elif QUOTE_CLOSE_RE.fullmatch(text):
            memo[key(stack[-1])] = line
            stack.pop()
        line += 1
    for opener in stack:
        memo[key(opener)] = None
    return memo[key(start)]


def _line(state: StateBlock, line: int) -> str:
    """The text of `line` from its first non-blank character."""
    return state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]]


def _quote_header(meta: dict, post_url: Callable[[int], str]) -> list[Token]:
    """The "alice wrote:" line linking back to the quoted post."""
    link = Token("link_open", "a", 1, attrs={"href": post_url(meta["post_id"])})
    inline = Token("inline", "", 0, children=[
        link,
        Token("text", "", 0, content=f"{meta['username']} wrote:"),
        Token("link_close", "a", -1),
    ])
    opening = Token("paragraph_open", "p", 1, attrs={"class": "quote-source"}, block=True)
    return [opening, inline, Token("paragraph_close", "p", -1, block=True)]


def _strip_quotes(text: str) -> str:
    """`text` without its complete quote blocks (nested ones included)."""
    lines = text.split("\n")
    drop: set[int] = set()
    openers: list[int] = []
    for number, line in enumerate(lines):
        if QUOTE_OPEN_RE.fullmatch(line):
            openers.append(number)
        elif QUOTE_CLOSE_RE.fullmatch(line) and openers:
            drop.update(range(openers.pop(), number + 1))
    return "\n".join(line for number, line in enumerate(lines) if number not in drop)


def _close_open_fence(text: str) -> str:
    """`text` with a code fence the cut left open closed again, so "…" is not code."""
    fence = None
    for line in text.split("\n"):
        marker = FENCE_RE.match(line)
        if marker is None:
            continue
        if fence is None:
            fence = marker.group(1)
        elif marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence) \
                and not line.strip()[len(marker.group(1)):]:
            fence = None
    if fence is None:
        return text
    return f"{text[:-len(ELLIPSIS)].rstrip()}\n{fence}\n\n{ELLIPSIS}"


# --- mentions, links, tables --------------------------------------------------------------

def _mention_names(text: str) -> Iterable[tuple[re.Match, str]]:
    """(match, name) for each well-formed @mention in a run of plain text."""
    for match in MENTION_RE.finditer(text):
        name = match.group(1).rstrip(".-")
        if USERNAME_RE.fullmatch(name):
            yield match, name


def _mentionable_texts(tokens: list[Token]) -> Iterable[tuple[list[Token], int]]:
    """(children, index) of each text token outside quotes, links and code."""
    quote_depth = 0
    for token in tokens:
        if token.type == "quote_open":
            quote_depth += 1
        elif token.type == "quote_close":
            quote_depth -= 1
        elif token.type == "inline" and not quote_depth and token.children:
            link_depth = 0
            for index, child in enumerate(token.children):
                if child.type == "link_open":
                    link_depth += 1
                elif child.type == "link_close":
                    link_depth -= 1
                elif child.type == "text" and not link_depth:
                    yield token.children, index


def _mention_candidates(tokens: list[Token]) -> list[str]:
    """Lower-cased mention names in order of first appearance."""
    seen: dict[str, None] = {}
    for children, index in _mentionable_texts(tokens):
        for _, name in _mention_names(children[index].content):
            seen.setdefault(name.lower(), None)
    return list(seen)


def _decorate(
    tokens: list[Token],
    resolved: dict[str, str],
    user_url: Callable[[str], str],
    post_url: Callable[[int], str],
) -> tuple[list[str], list[int]]:
    """Link mentions, add quote headers, rel and table alignment, in place.

    Returns the usernames linked and the post ids quoted, each deduplicated in order.
    """
    mentions: dict[str, None] = {}
    if resolved:
        # Replacements are computed forwards (appearance order) and applied backwards,
        # since splitting a text token shifts the indexes after it.
        replacements = [
            (children, index, _link_mentions(children[index], resolved, user_url, mentions))
            for children, index in list(_mentionable_texts(tokens))
        ]
        for children, index, replacement in reversed(replacements):
            children[index:index + 1] = replacement

    quoted: dict[int, None] = {}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "quote_open":
            quoted.setdefault(token.meta["post_id"], None)
            header = _quote_header(token.meta, post_url)
            tokens[index + 1:index + 1] = header
            index += len(header)  # an internal link: no rel
        elif token.type in ("th_open", "td_open"):
            _align_attribute(token)
        elif token.type == "inline":
            for child in token.children or ():
                if child.type == "link_open" and child.attrGet("class") != "mention":
                    child.attrSet("rel", LINK_REL)
        index += 1
    return list(mentions), list(quoted)


def _link_mentions(
    token: Token, resolved: dict[str, str], user_url: Callable[[str], str], seen: dict
) -> list[Token]:
    """`token` split into text and mention links for the names that resolved."""
    text, position, out = token.content, 0, []
    for match, name in _mention_names(text):
        username = resolved.get(name.lower())
        if not username:
            continue
        if match.start() > position:
            out.append(Token("text", "", 0, content=text[position:match.start()]))
        link = Token("link_open", "a", 1, attrs={"class": "mention", "href": user_url(username)})
        seen.setdefault(username, None)
        out += [link, Token("text", "", 0, content=f"@{username}"), Token("link_close", "a", -1)]
        position = match.start() + 1 + len(name)
    if not out:
        return [token]
    if position < len(text):
        out.append(Token("text", "", 0, content=text[position:]))
    return out


def _align_attribute(token: Token) -> None:
    """Table alignment as `align`, so no style attribute needs to be allowed."""
    style = token.attrGet("style")
    if style is None:
        return
    del token.attrs["style"]
    if isinstance(style, str) and style.startswith("text-align:"):
        token.attrSet("align", style.removeprefix("text-align:"))


# --- plain text -----------------------------------------------------------------------

def _inline_text(children: list[Token]) -> Iterable[str]:
    """The readable text of an inline token's children."""
    for child in children:
        if child.type in ("text", "code_inline", "text_special"):
            yield child.content
        elif child.type in ("softbreak", "hardbreak"):
            yield " "


def _truncate(text: str, limit: int, *, prefer_paragraph: bool) -> str:
    """`text` cut to at most `limit` characters, ellipsis included, at a boundary."""
    if len(text) <= limit:
        return text
    if limit < 1:
        return ""
    cut = text[:limit - 1]
    if text[len(cut)].isspace():
        return f"{cut.rstrip()}{ELLIPSIS}"  # already at the end of a word
    boundary = cut.rfind("\n\n") if prefer_paragraph else -1
    if boundary < limit // 2:
        boundary = max(cut.rfind(" "), cut.rfind("\n"))
    if boundary >= limit // 2:
        cut = cut[:boundary]
    else:
        # One long word: cut anywhere, but not between a character and its marks.
        while cut and (_joins(text[len(cut)]) or cut[-1] == "\u200d"):
            cut = cut[:-1]
    return f"{cut.rstrip()}{ELLIPSIS}"


def _joins(char: str) -> bool:
    """Whether `char` belongs to the character before it (marks, ZWJ, variation selectors)."""
    return bool(unicodedata.combining(char)) or unicodedata.category(char) in ("Mn", "Me", "Cf") \
        or "\ufe00" <= char <= "\ufe0f" or "\U0001f3fb" <= char <= "\U0001f3ff"
