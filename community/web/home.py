"""The community's front page: its forums with counts and latest activity, and for a
signed-in member a personal home above them."""

from flask import Blueprint, render_template
from flask_login import current_user

from .. import page_cache
from ..queries.forums import forum_index, index_version
from ..queries.notifications import personal_home

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    forums = forum_index(current_user)

    def render() -> str:
        home = personal_home(current_user) if current_user.is_authenticated else None
        return render_template("home/index.html", forums=forums, home=home)

    return page_cache.anonymous_page(lambda: index_version(forums), render)
