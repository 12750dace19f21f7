"""Email confirmation: a new account gets a signed link; until it is used the member gets
no notification emails (only the confirmation), and may be kept from posting."""

import re
import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from community.extensions import db
from community.models import Notification, OutboxEmail, Role
from community.services import accounts, email_verification, mail

from ..conftest import csrf_token, log_in
from ..factories import PASSWORD, make_forum, make_reply, make_thread, make_user


def _emails(kind: str, user=None) -> list[OutboxEmail]:
    db.session.expire_all()
    query = select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id)
    if user is not None:
        query = query.where(OutboxEmail.user_id == user.id)
    return list(db.session.scalars(query))


def _emails_to(user) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == user.id)))


def _link(email: OutboxEmail) -> str:
    found = re.search(r"http://localhost:5000(/confirm-email/[\w.-]+)", email.body_text)
    assert found and found.group(1) in email.body_html
    return found.group(1)


def _join(username: str):
    return accounts.register_user(username, f"{username}@example.com", PASSWORD)


def test_a_new_member_confirms_their_address_from_the_outbox_email(app):
    browser = app.test_client()
    joined = browser.post("/register", data={
        "username": "newbie", "email": "newbie@example.com", "password": PASSWORD,
        "csrf_token": csrf_token(browser, "/register")})
    assert joined.status_code == 302
    user = accounts.find_user("newbie")
    assert user.email_verified_at is None
    [email] = _emails("confirm_email")
    assert email.to_address == "newbie@example.com" and "Unsubscribe" not in email.body_html
    assert "List-Unsubscribe" not in mail.build_message(email)
    assert "Please confirm your email address" in browser.get("/").get_data(as_text=True)
    assert browser.get("/api/v1/me").get_json()["email_verified"] is False

    link = _link(email)
    confirmed = app.test_client().get(link)
    assert confirmed.status_code == 200 and "Email address confirmed" in confirmed.get_data(
        as_text=True)
    db.session.expire_all()
    assert user.email_verified_at is not None
    assert "Please confirm" not in browser.get("/").get_data(as_text=True)
    # Used again, it changes nothing and says so.
    again = app.test_client().get(link)
    assert again.status_code == 200 and "was confirmed already" in again.get_data(as_text=True)


def test_forged_expired_and_out_of_date_links_confirm_nothing(app, monkeypatch):
    user = _join("newbie")
    link = _link(_emails("confirm_email")[0])
    token = link.rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other_key = URLSafeTimedSerializer("another key", salt="confirm-email").dumps(
        [user.id, user.email])
    for bad in (forged, other_key, "x"):
        assert app.test_client().get(f"/confirm-email/{bad}").status_code == 400
        answer = app.test_client().post(f"/api/v1/email-confirmations/{bad}")
        assert answer.status_code == 400 and "token" in answer.get_json()["error"]["fields"]

    # Signed 49 hours ago: past VERIFY_EMAIL_HOURS (48).
    monkeypatch.setattr(TimestampSigner, "get_timestamp",
                        lambda self: int(time.time()) - 49 * 3600)
    expired = email_verification.confirmation_link(user).rsplit("/confirm-email/", 1)[1]
    monkeypatch.undo()
    assert app.test_client().get(f"/confirm-email/{expired}").status_code == 400

    # A link to an address the account no longer has.
    user.email = "elsewhere@example.com"
    db.session.commit()
    assert app.test_client().get(link).status_code == 400
    db.session.expire_all()
    assert user.email_verified_at is None


def test_an_unconfirmed_member_gets_no_notification_emails(app):
    moderator = make_user("moe", role=Role.MODERATOR)
    member = _join("newbie")
    thread = make_thread(member, make_forum())
    make_reply(moderator, thread, "Here is an answer.")
    # In the app, yes; by email, only the confirmation.
    assert db.session.query(Notification).filter_by(user_id=member.id, kind="reply").count() == 1
    assert {e.kind for e in _emails_to(member)} == {"confirm_email"}
    assert mail.queue_digest(member, "weekly") is False

    email_verification.confirm_email(_link(_emails("confirm_email")[0]).rsplit("/", 1)[1])
    make_reply(moderator, make_thread(member, make_forum("other")), "Answer elsewhere.")
    assert [e.kind for e in _emails("reply", member)] == ["reply"]


def test_posting_can_require_a_confirmed_address(app_factory):
    app = app_factory(REQUIRE_VERIFIED_EMAIL_TO_POST=True)
    make_forum()
    api = app.test_client()
    member = _join("newbie")
    _, secret = accounts.issue_token(member, "tests", "read write")
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    refused = api.post("/api/v1/forums/general/threads", json={"title": "My first question",
                                                                "body": "Is this on?"})
    assert refused.status_code == 403
    assert "Confirm your email address" in refused.get_json()["error"]["message"]
    browser = app.test_client()
    log_in(browser, member)
    page = browser.post("/f/general/new", data={"title": "My first question", "body": "Is it?",
                                                 "csrf_token": csrf_token(browser, "/")})
    assert page.status_code == 403

    email_verification.confirm_email(_link(_emails("confirm_email")[0]).rsplit("/", 1)[1])
    assert api.post("/api/v1/forums/general/threads", json={"title": "My first question",
                                                             "body": "Is this on?"}
                    ).status_code in (201, 202)


def test_posting_without_the_setting_needs_no_confirmation(app):
    make_forum()
    member = _join("newbie")
    _, secret = accounts.issue_token(member, "tests", "read write")
    answer = app.test_client().post("/api/v1/forums/general/threads",
                                    json={"title": "My first question", "body": "Is this on?"},
                                    headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code in (201, 202)


def test_the_link_can_be_sent_again_within_a_limit(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, VERIFY_EMAIL_RATE_LIMIT="2 per hour")
    member = _join("newbie")
    _, secret = accounts.issue_token(member, "tests", "read write")
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    answers = [api.post("/api/v1/me/email-confirmation").status_code for _ in range(3)]
    assert answers == [202, 202, 429]
    assert len(_emails("confirm_email")) == 3  # at sign-up, then twice

    browser = app.test_client()
    log_in(browser, member)
    resent = browser.post("/confirm-email", data={"csrf_token": csrf_token(browser, "/")})
    assert resent.status_code == 429  # the page shares the member's budget

    verified = make_user("mia")
    _, secret = accounts.issue_token(verified, "tests", "read write")
    done = app.test_client().post("/api/v1/me/email-confirmation",
                                  headers={"Authorization": f"Bearer {secret}"})
    assert done.status_code == 409


def test_the_page_sends_the_link_again(app):
    member = _join("newbie")
    browser = app.test_client()
    log_in(browser, member)
    resent = browser.post("/confirm-email", data={"csrf_token": csrf_token(browser, "/")})
    assert resent.status_code == 302
    assert len(_emails("confirm_email")) == 2


def test_factory_and_demo_accounts_are_confirmed(app):
    from community.demo import seed_demo
    from community.models import User

    assert make_user("mia").email_verified_at is not None
    seed_demo()
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email_verified_at.is_(None))) is None
    assert _emails("confirm_email") == []
