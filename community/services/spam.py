"""Spam and low-effort rules: one small function each, returning why a post is held, or None.

The rules read a `Draft` (the post and what is known about its author) and `Limits` (the
configured thresholds), both plain data, so each rule can be tested on its own. The
moderation service builds them, runs `RULES` and holds the post when any rule answers.
"""

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser

# Replies that say nothing a vote would not say better.
LOW_EFFORT_PHRASES = frozenset({
    "+1", "++", "1", "this", "same", "same here", "me too", "metoo", "agreed", "agree",
    "i agree", "thanks", "thank you", "thanks!", "thx", "ty", "tnx", "cheers", "great",
    "great post", "good post", "nice post", "nice", "cool", "awesome", "lol", "ok", "okay",
    "bump", "first", "yes", "yep", "exactly", "well said", "great answer", "good answer",
    "thanks a lot", "thank you so much", "many thanks", "thanks for sharing",
})


@dataclass(frozen=True)
class Limits:
    """The configured thresholds (see config.DEFAULTS and docs/moderation.md)."""

    new_member_review_posts: int = 3
    max_links: Sequence[int] = (0, 3, 10, 25, 50)
    max_images: Sequence[int] = (0, 3, 10, 25, 50)
    min_post_seconds: Sequence[int] = (30, 10, 0, 0, 0)
    duplicate_limit: int = 1
    duplicate_window: timedelta = timedelta(hours=24)
    low_effort: str = "suggest_vote"

    @classmethod
    def from_config(cls, config) -> "Limits":
        return cls(new_member_review_posts=config["TRUST_NEW_MEMBER_REVIEW_POSTS"],
                   max_links=tuple(config["TRUST_MAX_LINKS"]),
                   max_images=tuple(config["TRUST_MAX_IMAGES"]),
                   min_post_seconds=tuple(config["SPAM_MIN_POST_SECONDS"]),
                   duplicate_limit=config["SPAM_DUPLICATE_LIMIT"],
                   duplicate_window=timedelta(hours=config["SPAM_DUPLICATE_HOURS"]),
                   low_effort=config["LOW_EFFORT_ACTION"])


@dataclass(frozen=True)
class Draft:
    """A post about to be written, and the author's recent history."""

    text: str                     # the readable text, quotes left out (text.plain_text)
    html: str = ""                # as it will be stored (sanitised)
    is_reply: bool = True
    trust_level: int = 0
    published_posts: int = 0      # the author's posts others can see so far
    # The author's posts within the duplicate window, newest first: (created_at, text).
    recent: Sequence[tuple[datetime, str]] = field(default_factory=tuple)
    now: datetime | None = None


def _level(values: Sequence[int], level: int) -> int:
    return values[min(max(level, 0), len(values) - 1)]


def normalise(text: str) -> str:
    """Lower-case, accents and punctuation kept apart from words, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.split())


# --- what the rendered HTML links to -------------------------------------------------------

class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        elif tag == "img" and values.get("src"):
            self.images.append(values["src"])


def _external(url: str) -> bool:
    # Quotes and mentions link inside the site ("/p/1", "/u/name"); those are no spam.
    return bool(re.match(r"^(?:[a-z][a-z0-9+.\-]*:|//)", url.strip(), re.IGNORECASE)) and \
        not url.strip().lower().startswith("mailto:")


def links_in(html: str) -> tuple[list[str], list[str]]:
    """The external links and the images in sanitised post HTML."""
    parser = _Links()
    parser.feed(html)
    parser.close()
    return [u for u in parser.links if _external(u)], parser.images


# --- the rules ---------------------------------------------------------------------------

def new_member(draft: Draft, limits: Limits) -> str | None:
    """Trust level 0: the first posts wait for a moderator."""
    if draft.trust_level == 0 and draft.published_posts < limits.new_member_review_posts:
        return (f"New member: the first {limits.new_member_review_posts} posts of a new member "
                "are reviewed.")
    return None


def too_many_links(draft: Draft, limits: Limits) -> str | None:
    """More external links than the author's trust level allows."""
    links, _ = links_in(draft.html)
    allowed = _level(limits.max_links, draft.trust_level)
    if len(links) <= allowed:
        return None
    if allowed == 0:
        return f"Links: members at trust level {draft.trust_level} cannot post links yet."
    return (f"Links: {len(links)} links, more than the {allowed} allowed at trust level "
            f"{draft.trust_level}.")


