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
    # Redis down must not take the site down: count in memory until it is back.
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "LOGIN_RATE_LIMIT": "10 per minute",
    # Staff and admins must turn on two-factor authentication before any staff page
    # (`make run`, the demo, turns it off).
    "REQUIRE_2FA_FOR_STAFF": True,
    # argon2id cost; tests lower it so the suite stays fast.
    "PASSWORD_TIME_COST": 3,
    "PASSWORD_MEMORY_COST": 65536,
    "TRUST_PROXY": False,
    # Votes from accounts younger than this earn their receivers no points.
    "POINTS_MIN_VOTER_AGE_HOURS": 24,
    "LEADERBOARD_BROADCAST_SECONDS": 1.0,
    # Redis pub/sub channel the processes of one community share.
    "SOCKETIO_CHANNEL": "community",
    # Email (docs/notifications.md): smtp://user:pass@host:587?starttls=1 or smtps://…;
    # unset, emails are written to instance/outbox/ as .eml files.
    "SMTP_URL": None,
    "SMTP_TIMEOUT": 20,
    "MAIL_FROM": "Community <community@localhost>",
    # Links in emails start with this; `community serve` fills it in from --host/--port.
    "BASE_URL": None,
    # Connections one `community serve` process holds at once, live sockets included (each
    # is a greenlet); more wait to be accepted. docs/deploy.md sizes it.
    "MAX_CONNECTIONS": 5000,
    # --- the job queue (docs/jobs.md) ---
    # Where jobs wait: "sqlite" (instance/jobs.db), "redis" (REDIS_URL) or "memory" (tests:
    # nothing runs unless the test runs it). Unset: redis when REDIS_URL is set, else sqlite.
    "JOBS_BACKEND": None,
    # `community serve` runs a consumer on greenlets of its own; turn it off where a
    # `community worker` runs instead.
    "JOBS_CONSUMER": True,
    "JOBS_WORKERS": 2,
    # The longest an idle consumer waits before looking at the queue again (SQLite; Redis
    # wakes it at once).
    "JOBS_POLL_SECONDS": 1,
    # --- webhooks (docs/integrations.md) ---
    # Let webhooks reach 127.0.0.1/::1 (local development and tests only).
    "WEBHOOKS_ALLOW_LOOPBACK": False,
    # Whether the deliver_webhooks job sends deliveries (off: they stay queued).
    "WEBHOOKS_WORKER": True,
    "WEBHOOKS_TIMEOUT_SECONDS": 10,
    "WEBHOOKS_MAX_ATTEMPTS": 6,
    # Waits between attempts: 1 min, 4 min, 16 min, 64 min, 4 h 16 min (capped at 6 h).
    "WEBHOOKS_RETRY_SECONDS": 60,
    # Finished deliveries older than this are forgotten every night (0: kept).
    "WEBHOOKS_KEEP_DAYS": 30,
    # --- moderation and trust (docs/moderation.md explains each one) ---
    # The automatic rules: new members' first posts, links, duplicates, pace, low effort.
    "AUTO_MODERATION": True,
    "TRUST_NEW_MEMBER_REVIEW_POSTS": 3,
    # Per trust level 0..4: external links and images a post may carry, the weight of a
    # flag, and the seconds between posts under which the next one is held.
    "TRUST_MAX_LINKS": [0, 3, 10, 25, 50],
    "TRUST_MAX_IMAGES": [0, 3, 10, 25, 50],
    "TRUST_FLAG_WEIGHTS": [1, 1, 2, 3, 4],
    "SPAM_MIN_POST_SECONDS": [30, 10, 0, 0, 0],
    # What earns each trust level (all of it; set the whole JSON object to change it).
    "TRUST_THRESHOLDS": {
        "1": {"days_since_joined": 1, "days_visited": 2, "posts": 1, "likes_received": 0,
              "clean_days": 0},
        "2": {"days_since_joined": 7, "days_visited": 7, "posts": 5, "likes_received": 3,
              "clean_days": 30},
        "3": {"days_since_joined": 30, "days_visited": 25, "posts": 25, "likes_received": 20,
              "clean_days": 60},
        "4": {"days_since_joined": 120, "days_visited": 90, "posts": 100, "likes_received": 100,
              "clean_days": 120},
    },
    "SPAM_DUPLICATE_LIMIT": 1,
    "SPAM_DUPLICATE_HOURS": 24,
    "LOW_EFFORT_ACTION": "suggest_vote",  # or "hold", or "allow"
    "FLAG_HIDE_WEIGHT": 4,
    "REVIEW_CLAIM_MINUTES": 10,
    # Per member, and per client address for the *_IP_* ones; admins can change them at
    # /admin/rate-limits without a restart.
    "POST_RATE_LIMIT": "5 per minute; 60 per hour",
    "POST_IP_RATE_LIMIT": "20 per minute; 300 per hour",
    "VOTE_RATE_LIMIT": "30 per minute",
    "VOTE_IP_RATE_LIMIT": "120 per minute",
    "FLAG_RATE_LIMIT": "10 per hour",
    "FLAG_IP_RATE_LIMIT": "30 per hour",
    "REGISTER_IP_RATE_LIMIT": "5 per hour",
    # --- password reset by email (docs/security.md) ---
    # How long an emailed reset link works (it works once).
    "PASSWORD_RESET_HOURS": 1,
    # Reset emails asked for per email address (whoever asks), and per client address.
    "PASSWORD_RESET_RATE_LIMIT": "3 per hour",
    "PASSWORD_RESET_IP_RATE_LIMIT": "10 per hour",
    # --- email confirmation ---
    # How long the link in a confirmation email works.
    "VERIFY_EMAIL_HOURS": 48,
    # Confirmation emails a member may ask to be sent again.
    "VERIFY_EMAIL_RATE_LIMIT": "3 per hour",
    # Refuse posts (403) from members who have not confirmed their address yet.
    "REQUIRE_VERIFIED_EMAIL_TO_POST": False,
    # --- sign in with OpenID Connect (README, docs/security.md) ---
    # A JSON list: [{"name": "acme", "title": "Acme ID", "issuer": "https://id.acme.example",
    # "client_id": "…", "client_secret": "…", "scope": "openid email profile"}]; the issuer's
    # /.well-known/openid-configuration tells the rest.
    "OIDC_PROVIDERS": [],
    # Link a first OIDC sign-in to the account with the same email, when the provider says
    # it verified that email; off, such a member links it from Settings once signed in.
    "OIDC_LINK_VERIFIED_EMAIL": True,
    # Seconds of clock difference allowed on an ID token's exp/iat.
    "OIDC_LEEWAY_SECONDS": 60,
    # Only SSO: members sign in through the providers alone. No password form or sign-up on
    # the site, passwords refused at POST /login and POST /api/v1/tokens (tokens are made on
    # the settings page), no registration; the CLI and password resets still work.
    "OIDC_ONLY": False,
}


def load(app, overrides: dict | None = None) -> None:
    """Fill app.config from defaults, the environment and explicit overrides, in that order."""
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("COMMUNITY")
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SMTP_URL"):
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
