"""Forums, threads, posts, tags, polls, and the author shown beside content."""

from ..models import Forum, Post, PostState, Tag, Thread, User
from ..urls import avatar_url, forum_url, post_url, thread_url


def author(u: User) -> dict:
    """The short form of a member shown next to their content."""
    return {"username": u.username, "display_name": u.name, "role": str(u.role),
            "avatar_url": avatar_url(u.username)}


def forum(f: Forum) -> dict:
    return {
        "slug": f.slug, "name": f.name, "description": f.description, "kind": str(f.kind),
        "private": f.private, "position": f.position, "thread_count": f.thread_count,
        "post_count": f.post_count,
        "last_activity_at": f.last_activity_at.isoformat() if f.last_activity_at else None,
        "url": forum_url(f.slug),
    }


def tag(t: Tag) -> dict:
    return {"slug": t.slug, "name": t.name}


def thread(t: Thread) -> dict:
    return {
        "id": t.id, "title": t.title, "forum": t.forum.slug, "author": author(t.author),
        "pinned": t.pinned, "locked": t.locked, "reply_count": t.reply_count, "score": t.score,
        "status": t.status, "solved": t.solved, "merged_into": t.merged_into_id,
        "tags": [tag(x) for x in t.tags], "created_at": t.created_at.isoformat(),
        "last_activity_at": t.last_activity_at.isoformat(), "url": thread_url(t.id),
        "state": t.state,
    }


def thread_ref(t: Thread) -> dict:
    """A thread named in a list of results: enough to show and follow it."""
    return {"id": t.id, "title": t.title, "forum": t.forum.slug, "url": thread_url(t.id)}


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
        "url": post_url(p.id),
    }


def poll(view) -> dict:
    """A poll as one viewer sees it (queries.polls.poll_view): results, their choices, rights."""
    return {
        "id": view.id, "thread_id": view.thread_id, "question": view.question,
        "multiple": view.multiple, "results": view.results,
        "closes_at": view.closes_at.isoformat() if view.closes_at else None,
        "closed": view.is_closed, "voter_count": view.voter_count,
        "results_visible": view.results_visible,
        "options": [{"id": o.id, "label": o.label, "votes": o.votes, "percent": o.percent}
                    for o in view.options],
        "my_choices": sorted(view.chosen), "can_vote": view.can_vote, "can_close": view.can_close,
    }
