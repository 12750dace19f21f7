"""Poll pages: add a poll to a thread, vote, change or withdraw a vote, close; the live fragment."""

from datetime import UTC, datetime

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import permissions
from ..errors import InputError, ValidationError
from ..queries import forums as q
from ..queries import polls as pq
from ..ratelimits import rate_limited
from ..services import polls
from . import forums as forum_pages

bp = Blueprint("polls", __name__)

RESULT_CHOICES = [
    ("after_vote", "After voting, or once the poll closes "
                   "(the thread's author and moderators: any time)"),
    ("always", "Always, even before voting"),
    ("after_close", "Only once the poll closes"),
]


@bp.app_template_global()
def poll_view_for(thread) -> pq.PollView | None:
    """The thread's poll as the current viewer sees it, or None (for the poll partial)."""
    poll = pq.poll_for(thread)
    return pq.poll_view(current_user, poll) if poll is not None else None


def _poll_url(poll) -> str:
    return url_for("forums.thread", thread_id=poll.thread_id, _anchor=f"poll-{poll.id}")


def _closes_at(value: str) -> datetime | None:
    # <input type="datetime-local"> sends "YYYY-MM-DDTHH:MM" without a zone; the form says UTC.
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError("Please correct the poll.",
                              {"closes_at": "A date and time, like 2030-01-31T18:00."}) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@bp.route("/t/<int:thread_id>/poll/new", methods=["GET", "POST"])
@login_required
def new(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    permissions.require(current_user, "create_poll", thread)
    existing = pq.poll_for(thread)
    if existing is not None:
        flash("This thread already has a poll.", "info")
        return redirect(_poll_url(existing))
    form = {"question": "", "options": "", "multiple": False, "closes_at": "",
            "results": "after_vote"}
    if request.method == "POST":
        form = {"question": request.form.get("question", ""),
                "options": request.form.get("options", ""),
                "multiple": bool(request.form.get("multiple")),
                "closes_at": request.form.get("closes_at", ""),
                "results": request.form.get("results", "after_vote")}
        # One option per line; blank lines are just spacing.
        labels = [line.strip() for line in form["options"].splitlines() if line.strip()]
        try:
            poll = polls.create_poll(current_user, thread, form["question"], labels,
                                     multiple=form["multiple"],
                                     closes_at=_closes_at(form["closes_at"]),
                                     results=form["results"])
        except InputError as exc:
            return render_template("polls/new.html", thread=thread, form=form,
                                   choices=RESULT_CHOICES, errors=exc.fields,
                                   message=exc.message), exc.status
        flash("The poll is open.", "success")
        return redirect(_poll_url(poll))
    return render_template("polls/new.html", thread=thread, form=form, choices=RESULT_CHOICES,
                           errors={}, message=None)


def _thread_page_with_error(poll, exc: InputError):
    # Show the thread as it is with the refusal next to the poll, keeping the 4xx status.
    g.poll_error = exc.message
    return forum_pages.thread(poll.thread_id), exc.status


@bp.route("/polls/<int:poll_id>/ballot", methods=["POST"])
@login_required
@rate_limited("vote")
def vote(poll_id: int):
    poll = pq.get_poll(current_user, poll_id)
    try:
        chosen = [int(v) for v in request.form.getlist("option_id")]
    except ValueError:
        return _thread_page_with_error(poll, ValidationError("Choose from the poll's options."))
    try:
        polls.cast_ballot(current_user, poll, chosen)
    except InputError as exc:
        return _thread_page_with_error(poll, exc)
    flash("Your vote is counted.", "success")
    return redirect(_poll_url(poll))


@bp.route("/polls/<int:poll_id>/withdraw", methods=["POST"])
@login_required
@rate_limited("vote")
def withdraw(poll_id: int):
    poll = pq.get_poll(current_user, poll_id)
    try:
        polls.withdraw_ballot(current_user, poll)
    except InputError as exc:
        return _thread_page_with_error(poll, exc)
    flash("Your vote is withdrawn.", "info")
    return redirect(_poll_url(poll))


@bp.route("/polls/<int:poll_id>/close", methods=["POST"])
@login_required
def close(poll_id: int):
    poll = pq.get_poll(current_user, poll_id)
    polls.close_poll(current_user, poll)
    flash("The poll is closed.", "info")
    return redirect(_poll_url(poll))


# --- fragments: the poll partial, fetched by static/js/poll.js ---------------------------

def _fragment(thread):
    html = render_template("_partials/poll.html", thread=thread, poll_fragment=True)
    # Results depend on the viewer and change with every vote: never reuse a copy.
    return html, 200, {"Cache-Control": "no-store"}


@bp.route("/polls/<int:poll_id>/fragment")
def fragment(poll_id: int):
    return _fragment(pq.get_poll(current_user, poll_id).thread)


@bp.route("/t/<int:thread_id>/poll/fragment")
def thread_fragment(thread_id: int):
    """The thread's poll slot: how a page that showed no poll picks up a new one."""
    return _fragment(q.get_thread(current_user, thread_id))
