"""May this user do this to that? The one place every route and service asks."""

from collections.abc import Callable
from typing import Any

from flask_login import AnonymousUserMixin

from .errors import Forbidden, NotAuthenticated
from .models import PostState, Role, ThreadState


class Anonymous(AnonymousUserMixin):
    """The visitor: reads public content, can do nothing else."""

    id = None
    username = None
    role = None
    trust_level = 0

    def has_role(self, role: Role) -> bool:
        return False

    def is_suspended(self, now=None) -> bool:
        return False


class Operator:
    """Whoever runs the command line on the server: may do what an admin may, and is nobody
    in the community (no id, no posts). Only community.cli acts as it."""

    id = None
    username = "operator"
    role = Role.ADMIN.value
    trust_level = 4
    is_authenticated = True
    is_active = True

    def has_role(self, role: Role) -> bool:
        return True

    def is_suspended(self, now=None) -> bool:
        return False


Rule = Callable[[Any, Any], bool]
_RULES: dict[str, Rule] = {}


def rule(action: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        _RULES[action] = fn
        return fn

    return register


def can(user, action: str, target: Any = None) -> bool:
    """Whether `user` (a User or Anonymous) may do `action` to `target`."""
    if not user.is_authenticated:
        return action in _ANONYMOUS_ACTIONS and _RULES[action](user, target)
    if action not in _SEEING_ACTIONS:
        user = as_token_allows(user)
    if user.is_suspended():
        return action in _READ_ACTIONS and _RULES[action](user, target)
    return _RULES[action](user, target)


def require(user, action: str, target: Any = None) -> None:
    """Raise NotAuthenticated/Forbidden unless `user` may do `action` to `target`."""
    if can(user, action, target):
        return
    if not user.is_authenticated:
        raise NotAuthenticated("Please log in first.")
    if user.is_suspended():
        raise Forbidden(suspension_notice(user))
    raise Forbidden("You are not allowed to do that.")


def suspension_notice(user) -> str:
    """What a suspended member is told: until when, and why."""
    until = user.suspended_until
    reason = f" Reason: {user.suspended_reason}" if user.suspended_reason else ""
    return f"Your account is suspended until {until:%-d %b %Y %H:%M} UTC.{reason}"


# --- accounts -------------------------------------------------------------------------

@rule("edit_profile")
def _edit_profile(user, target) -> bool:
    return target is not None and (user.id == target.id or user.has_role(Role.ADMIN))


@rule("set_role")
def _set_role(user, target) -> bool:
    return user.has_role(Role.ADMIN)


@rule("preview")
def _preview(user, target) -> bool:
    return True


@rule("manage_own_tokens")
def _manage_own_tokens(user, target) -> bool:
    return True


# --- site-wide powers -----------------------------------------------------------------

@rule("moderate")
def _moderate(user, target) -> bool:
    return user.has_role(Role.MODERATOR)


@rule("act_as_staff")
def _act_as_staff(user, target) -> bool:
    return user.has_role(Role.STAFF)


@rule("administer")
def _administer(user, target) -> bool:
    return user.has_role(Role.ADMIN)


# --- forums, threads and posts ---------------------------------------------------------

@rule("view_forum")
def _view_forum(user, forum) -> bool:
    return not forum.private or user.has_role(Role.MODERATOR)


@rule("view_post")
def _view_post(user, post) -> bool:
    """Whether the post's content may be shown (deleted/hidden ones leave a placeholder)."""
    if not _view_forum(user, post.thread.forum):
        return False
    if post.state == PostState.PUBLISHED:
        return True
    if post.state == PostState.PENDING:
        return user.id == post.author_id or user.has_role(Role.MODERATOR)
    return user.has_role(Role.MODERATOR)


@rule("start_thread")
def _start_thread(user, forum) -> bool:
    return _view_forum(user, forum)


@rule("reply")
def _reply(user, thread) -> bool:
    if not _view_forum(user, thread.forum):
        return False
    return not thread.locked or user.has_role(Role.MODERATOR)


@rule("edit_post")
def _edit_post(user, post) -> bool:
    if post.author_id != user.id:
        return _moderates_author(user, post.author)
    return (user.has_role(Role.MODERATOR)
            or post.state in (PostState.PUBLISHED, PostState.PENDING))


@rule("delete_post")
def _delete_post(user, post) -> bool:
    return _edit_post(user, post)


@rule("edit_thread_title")
def _edit_thread_title(user, thread) -> bool:
    return thread.author_id == user.id or _moderates_author(user, thread.author)


@rule("curate_thread")
def _curate_thread(user, thread) -> bool:
    """Pin, lock and move threads."""
    return user.has_role(Role.MODERATOR)


@rule("manage_forums")
def _manage_forums(user, target) -> bool:
    return user.has_role(Role.ADMIN)


@rule("manage_tags")
def _manage_tags(user, target) -> bool:
    return user.has_role(Role.STAFF)


# --- feedback: votes, idea statuses, solutions, satisfaction, polls --------------------------

@rule("vote_thread")
def _vote_thread(user, thread) -> bool:
    return (_view_forum(user, thread.forum) and thread.author_id != user.id
            and not thread.locked and thread.merged_into_id is None)


@rule("vote_post")
def _vote_post(user, post) -> bool:
    return (_view_forum(user, post.thread.forum) and post.author_id != user.id
            and post.state == PostState.PUBLISHED and not post.thread.locked)


@rule("set_idea_status")
def _set_idea_status(user, thread) -> bool:
    return user.has_role(Role.STAFF) and thread.forum.kind == "ideas"


@rule("merge_ideas")
def _merge_ideas(user, thread) -> bool:
    return user.has_role(Role.STAFF) and thread.forum.kind == "ideas"


@rule("follow_thread")
def _follow_thread(user, thread) -> bool:
    return _view_forum(user, thread.forum)


@rule("accept_solution")
def _accept_solution(user, thread) -> bool:
    """The asker or staff mark the accepted answer of a support question."""
    return thread.forum.kind == "support" and (
        thread.author_id == user.id or user.has_role(Role.STAFF))


@rule("rate_thread")
def _rate_thread(user, thread) -> bool:
    """Only the asker rates the help on their solved question."""
    return thread.author_id == user.id and thread.solved


@rule("answer_nps")
def _answer_nps(user, target) -> bool:
    return True


@rule("create_poll")
def _create_poll(user, thread) -> bool:
    return thread.author_id == user.id or user.has_role(Role.MODERATOR)


@rule("vote_poll")
def _vote_poll(user, poll) -> bool:
    return _view_forum(user, poll.thread.forum)


# --- advocacy: points and badges -------------------------------------------------------

@rule("manage_advocacy")
def _manage_advocacy(user, target) -> bool:
    """The scoring table, custom badge definitions, revoking badges."""
    return user.has_role(Role.ADMIN)


@rule("grant_badges")
def _grant_badges(user, target) -> bool:
    return user.has_role(Role.STAFF)


@rule("export_leaderboard")
def _export_leaderboard(user, target) -> bool:
    return user.has_role(Role.STAFF)


# --- admin console, data rights and API token scopes ------------------------------------

@rule("manage_webhooks")
def _manage_webhooks(user, target) -> bool:
    return user.has_role(Role.ADMIN)


@rule("manage_members")
def _manage_members(user, target) -> bool:
    """See every member's account details (email, last visit) in the admin console."""
    return user.has_role(Role.ADMIN)


@rule("export_account")
def _export_account(user, target) -> bool:
    return target is not None and (user.id == target.id or user.has_role(Role.ADMIN))


@rule("delete_account")
def _delete_account(user, target) -> bool:
    return target is not None and (user.id == target.id or user.has_role(Role.ADMIN))


# A Bearer token carries its holder's role powers only as far as its scopes reach:
# "moderate" carries moderator and staff powers, "admin" admin powers (members' own powers
# need neither). "read" and "write" gate HTTP methods (see api.authenticate). The check
# lives here, in can(), so every rule, written by anyone, honours it without knowing.
# Seeing is not a power: a token reads what its holder may see (the list queries filter
# by role the same way).
_SEEING_ACTIONS = {"view_forum", "view_post"}
_SCOPE_FOR_ROLE = {Role.MODERATOR: "moderate", Role.STAFF: "moderate", Role.ADMIN: "admin"}


class TokenBoundUser:
    """The holder of the request's API token, with role powers cut to the token's scopes."""

    def __init__(self, user, scopes: set[str]) -> None:
        self._user = user
        self._scopes = scopes

    def __getattr__(self, name: str):
        return getattr(self._user, name)

    def has_role(self, role: Role) -> bool:
        needed = _SCOPE_FOR_ROLE.get(Role(role))
        return self._user.has_role(role) and (needed is None or needed in self._scopes)

    @property
    def role(self) -> str:
        held = Role.MEMBER
        for role in list(Role)[1:]:
            if not self.has_role(role):
                break
            held = role
        return held.value


def as_token_allows(user):
    """`user` as the current request's API token lets them act (unchanged without one)."""
    from flask import g, has_app_context

    token = g.get("api_token") if has_app_context() else None
    if token is None or token.user_id != user.id:
        return powers_in_force(user)
    return limited_to_scopes(user, set(token.scopes.split()))


STAFF_POWERS_WITHHELD = "staff_powers_withheld_for"  # set by web.two_factor, per request


def powers_in_force(user):
    """`user`, limited to a member's powers while they must turn on two-factor
    authentication first (REQUIRE_2FA_FOR_STAFF): pages, cookie API calls and the tokens
    they may create alike."""
    from flask import g, has_app_context

    if has_app_context() and user.id is not None and g.get(STAFF_POWERS_WITHHELD) == user.id:
        return limited_to_scopes(user, {"read", "write"})
    return user


def limited_to_scopes(user, scopes: set[str]):
    """`user` with role powers cut to what the token scopes grant."""
    if isinstance(user, TokenBoundUser) or set(_SCOPE_FOR_ROLE.values()) <= scopes:
        return user
    return TokenBoundUser(user, scopes)


# --- notifications: following forums, one's own notifications and preferences (issue 8) ---

@rule("follow_forum")
def _follow_forum(user, forum) -> bool:
    return _view_forum(user, forum)


@rule("manage_notifications")
def _manage_notifications(user, target) -> bool:
    """Read and mark one's own notifications, and set one's own notification preferences."""
    return target is not None and user.id == target.id


# --- insights: the engagement dashboard --------------------------------------------------

@rule("view_insights")
def _view_insights(user, target) -> bool:
    """The dashboard, its CSV exports and GET /api/v1/analytics/summary."""
    return user.has_role(Role.STAFF)


# --- moderation and trust (issue 7: services/moderation/) --------------------------------

def _outranks(user, target) -> bool:
    """A moderator acting on someone of a lower role (never on themselves)."""
    return (user.has_role(Role.MODERATOR) and target is not None and target.id != user.id
            and Role(target.role).rank < Role(user.role).rank)


@rule("review")
def _review(user, target) -> bool:
    """Work the review queue: see held and flagged posts, approve, reject, hide, restore."""
    return user.has_role(Role.MODERATOR)


def _moderates_author(user, author) -> bool:
    """A moderator acting on someone else's content: the rank rule of suspensions applies,
    so an official answer from staff cannot be rewritten or hidden by a moderator.
    (A removed author counts as a member.)"""
    return user.has_role(Role.MODERATOR) and (
        author is None or Role(author.role).rank < Role(user.role).rank)


@rule("moderate_post")
def _moderate_post(user, post) -> bool:
    """Hide, restore, or reject a post under review: the author's content, by rank."""
    return user.has_role(Role.MODERATOR) and (
        post.author_id == user.id or _moderates_author(user, post.author))


@rule("flag_post")
def _flag_post(user, post) -> bool:
    return (post.state == PostState.PUBLISHED and post.author_id != user.id
            and post.thread.state == ThreadState.PUBLISHED and _view_forum(user, post.thread.forum))


@rule("suspend_member")
def _suspend_member(user, target) -> bool:
    return _outranks(user, target)


@rule("silence_member")
def _silence_member(user, target) -> bool:
    return _outranks(user, target)


@rule("set_trust_level")
def _set_trust_level(user, target) -> bool:
    return _outranks(user, target)


@rule("view_audit_log")
def _view_audit_log(user, target) -> bool:
    return user.has_role(Role.MODERATOR)


@rule("split_thread")
def _split_thread(user, thread) -> bool:
    return user.has_role(Role.MODERATOR)


@rule("merge_threads")
def _merge_threads(user, thread) -> bool:
    """Discussion and support threads; ideas merge with their votes (merge_ideas)."""
    return user.has_role(Role.MODERATOR) and thread.forum.kind != "ideas"


@rule("manage_watched_words")
def _manage_watched_words(user, target) -> bool:
    return user.has_role(Role.ADMIN)


@rule("manage_rate_limits")
def _manage_rate_limits(user, target) -> bool:
    return user.has_role(Role.ADMIN)


# Actions a visitor may take, and those left to a suspended member.
_ANONYMOUS_ACTIONS: set[str] = {"view_forum", "view_post"}
_READ_ACTIONS: set[str] = {"view_forum", "view_post", "export_account", "delete_account"}
