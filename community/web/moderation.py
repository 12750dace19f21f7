"""Moderation pages: the review queue, the audit log, member tools, flagging, thread tools,
watched words and rate limits."""

from datetime import UTC, datetime, timedelta

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_required

from .. import permissions
from ..errors import InputError, ValidationError
from ..inputs import id_from
from ..queries import forums as q
from ..queries import moderation as qm
from ..queries.paging import page_number
from ..ratelimits import rate_limited
from ..services import accounts, moderation, trust

bp = Blueprint("moderation", __name__)

SUSPEND_FOR = [("1", "1 hour"), ("24", "1 day"), ("72", "3 days"), ("168", "1 week"),
               ("720", "30 days"), ("8760", "1 year")]


@bp.record_once
def _install(state) -> None:
    state.app.add_template_global(review_queue_count)
    state.app.add_template_global(moderation.claim_active)


def review_queue_count() -> int:
    """Open items in the review queue (for the moderators' "Review queue (N)" link)."""
    if "review_queue_count" not in g:
        g.review_queue_count = qm.open_item_count()
    return g.review_queue_count


# --- the review queue ---------------------------------------------------------------------

def _require(action: str, target=None) -> None:
    permissions.require(current_user, action, target)


@bp.route("/moderation")
@login_required
def queue():
    _require("review")
    kind = request.args.get("kind") or None
    items = qm.open_items(page_number(request.args.get("page")), kind=kind)
    authors = {i.post.author_id for i in items.items}
    return render_template("moderation/queue.html", items=items, kind=kind,
                           history=qm.author_history(authors),
                           flags=qm.open_flags([i.post_id for i in items.items]))


@bp.route("/moderation/items/<int:item_id>/fragment")
@login_required
def item_fragment(item_id: int):
    _require("review")
    item = qm.get_item(item_id)
    return render_template("moderation/_item.html", item=item,
                           history=qm.author_history([item.post.author_id]),
                           flags=qm.open_flags([item.post_id]))


@bp.route("/moderation/items/<int:item_id>", methods=["POST"])
@login_required
def act(item_id: int):
    _require("review")
    item = qm.get_item(item_id)
    action = request.form.get("action", "")
    try:
        moderation.act_on_item(current_user, item, action, reason=request.form.get("reason", ""))
    except InputError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".queue", _anchor=f"item-{item.id}")), 303
    done = {"approve": "Approved.", "reject": "Rejected.", "hide": "Hidden.",
            "restore": "Restored.", "claim": "You are reviewing this item.",
            "release": "Released."}[action]
    flash(done, "success")
    return redirect(url_for(".queue", _anchor=f"item-{item.id}")), 303


# --- the audit log ------------------------------------------------------------------------

@bp.route("/moderation/log")
@login_required
def log():
    _require("view_audit_log")
    filters = qm.LogFilter.from_args(request.args)
    entries = qm.audit_log(filters, page_number(request.args.get("page")))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("moderation/log.html", entries=entries, args=args,
                           actions=qm.audit_actions(), details=qm.details)


# --- member tools -------------------------------------------------------------------------

def _until(form) -> datetime:
    if form.get("until"):
        day = qm.day(form["until"], "until")
        if day.year >= 9999:  # the day after would not exist
            raise ValidationError("Choose an earlier date.", {"until": "Before the year 9999."})
        return day + timedelta(days=1)  # through that day (UTC)
    hours = form.get("hours", "")
    if hours not in dict(SUSPEND_FOR):
        raise ValidationError("Choose how long.", {"hours": "Choose a period or a date."})
    return datetime.now(UTC) + timedelta(hours=int(hours))


def _member(username: str):
    user = accounts.find_user(username)
    if user is None:
        abort(404)
    return user


