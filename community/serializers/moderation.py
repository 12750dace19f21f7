"""The review queue's items and the audit log's entries."""

import json

from ..models import AuditEntry, ReviewItem
from ..urls import review_item_url, thread_url
from .forums import author, post


def review_item(item: ReviewItem, history, flags: list, *, claimed: bool) -> dict:
    """A review-queue item: the post (content included: moderators only), why it is here,
    its author's trust level and `history` (queries.moderation.author_history), the open
    `flags` (queries.moderation.open_flags), and who is working on it while `claimed`."""
    p, member = item.post, item.post.author
    return {
        "id": item.id, "kind": item.kind, "reason": item.reason, "status": item.status,
        "resolution": item.resolution, "created_at": item.created_at.isoformat(),
        "resolved_at": item.resolved_at.isoformat() if item.resolved_at else None,
        "claimed_by": item.claimed_by.username if claimed and item.claimed_by else None,
        "claimed_at": item.claimed_at.isoformat() if claimed else None,
        "post": post(p),
        "thread": {"id": p.thread.id, "title": p.thread.title, "state": p.thread.state,
                   "forum": p.thread.forum.slug, "url": thread_url(p.thread.id)},
        "author": {**author(member), "trust_level": member.trust_level,
                   "trust_locked": member.trust_locked,
                   "joined_at": member.created_at.isoformat(),
                   "suspended_until": member.suspended_until.isoformat()
                   if member.is_suspended() else None,
                   "history": history.as_dict()},
        "flags": [{"reason": f.reason, "note": f.note, "weight": f.weight, "by": f.by,
                   "created_at": f.created_at.isoformat()} for f in flags],
        "flag_weight": sum(f.weight for f in flags),
        "url": review_item_url(item.id),
    }


def audit_entry(entry: AuditEntry) -> dict:
    return {"id": entry.id, "action": entry.action,
            "actor": entry.actor.username if entry.actor else None,
            "target_type": entry.target_type, "target_id": entry.target_id,
            "reason": entry.reason, "details": json.loads(entry.details or "{}"),
            "created_at": entry.created_at.isoformat()}
