"""Votes, idea statuses, merging, following, and the public roadmap."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..inputs import id_from
from ..models import IdeaStatus
from ..queries import feedback as qf
from ..queries import forums as q
from ..ratelimits import rate_limited
from ..services import feedback, follows

bp = Blueprint("feedback", __name__)


def _vote_value() -> int:
    value = request.form.get("value")
    if value not in ("0", "1"):
        abort(400, "A vote is 1 or 0.")
    return int(value)


def _back(thread_id: int, anchor: str | None = None):
    return redirect(url_for("forums.thread", thread_id=thread_id, _anchor=anchor))


@bp.route("/t/<int:thread_id>/vote", methods=["POST"])
@login_required
@rate_limited("vote")
def vote_thread(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    feedback.vote_thread(current_user, thread, _vote_value())
    return _back(thread.id) if request.form.get("next") != "forum" else \
        redirect(url_for("forums.forum", slug=thread.forum.slug))


@bp.route("/p/<int:post_id>/vote", methods=["POST"])
@login_required
@rate_limited("vote")
def vote_post(post_id: int):
    post = q.get_post(current_user, post_id)
    feedback.vote_post(current_user, post, _vote_value())
    return _back(post.thread_id, f"post-{post.id}")


@bp.route("/t/<int:thread_id>/status", methods=["POST"])
@login_required
def set_status(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    feedback.set_idea_status(current_user, thread, request.form.get("status", ""),
                             request.form.get("note", ""))
    flash(f"Status set to {IdeaStatus(thread.status).label}. Voters and followers are told.", "success")
    return _back(thread.id)


@bp.route("/t/<int:thread_id>/merge", methods=["POST"])
@login_required
def merge(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    target_id = request.form.get("into", "").strip().rstrip("/").rsplit("/", 1)[-1]
    if (into_id := id_from(target_id)) is None:
        abort(400, "Give the number (or link) of the idea to merge into.")
    into = q.get_thread(current_user, into_id)
    feedback.merge_idea(current_user, thread, into)
    flash(f"Merged into “{into.title}”.", "success")
    return _back(into.id)


@bp.route("/t/<int:thread_id>/follow", methods=["POST"])
@login_required
def follow(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    level = request.form.get("level", "watching")
    if level == "none":
        follows.unfollow_thread(current_user, thread)
        flash("You no longer follow this thread.", "info")
    else:
        follows.follow_thread(current_user, thread, level)
        flash(f"You are {level} this thread.", "info")
    return _back(thread.id)


@bp.route("/roadmap")
def roadmap():
    return render_template("feedback/roadmap.html", roadmap=qf.roadmap(current_user),
                           ideas_forums=q.ideas_forums(current_user))


@bp.route("/roadmap/fragment")
def roadmap_fragment():
    return render_template("feedback/_roadmap_columns.html", roadmap=qf.roadmap(current_user))
