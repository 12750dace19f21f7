"""Domain events: what happened, as typed values that services record.

A service records an event (`record(PostPublished(post))`) once it has made the change.
The reactions community.events lists for that event type (points, trust, activity,
notifications, audit, webhooks, live re-checks) run there and then, in the registry's
order, inside the same unit of work: their writes commit or roll back with the change.
Reactions must not commit; anything live they send goes out through realtime.publisher
after the commit.

Below services and queries alike: this module imports models only.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from .models import BadgeAward, Post, Thread, User


class DomainEvent:
    """Base of every domain event (each a frozen dataclass below)."""


@dataclass(frozen=True)
class ThreadStarted(DomainEvent):
    """A thread and its opening post were published."""

    thread: Thread
    post: Post


@dataclass(frozen=True)
class PostPublished(DomainEvent):
    """A post became visible to everyone (a reply, or an opening post approved late)."""

    post: Post


@dataclass(frozen=True)
class PostRemoved(DomainEvent):
    """A published post was deleted or hidden (actor None: the system)."""

    post: Post
    actor: Any


@dataclass(frozen=True)
class PostRestored(DomainEvent):
    """A removed post is visible again."""

    post: Post
    actor: Any


@dataclass(frozen=True)
class PostHeld(DomainEvent):
    """A new post was held for review (screening gave the reasons)."""

    post: Post
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PostEdited(DomainEvent):
    """A post's body was changed (old_body: what it said before)."""

    post: Post
    actor: User
    old_body: str


@dataclass(frozen=True)
class PostDeleted(DomainEvent):
    """Its author or a moderator deleted a post (whatever its state was)."""

    post: Post
    actor: User


@dataclass(frozen=True)
class ThreadCurated(DomainEvent):
    """A thread's pin, lock or forum may have changed (before: those three as they were)."""

    thread: Thread
    actor: User
    before: Mapping[str, Any]


@dataclass(frozen=True)
class MembersMentioned(DomainEvent):
    """An edit of a visible post mentions these members anew."""

    post: Post
    user_ids: tuple[int, ...]


@dataclass(frozen=True)
class ThreadVoted(DomainEvent):
    """A member voted for a thread (change +1) or took the vote back (-1)."""

    thread: Thread
    voter: User
    change: int


@dataclass(frozen=True)
class PostVoted(DomainEvent):
    """A member voted for a post (change +1) or took the vote back (-1)."""

    post: Post
    voter: User
    change: int


@dataclass(frozen=True)
class SolutionChanged(DomainEvent):
    """A post was accepted as the thread's solution, or no longer is."""

    thread: Thread
    post: Post
    accepted: bool
    actor: Any


@dataclass(frozen=True)
class IdeaStatusChanged(DomainEvent):
    """Staff set an idea's status (note_post: the public note, if any)."""

    thread: Thread
    actor: User
    old: str
    new: str
    note_post: Post | None


@dataclass(frozen=True)
class MemberVisited(DomainEvent):
    """The first request of a member on a UTC day."""

    user: User
    day: date


@dataclass(frozen=True)
class BadgeAwarded(DomainEvent):
    """A member got a badge, by a rule or from staff (award.awarded_by_id)."""

    award: BadgeAward


@dataclass(frozen=True)
class RankReached(DomainEvent):
    """A member's points reached a new rank title."""

    user: User
    rank: str


@dataclass(frozen=True)
class MemberJoined(DomainEvent):
    """Someone registered."""

    user: User


@dataclass(frozen=True)
class ProfileUpdated(DomainEvent):
    """A member changed their profile."""

    user: User


@dataclass(frozen=True)
class ModerationAction(DomainEvent):
    """A moderator (actor None: the system) acted on a member's post or account."""

    action: str
    actor: Any
    target_user: User | None
    post: Post | None
    reason: str = ""


@dataclass(frozen=True)
class AccessNarrowed(DomainEvent):
    """Someone may now hear less than before (token revoked, role lowered, suspended,
    signed out, thread moved, forum made private): live sockets are checked again. The ids
    not concerned are None."""

    user_id: int | None = None
    thread_id: int | None = None
    forum_id: int | None = None


Reaction = Callable[[Any], None]
_reactions: dict[type[DomainEvent], tuple[Reaction, ...]] | None = None
_captures: list[list[DomainEvent]] = []


def install(reactions: Mapping[type[DomainEvent], Sequence[Reaction]]) -> None:
    """Make `reactions` the ones that run (community.events does it; installing again
    replaces, never adds)."""
    global _reactions
    _reactions = {kind: tuple(fns) for kind, fns in reactions.items()}


def reactions_to(kind: type[DomainEvent]) -> tuple[Reaction, ...]:
    """The reactions installed for events of type `kind`, in the order they run."""
    return (_reactions or {}).get(kind, ())


def record(event: DomainEvent) -> None:
    """Run the reactions to `event` now, in the registry's order, in the caller's unit of work."""
    if _reactions is None:
        # Without the registry every counter would silently stop: fail where it shows.
        raise RuntimeError("no reactions installed: create_app() installs community.events")
    for seen in _captures:
        seen.append(event)
    for react in _reactions.get(type(event), ()):
        react(event)


@contextmanager
def capture() -> Iterator[list[DomainEvent]]:
    """Collect the events recorded while the block runs (for tests)."""
    seen: list[DomainEvent] = []
    _captures.append(seen)
    try:
        yield seen
    finally:
        _captures[:] = [c for c in _captures if c is not seen]  # by identity: lists compare equal