def too_many_images(draft: Draft, limits: Limits) -> str | None:
    """More images than the author's trust level allows."""
    _, images = links_in(draft.html)
    allowed = _level(limits.max_images, draft.trust_level)
    if len(images) <= allowed:
        return None
    if allowed == 0:
        return f"Images: members at trust level {draft.trust_level} cannot post images yet."
    return (f"Images: {len(images)} images, more than the {allowed} allowed at trust level "
            f"{draft.trust_level}.")


def duplicate(draft: Draft, limits: Limits) -> str | None:
    """The same text posted again and again."""
    mine = normalise(draft.text)
    if not mine or limits.duplicate_limit <= 0:
        return None
    since = (draft.now - limits.duplicate_window) if draft.now else None
    same = sum(1 for at, text in draft.recent
               if normalise(text) == mine and (since is None or at >= since))
    if same < limits.duplicate_limit:
        return None
    return f"Duplicate: the same text was posted {same} time{'s' if same != 1 else ''} recently."


def too_fast(draft: Draft, limits: Limits) -> str | None:
    """A post right after the author's previous one."""
    wait = _level(limits.min_post_seconds, draft.trust_level)
    if wait <= 0 or not draft.recent or draft.now is None:
        return None
    latest = max(at for at, _ in draft.recent)
    seconds = (draft.now - latest).total_seconds()
    if seconds >= wait:
        return None
    return (f"Posting too fast: {int(seconds)} s after the previous post (trust level "
            f"{draft.trust_level} waits {wait} s).")


def low_effort(draft: Draft, limits: Limits) -> str | None:
    """A reply that only says "+1", "thanks", "good post"…"""
    if not draft.is_reply or limits.low_effort == "allow":
        return None
    words = normalise(draft.text)
    bare = re.sub(r"[\s!.,…:;)(\-~*]+", " ", words).strip()
    if words in LOW_EFFORT_PHRASES or bare in LOW_EFFORT_PHRASES or _only_symbols(words):
        return f"Low effort: “{draft.text.strip()[:40]}” says what a vote says."
    return None


def _only_symbols(text: str) -> bool:
    """Emoji and punctuation only (👍, !!!)."""
    stripped = text.replace(" ", "")
    return bool(stripped) and all(unicodedata.category(c)[0] in "PSZ" for c in stripped)


Rule = Callable[[Draft, Limits], str | None]
# In the order their reasons are listed.
RULES: tuple[Rule, ...] = (new_member, too_many_links, too_many_images, duplicate, too_fast,
                           low_effort)


def reasons(draft: Draft, limits: Limits) -> list[str]:
    """Why each rule would hold the draft (empty when none would)."""
    return [reason for rule in RULES if (reason := rule(draft, limits)) is not None]


# --- watched words -------------------------------------------------------------------------

@dataclass(frozen=True)
class Watched:
    word: str
    action: str  # block, hold, replace
    replacement: str = ""

    @property
    def pattern(self) -> re.Pattern:
        # Whole words, any case; "*" stands for any letters ("spam*" catches "spammer").
        parts = [re.escape(p) for p in self.word.split("*")]
        body = r"\w*".join(parts)
        return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def watched_in(text: str, words: Sequence[Watched], action: str) -> Watched | None:
    """The first watched word with `action` that `text` contains."""
    return next((w for w in words if w.action == action and w.pattern.search(text)), None)


def replace_watched(text: str, words: Sequence[Watched]) -> str:
    """`text` with every "replace" word swapped for its replacement."""
    for w in words:
        if w.action == "replace":
            text = w.pattern.sub(lambda _m, r=w.replacement: r, text)
    return text
