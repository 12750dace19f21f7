"""Forums, threads and posts over JSON."""

from flask import jsonify, request
from flask_login import current_user

from .. import permissions, serializers
from ..errors import ValidationError
from ..models import PostState, ThreadState
from ..queries import forums as q
from ..queries.paging import page_number, per_page_number
from ..ratelimits import rate_limited
from ..services import forums
from . import bp
from .io import documented, parse
from .schemas import (EditConflictOut, ForumIn, ForumListOut, ForumOut, PostEditIn, PostIn,
                      PostOut, PreviewOut, RevisionListOut, TagIn, TagListOut, TagOut, ThreadIn,
                      ThreadListOut, ThreadOut, ThreadPageOut, ThreadPatch)

PAGING = {"page": "Page number, from 1", "per_page": "Items per page, at most 100"}


def _post(post) -> dict:
    return serializers.post(post, show_content=permissions.can(current_user, "view_post", post))


@bp.get("/forums")
@documented("Forums the caller may see", responses={200: ForumListOut})
def list_forums():
    return jsonify(forums=[serializers.forum(s.forum) for s in q.forum_index(current_user)])


@bp.post("/forums")
@documented("Create a forum", auth="admin", body=ForumIn, responses={201: ForumOut})
def create_forum():
    data = parse(ForumIn)
    forum = forums.create_forum(current_user, data.slug, data.name, data.description, data.kind,
                                data.private)
    return jsonify(serializers.forum(forum)), 201


@bp.get("/forums/<slug>/threads")
@documented("A page of a forum's threads", responses={200: ThreadListOut},
            query={"sort": "latest, top or trending", "tag": "Only threads with this tag",
                   "status": "Ideas with this status", "solved": "1 or 0: support questions",
                   "after": "A `next` cursor: the page after the one it came with (stays put "
                            "as new threads arrive; any depth at the cost of page 1)",
                   "before": "A `prev` cursor: the page before the one it came with"}
            | PAGING)
def list_threads(slug: str):
    forum = q.get_forum(current_user, slug)
    solved = request.args.get("solved")
    if solved not in (None, "", "0", "1"):
        raise ValidationError("solved is 1 or 0.", {"solved": "1 or 0."})
    page = q.forum_threads(current_user, forum, sort=request.args.get("sort", "latest"),
                           tag=request.args.get("tag") or None,
                           status=request.args.get("status") or None,
                           solved=None if solved in (None, "") else solved == "1",
                           page=page_number(request.args.get("page")),
                           per_page=per_page_number(request.args.get("per_page"), 25),
                           after=request.args.get("after") or None,
                           before=request.args.get("before") or None)
    return jsonify(threads=[serializers.thread(t) for t in page.items], page=page.page,
                   pages=page.pages, total=page.total, next=page.older, prev=page.newer)


@bp.post("/forums/<slug>/threads")
@documented("Start a thread", auth="member", body=ThreadIn,
            responses={201: ThreadOut, 202: ThreadOut})
@rate_limited("post")
def start_thread(slug: str):
    forum = q.get_forum(current_user, slug)
    data = parse(ThreadIn)
    thread = forums.start_thread(current_user, forum, data.title, data.body, data.tags)
    # 202: held for review ("state": "pending"); only its author and moderators see it.
    return jsonify(serializers.thread(thread)), 202 if thread.state == ThreadState.PENDING else 201


@bp.get("/threads/<int:thread_id>")
@documented("A thread and a page of its posts", responses={200: ThreadPageOut},
            query=PAGING)
def show_thread(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    posts = q.thread_posts(current_user, thread, page_number(request.args.get("page")),
                           per_page_number(request.args.get("per_page")))
    return jsonify(thread=serializers.thread(thread), posts=[_post(p) for p in posts.items],
                   page=posts.page, pages=posts.pages)


@bp.patch("/threads/<int:thread_id>")
@documented("Change a thread's title or tags (author), or pin, lock or move it (moderators)",
            auth="member", body=ThreadPatch, responses={200: ThreadOut})
def update_thread(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    data = parse(ThreadPatch)
    target = q.get_forum(current_user, data.forum) if data.forum is not None else None
    forums.update_thread(current_user, thread, title=data.title, pinned=data.pinned,
                         locked=data.locked, forum=target, tags=data.tags)
    return jsonify(serializers.thread(thread))


@bp.post("/threads/<int:thread_id>/posts")
@documented("Reply to a thread", auth="member", body=PostIn,
            responses={201: PostOut, 202: PostOut})
@rate_limited("post")
def reply(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    post = forums.reply(current_user, thread, parse(PostIn).body)
    # 202: held for review ("state": "pending"); only its author and moderators see it.
    return jsonify(_post(post)), 202 if post.state == PostState.PENDING else 201


@bp.get("/posts/<int:post_id>")
@documented("A post", responses={200: PostOut})
def show_post(post_id: int):
    return jsonify(_post(q.get_post(current_user, post_id)))


@bp.patch("/posts/<int:post_id>")
@documented("Edit a post (the old body is kept as a revision); with `base_revision`, an edit "
            "of a copy that has been saved over since is refused",
            auth="member", body=PostEditIn, responses={200: PostOut, 409: EditConflictOut})
def edit_post(post_id: int):
    post = q.get_post(current_user, post_id)
    data = parse(PostEditIn)
    try:
        forums.edit_post(current_user, post, data.body, base_revision=data.base_revision)
    except forums.EditConflict as exc:
        # The error contract plus both versions, so the client can merge and save again.
        return jsonify(error={"code": exc.code, "message": exc.message},
                       current=_post(exc.current),
                       yours={"body": data.body, "base_revision": data.base_revision}), exc.status
    return jsonify(_post(post))


@bp.delete("/posts/<int:post_id>")
@documented("Remove a post (soft: it stays as 'post removed')", auth="member",
            responses={204: "Removed"})
def delete_post(post_id: int):
    forums.delete_post(current_user, q.get_post(current_user, post_id))
    return "", 204


@bp.get("/posts/<int:post_id>/revisions")
@documented("A post's earlier versions, newest first", responses={200: RevisionListOut})
def revisions(post_id: int):
    post = q.get_post(current_user, post_id)
    permissions.require(current_user, "view_post", post)
    return jsonify(revisions=[{"editor": serializers.author(r.editor), "body": r.body,
                               "edited_at": r.edited_at.isoformat()} for r in q.revisions(post)])


@bp.get("/tags")
@documented("The tags threads can carry", responses={200: TagListOut})
def list_tags():
    return jsonify(tags=[serializers.tag(t) for t in q.all_tags()])


@bp.post("/tags")
@documented("Add a tag", auth="staff", body=TagIn, responses={201: TagOut})
def create_tag():
    data = parse(TagIn)
    return jsonify(serializers.tag(forums.create_tag(current_user, data.slug, data.name,
                                                     data.description))), 201


@bp.post("/preview")
@documented("Render Markdown as a post would be", auth="member", body=PostIn,
            responses={200: PreviewOut})
def preview():
    permissions.require(current_user, "preview")
    body = parse(PostIn).body
    forums.check_body(body)
    return jsonify(html=forums.render(body).html)
