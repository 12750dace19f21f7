"""Rate limits, declared on the views they limit: `@rate_limited("post")` and `@login_limits`.

A limit travels with its view function, so renaming or moving a view keeps it. The counters
live in the rate-limit storage (Redis when configured, so every process shares them); the
limits themselves are settings that admins may override at /admin/rate-limits.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps

from flask import current_app, make_response, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import RateLimiter
from redis import RedisError
from werkzeug.exceptions import TooManyRequests

from .extensions import limiter
from .queries.moderation import rate_limits

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Budget:
    """One kind of write: its per-member and per-address limits (setting names, see
    queries.moderation.RATE_LIMITS) and whether refused attempts spend it too."""

    noun: str
    member_key: str | None
    address_key: str
    refusals_count: bool = False


BUDGETS = {
    "post": Budget("posts", "POST_RATE_LIMIT", "POST_IP_RATE_LIMIT"),
    "vote": Budget("votes", "VOTE_RATE_LIMIT", "VOTE_IP_RATE_LIMIT"),
    "flag": Budget("flags", "FLAG_RATE_LIMIT", "FLAG_IP_RATE_LIMIT"),
    # A refused sign-up spends the budget too: "that email is taken" is what a prober wants.
    "register": Budget("sign-ups", None, "REGISTER_IP_RATE_LIMIT", refusals_count=True),
}

Counted = list[tuple[RateLimitItem, str]]


def rate_limited(kind: str) -> Callable:
    """Limit a writing view to the `kind` budget (a key of BUDGETS); marks it `view.rate_limit`.

    Over a limit the view is not called: 429 with Retry-After. Only accepted writes (a
    response below 400) spend the budget, unless the kind counts refusals too; so a reply
    refused as low-effort costs nothing. Put it below @login_required.
    """
    budget = BUDGETS[kind]

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def limited(*args, **kwargs):
            if request.method in SAFE_METHODS or not current_app.config["RATELIMIT_ENABLED"]:
                return view(*args, **kwargs)
            counted = _counted(budget)
            _with_storage(lambda s: _check(s, kind, counted, spend=budget.refusals_count))
            response = make_response(view(*args, **kwargs))
            if not budget.refusals_count and response.status_code < 400:
                _with_storage(lambda s: _spend(s, kind, counted))
            return response

        limited.rate_limit = kind
        return limited

    return decorate


def _counted(budget: Budget) -> Counted:
    limits = rate_limits(current_app.config)
    counted = []
    if budget.member_key and current_user.is_authenticated:
        counted.append((limits[budget.member_key], f"member:{current_user.id}"))
    counted.append((limits[budget.address_key], f"address:{get_remote_address()}"))
    return [(item, who) for text, who in counted for item in parse_many(text)]


def _check(strategy: RateLimiter, kind: str, counted: Counted, *, spend: bool) -> None:
    for item, who in counted:
        if not strategy.test(item, "community", kind, who):
            reset_at, _ = strategy.get_window_stats(item, "community", kind, who)
            wait = max(1, math.ceil(reset_at - time.time()))
            raise TooManyRequests(f"Too many {BUDGETS[kind].noun} in a short time. Please try "
                                  f"again in {wait} seconds.", retry_after=wait)
    if spend:
        _spend(strategy, kind, counted)


def _spend(strategy: RateLimiter, kind: str, counted: Counted) -> None:
    for item, who in counted:
        strategy.hit(item, "community", kind, who)


def _with_storage(use: Callable[[RateLimiter], None]) -> None:
    try:
        use(limiter.limiter)
    except RedisError as exc:
        # The shared counters are unreachable: count in this process until Redis is back,
        # rather than refuse every write or stop limiting.
        current_app.logger.warning("rate limit storage unreachable (%s): counting locally", exc)
        use(_in_memory(type(limiter.limiter)))


@cache
def _in_memory(strategy: type[RateLimiter]) -> RateLimiter:
    return strategy(MemoryStorage())


def login_limits(view: Callable) -> Callable:
    """The limits on guessing passwords, one budget for every way of trying one.

    The login page and POST /api/v1/tokens share both counters: per address, and per
    account tried (whatever the address, so a botnet cannot spread its guesses out).
    Only failures count.
    """
    def failed(response) -> bool:
        return response.status_code >= 400

    def limit() -> str:
        return current_app.config["LOGIN_RATE_LIMIT"]

    view = limiter.shared_limit(limit, scope="login-account", key_func=_login_tried,
                                methods=["POST"], deduct_when=failed)(view)
    return limiter.shared_limit(limit, scope="login-address", methods=["POST"],
                                deduct_when=failed)(view)


def _login_tried() -> str:
    data = request.get_json(silent=True) if request.is_json else request.form
    login = data.get("login") if isinstance(data, dict) or hasattr(data, "get") else None
    return "login:" + (login.strip().lower() if isinstance(login, str) else "")


def reset_limits(view: Callable) -> Callable:
    """The limits on asking for password reset emails (the page and the API share them).

    Per client address, and per email address asked about (whatever the client address,
    so nobody floods one inbox). Every request counts, known address or not: the answer
    must not depend on whether an account exists.
    """
    def per_address() -> str:
        return current_app.config["PASSWORD_RESET_IP_RATE_LIMIT"]

    def per_account() -> str:
        return current_app.config["PASSWORD_RESET_RATE_LIMIT"]

    view = limiter.shared_limit(per_account, scope="reset-account", key_func=_reset_asked,
                                methods=["POST"])(view)
    return limiter.shared_limit(per_address, scope="reset-address", methods=["POST"])(view)


def _reset_asked() -> str:
    data = request.get_json(silent=True) if request.is_json else request.form
    email = data.get("email") if isinstance(data, dict) or hasattr(data, "get") else None
    return "reset:" + (email.strip().lower() if isinstance(email, str) else "")


def confirm_limits(view: Callable) -> Callable:
    """The limit on sending a member's confirmation email again (page and API share it)."""
    def limit() -> str:
        return current_app.config["VERIFY_EMAIL_RATE_LIMIT"]

    def member() -> str:
        return f"member:{current_user.get_id()}"

    return limiter.shared_limit(limit, scope="confirm-email", key_func=member,
                                methods=["POST"])(view)


def email_change_limits(view: Callable) -> Callable:
    """The limit on asking for a new email address, per member, whatever the answer (page
    and API share it): a taken address is refused as at sign-up, so asking cannot become a
    cheaper probe for who has an account."""
    def limit() -> str:
        return current_app.config["VERIFY_EMAIL_RATE_LIMIT"]

    def member() -> str:
        return f"member:{current_user.get_id()}"

    return limiter.shared_limit(limit, scope="email-change", key_func=member,
                                methods=["POST", "PUT"])(view)
