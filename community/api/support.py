"""Accepted solutions, CSAT ratings and NPS answers over JSON."""

from datetime import datetime

from flask import jsonify
from flask_login import current_user
from pydantic import BaseModel, Field, StrictInt, StrictStr

from .. import permissions, serializers
from ..queries import forums as q
from ..queries import support as support_q
from ..services import support
from . import bp
from .io import Id, documented, parse
from .schemas import Body, ThreadOut


class SolutionIn(Body):
    post_id: Id


class CsatIn(Body):
    # Strict, so "5" and 4.5 are refused rather than coerced.
    score: StrictInt = Field(ge=support.CSAT_MIN, le=support.CSAT_MAX)
    comment: StrictStr | None = None


class CsatOut(BaseModel):
    score: int
    comment: str
    created_at: datetime
    updated_at: datetime


class NpsIn(Body):
    score: StrictInt = Field(ge=support.NPS_MIN, le=support.NPS_MAX)
    comment: StrictStr | None = None


class NpsOut(BaseModel):
    score: int
    comment: str
    created_at: datetime


class NpsStatusOut(BaseModel):
    can_answer: bool
    next_at: datetime | None


@bp.post("/threads/<int:thread_id>/solution")
@documented("Accept a reply as the solution, or change it (asker or staff, support forums)",
            auth="member", body=SolutionIn, responses={200: ThreadOut})
def accept_solution(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    post = q.get_post(current_user, parse(SolutionIn).post_id)
    return jsonify(serializers.thread(support.accept_solution(current_user, thread, post)))


@bp.delete("/threads/<int:thread_id>/solution")
@documented("Unaccept the solution: the thread is unsolved again (asker or staff)",
            auth="member", responses={200: ThreadOut})
def unaccept_solution(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    return jsonify(serializers.thread(support.unaccept_solution(current_user, thread)))


@bp.post("/threads/<int:thread_id>/csat")
@documented("Rate the help on your solved question (1–5); changeable for 7 days, then 409",
            auth="member", body=CsatIn, responses={201: CsatOut, 200: CsatOut})
def rate_thread(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    data = parse(CsatIn)
    rating, created = support.rate_thread(current_user, thread, data.score, data.comment)
    return jsonify(serializers.csat(rating)), 201 if created else 200


@bp.post("/nps")
@documented("Say how likely you are to recommend the brand (0–10); once per 90 days, else 409",
            auth="member", body=NpsIn, responses={201: NpsOut})
def answer_nps():
    permissions.require(current_user, "answer_nps")
    data = parse(NpsIn)
    answer = support.answer_nps(current_user, data.score, data.comment)
    return jsonify(serializers.nps(answer)), 201


@bp.get("/nps/status")
@documented("Whether the caller may answer the NPS question now, and if not, from when "
            "(always false for visitors)", responses={200: NpsStatusOut})
def nps_status():
    status = support_q.nps_status(current_user)
    return jsonify(can_answer=status.can_answer,
                   next_at=status.next_at.isoformat() if status.next_at else None)
