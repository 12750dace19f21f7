"""May this user do this to that? The one place every route and service asks."""

from collections.abc import Callable
from typing import Any

from flask_login import AnonymousUserMixin

from .errors import Forbidden, NotAuthenticated
from .models import PostState, Role


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
        raise Forbidden("Your account is suspended.")
    raise Forbidden("You are not allowed to do that.")


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
    if user.has_role(Role.MODERATOR):
        return True
    return post.author_id == user.id and post.state in (PostState.PUBLISHED, PostState.PENDING)


@rule("delete_post")
def _delete_post(user, post) -> bool:
    return _edit_post(user, post)


@rule("edit_thread_title")
def _edit_thread_title(user, thread) -> bool:
    return thread.author_id == user.id or user.has_role(Role.MODERATOR)


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


# Actions a visitor may take, and those left to a suspended member.
_ANONYMOUS_ACTIONS: set[str] = {"view_forum", "view_post"}
_READ_ACTIONS: set[str] = {"view_forum", "view_post"}
