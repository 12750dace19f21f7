"""Polls over JSON: create one on a thread, read it, vote, withdraw, close."""

from datetime import datetime
from typing import Literal

from flask import jsonify
from flask_login import current_user
from pydantic import AwareDatetime, BaseModel, StrictBool, StrictStr

from .. import serializers
from ..errors import NotFound
from ..queries import forums as q
from ..queries import polls as pq
from ..ratelimits import rate_limited
from ..services import polls
from . import bp
from .io import Id, documented, parse
from .schemas import Body

Results = Literal["always", "after_vote", "after_close"]


class PollIn(Body):
    question: StrictStr
    options: list[StrictStr]
    multiple: StrictBool = False
    closes_at: AwareDatetime | None = None
    results: Results = "after_vote"


class BallotIn(Body):
    option_ids: list[Id]


class PollOptionOut(BaseModel):
    id: int
    label: str
    # null while the caller may not see the results
    votes: int | None
    percent: int | None


class PollOut(BaseModel):
    id: int
    thread_id: int
    question: str
    multiple: bool
    results: Results
    closes_at: datetime | None
    closed: bool
    voter_count: int
    results_visible: bool
    options: list[PollOptionOut]
    my_choices: list[int]
    can_vote: bool
    can_close: bool


def _shown(poll) -> dict:
    return serializers.poll(pq.poll_view(current_user, poll))


@bp.post("/threads/<int:thread_id>/poll")
@documented("Attach a poll to a thread (its author or a moderator; one per thread)",
            auth="member", body=PollIn, responses={201: PollOut})
def create_poll(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    data = parse(PollIn)
    poll = polls.create_poll(current_user, thread, data.question, data.options,
                             multiple=data.multiple, closes_at=data.closes_at,
                             results=data.results)
    return jsonify(_shown(poll)), 201


@bp.get("/threads/<int:thread_id>/poll")
@documented("A thread's poll as the caller sees it (counts only once results are visible)",
            responses={200: PollOut})
def show_poll(thread_id: int):
    poll = pq.poll_for(q.get_thread(current_user, thread_id))
    if poll is None:
        raise NotFound("This thread has no poll.")
    return jsonify(_shown(poll))


@bp.put("/polls/<int:poll_id>/ballot")
@documented("Vote, replacing the caller's earlier ballot (one option, or several on a "
            "multiple-choice poll)", auth="member", body=BallotIn, responses={200: PollOut})
@rate_limited("vote")
def cast_ballot(poll_id: int):
    poll = pq.get_poll(current_user, poll_id)
    data = parse(BallotIn)
    return jsonify(_shown(polls.cast_ballot(current_user, poll, data.option_ids)))


@bp.delete("/polls/<int:poll_id>/ballot")
@documented("Withdraw the caller's ballot while the poll is open", auth="member",
            responses={200: PollOut})
@rate_limited("vote")
def withdraw_ballot(poll_id: int):
    poll = pq.get_poll(current_user, poll_id)
    return jsonify(_shown(polls.withdraw_ballot(current_user, poll)))


@bp.post("/polls/<int:poll_id>/close")
@documented("Close the poll now (the thread's author or a moderator)", auth="member",
            responses={200: PollOut})
def close_poll(poll_id: int):
    poll = pq.get_poll(current_user, poll_id)
    return jsonify(_shown(polls.close_poll(current_user, poll)))
