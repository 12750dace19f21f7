"""Forum, thread and post pages: browse, start a thread, reply, quote, edit, remove."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import page_cache, text
from ..errors import InputError
from ..fragments import render_post
from ..models import IdeaStatus
from ..queries import feedback as qf
from ..queries import forums as q
from ..queries.paging import page_number
from ..ratelimits import rate_limited
from ..services import forums
from ..urls import thread_url
from .forms import PostForm, ThreadForm, ThreadTitleForm, show_errors

bp = Blueprint("forums", __name__)


def _wants_preview() -> bool:
    return request.form.get("action") == "preview"


@bp.route("/f/<slug>")
def forum(slug: str):
    forum = q.get_forum(current_user, slug)
    sort = request.args.get("sort", "latest")
    tag = request.args.get("tag") or None
    status = request.args.get("status") or None
    solved = {"solved": True, "unsolved": False}.get(request.args.get("show", ""))
    filters = {"sort": sort, "tag": tag, "status": status, "solved": solved}
    page = page_number(request.args.get("page"))
    after, before = request.args.get("after") or None, request.args.get("before") or None
    if page > q.NUMBERED_PAGES and not (after or before):
        # An old deep ?page=N link: its place by cursor, which reads one index range.
        cursor = q.page_cursor(current_user, forum, page=page, **filters)
        args = {k: v for k, v in request.args.items() if k != "page"}
        return redirect(url_for("forums.forum", **{**args, "slug": slug, "after": cursor}))
    threads = q.forum_threads(current_user, forum, **filters, page=page, after=after,
                              before=before)
    tags = q.all_tags()

    def render() -> str:
        return render_template("forums/forum.html", forum=forum, threads=threads, sort=sort,
                               tag=tag, status=status, show=request.args.get("show"),
                               tags=tags, statuses=list(IdeaStatus),
                               voted=qf.voted_threads(current_user,
                                                      [t.id for t in threads.items]))

    return page_cache.anonymous_page(lambda: q.listing_version(threads, forum, tags), render)


@bp.route("/f/<slug>/new", methods=["GET", "POST"])
@login_required
@rate_limited("post")
def new_thread(slug: str):
    forum = q.get_forum(current_user, slug)
    form, preview = ThreadForm(), None
    chosen = request.form.getlist("tags")
    if form.validate_on_submit():
        if _wants_preview():
            preview = forums.render(form.body.data).html
        else:
            try:
                thread = forums.start_thread(current_user, forum, form.title.data,
                                             form.body.data, chosen)
            except InputError as exc:
                show_errors(form, exc.fields)
                return render_template("forums/new_thread.html", forum=forum, form=form,
                                       tags=q.all_tags(), chosen=chosen, errors=exc.fields), exc.status
            return redirect(thread_url(thread.id))
    return render_template("forums/new_thread.html", forum=forum, form=form, tags=q.all_tags(),
                           chosen=chosen, preview=preview, errors={}), 400 if form.errors else 200


@bp.route("/t/<int:thread_id>")
def thread(thread_id: int):
    thread = q.get_thread(current_user, thread_id)  # access first, cached page or not
    page = page_number(request.args.get("page"))

    def render() -> str:
        posts = q.thread_posts(current_user, thread, page)
        form = PostForm()
        quote_id = request.args.get("quote", type=int)
        if quote_id and current_user.is_authenticated:
            quoted = q.get_post(current_user, quote_id)
            if quoted.thread_id == thread.id and quoted.body is not None:
                form.body.data = text.quote_reference(quoted.author.username, quoted.id,
                                                      quoted.body)
        return render_template("forums/thread.html", form=form, **_thread_page(thread, posts))

    return page_cache.anonymous_page(lambda: q.thread_page_version(thread, page), render)


@bp.route("/t/<int:thread_id>/reply", methods=["POST"])
@login_required
@rate_limited("post")
def reply(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    form = PostForm()
    if form.validate_on_submit() and not _wants_preview():
        try:
            post = forums.reply(current_user, thread, form.body.data)
        except InputError as exc:
            show_errors(form, exc.fields)
        else:
            return redirect(thread_url(thread.id, post_id=post.id,
                                       page=q.page_of_post(current_user, post)))
    # Preview, or a reply to fix: show the last page with the form filled in.
    posts = q.thread_posts(current_user, thread, q.last_page(current_user, thread))
    preview = forums.render(form.body.data).html if _wants_preview() and form.body.data else None
    return render_template("forums/thread.html", form=form, preview=preview,
                           **_thread_page(thread, posts)), 400 if form.errors else 200


def _thread_page(thread, posts) -> dict:
    """What the thread page shows besides the posts: votes, status history, following."""
    return {
        "thread": thread, "posts": posts,
        "voted_posts": qf.voted_posts(current_user, [p.id for p in posts.items]),
        # Only ideas show a vote on the thread itself (one query fewer elsewhere).
        "voted_thread": (thread.forum.kind == "ideas"
                         and thread.id in qf.voted_threads(current_user, [thread.id])),
        "history": qf.status_history(thread) if thread.status else [],
        "following": q.follow_level(current_user, thread),
        "statuses": [s for s in IdeaStatus if s != IdeaStatus.DUPLICATE],
    }


@bp.route("/t/<int:thread_id>/edit", methods=["GET", "POST"])
@login_required
def edit_thread(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    form = ThreadTitleForm(obj=thread)
    chosen = request.form.getlist("tags") if request.method == "POST" else [t.slug for t in thread.tags]
    if form.validate_on_submit():
        try:
            forums.update_thread(current_user, thread, title=form.title.data, tags=chosen)
        except InputError as exc:
            show_errors(form, exc.fields)
            return render_template("forums/edit_thread.html", thread=thread, form=form,
                                   tags=q.all_tags(), chosen=chosen, errors=exc.fields), exc.status
        flash("Thread updated.", "success")
        return redirect(thread_url(thread.id))
    return render_template("forums/edit_thread.html", thread=thread, form=form, tags=q.all_tags(),
                           chosen=chosen, errors={})


@bp.route("/t/<int:thread_id>/curate", methods=["POST"])
@login_required
def curate(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    changes = {
        "pin": {"pinned": True}, "unpin": {"pinned": False},
        "lock": {"locked": True}, "unlock": {"locked": False},
    }.get(request.form.get("action", ""))
    if changes is None and request.form.get("forum"):
        changes = {"forum": q.get_forum(current_user, request.form["forum"])}
    if changes is None:
        abort(400, "Unknown action.")
    forums.update_thread(current_user, thread, **changes)
    flash("Thread updated.", "success")
    return redirect(thread_url(thread.id))


@bp.route("/p/<int:post_id>")
def post(post_id: int):
    post = q.get_post(current_user, post_id)
    return redirect(thread_url(post.thread_id, post_id=post.id,
                               page=q.page_of_post(current_user, post)))


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    post = q.get_post(current_user, post_id)
    form, preview = PostForm(obj=post), None
    # The revision the editor started from travels with the form (previews keep it), so a
    # save made on a copy someone has saved over since is refused.
    base = request.form.get("base_revision", type=int) if form.is_submitted() else post.revision
    if form.validate_on_submit():
        if _wants_preview():
            preview = forums.render(form.body.data).html
        else:
            try:
                forums.edit_post(current_user, post, form.body.data, base_revision=base)
            except forums.EditConflict:
                # The version saved now beside the member's unsaved text; saving again from
                # this page replaces that version deliberately.
                return render_template("forums/edit_post.html", post=post, form=form,
                                       base_revision=post.revision, conflict=True), 409
            except InputError as exc:
                show_errors(form, exc.fields)
                return render_template("forums/edit_post.html", post=post, form=form,
                                       base_revision=base), exc.status
            flash("Your changes are saved.", "success")
            return redirect(url_for(".post", post_id=post.id))
    return render_template("forums/edit_post.html", post=post, form=form, preview=preview,
                           base_revision=base)


@bp.route("/p/<int:post_id>/history")
def history(post_id: int):
    post = q.get_post(current_user, post_id)
    return render_template("forums/history.html", post=post, revisions=q.revisions(post))


@bp.route("/p/<int:post_id>/delete", methods=["POST"])
@login_required
def delete_post(post_id: int):
    post = q.get_post(current_user, post_id)
    forums.delete_post(current_user, post)
    flash("The post is removed.", "info")
    return redirect(url_for(".post", post_id=post.id))


# --- fragments: the page's own partials, fetched by the live client -------------------------

bp.add_app_template_global(render_post, "render_post")


@bp.route("/p/<int:post_id>/fragment")
def post_fragment(post_id: int):
    post = q.get_post(current_user, post_id)
    return render_template("_partials/post.html", post=post,
                           voted_posts=qf.voted_posts(current_user, [post.id]))


@bp.route("/t/<int:thread_id>/fragment")
def thread_fragment(thread_id: int):
    """The thread's posts after number `after` (at most 50): what a reconnecting page missed."""
    thread = q.get_thread(current_user, thread_id)
    after = request.args.get("after", 0, type=int)
    posts = q.posts_after(current_user, thread, after)
    return render_template("forums/_posts.html", posts=posts,
                           voted_posts=qf.voted_posts(current_user, [p.id for p in posts]))


@bp.route("/t/<int:thread_id>/row")
def thread_row(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    return render_template("_partials/thread_row.html", thread=thread,
                           voted=qf.voted_threads(current_user, [thread.id]))


@bp.route("/tags/<slug>")
def tag(slug: str):
    tag = q.get_tag(slug)
    threads = q.tag_threads(current_user, tag, page=page_number(request.args.get("page")))
    return render_template("forums/tag.html", tag=tag, threads=threads)


@bp.route("/preview", methods=["POST"])
@login_required
def preview():
    """The server's rendering of a draft, for the editor's preview pane."""
    body = request.form.get("body", "")
    if len(body) > text.MAX_BODY:
        abort(413)
    return forums.render(body).html
