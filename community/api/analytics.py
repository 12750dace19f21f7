"""The insights dashboard's figures over JSON (the leaderboard CSV lives in api/advocacy.py)."""

from flask import jsonify, request
from flask_login import current_user
from pydantic import BaseModel, Field

from .. import permissions
from ..queries import analytics as qa
from ..queries import forums as qf
from . import bp
from .io import documented

RANGE_QUERY = {
    "from": "first day, YYYY-MM-DD (default: 29 days before to)",
    "to": "last day, inclusive, YYYY-MM-DD (default: today in tz); at most 366 days in all",
    "tz": "IANA time zone the days are counted in (default UTC)",
    "forum": "a forum's slug (default: every forum)",
}


class AnalyticsRangeOut(BaseModel):
    first: str = Field(alias="from")
    to: str
    tz: str
    forum: str | None
    start: str = Field(description="the first instant of the range, UTC, inclusive")
    end: str = Field(description="the first instant after the range, UTC (exclusive)")
    days: int


class ActiveOut(BaseModel):
    daily: int
    weekly: int
    monthly: int


class SupportOut(BaseModel):
    questions: int
    solved: int
    solved_rate: float | None = Field(description="solved / questions, 0 to 1")
    median_first_response_seconds: float | None
    median_first_staff_response_seconds: float | None
    unanswered: int


class CsatSummaryOut(BaseModel):
    ratings: int
    average: float | None
    satisfied_rate: float | None = Field(description="ratings of 4 or 5 / ratings, 0 to 1")
    distribution: dict[str, int]


class NpsGroupsOut(BaseModel):
    answers: int
    score: float | None = Field(description="% promoters minus % detractors, -100 to 100")
    promoters: int
    passives: int
    detractors: int


class IdeasOut(BaseModel):
    posted: int
    by_status: dict[str, int]
    shipped: int
    median_days_to_ship: float | None


class TopIdeaOut(BaseModel):
    id: int
    title: str
    status: str
    votes: int = Field(description="votes cast in the range, still standing")
    total_votes: int


class AdvocateOut(BaseModel):
    username: str
    display_name: str
    points: int


class AnswersOut(BaseModel):
    community_replies: int
    staff_replies: int
    community_share: float | None
    community_solutions: int
    staff_solutions: int
    community_solution_share: float | None


class DayOut(BaseModel):
    date: str
    members: int
    new_members: int
    daily_active: int
    weekly_active: int
    monthly_active: int
    threads: int
    posts: int
    votes: int


class AnalyticsSummaryOut(BaseModel):
    range: AnalyticsRangeOut
    members: int
    new_members: int
    active_members: int
    active_on_last_day: ActiveOut
    threads: int
    posts: int
    votes: int
    support: SupportOut
    csat: CsatSummaryOut
    nps: NpsGroupsOut
    ideas: IdeasOut
    top_ideas: list[TopIdeaOut]
    top_advocates: list[AdvocateOut]
    badges_awarded: int
    answers: AnswersOut
    daily: list[DayOut]


@bp.get("/analytics/summary")
@documented("The insights dashboard's figures for a range of days (see docs/insights.md)",
            auth="staff", query=RANGE_QUERY, responses={200: AnalyticsSummaryOut})
def analytics_summary():
    permissions.require(current_user, "view_insights")
    slug = request.args.get("forum") or None
    rng = qa.parse_range(request.args.get("from"), request.args.get("to"), request.args.get("tz"),
                         forum=qf.get_forum(current_user, slug) if slug else None)
    return jsonify(summary(qa.Dashboard(rng)))


def summary(d: qa.Dashboard) -> dict:
    """The JSON shape of AnalyticsSummaryOut."""
    rng, p, s, sat, ideas, adv = (d.range, d.participation, d.support, d.satisfaction, d.ideas,
                                  d.advocates)
    nps = sat.nps.total
    return {
        "range": {"from": rng.first.isoformat(), "to": rng.last.isoformat(), "tz": rng.tz_name,
                  "forum": rng.forum.slug if rng.forum else None,
                  "start": rng.start.isoformat(), "end": rng.end.isoformat(),
                  "days": rng.day_count},
        "members": p.members_total,
        "new_members": sum(p.new_members),
        "active_members": p.active,
        "active_on_last_day": {"daily": p.dau[-1], "weekly": p.wau[-1], "monthly": p.mau[-1]},
        "threads": sum(p.threads),
        "posts": sum(p.posts),
        "votes": sum(p.votes),
        "support": {"questions": s.questions, "solved": s.solved, "solved_rate": s.solved_rate,
                    "median_first_response_seconds": s.median_first_reply,
                    "median_first_staff_response_seconds": s.median_first_staff_reply,
                    "unanswered": s.unanswered_count},
        "csat": {"ratings": sat.csat.responses, "average": sat.csat.average,
                 "satisfied_rate": sat.csat.satisfied_rate,
                 "distribution": {str(k): v for k, v in sat.csat.distribution.items()}},
        "nps": {"answers": nps.responses, "score": nps.score, "promoters": nps.promoters,
                "passives": nps.passives, "detractors": nps.detractors},
        "ideas": {"posted": sum(ideas.by_status.values()), "by_status": ideas.by_status,
                  "shipped": len(ideas.shipped), "median_days_to_ship": ideas.median_days_to_ship},
        "top_ideas": [{"id": i.thread.id, "title": i.thread.title,
                       "status": i.thread.status or "open", "votes": i.votes,
                       "total_votes": i.thread.score} for i in ideas.top],
        "top_advocates": [{"username": a.user.username, "display_name": a.user.name,
                           "points": a.points} for a in adv.top],
        "badges_awarded": adv.badges_awarded,
        "answers": {"community_replies": adv.answers.community_replies,
                    "staff_replies": adv.answers.staff_replies,
                    "community_share": adv.answers.community_share,
                    "community_solutions": adv.answers.community_solutions,
                    "staff_solutions": adv.answers.staff_solutions,
                    "community_solution_share": adv.answers.community_solution_share},
        "daily": [{"date": day.isoformat(), "members": members, "new_members": new,
                   "daily_active": dau, "weekly_active": wau, "monthly_active": mau,
                   "threads": threads, "posts": posts, "votes": votes}
                  for day, members, new, dau, wau, mau, threads, posts, votes in zip(
                      p.days, p.members, p.new_members, p.dau, p.wau, p.mau, p.threads, p.posts,
                      p.votes)],
    }
