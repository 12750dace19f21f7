import pytest
from flask import g

from sqlalchemy import func, select

from community import permissions
from community.extensions import db
from community.models import ApiToken, Role

from ..conftest import csrf_token
from ..factories import PASSWORD, make_forum, make_reply, make_thread, make_user

NEW_THREAD = {"title": "Which tent for two?", "body": "Weight matters most."}


def test_a_read_only_token_reads_but_cannot_write(api_as, member):
    make_forum()
    api = api_as(member, scopes="read")
    assert api.get("/api/v1/me").status_code == 200
    response = api.post("/api/v1/forums/general/threads", json=NEW_THREAD)
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "forbidden" and "write" in error["message"]
    # Any token may still revoke itself.
    assert api.delete("/api/v1/tokens/current").status_code == 204
    assert api.get("/api/v1/me").status_code == 401


def test_reading_needs_the_read_scope(api_as, member):
    make_forum()
    api = api_as(member, scopes="write")
    assert api.get("/api/v1/me").status_code == 403
    assert api.post("/api/v1/forums/general/threads", json=NEW_THREAD).status_code == 201


def test_moderator_powers_need_the_moderate_scope(api_as, moderator, member):
    thread = make_thread(member, make_forum())
    post = make_reply(member, thread, "Spam spam spam.")
    own = make_reply(moderator, thread, "My own words.")
    plain = api_as(moderator, scopes="read write")
    assert plain.delete(f"/api/v1/posts/{post.id}").status_code == 403
    assert plain.delete(f"/api/v1/posts/{own.id}").status_code == 204  # a member's power
    assert api_as(moderator, scopes="read write moderate").delete(
        f"/api/v1/posts/{post.id}").status_code == 204


def test_a_token_reads_what_its_holder_may_see(api_as, moderator, member):
    thread = make_thread(moderator, make_forum("mods", private=True))
    plain = api_as(moderator, scopes="read")
    assert "mods" in [f["slug"] for f in plain.get("/api/v1/forums").get_json()["forums"]]
    assert plain.get(f"/api/v1/threads/{thread.id}").status_code == 200
    assert api_as(member, scopes="read").get(f"/api/v1/threads/{thread.id}").status_code == 404


def test_staff_powers_need_the_moderate_scope(api_as, staff, member):
    idea = make_thread(member, make_forum("ideas", kind="ideas"), title="Orange packs")
    body = {"status": "planned", "note": "Coming in spring."}
    assert api_as(staff, scopes="read write").post(
        f"/api/v1/threads/{idea.id}/status", json=body).status_code == 403
    assert api_as(staff, scopes="read write moderate").post(
        f"/api/v1/threads/{idea.id}/status", json=body).status_code == 200


def test_admin_powers_need_the_admin_scope(api_as, admin, member):
    forum = {"slug": "news", "name": "News"}
    plain = api_as(admin, scopes="read write moderate")
    assert plain.post("/api/v1/forums", json=forum).status_code == 403
    assert plain.put("/api/v1/users/mia/role", json={"role": "staff"}).status_code == 403
    assert plain.get("/api/v1/webhooks").status_code == 403
    scoped = api_as(admin, scopes="read write admin")
    assert scoped.post("/api/v1/forums", json=forum).status_code == 201
    assert scoped.put("/api/v1/users/mia/role", json={"role": "staff"}).status_code == 200
    assert scoped.get("/api/v1/webhooks").status_code == 200
    # "admin" alone does not carry moderator powers.
    thread = make_thread(member, make_forum("general"))
    assert scoped.patch(f"/api/v1/threads/{thread.id}", json={"pinned": True}).status_code == 403


def test_scopes_never_exceed_the_role(client, member):
    response = client.post("/api/v1/tokens", json={
        "login": member.username, "password": PASSWORD, "scopes": "read write moderate admin"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and "moderate" in error["fields"]["scopes"]
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_browser_sessions_are_not_limited_by_scopes(client_as, admin):
    client = client_as(admin)
    token = csrf_token(client, "/settings")
    response = client.post("/api/v1/forums", json={"slug": "news", "name": "News"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_a_token_limits_only_its_own_holder(app, admin):
    from community.services.accounts import issue_token

    other = make_user("root2", role=Role.ADMIN)
    token, _ = issue_token(admin, "read only", "read")
    with app.app_context(), app.test_request_context("/api/v1/me"):
        g.api_token = token
        assert not permissions.can(admin, "administer")
        assert permissions.can(other, "administer")
        scoped = permissions.as_token_allows(admin)
        assert scoped.role == "member" and scoped.username == "ada"
        assert not scoped.has_role(Role.MODERATOR) and scoped.has_role(Role.MEMBER)
    assert permissions.can(admin, "administer")


@pytest.mark.parametrize("scopes, role", [("read moderate", "staff"), ("read admin", "member"),
                                          ("read write moderate admin", "admin")])
def test_the_effective_role_of_a_token(app, admin, scopes, role):
    from community.services.accounts import issue_token

    token, _ = issue_token(admin, "t", scopes)
    with app.app_context(), app.test_request_context("/api/v1/me"):
        g.api_token = token
        assert permissions.as_token_allows(admin).role == role
