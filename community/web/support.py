"""Support pages: mark the solution, rate the help (CSAT), recommend the brand (NPS)."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import InputError
from ..queries import forums as q
from ..queries import support as support_q
from ..services import support
from ..urls import thread_url

bp = Blueprint("support", __name__)


@bp.app_context_processor
def support_helpers() -> dict:
    # Loaded lazily by the partials themselves, so the thread page (and the footer of every
    # page) need not know what they show.
    return {
        "solution_for": support_q.solution_of,
        "csat_for": support_q.csat_of,
        "csat_changeable": support_q.csat_changeable,
        "csat_change_deadline": support_q.csat_change_deadline,
        "nps_can_answer": _nps_can_answer,
    }


def _nps_can_answer(user) -> bool:
    # Asked by the footer of every page; one query per request is enough.
    if "nps_status" not in g:
        g.nps_status = support_q.nps_status(user)
    return g.nps_status.can_answer


# --- accepted solutions ----------------------------------------------------------------

@bp.route("/t/<int:thread_id>/solution", methods=["POST"])
@login_required
def accept_solution(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    post_id = request.form.get("post_id", type=int)
    if post_id is None:
        flash("Choose the reply that solved the question.", "error")
        return redirect(thread_url(thread.id))
    post = q.get_post(current_user, post_id)
    try:
        support.accept_solution(current_user, thread, post)
    except InputError as exc:
        flash(exc.message, "error")
        return redirect(thread_url(thread.id))
    flash("Marked as the solution.", "success")
    return redirect(url_for("forums.post", post_id=post.id))


@bp.route("/t/<int:thread_id>/solution/remove", methods=["POST"])
@login_required
def unaccept_solution(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    support.unaccept_solution(current_user, thread)
    flash("The solution is unmarked; the question is open again.", "info")
    return redirect(thread_url(thread.id))


@bp.route("/t/<int:thread_id>/solution/fragment")
def solution_fragment(thread_id: int):
    """The thread's solution banner alone, for the live client to refresh on thread.updated."""
    thread = q.get_thread(current_user, thread_id)
    return render_template("_partials/solution_banner.html", thread=thread)


# --- satisfaction ----------------------------------------------------------------------

@bp.route("/t/<int:thread_id>/csat", methods=["POST"])
@login_required
def rate_thread(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    try:
        _, created = support.rate_thread(current_user, thread, request.form.get("score", type=int),
                                         request.form.get("comment", ""))
    except InputError as exc:
        flash(" ".join([exc.message, *exc.fields.values()]), "error")
    else:
        flash("Thank you for rating the help." if created else "Your rating is updated.",
              "success")
    return redirect(thread_url(thread.id) + "#csat")


@bp.route("/feedback/nps", methods=["GET", "POST"])
@login_required
def nps():
    score, comment, errors, status = None, "", {}, 200
    if request.method == "POST":
        score = request.form.get("score", type=int)
        comment = request.form.get("comment", "")
        try:
            support.answer_nps(current_user, score, comment)
        except InputError as exc:
            flash(exc.message, "error")
            errors, status = exc.fields, exc.status
        else:
            flash("Thank you for your answer.", "success")
            return redirect(url_for("home.index"))
    return render_template("support/nps.html", status=support_q.nps_status(current_user),
                           score=score, comment=comment, errors=errors), status
