"""Polls on threads: creating one, casting, changing and withdrawing ballots, closing."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from .. import permissions
from ..errors import Conflict, Forbidden, ValidationError
from ..extensions import db
from ..models import Poll, PollBallot, PollOption, Thread, User, utcnow
from ..realtime import publisher, rooms
from .unit import use_case

QUESTION_MAX = 200
OPTION_MAX = 120
OPTIONS_MIN, OPTIONS_MAX = 2, 10
RESULTS = ("always", "after_vote", "after_close")


def _closed(poll: Poll, now: datetime) -> bool:
    return poll.closes_at is not None and poll.closes_at <= now


def _announce(poll: Poll, now: datetime) -> None:
    # No per-option counts: whether a viewer may see them depends on the viewer, so
    # clients re-fetch the poll rendered for themselves.
    publisher.publish("poll.changed", {"thread_id": poll.thread_id, "poll_id": poll.id,
                                       "voter_count": poll.voter_count,
                                       "closed": _closed(poll, now)},
                      rooms.thread(poll.thread_id))


def _check_poll_input(question: object, options: object, multiple: object, closes_at: object,
                      results: object, now: datetime) -> tuple[str, list[str]]:
    errors: dict[str, str] = {}
    question = " ".join(question.split()) if isinstance(question, str) else ""
    if not 1 <= len(question) <= QUESTION_MAX:
        errors["question"] = f"1–{QUESTION_MAX} characters."
    labels: list[str] = []
    if not isinstance(options, list | tuple) or not all(isinstance(o, str) for o in options):
        errors["options"] = "A list of option labels."
    else:
        labels = [" ".join(o.split()) for o in options]
        seen: set[str] = set()
        for number, label in enumerate(labels, 1):
            if not 1 <= len(label) <= OPTION_MAX:
                errors["options"] = f"Option {number}: 1–{OPTION_MAX} characters."
                break
            if label.casefold() in seen:
                errors["options"] = f"Option {number} repeats an earlier one."
                break
            seen.add(label.casefold())
        if "options" not in errors and not OPTIONS_MIN <= len(labels) <= OPTIONS_MAX:
            errors["options"] = f"Give {OPTIONS_MIN}–{OPTIONS_MAX} options."
    if not isinstance(multiple, bool):
        errors["multiple"] = "True or false."
    if closes_at is not None:
        if not isinstance(closes_at, datetime) or closes_at.tzinfo is None:
            errors["closes_at"] = "A date and time with its time zone."
        elif closes_at <= now:
            errors["closes_at"] = "Must be in the future."
    if results not in RESULTS:
        errors["results"] = f"One of {', '.join(RESULTS)}."
    if errors:
        raise ValidationError("Please correct the poll.", errors)
    return question, labels


@use_case
def create_poll(actor: User, thread: Thread, question: str, options: Sequence[str],
                multiple: bool = False, closes_at: datetime | None = None,
                results: str = "after_vote") -> Poll:
    """The thread's author or a moderator: attach the thread's one poll."""
    permissions.require(actor, "create_poll", thread)
    now = utcnow()
    question, labels = _check_poll_input(question, options, multiple, closes_at, results, now)
    if db.session.scalar(select(Poll.id).where(Poll.thread_id == thread.id)) is not None:
        raise Conflict("This thread already has a poll.")
    poll = Poll(thread=thread, question=question, multiple=multiple, closes_at=closes_at,
                results=results, voter_count=0, created_at=now,
                options=[PollOption(label=label, position=i, vote_count=0)
                         for i, label in enumerate(labels)])
    db.session.add(poll)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request attached a poll between our check and our insert.
        raise Conflict("This thread already has a poll.") from None
    _announce(poll, now)
    return poll


def _lock(poll: Poll) -> Poll:
    # Ballot writers on one poll take turns (FOR UPDATE on PostgreSQL; SQLite's writers are
    # serialised by BEGIN IMMEDIATE), so each recount sees every committed ballot, and the
    # open/closed check cannot race a close.
    return db.session.scalars(
        select(Poll).where(Poll.id == poll.id).with_for_update()
        .execution_options(populate_existing=True)).one()


def _require_open(actor: User, poll: Poll, now: datetime) -> None:
    permissions.require(actor, "vote_poll", poll)
    if poll.thread.locked:
        raise Forbidden("This thread is locked: its poll takes no votes.")
    if _closed(poll, now):
        raise Conflict("This poll is closed.")


def _ballot(poll: Poll, user: User) -> set[int]:
    return set(db.session.scalars(select(PollBallot.option_id).where(
        PollBallot.poll_id == poll.id, PollBallot.user_id == user.id)))


def _recount(poll: Poll) -> None:
    # Recounting the poll's few options from the ballots keeps the counters equal to the
    # ballots whatever sequence of changes led here.
    counts = dict(db.session.execute(
        select(PollBallot.option_id, func.count()).where(PollBallot.poll_id == poll.id)
        .group_by(PollBallot.option_id)).all())
    for option in poll.options:
        option.vote_count = counts.get(option.id, 0)
    poll.voter_count = db.session.scalar(
        select(func.count(func.distinct(PollBallot.user_id))).where(PollBallot.poll_id == poll.id))


def _check_choice(poll: Poll, option_ids: object) -> set[int]:
    if not isinstance(option_ids, list | tuple) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in option_ids):
        raise ValidationError("Choose from the poll's options.",
                              {"option_ids": "A list of option ids."})
    chosen = set(option_ids)
    if len(chosen) != len(option_ids):
        raise ValidationError("Each option can be chosen once.",
                              {"option_ids": "Each option at most once."})
    if poll.multiple and not chosen:
        raise ValidationError("Choose at least one option.",
                              {"option_ids": "Choose at least one option."})
    if not poll.multiple and len(chosen) != 1:
        raise ValidationError("Choose one option.", {"option_ids": "Choose exactly one option."})
    if not chosen <= {o.id for o in poll.options}:
        raise ValidationError("Choose from this poll's options.",
                              {"option_ids": "Not an option of this poll."})
    return chosen


@use_case
def cast_ballot(actor: User, poll: Poll, option_ids: Sequence[int]) -> Poll:
    """Members who can see the thread: vote in an open poll, replacing their earlier ballot."""
    now = utcnow()
    poll = _lock(poll)
    _require_open(actor, poll, now)
    chosen = _check_choice(poll, option_ids)
    if _ballot(poll, actor) == chosen:
        return poll
    db.session.execute(delete(PollBallot).where(PollBallot.poll_id == poll.id,
                                                PollBallot.user_id == actor.id))
    db.session.add_all(PollBallot(poll_id=poll.id, user_id=actor.id, option_id=i, created_at=now)
                       for i in sorted(chosen))
    db.session.flush()
    _recount(poll)
    _announce(poll, now)
    return poll


@use_case
def withdraw_ballot(actor: User, poll: Poll) -> Poll:
    """Members who voted: take back their ballot while the poll is open."""
    now = utcnow()
    poll = _lock(poll)
    _require_open(actor, poll, now)
    removed = db.session.execute(delete(PollBallot).where(PollBallot.poll_id == poll.id,
                                                          PollBallot.user_id == actor.id))
    if removed.rowcount:
        _recount(poll)
        _announce(poll, now)
    return poll


@use_case
def close_poll(actor: User, poll: Poll) -> Poll:
    """The thread's author or a moderator: stop the poll taking votes now (again: a no-op)."""
    now = utcnow()
    poll = _lock(poll)
    permissions.require(actor, "create_poll", poll.thread)
    if not _closed(poll, now):
        poll.closes_at = now
        _announce(poll, now)
    return poll
