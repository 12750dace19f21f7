"""Settings from the environment, resolved when the app is created (never at import time)."""

import os
import secrets
from pathlib import Path

# Values every deployment may override with COMMUNITY_<NAME> environment variables.
DEFAULTS = {
    "SITE_NAME": "Community",
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_ENABLED": True,
    "LOGIN_RATE_LIMIT": "10 per minute",
    # argon2id cost; tests lower it so the suite stays fast.
    "PASSWORD_TIME_COST": 3,
    "PASSWORD_MEMORY_COST": 65536,
    "TRUST_PROXY": False,
    # Votes from accounts younger than this earn their receivers no points.
    "POINTS_MIN_VOTER_AGE_HOURS": 24,
    "LEADERBOARD_BROADCAST_SECONDS": 1.0,
    # Redis pub/sub channel the processes of one community share.
    "SOCKETIO_CHANNEL": "community",
}


def load(app, overrides: dict | None = None) -> None:
    """Fill app.config from defaults, the environment and explicit overrides, in that order."""
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("COMMUNITY")
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    app.config.update(overrides or {})

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.setdefault("DATABASE_URL", f"sqlite:///{instance / 'community.db'}")
    app.config.setdefault("REDIS_URL", None)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")


def _instance_secret(path: Path) -> str:
    """Read the secret key kept in the instance folder, creating it on first use."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race; use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key
