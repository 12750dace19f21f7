"""JSON-safe shapes of domain objects, one per kind, for the API and Socket.IO alike."""

from .models import Forum, Post, PostState, Tag, Thread, User
from .services.advocacy import rank_for


def user(u: User, viewer=None) -> dict:
    from .queries.advocacy import top_badges

    data = {
        "id": u.id,
        "username": u.username,
        "display_name": u.name,
        "bio": u.bio,
        "role": str(u.role),
        "trust_level": u.trust_level,
        "points": u.points,
        "rank": rank_for(u.points),
        "badges": [b.slug for b in top_badges([u.id]).get(u.id, [])],
        "avatar_url": f"/u/{u.username}/avatar.svg",
        "created_at": u.created_at.isoformat(),
    }
    if viewer is not None and viewer.is_authenticated and viewer.id == u.id:
        data["email"] = u.email
    return data


def author(u: User) -> dict:
    """The short form of a member shown next to their content."""
    return {"username": u.username, "display_name": u.name, "role": str(u.role),
            "avatar_url": f"/u/{u.username}/avatar.svg"}


def forum(f: Forum) -> dict:
    return {
        "slug": f.slug, "name": f.name, "description": f.description, "kind": str(f.kind),
        "private": f.private, "position": f.position, "thread_count": f.thread_count,
        "post_count": f.post_count,
        "last_activity_at": f.last_activity_at.isoformat() if f.last_activity_at else None,
        "url": f"/f/{f.slug}",
    }


def tag(t: Tag) -> dict:
    return {"slug": t.slug, "name": t.name}


def thread(t: Thread) -> dict:
    return {
        "id": t.id, "title": t.title, "forum": t.forum.slug, "author": author(t.author),
        "pinned": t.pinned, "locked": t.locked, "reply_count": t.reply_count, "score": t.score,
        "status": t.status, "solved": t.solved, "merged_into": t.merged_into_id,
        "tags": [tag(x) for x in t.tags], "created_at": t.created_at.isoformat(),
        "last_activity_at": t.last_activity_at.isoformat(), "url": f"/t/{t.id}",
        "state": t.state,
    }


def post(p: Post, *, show_content: bool = True) -> dict:
    """A post; removed or hidden posts keep their place but lose their content."""
    shown = show_content and p.state != PostState.DELETED
    return {
        "id": p.id, "thread_id": p.thread_id, "number": p.number, "author": author(p.author),
        "state": str(p.state), "official": p.official, "score": p.score,
        "is_solution": p.is_solution,
        "body": p.body if shown else None, "html": p.html if shown else None,
        "created_at": p.created_at.isoformat(),
        "edited_at": p.edited_at.isoformat() if p.edited_at else None,
        "revision": p.revision,
        "url": f"/p/{p.id}",
    }


def leaderboard_entry(entry) -> dict:
    return {"rank": entry.rank, "username": entry.user.username,
            "display_name": entry.user.name, "points": entry.points,
            "title": rank_for(entry.user.points), "badges": [b.slug for b in entry.badges],
            "avatar_url": f"/u/{entry.user.username}/avatar.svg"}


def notification(n) -> dict:
    """A member's notification; `url` is where following it leads (it is marked read there)."""
    return {
        "id": n.id, "kind": n.kind, "message": n.message, "count": n.count,
        "read": n.read_at is not None, "actor": author(n.actor) if n.actor else None,
        "thread_id": n.thread_id, "post_id": n.post_id, "created_at": n.created_at.isoformat(),
        "url": notification_target(n),
    }


def notification_target(n) -> str:
    """The page a notification is about."""
    if n.post_id:
        return f"/p/{n.post_id}"
    if n.thread_id:
        return f"/t/{n.thread_id}"
    return {"badge": "/badges", "rank": "/leaderboard"}.get(n.kind, "/notifications")
