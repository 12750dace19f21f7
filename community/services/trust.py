"""Trust levels 0 (new) … 4 (leader): earned from activity, or set by a moderator.

A member's level is reconsidered when something it depends on changes (a visit on a new
day, a post published, a vote received) and only ever rises by itself. A level a
moderator set by hand (User.trust_locked) is left alone until a moderator resets it.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import (AuditEntry, Post, PostVote, ReviewItem, Role, Thread, ThreadVote, User,
                      utcnow)
from ..domain_events import (MemberVisited, PostPublished, PostRemoved, PostRestored, PostVoted,
                             ThreadStarted, ThreadVoted)
from .rows import add_to

LEVELS = range(5)
NAMES = {0: "new", 1: "basic", 2: "member", 3: "regular", 4: "leader"}
CRITERIA = ("days_since_joined", "days_visited", "posts", "likes_received", "clean_days")
# Moderator actions that count as "moderation against you" when it comes to trust.
AGAINST = ("reject", "hide", "suspend_member", "silence_member")


@dataclass(frozen=True)
class Activity:
    """What a member has done, as the trust thresholds measure it."""

    days_since_joined: int
    days_visited: int
    posts: int
    likes_received: int
    # Days since the last moderation against the member (None: never).
    days_since_moderated: int | None


def thresholds(config) -> dict[int, dict[str, int]]:
    """The configured thresholds per level 1..4, every criterion filled in (0 = no need)."""
    raw = config["TRUST_THRESHOLDS"]
    return {level: {c: int(raw.get(str(level), {}).get(c, 0)) for c in CRITERIA}
            for level in range(1, 5)}


def earned_level(activity: Activity, needs: dict[int, dict[str, int]]) -> int:
    """The highest level whose every threshold the activity meets (levels are climbed in order)."""
    level = 0
    for candidate in range(1, 5):
        need = needs[candidate]
        clean = (activity.days_since_moderated is None
                 or activity.days_since_moderated >= need["clean_days"])
        if not (activity.days_since_joined >= need["days_since_joined"]
                and activity.days_visited >= need["days_visited"]
                and activity.posts >= need["posts"]
                and activity.likes_received >= need["likes_received"] and clean):
            break
        level = candidate
    return level


def activity_of(user: User, now: datetime | None = None) -> Activity:
    """The member's activity, read from stored counters and a few indexed counts."""
    now = now or utcnow()
    likes = (db.session.scalar(select(func.count()).select_from(PostVote).join(Post)
                               .where(Post.author_id == user.id)) or 0) + \
        (db.session.scalar(select(func.count()).select_from(ThreadVote).join(Thread)
                           .where(Thread.author_id == user.id)) or 0)
    return Activity(days_since_joined=(now - user.created_at).days,
                    days_visited=user.days_visited, posts=user.post_count,
                    likes_received=likes, days_since_moderated=_days_since_moderated(user, now))


def _days_since_moderated(user: User, now: datetime) -> int | None:
    rejected = db.session.scalar(
        select(func.max(ReviewItem.resolved_at)).join(Post, Post.id == ReviewItem.post_id)
        .where(Post.author_id == user.id, ReviewItem.resolution.in_(("rejected", "hidden"))))
    acted = db.session.scalar(
        select(func.max(AuditEntry.created_at))
        .where(AuditEntry.target_type == "user", AuditEntry.target_id == user.id,
               AuditEntry.action.in_(AGAINST)))
    latest = max(filter(None, [rejected, acted]), default=None)
    return None if latest is None else (now - latest).days


def refresh(user: User) -> int:
    """Raise an automatic level to what the member's activity has earned.

    Levels only go up by themselves; a moderator lowers one by hand (which locks it), and
    levels a moderator set are left alone until reset to automatic.
    """
    if user.trust_locked or user.trust_level >= max(LEVELS):
        return user.trust_level
    needs = thresholds(current_app.config)
    now = utcnow()
    # Nothing to count when even the stored counters fall short of the next level.
    following = needs[user.trust_level + 1]
    if ((now - user.created_at).days < following["days_since_joined"]
            or user.days_visited < following["days_visited"]
            or user.post_count < following["posts"]):
        return user.trust_level
    user.trust_level = max(user.trust_level, earned_level(activity_of(user, now), needs))
    return user.trust_level


def flag_weight(user, config) -> int:
    """How much a flag by `user` counts (moderators count like leaders)."""
    weights = config["TRUST_FLAG_WEIGHTS"]
    level = 4 if user.has_role(Role.MODERATOR) else user.trust_level
    return int(weights[min(max(level, 0), len(weights) - 1)])


# --- reactions (community.events): keep the published-post count and the level right ------

def count_post_added(event: ThreadStarted | PostPublished | PostRestored) -> None:
    """A post became visible: it counts for its author, whose level may rise."""
    _count(event.post, +1)


def count_post_removed(event: PostRemoved) -> None:
    """A visible post was removed: it no longer counts for its author."""
    _count(event.post, -1)


def refresh_voted_author(event: ThreadVoted | PostVoted) -> None:
    """A vote changed what the author received: their level may rise."""
    subject = event.thread if isinstance(event, ThreadVoted) else event.post
    refresh(subject.author)


def refresh_visitor(event: MemberVisited) -> None:
    """A visit on a new day: the member's level may rise."""
    refresh(event.user)


def _count(post: Post, change: int) -> None:
    author = post.author
    add_to(author, post_count=change)
    refresh(author)
