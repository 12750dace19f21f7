"""Search: the results page, and the similar-thread suggestions of the new-thread form."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..errors import ValidationError
from ..queries import search as q
from ..queries.paging import page_number

bp = Blueprint("search", __name__)


@bp.route("/search")
def results():
    query = request.args.get("q", "")
    page = page_number(request.args.get("page"))
    try:
        found = q.search(current_user, query, page)
    except ValidationError as exc:
        # Show the form again with the reason next to it, rather than an error page.
        return render_template("search/results.html", query=query, found=None,
                               error=exc.fields.get("q", exc.message)), exc.status
    return render_template("search/results.html", query=query, found=found, error=None)


@bp.route("/search/similar")
def similar():
    """An HTML fragment for the new-thread form: links to threads like the title typed."""
    threads = q.similar_threads(current_user, request.args.get("title", ""))
    return render_template("search/_similar.html", threads=threads)
