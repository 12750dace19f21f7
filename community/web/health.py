"""GET /healthz: is the database (and Redis, when configured) answering?

Only the database is essential: without Redis, pages and the API still work and live
updates reach each process's own clients, so the answer is 200 "degraded", which keeps a
load balancer from taking every process out of service at once.
"""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    checks = {"database": _check_database(), "redis": _check_redis()}
    if checks["database"] != "ok":
        return jsonify(status="unavailable", **checks), 503
    status = "degraded" if checks["redis"] == "error" else "ok"
    return jsonify(status=status, **checks), 200


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # any driver error means "down"; the reason is logged
        current_app.logger.warning("healthz: database check failed: %s", exc)
        return "error"


def _check_redis() -> str:
    url = current_app.config["REDIS_URL"]
    if not url:
        return "not configured"
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1) as client:
            client.ping()
        return "ok"
    except redis.RedisError as exc:
        current_app.logger.warning("healthz: redis check failed: %s", exc)
        return "error"