@bp.route("/moderation/members/<username>", methods=["GET", "POST"])
@login_required
def member(username: str):
    _require("moderate")
    user = _member(username)
    errors = {}
    if request.method == "POST":
        tool, form = request.form.get("tool", ""), request.form
        reason = form.get("reason", "")
        try:
            if tool == "suspend":
                moderation.suspend_member(current_user, user, _until(form), reason)
            elif tool == "unsuspend":
                moderation.unsuspend_member(current_user, user, reason)
            elif tool == "silence":
                moderation.silence_member(current_user, user, _until(form), reason)
            elif tool == "unsilence":
                moderation.unsilence_member(current_user, user, reason)
            elif tool == "trust":
                level = form.get("level", "")
                if level not in ("0", "1", "2", "3", "4"):
                    raise ValidationError("Choose a level.", {"level": "0 to 4."})
                moderation.set_trust_level(current_user, user, int(level), reason)
            elif tool == "reset_trust":
                moderation.reset_trust_level(current_user, user, reason)
            else:
                abort(400, "Unknown tool.")
        except InputError as exc:
            errors = dict(exc.fields) or {"form": exc.message}
            flash(exc.message, "error")
        else:
            flash("Done: the member is told why.", "success")
            return redirect(url_for(".member", username=user.username)), 303
    history = qm.author_history([user.id])[user.id]
    return render_template("moderation/member.html", member=user, history=history,
                           silenced=qm.silence_of(user), entries=qm.member_log(user),
                           activity=trust.activity_of(user), levels=trust.NAMES,
                           suspend_for=SUSPEND_FOR, errors=errors, details=qm.details,
                           may_act=permissions.can(current_user, "suspend_member", user),
                           ), 400 if errors else 200


# --- flagging and post tools --------------------------------------------------------------

@bp.route("/p/<int:post_id>/flag", methods=["GET", "POST"])
@login_required
@rate_limited("flag")
def flag_post(post_id: int):
    post = q.get_post(current_user, post_id)
    errors, chosen, note = {}, request.form.get("reason", ""), request.form.get("note", "")
    status, message = 200, None
    if request.method == "POST":
        try:
            moderation.flag_post(current_user, post, chosen, note)
        except InputError as exc:
            errors, status, message = dict(exc.fields), exc.status, exc.message
        else:
            flash("Thanks: the moderators will take a look.", "success")
            return redirect(url_for("forums.post", post_id=post.id)), 303
    elif not permissions.can(current_user, "flag_post", post):
        permissions.require(current_user, "flag_post", post)
    return render_template("moderation/flag.html", post=post, reasons=moderation.FLAG_REASONS,
                           errors=errors, chosen=chosen, note=note, message=message), status


@bp.route("/p/<int:post_id>/hide", methods=["POST"])
@login_required
def hide_post(post_id: int):
    post = q.get_post(current_user, post_id)
    moderation.hide_post(current_user, post, request.form.get("reason", ""))
    flash("The post is hidden.", "success")
    return redirect(url_for("forums.post", post_id=post.id)), 303


@bp.route("/p/<int:post_id>/restore", methods=["POST"])
@login_required
def restore_post(post_id: int):
    post = q.get_post(current_user, post_id)
    moderation.restore_post(current_user, post, request.form.get("reason", ""))
    flash("The post is visible again.", "success")
    return redirect(url_for("forums.post", post_id=post.id)), 303


# --- thread tools -------------------------------------------------------------------------

SPLIT_LIMIT = 500  # replies the split page lists


