"""Members: register, who am I, a member's public profile."""

from flask import current_app, jsonify
from flask_login import current_user

from .. import serializers
from ..errors import Forbidden, NotAuthenticated
from ..queries.advocacy import top_badges
from ..ratelimits import rate_limited
from ..services import accounts
from . import bp
from .io import documented, parse
from .schemas import RegisterIn, RoleIn, UserOut


def _user(user, viewer=current_user) -> dict:
    return serializers.user(user, top_badges([user.id]).get(user.id, []), viewer=viewer)


@bp.post("/users")
@documented("Register a member account", body=RegisterIn, responses={201: UserOut})
@rate_limited("register")
def register():
    if current_app.config.get("OIDC_ONLY"):
        raise Forbidden("Registration is closed: members join by signing in with the "
                        "community's identity provider.")
    data = parse(RegisterIn)
    user = accounts.register_user(data.username, data.email, data.password)
    return jsonify(_user(user, viewer=user)), 201


@bp.get("/me")
@documented("The member making the request", auth="member", responses={200: UserOut})
def me():
    if not current_user.is_authenticated:
        raise NotAuthenticated("Log in or send an API token.")
    return jsonify(_user(current_user))


@bp.get("/users/<username>")
@documented("A member's public profile", responses={200: UserOut})
def show(username: str):
    return jsonify(_user(accounts.get_user(username)))


@bp.put("/users/<username>/role")
@documented("Give a member another role", auth="admin", body=RoleIn, responses={200: UserOut})
def set_role(username: str):
    data = parse(RoleIn)
    user = accounts.set_role(current_user, accounts.get_user(username), data.role)
    return jsonify(_user(user))
