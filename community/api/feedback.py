"""Votes, idea statuses, merging, following and the roadmap over JSON."""

from typing import Literal

from flask import jsonify
from flask_login import current_user
from pydantic import BaseModel, StrictInt, StrictStr

from .. import serializers
from ..queries import feedback as qf
from ..queries import forums as q
from ..ratelimits import rate_limited
from ..services import feedback, follows
from . import bp
from .io import Id, documented, parse
from .schemas import AuthorOut, Body, ThreadOut


class VoteIn(Body):
    value: StrictInt


class VoteOut(BaseModel):
    score: int
    viewer_vote: Literal[0, 1]


class StatusIn(Body):
    status: StrictStr
    note: StrictStr = ""


class StatusChangeOut(BaseModel):
    from_status: str
    to_status: str
    actor: AuthorOut
    post_id: int | None
    created_at: str


class StatusHistoryOut(BaseModel):
    statuses: list[StatusChangeOut]


class IdeaMergeIn(Body):
    into: Id


class FollowIn(Body):
    level: Literal["watching", "tracking", "muted"] = "watching"


class FollowOut(BaseModel):
    level: str | None


class RoadmapOut(BaseModel):
    planned: list[ThreadOut]
    in_progress: list[ThreadOut]
    shipped: list[ThreadOut]


@bp.put("/threads/<int:thread_id>/vote")
@documented("Vote for a thread (1) or take the vote back (0); idempotent", auth="member",
            body=VoteIn, responses={200: VoteOut})
@rate_limited("vote")
def vote_thread(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    value = parse(VoteIn).value
    score = feedback.vote_thread(current_user, thread, value)
    return jsonify(score=score, viewer_vote=value)


@bp.put("/posts/<int:post_id>/vote")
@documented("Mark a post helpful (1) or take that back (0); idempotent", auth="member",
            body=VoteIn, responses={200: VoteOut})
@rate_limited("vote")
def vote_post(post_id: int):
    post = q.get_post(current_user, post_id)
    value = parse(VoteIn).value
    score = feedback.vote_post(current_user, post, value)
    return jsonify(score=score, viewer_vote=value)


@bp.post("/threads/<int:thread_id>/status")
@documented("Set an idea's status with a public note (notifies voters and followers)",
            auth="staff", body=StatusIn, responses={200: ThreadOut})
def set_status(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    data = parse(StatusIn)
    feedback.set_idea_status(current_user, thread, data.status, data.note)
    return jsonify(serializers.thread(thread))


@bp.get("/threads/<int:thread_id>/statuses")
@documented("An idea's status history, oldest first", responses={200: StatusHistoryOut})
def status_history(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    return jsonify(statuses=[{
        "from_status": c.from_status, "to_status": c.to_status,
        "actor": serializers.author(c.actor), "post_id": c.post_id,
        "created_at": c.created_at.isoformat()} for c in qf.status_history(thread)])


@bp.post("/threads/<int:thread_id>/merge")
@documented("Merge a duplicate idea into another; returns the surviving idea", auth="staff",
            body=IdeaMergeIn, responses={200: ThreadOut})
def merge(thread_id: int):
    duplicate = q.get_thread(current_user, thread_id)
    into = q.get_thread(current_user, parse(IdeaMergeIn).into)
    return jsonify(serializers.thread(feedback.merge_idea(current_user, duplicate, into)))


@bp.put("/threads/<int:thread_id>/follow")
@documented("Follow a thread (watching, tracking or muted)", auth="member", body=FollowIn,
            responses={200: FollowOut})
def follow(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    return jsonify(level=follows.follow_thread(current_user, thread, parse(FollowIn).level).level)


@bp.delete("/threads/<int:thread_id>/follow")
@documented("Stop following a thread", auth="member", responses={200: FollowOut})
def unfollow(thread_id: int):
    follows.unfollow_thread(current_user, q.get_thread(current_user, thread_id))
    return jsonify(level=None)


@bp.get("/roadmap")
@documented("Ideas planned, in progress and shipped recently, most voted first",
            responses={200: RoadmapOut})
def roadmap():
    columns = qf.roadmap(current_user).columns
    return jsonify({key: [serializers.thread(t) for t in threads]
                    for key, threads in columns.items()})
