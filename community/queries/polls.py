"""Reading a thread's poll as a given viewer sees it: counts only when they may see results."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import permissions
from ..errors import NotFound
from ..extensions import db
from ..models import Poll, PollBallot, Thread, utcnow


@dataclass(frozen=True)
class OptionView:
    id: int
    label: str
    # None when the viewer may not see the results yet.
    votes: int | None
    # Share of voters who chose the option, rounded; on a multiple-choice poll the
    # shares add up to more than 100.
    percent: int | None


@dataclass(frozen=True)
class PollView:
    id: int
    thread_id: int
    question: str
    multiple: bool
    results: str
    closes_at: datetime | None
    is_closed: bool
    voter_count: int
    results_visible: bool
    options: list[OptionView]
    chosen: frozenset[int]
    can_vote: bool
    can_close: bool

    @property
    def has_voted(self) -> bool:
        return bool(self.chosen)


def is_closed(poll: Poll, now: datetime | None = None) -> bool:
    """Whether the poll has stopped taking votes (closed by hand or past its closing time)."""
    return poll.closes_at is not None and poll.closes_at <= (now or utcnow())


def poll_for(thread: Thread) -> Poll | None:
    """The thread's poll with its options in order, or None."""
    return db.session.scalar(select(Poll).where(Poll.thread_id == thread.id)
                             .options(selectinload(Poll.options)))


def get_poll(viewer, poll_id: int) -> Poll:
    """The poll, or NotFound when it does not exist or its thread is out of the viewer's sight."""
    poll = db.session.get(Poll, poll_id, options=[
        joinedload(Poll.thread).joinedload(Thread.forum), selectinload(Poll.options)])
    if poll is None or not permissions.can(viewer, "view_forum", poll.thread.forum):
        raise NotFound("No such poll.")
    return poll


def _results_visible(viewer, poll: Poll, closed: bool, voted: bool) -> bool:
    if poll.results == "always" or closed:
        return True
    if poll.results == "after_vote":
        return voted or permissions.can(viewer, "create_poll", poll.thread)
    return False


def poll_view(viewer, poll: Poll, now: datetime | None = None) -> PollView:
    """The poll as `viewer` sees it: results per the poll's visibility rule, their own choices."""
    closed = is_closed(poll, now)
    chosen: frozenset[int] = frozenset()
    if viewer.is_authenticated:
        chosen = frozenset(db.session.scalars(select(PollBallot.option_id).where(
            PollBallot.poll_id == poll.id, PollBallot.user_id == viewer.id)))
    visible = _results_visible(viewer, poll, closed, bool(chosen))
    voters = poll.voter_count

    def shown(option) -> OptionView:
        if not visible:
            return OptionView(option.id, option.label, None, None)
        percent = round(100 * option.vote_count / voters) if voters else 0
        return OptionView(option.id, option.label, option.vote_count, percent)

    # A locked thread keeps its poll readable but takes no votes, as it takes no replies.
    open_thread = not poll.thread.locked
    return PollView(
        id=poll.id, thread_id=poll.thread_id, question=poll.question, multiple=poll.multiple,
        results=poll.results, closes_at=poll.closes_at, is_closed=closed, voter_count=voters,
        results_visible=visible, options=[shown(o) for o in poll.options], chosen=chosen,
        can_vote=not closed and open_thread and permissions.can(viewer, "vote_poll", poll),
        can_close=not closed and permissions.can(viewer, "create_poll", poll.thread),
    )