@bp.route("/moderation/threads/<int:thread_id>/split", methods=["GET", "POST"])
@login_required
def split(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    _require("split_thread", thread)
    posts = [p for p in q.posts_after(current_user, thread, 1, SPLIT_LIMIT)]
    errors, title = {}, request.form.get("title", "")
    chosen = set(request.form.getlist("post_ids", type=int))
    if request.method == "GET" and request.args.get("from", type=int):
        start = request.args.get("from", type=int)
        first = next((p for p in posts if p.id == start), None)
        chosen = {p.id for p in posts if first is not None and p.number >= first.number}
    forum_slug = request.form.get("forum") or thread.forum.slug
    if request.method == "POST":
        try:
            forum = q.get_forum(current_user, forum_slug)
            new = moderation.split_thread(current_user, thread, sorted(chosen), title, forum,
                                          request.form.get("reason", ""))
        except InputError as exc:
            errors = dict(exc.fields) or {"post_ids": exc.message}
        else:
            flash("The replies are in their own thread now.", "success")
            return redirect(url_for("forums.thread", thread_id=new.id)), 303
    return render_template("moderation/split.html", thread=thread, posts=posts, chosen=chosen,
                           title=title, errors=errors, forum_slug=forum_slug,
                           forums=[s.forum for s in q.forum_index(current_user)]), \
        400 if errors else 200


def _thread_id(raw: str) -> int | None:
    """A thread id from "123", "/t/123" or a full thread address."""
    raw = (raw or "").strip().rstrip("/")
    tail = raw.split("/t/")[-1].split("?")[0].split("#")[0]
    return id_from(tail)


@bp.route("/moderation/threads/<int:thread_id>/merge", methods=["GET", "POST"])
@login_required
def merge(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    _require("merge_threads", thread)
    errors, into = {}, request.form.get("into", "")
    if request.method == "POST":
        target_id = _thread_id(into)
        try:
            if target_id is None:
                raise ValidationError("Which thread?", {"into": "A thread number or address."})
            target = q.get_thread(current_user, target_id)
            moderation.merge_threads(current_user, thread, target, request.form.get("reason", ""))
        except InputError as exc:
            errors = dict(exc.fields) or {"into": exc.message}
        else:
            flash("The threads are merged.", "success")
            return redirect(url_for("forums.thread", thread_id=target.id)), 303
    return render_template("moderation/merge.html", thread=thread, into=into, errors=errors), \
        400 if errors else 200


# --- admin: watched words and rate limits -------------------------------------------------

@bp.route("/admin/watched-words", methods=["GET", "POST"])
@login_required
def watched_words():
    _require("manage_watched_words")
    errors, form, status = {}, request.form, 200
    if request.method == "POST":
        try:
            moderation.add_watched_word(current_user, form.get("word", ""), form.get("action", ""),
                                        form.get("replacement", ""))
        except InputError as exc:
            errors, status = dict(exc.fields) or {"word": exc.message}, exc.status
        else:
            flash("The word is watched.", "success")
            return redirect(url_for(".watched_words")), 303
    return render_template("moderation/watched_words.html", words=qm.watched_words(),
                           errors=errors, form=form, actions=moderation.WORD_ACTIONS), status


@bp.route("/admin/watched-words/<int:word_id>/delete", methods=["POST"])
@login_required
def remove_watched_word(word_id: int):
    _require("manage_watched_words")
    moderation.remove_watched_word(current_user, qm.get_watched_word(word_id))
    flash("The word is no longer watched.", "success")
    return redirect(url_for(".watched_words")), 303


@bp.route("/admin/rate-limits", methods=["GET", "POST"])
@login_required
def rate_limits():
    _require("manage_rate_limits")
    errors, values = {}, qm.rate_limits(current_app.config)
    if request.method == "POST":
        submitted = {k: request.form.get(k, "") for k in qm.RATE_LIMITS if k in request.form}
        try:
            moderation.update_rate_limits(current_user, **submitted)
        except InputError as exc:
            errors, values = exc.fields, values | submitted
        else:
            flash("Rate limits saved.", "success")
            return redirect(url_for(".rate_limits")), 303
    return render_template("moderation/rate_limits.html", values=values, labels=qm.RATE_LIMITS,
                           defaults={k: current_app.config[k] for k in qm.RATE_LIMITS},
                           login_limit=current_app.config["LOGIN_RATE_LIMIT"],
                           enabled=current_app.config["RATELIMIT_ENABLED"], errors=errors), \
        400 if errors else 200

