"""Satisfaction answers: CSAT ratings of solved threads and NPS responses."""

from ..models import CsatRating, NpsResponse


def csat(rating: CsatRating) -> dict:
    return {"score": rating.score, "comment": rating.comment,
            "created_at": rating.created_at.isoformat(),
            "updated_at": rating.updated_at.isoformat()}


def nps(response: NpsResponse) -> dict:
    return {"score": response.score, "comment": response.comment,
            "created_at": response.created_at.isoformat()}
