"""The community's front page: its forums with counts and latest activity."""

from flask import Blueprint, render_template
from flask_login import current_user

from ..queries.forums import forum_index

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    return render_template("home/index.html", forums=forum_index(current_user))
