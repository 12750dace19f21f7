"""A Bearer token authenticates the JSON API only, and never mints a token above itself."""

from sqlalchemy import func, select

from community.extensions import db
from community.models import ApiToken, Post

from ..conftest import csrf_token
from ..factories import PASSWORD, make_forum, make_thread


def _bearer(client, secret):
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def _token_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ApiToken))


def test_a_token_does_not_sign_in_to_pages(app, member):
    from community.services.accounts import issue_token

    _, secret = issue_token(member, "read only", "read")
    browser = _bearer(app.test_client(), secret)
    response = browser.get("/settings/tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # Nor did that request leave a signed-in cookie behind for later requests.
    del browser.environ_base["HTTP_AUTHORIZATION"]
    again = browser.get("/settings/tokens")
    assert again.status_code == 302 and "/login" in again.headers["Location"]


def test_a_read_token_cannot_write_through_pages(app, member):
    from community.services.accounts import issue_token

    thread = make_thread(member, make_forum())
    _, secret = issue_token(member, "read only", "read")
    browser = _bearer(app.test_client(), secret)
    token = csrf_token(browser, "/login")  # a visitor's CSRF token, the best it can get
    before = _token_count()
    minted = browser.post("/settings/tokens", data={
        "csrf_token": token, "name": "full", "scopes_shown": "1",
        "scopes": ["read", "write", "moderate", "admin"]})
    assert minted.status_code == 302 and "/login" in minted.headers["Location"]
    reply = browser.post(f"/t/{thread.id}/reply", data={"csrf_token": token, "body": "Hi from a token"})
    assert reply.status_code == 302 and "/login" in reply.headers["Location"]
    profile = browser.post("/settings", data={"csrf_token": token, "display_name": "Pwned"})
    assert profile.status_code == 302 and "/login" in profile.headers["Location"]
    assert _token_count() == before
    assert db.session.scalar(select(func.count()).select_from(Post)
                             .where(Post.thread_id == thread.id)) == 1
    db.session.refresh(member)
    assert member.display_name != "Pwned"


def test_a_token_cannot_create_a_token_with_more_scopes(app, moderator):
    from community.services.accounts import issue_token

    _, secret = issue_token(moderator, "no moderation", "read write")
    api = _bearer(app.test_client(), secret)
    before = _token_count()
    # Even with the password, a request made with this token gets no more than it has.
    response = api.post("/api/v1/tokens", json={
        "login": moderator.username, "password": PASSWORD, "scopes": "read write moderate"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert _token_count() == before
    narrower = api.post("/api/v1/tokens", json={
        "login": moderator.username, "password": PASSWORD, "scopes": "read"})
    assert narrower.status_code == 201 and narrower.get_json()["scopes"] == "read"
    # Without a token, the password alone gets what the role carries.
    full = app.test_client().post("/api/v1/tokens", json={
        "login": moderator.username, "password": PASSWORD, "scopes": "read write moderate"})
    assert full.status_code == 201 and full.get_json()["scopes"] == "read write moderate"


def test_a_read_token_cannot_post_to_the_api(app, member):
    from community.services.accounts import issue_token

    _, secret = issue_token(member, "read only", "read")
    response = _bearer(app.test_client(), secret).post("/api/v1/tokens", json={
        "login": member.username, "password": PASSWORD, "scopes": "read write"})
    assert response.status_code == 403
    assert _token_count() == 1


def test_a_member_asking_for_scopes_above_their_role_is_told(client_as, member):
    browser = client_as(member)
    before = _token_count()
    response = browser.post("/settings/tokens", data={
        "csrf_token": csrf_token(browser, "/settings/tokens"), "name": "mine",
        "scopes_shown": "1", "scopes": ["read", "moderate"]})
    assert response.status_code == 400
    assert "does not carry the “moderate” scope" in response.text
    assert _token_count() == before


def test_on_the_api_the_token_decides_not_the_cookie(app, client_as, member, admin):
    from community.services.accounts import issue_token

    browser = client_as(admin)
    _, secret = issue_token(member, "member's", "read")
    assert _bearer(browser, secret).get("/api/v1/me").get_json()["username"] == member.username
    # A bad token next to a valid admin cookie signs nobody in.
    browser.environ_base["HTTP_AUTHORIZATION"] = "Bearer not-a-token"
    assert browser.get("/api/v1/me").status_code == 401
