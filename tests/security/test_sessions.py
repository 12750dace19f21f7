"""A session ends on the server: a copied cookie dies with logout, a new password, a suspension."""

from datetime import timedelta

from sqlalchemy import func, select

from community.extensions import db
from community.models import LoginSession, utcnow
from community.services import moderation

from ..conftest import csrf_token
from ..factories import PASSWORD, make_user


def _sign_in(app, user, agent="Firefox on a laptop", address="127.0.0.1"):
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = agent
    browser.environ_base["REMOTE_ADDR"] = address
    response = browser.post("/login", data={"csrf_token": csrf_token(browser, "/login"),
                                            "login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def _copy(app, browser):
    """Another client holding the same cookie, as a thief with a copy of it would."""
    name = app.config["SESSION_COOKIE_NAME"]
    thief = app.test_client()
    thief.set_cookie(name, browser.get_cookie(name).value)
    return thief


def _signed_in(browser) -> bool:
    return browser.get("/settings").status_code == 200


def _sessions_of(user) -> int:
    return db.session.scalar(select(func.count()).select_from(LoginSession)
                             .where(LoginSession.user_id == user.id))


def test_logout_ends_the_session_for_every_copy_of_the_cookie(app, member):
    browser = _sign_in(app, member)
    thief = _copy(app, browser)
    assert _signed_in(thief)
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/settings")})
    assert not _signed_in(browser)
    assert not _signed_in(thief)
    assert _sessions_of(member) == 0


def test_a_new_password_signs_out_the_other_browsers_only(app, member):
    laptop, phone = _sign_in(app, member), _sign_in(app, member, "Safari on a phone")
    thief = _copy(app, phone)
    response = laptop.post("/settings/password", data={
        "csrf_token": csrf_token(laptop, "/settings/password"),
        "current_password": PASSWORD, "new_password": "a brand new passphrase"})
    assert response.status_code == 302
    assert _signed_in(laptop)
    assert not _signed_in(phone) and not _signed_in(thief)
    assert _sessions_of(member) == 1


def test_a_suspension_signs_the_member_out_everywhere(app, member, moderator):
    browser = _sign_in(app, member)
    moderator_browser = _sign_in(app, moderator)
    moderation.suspend_member(moderator, member, utcnow() + timedelta(days=1), "Spam")
    assert not _signed_in(browser)
    assert _signed_in(moderator_browser)
    # Logging in again is refused while the suspension lasts.
    again = browser.post("/login", data={"csrf_token": csrf_token(browser, "/login"),
                                         "login": member.username, "password": PASSWORD})
    assert again.status_code == 403 and _sessions_of(member) == 0


def test_the_sessions_page_lists_and_ends_browsers(app, member):
    laptop = _sign_in(app, member)
    phone = _sign_in(app, member, "Safari on a phone", address="203.0.113.7")
    page = laptop.get("/settings/sessions").text
    assert "Firefox on a laptop" in page and "Safari on a phone" in page
    # The address each browser signed in from (request.remote_addr) is shown.
    assert "203.0.113.7" in page and "127.0.0.1" in page
    assert db.session.scalar(select(LoginSession.address).where(
        LoginSession.device == "Safari on a phone")) == "203.0.113.7"
    assert "(this browser)" in page
    phone_id = db.session.scalar(select(LoginSession.id).where(
        LoginSession.device == "Safari on a phone"))
    token = csrf_token(laptop, "/settings/sessions")
    ended = laptop.post(f"/settings/sessions/{phone_id}/end", data={"csrf_token": token})
    assert ended.status_code == 302
    assert not _signed_in(phone) and _signed_in(laptop)

    tablet = _sign_in(app, member, "Chrome on a tablet")
    laptop.post("/settings/sessions/end-others", data={"csrf_token": token})
    assert not _signed_in(tablet) and _signed_in(laptop)
    assert _sessions_of(member) == 1


def test_nobody_ends_another_members_session(app, member):
    other = make_user("otto")
    victim = _sign_in(app, other)
    their_id = db.session.scalar(select(LoginSession.id).where(LoginSession.user_id == other.id))
    attacker = _sign_in(app, member)
    response = attacker.post(f"/settings/sessions/{their_id}/end",
                             data={"csrf_token": csrf_token(attacker, "/settings/sessions")})
    assert response.status_code == 404
    assert _signed_in(victim) and _sessions_of(other) == 1
    # Nor does the page name them.
    assert "otto" not in attacker.get("/settings/sessions").text


def test_the_csrf_token_changes_at_login(app, member):
    browser = app.test_client()
    before = csrf_token(browser, "/login")
    response = browser.post("/login", data={"csrf_token": before, "login": member.username,
                                            "password": PASSWORD})
    assert response.status_code == 302
    after = csrf_token(browser, "/settings")
    assert after != before
    # The token a visitor (or an attacker who planted it) held before login is worthless now.
    refused = browser.post("/settings", data={"csrf_token": before, "display_name": "Planted"})
    assert refused.status_code == 400
    db.session.refresh(member)
    assert member.display_name != "Planted"


def test_a_session_made_before_sessions_were_stored_counts_for_nothing(app, member):
    # A cookie signed with the right key but naming no login session (as every cookie did
    # before this change) signs nobody in.
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = str(member.id)
        session["_fresh"] = True
    assert not _signed_in(browser)
