"""Leaderboards, badges and the scoring table over JSON."""

from flask import jsonify, request
from flask_login import current_user
from pydantic import BaseModel, StrictBool, StrictInt, StrictStr

from .. import exports, permissions, serializers
from ..queries import advocacy as qa
from ..queries import forums as qf
from ..services import accounts, advocacy
from . import bp
from .io import documented, parse
from .schemas import Body

BOARD_QUERY = {"period": "week, month, all or custom", "from": "custom: first day, YYYY-MM-DD",
               "to": "custom: last day, YYYY-MM-DD", "forum": "a forum's slug",
               "limit": "1 to 100 (default 20)"}


class EntryOut(BaseModel):
    rank: int
    username: str
    display_name: str
    points: int
    title: str
    badges: list[str]
    avatar_url: str


class BoardOut(BaseModel):
    period: str
    start: str | None
    end: str | None
    forum: str | None
    entries: list[EntryOut]


class BadgeOut(BaseModel):
    slug: str
    name: str
    description: str
    icon: str
    tier: str
    repeatable: bool


class BadgeListOut(BaseModel):
    badges: list[BadgeOut]


class BadgeIn(Body):
    slug: StrictStr
    name: StrictStr
    description: StrictStr = ""
    icon: StrictStr = "★"
    tier: StrictStr = "bronze"
    repeatable: StrictBool = False


class AwardIn(Body):
    username: StrictStr
    reason: StrictStr


class AwardOut(BaseModel):
    username: str
    badge: BadgeOut
    reason: str
    awarded_at: str


class ScoringOut(BaseModel):
    scoring: dict[str, int]


class ScoringIn(Body):
    scoring: dict[str, StrictInt]


def _board():
    slug = request.args.get("forum") or None
    return qa.leaderboard(request.args.get("period", "week"),
                          forum=qf.get_forum(current_user, slug) if slug else None,
                          start=request.args.get("from"), end=request.args.get("to"),
                          limit=qa.check_limit(request.args.get("limit")))


@bp.get("/leaderboard")
@documented("The leaderboard for a period, overall or for one forum; ties share a rank",
            responses={200: BoardOut}, query=BOARD_QUERY)
def leaderboard():
    board = _board()
    return jsonify(period=board.period, start=board.start and board.start.isoformat(),
                   end=board.end and board.end.isoformat(),
                   forum=board.forum.slug if board.forum else None,
                   entries=[serializers.leaderboard_entry(e) for e in board.entries])


@bp.get("/analytics/leaderboard.csv")
@documented("The leaderboard as CSV", auth="staff", query=BOARD_QUERY,
            responses={200: "CSV: rank, username, display_name, points, title, badges"})
def leaderboard_csv():
    permissions.require(current_user, "export_leaderboard")
    return exports.leaderboard_csv(_board())


@bp.get("/badges")
@documented("Every badge", responses={200: BadgeListOut})
def list_badges():
    return jsonify(badges=[serializers.badge(b) for b, _ in qa.all_badges()])


@bp.post("/badges")
@documented("Define a custom badge", auth="admin", body=BadgeIn, responses={201: BadgeOut})
def create_badge():
    data = parse(BadgeIn)
    badge = advocacy.create_badge(current_user, data.slug, data.name, data.description, data.icon,
                                  data.tier, data.repeatable)
    return jsonify(serializers.badge(badge)), 201


@bp.post("/badges/<slug>/awards")
@documented("Award a badge to a member, with a reason", auth="staff", body=AwardIn,
            responses={201: AwardOut})
def award_badge(slug: str):
    data = parse(AwardIn)
    permissions.require(current_user, "grant_badges")
    badge, user = advocacy.get_badge(slug), accounts.get_user(data.username)
    award = advocacy.grant_badge(current_user, badge, user, data.reason)
    return jsonify(username=user.username, badge=serializers.badge(badge), reason=award.reason,
                   awarded_at=award.created_at.isoformat()), 201


@bp.delete("/badges/<slug>/awards/<username>")
@documented("Revoke a member's badge", auth="admin", responses={204: "Revoked"})
def revoke_badge(slug: str, username: str):
    permissions.require(current_user, "manage_advocacy")
    badge, user = advocacy.get_badge(slug), accounts.get_user(username)
    advocacy.revoke_badge(current_user, qa.get_award(badge, user))
    return "", 204


@bp.get("/scoring")
@documented("Points per action", responses={200: ScoringOut})
def scoring():
    return jsonify(scoring=advocacy.scoring_table())


@bp.put("/scoring")
@documented("Change points per action", auth="admin", body=ScoringIn, responses={200: ScoringOut})
def set_scoring():
    return jsonify(scoring=advocacy.set_scoring(current_user, parse(ScoringIn).scoring))
