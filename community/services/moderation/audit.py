"""The audit log: one line per moderator or staff action, never changed afterwards.

`audit` writes a line in the caller's unit of work. The reactions below log what other
services report (community.events names them): edits, deletions and curation by
moderators, idea statuses, badges and solutions set by staff.
"""

import json

from sqlalchemy import event, inspect, select

from ...domain_events import (BadgeAwarded, IdeaStatusChanged, ModerationAction, PostDeleted,
                              PostEdited, SolutionChanged, ThreadCurated, record)
from ...errors import ValidationError
from ...extensions import db
from ...models import AuditEntry, Post, Role, utcnow

REASON_MAX = 1000


def audit(actor, action: str, target_type: str = "", target_id: int | None = None, *,
          reason: str = "", before: dict | None = None, after: dict | None = None,
          **details) -> AuditEntry:
    """Write one line of the audit log in the caller's unit of work (actor None: the system)."""
    data = dict(details)
    if before is not None:
        data["before"] = before
    if after is not None:
        data["after"] = after
    entry = AuditEntry(actor_id=getattr(actor, "id", None), action=action, target_type=target_type,
                       target_id=target_id, reason=reason or "", created_at=utcnow(),
                       details=json.dumps(data, default=str, sort_keys=True))
    db.session.add(entry)
    return entry


@event.listens_for(AuditEntry, "before_update")
def _audit_is_append_only(mapper, connection, entry: AuditEntry) -> None:
    # Only the actor link may change (the database nulls it when an account is deleted).
    changed = {a.key for a in inspect(entry).attrs if a.history.has_changes()}
    if changed - {"actor_id", "actor"}:
        raise PermissionError("audit entries are never changed")


@event.listens_for(AuditEntry, "before_delete")
def _audit_is_never_deleted(mapper, connection, entry: AuditEntry) -> None:
    raise PermissionError("audit entries are never deleted")


def about(post: Post) -> dict:
    """The details a log line about a post carries: whose, in which thread."""
    return {"user": post.author.username, "thread_id": post.thread_id}


def check_reason(reason: str | None, *, required: bool) -> str:
    """The reason a moderator gives (logged, and shown to the member), trimmed."""
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError("Give a reason.", {"reason": "The member will see it."})
    if len(reason) > REASON_MAX:
        raise ValidationError("The reason is too long.",
                              {"reason": f"At most {REASON_MAX} characters."})
    return reason


# --- what other services report: reactions (community.events) ------------------------------

def audit_post_edit(event: PostEdited) -> None:
    """Log a moderator's edit of someone else's post."""
    actor, post = event.actor, event.post
    if actor.id != post.author_id and actor.has_role(Role.MODERATOR):
        audit(actor, "edit_post", "post", post.id, before={"body": event.old_body},
              after={"body": post.body}, **about(post))


def audit_post_deletion(event: PostDeleted) -> None:
    """Log a moderator's deletion of someone else's post, and tell its author."""
    actor, post = event.actor, event.post
    if getattr(actor, "id", None) != post.author_id and actor.has_role(Role.MODERATOR):
        audit(actor, "delete_post", "post", post.id, **about(post))
        record(ModerationAction("delete_post", actor, post.author, post))


def audit_curation(event: ThreadCurated) -> None:
    """Log what a moderator changed of a thread's pin, lock and forum; tell its author of a
    lock or a move."""
    thread, actor, before = event.thread, event.actor, event.before
    after = {"pinned": thread.pinned, "locked": thread.locked, "forum": thread.forum.slug}
    changed = {k for k in after if after[k] != before[k]}
    if not changed or not actor.has_role(Role.MODERATOR):
        return
    audit(actor, "curate_thread", "thread", thread.id,
          before={k: before[k] for k in sorted(changed)},
          after={k: after[k] for k in sorted(changed)}, title=thread.title)
    told = [a for k, a in (("locked", "lock" if thread.locked else "unlock"), ("forum", "move"))
            if k in changed]
    if told and thread.author_id != actor.id:
        opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                       Post.number == 1))
        for action in told:
            record(ModerationAction(action, actor, thread.author, opening))


def audit_idea_status(event: IdeaStatusChanged) -> None:
    """Log an idea's status change."""
    thread, actor, old, new = event.thread, event.actor, event.old, event.new
    audit(actor, "set_idea_status", "thread", thread.id, before={"status": old},
          after={"status": new}, title=thread.title)


def audit_badge_grant(event: BadgeAwarded) -> None:
    """Log a badge staff awarded by hand."""
    award = event.award
    if award.awarded_by_id is not None:  # a staff member's award, not a rule's
        db.session.add(AuditEntry(actor_id=award.awarded_by_id, action="grant_badge",
                                  target_type="user", target_id=award.user_id, reason=award.reason,
                                  created_at=utcnow(),
                                  details=json.dumps({"badge": award.badge.slug}, sort_keys=True)))


def audit_solution_by_staff(event: SolutionChanged) -> None:
    """Log a solution accepted or unaccepted by someone other than the asker."""
    thread, post, accepted, actor = event.thread, event.post, event.accepted, event.actor
    if actor is not None and actor.id != thread.author_id:
        audit(actor, "accept_solution" if accepted else "unaccept_solution", "thread", thread.id,
              after={"post_id": post.id, "accepted": accepted}, title=thread.title)
