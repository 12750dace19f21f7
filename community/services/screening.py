"""Screening: what a new post or an edit must pass before it is written.

Watched words (the list admins keep, services.moderation.settings) are replaced or block
it; a silenced member may not post; a post is held for review ("pending") when the forum
is pre-moderated, a watched word says so, or one of the automatic rules in services.spam
catches it. Moderators' posts go out as written. services.forums asks here first; a held
post then waits in the review queue (services.moderation.queue).
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .. import permissions, text
from ..errors import Forbidden, ValidationError
from ..extensions import db
from ..models import Forum, Post, PostState, Thread, ThreadState, User, WatchedWord, utcnow
from ..queries.moderation import silence_of
from . import spam
from .writing import render

RECENT_POSTS = 20  # how many of the author's recent posts the duplicate and pace rules read


@dataclass(frozen=True)
class Screening:
    """How a new post goes out: its (possibly rewritten) text, and why it is held, if it is."""

    body: str
    rendered: text.Rendered
    reasons: tuple[str, ...] = ()
    title: str | None = None

    @property
    def held(self) -> bool:
        return bool(self.reasons)

    @property
    def state(self) -> str:
        return PostState.PENDING if self.held else PostState.PUBLISHED


def watched_words() -> list[spam.Watched]:
    return [spam.Watched(w.word, w.action, w.replacement)
            for w in db.session.scalars(select(WatchedWord).order_by(WatchedWord.id))]


def _refuse_if_silenced(actor) -> None:
    silenced = silence_of(actor)
    if silenced is not None:
        until, reason = silenced
        raise Forbidden(f"You are silenced until {until:%-d %b %Y %H:%M} UTC and cannot post: "
                        f"{reason}")


def _refuse_if_unconfirmed(actor) -> None:
    if current_app.config["REQUIRE_VERIFIED_EMAIL_TO_POST"] and actor.email_verified_at is None:
        raise Forbidden("Confirm your email address before you post: open the link we emailed "
                        "you, or ask for a new one.")


def _refuse_blocked(words: list[spam.Watched], body: str, title: str | None) -> None:
    for field, value in (("title", title), ("body", body)):
        if value and (word := spam.watched_in(value, words, "block")) is not None:
            raise ValidationError("This cannot be posted here.",
                                  {field: f"“{word.word}” is not allowed in this community."})


def _draft(actor, body: str, html: str, *, is_reply: bool, limits: spam.Limits) -> spam.Draft:
    now = utcnow()
    window = max(limits.duplicate_window, timedelta(seconds=max(limits.min_post_seconds)))
    rows = db.session.execute(
        select(Post.created_at, Post.body).where(
            Post.author_id == actor.id, Post.created_at >= now - window,
            Post.state.in_((PostState.PUBLISHED, PostState.PENDING)))
        .order_by(Post.created_at.desc()).limit(RECENT_POSTS)).all()
    return spam.Draft(text=text.plain_text(body), html=html, is_reply=is_reply,
                      trust_level=actor.trust_level, published_posts=actor.post_count,
                      recent=tuple((at, text.plain_text(b)) for at, b in rows), now=now)


def screen(actor: User, forum: Forum, body: str, *, title: str | None = None,
           thread: Thread | None = None) -> Screening:
    """Screen a new thread (with `title`) or a reply (to `thread`) before it is written.

    Raises ValidationError for a blocked word or a low-effort reply (suggesting a vote
    instead), Forbidden for a silenced member. Moderators' posts go out as written.
    """
    words = watched_words()
    body = spam.replace_watched(body, words)
    title = spam.replace_watched(title, words) if title is not None else None
    rendered = render(body)
    reasons: list[str] = []
    if thread is not None and thread.state != ThreadState.PUBLISHED:
        reasons.append("Thread awaiting review: its replies wait until it is published.")
    if permissions.can(actor, "moderate"):
        return Screening(body, rendered, tuple(reasons), title)
    _refuse_if_silenced(actor)
    _refuse_if_unconfirmed(actor)
    _refuse_blocked(words, body, title)
    if forum.premoderated:
        reasons.append("Pre-moderated forum: every post is reviewed before it is published.")
    held = next(filter(None, (spam.watched_in(v, words, "hold") for v in (title, body) if v)), None)
    if held is not None:
        reasons.append(f"Watched word: contains “{held.word}”.")
    if current_app.config["AUTO_MODERATION"]:
        limits = spam.Limits.from_config(current_app.config)
        draft = _draft(actor, body, rendered.html, is_reply=thread is not None, limits=limits)
        if limits.low_effort == "suggest_vote" and spam.low_effort(draft, limits):
            raise ValidationError("Say a little more, or vote instead.", {
                "body": "A reply that only says “+1” or “thanks” is better said with the "
                        "Helpful vote on the post you agree with."})
        reasons += spam.reasons(draft, limits)
    return Screening(body, rendered, tuple(reasons), title)


def screen_edit(actor: User, post: Post, body: str) -> str:
    """The body an edit may store (watched words replaced); ValidationError when the edit
    brings in what would have held a new post (blocked or watched words, links, images)."""
    words = watched_words()
    body = spam.replace_watched(body, words)
    if permissions.can(actor, "moderate"):
        return body
    _refuse_if_silenced(actor)
    _refuse_blocked(words, body, None)
    if post.state != PostState.PUBLISHED:
        return body  # still waiting for review: the moderator reads the edited version
    reasons = []
    if (held := spam.watched_in(body, words, "hold")) is not None:
        reasons.append(f"contains “{held.word}”")
    if current_app.config["AUTO_MODERATION"]:
        limits = spam.Limits.from_config(current_app.config)
        draft = spam.Draft(text=text.plain_text(body), html=render(body).html,
                           trust_level=post.author.trust_level)
        reasons += [r for rule in (spam.too_many_links, spam.too_many_images)
                    if (r := rule(draft, limits)) is not None]
    if reasons:
        raise ValidationError("This edit would need a moderator's review.",
                              {"body": "The edit cannot be published as it is: "
                                       + "; ".join(reasons)})
    return body
