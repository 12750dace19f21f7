"""Password reset by email: a single-use, expiring link from the outbox; the same answer
for every address; the new password signs everyone else out."""

import re
from datetime import timedelta

from sqlalchemy import select, update

from community.extensions import db
from community.models import ApiToken, OutboxEmail, PasswordReset, utcnow
from community.services import accounts, sessions
from community.services.mail import build_message

from ..conftest import csrf_token
from ..factories import PASSWORD, make_user

NEW_PASSWORD = "a brand new passphrase"


def _emails(kind: str) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind)
                                   .order_by(OutboxEmail.id)))


def _link(email: OutboxEmail) -> str:
    """The path of the reset link in an outbox email (the same in its text and HTML)."""
    found = re.search(r"http://localhost:5000(/password-reset/[A-Za-z0-9_-]+)", email.body_text)
    assert found and found.group(1) in email.body_html
    return found.group(1)


def _ask(client, email: str):
    return client.post("/api/v1/password-resets", json={"email": email})


def _token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def _password_is(user, password: str) -> bool:
    return accounts.authenticate(user.email, password) is not None


def test_a_member_gets_back_in_through_the_emailed_link_in_the_browser(app, client_as,
                                                                       api_as):
    member = make_user("mia")
    elsewhere = client_as(member)  # another browser, signed in with the old password
    api = api_as(member)
    browser = app.test_client()

    login = browser.get("/login").get_data(as_text=True)
    assert 'href="/password-reset"' in login and "Forgot password?" in login
    asked = browser.post("/password-reset", data={"email": "  MIA@example.com ",
                                                  "csrf_token": csrf_token(browser,
                                                                           "/password-reset")})
    assert asked.status_code == 200 and "an email with a link" in asked.get_data(as_text=True)

    [email] = _emails("password_reset")
    assert email.to_address == "mia@example.com" and email.status == "queued"
    assert "Unsubscribe" not in email.body_html
    assert "List-Unsubscribe" not in build_message(email)
    link = _link(email)
    # Only the token's hash is stored.
    assert db.session.scalar(select(PasswordReset.token_hash)) != _token_of(link)

    page = browser.get(link)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    weak = browser.post(link, data={"password": "short", "csrf_token": csrf_token(browser, link)})
    assert weak.status_code == 400 and "at least 10" in weak.get_data(as_text=True)
    done = browser.post(link, data={"password": NEW_PASSWORD,
                                    "csrf_token": csrf_token(browser, link)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")

    assert _password_is(member, NEW_PASSWORD) and not _password_is(member, PASSWORD)
    # Every other session and every API token is over.
    assert sessions.of(member) == []
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert api.get("/api/v1/me").status_code == 401
    assert all(t.revoked_at is not None for t in db.session.scalars(select(ApiToken)))
    [changed] = _emails("password_changed")
    assert changed.to_address == "mia@example.com" and "/password-reset" in changed.body_text

    # The link worked once.
    again = browser.get(link)
    assert again.status_code == 400 and "This link does not work" in again.get_data(as_text=True)
    assert browser.post(link, data={"password": "yet another passphrase",
                                    "csrf_token": csrf_token(browser, "/login")}
                        ).status_code == 400
    assert _password_is(member, NEW_PASSWORD)
    signed_in = browser.post("/login", data={"login": "mia", "password": NEW_PASSWORD,
                                             "csrf_token": csrf_token(browser)})
    assert signed_in.status_code == 302


def test_the_api_flow_and_a_used_link_refused(app, api_as):
    member = make_user("mia")
    api = api_as(member)
    client = app.test_client()
    asked = _ask(client, "mia@example.com")
    assert asked.status_code == 202 and asked.get_data() == b""
    token = _token_of(_link(_emails("password_reset")[0]))
    url = f"/api/v1/password-resets/{token}"

    weak = client.post(url, json={"password": "mia12345678"})
    assert weak.status_code == 400
    assert weak.get_json()["error"]["code"] == "validation_error"
    assert "password" in weak.get_json()["error"]["fields"]
    assert client.post(url, json={}).status_code == 400
    # A refused password leaves the link working.
    assert client.post(url, json={"password": NEW_PASSWORD}).status_code == 204
    assert api.get("/api/v1/me").status_code == 401

    reused = client.post(url, json={"password": "yet another passphrase"})
    assert reused.status_code == 400
    assert reused.get_json()["error"]["code"] == "validation_error"
    assert "token" in reused.get_json()["error"]["fields"]
    assert _password_is(member, NEW_PASSWORD)
    assert len(_emails("password_changed")) == 1
    from community.models import AuditEntry

    assert [(e.action, e.actor_id, e.target_id) for e in db.session.query(AuditEntry)] == [
        ("reset_password", member.id, member.id)]  # once: the reused link changed nothing


def test_an_expired_link_changes_nothing(app):
    member = make_user("mia")
    client = app.test_client()
    _ask(client, "mia@example.com")
    link = _link(_emails("password_reset")[0])
    db.session.execute(update(PasswordReset).values(
        created_at=utcnow() - timedelta(hours=2), expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    assert app.test_client().get(link).status_code == 400
    refused = client.post(f"/api/v1/password-resets/{_token_of(link)}",
                          json={"password": NEW_PASSWORD})
    assert refused.status_code == 400 and "token" in refused.get_json()["error"]["fields"]
    assert _password_is(member, PASSWORD)
    assert _emails("password_changed") == []


def test_the_link_expires_after_the_configured_hours(app_factory):
    app = app_factory(PASSWORD_RESET_HOURS=3)
    make_user("mia")
    before = utcnow()
    _ask(app.test_client(), "mia@example.com")
    reset = db.session.scalar(select(PasswordReset))
    assert timedelta(hours=3) <= reset.expires_at - before < timedelta(hours=3, minutes=1)


def test_forged_links_are_refused(app):
    member = make_user("mia")
    client = app.test_client()
    _ask(client, "mia@example.com")
    token = _token_of(_link(_emails("password_reset")[0]))
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", "x" * 500):
        assert app.test_client().get(f"/password-reset/{forged}").status_code == 400
        answer = client.post(f"/api/v1/password-resets/{forged}", json={"password": NEW_PASSWORD})
        assert answer.status_code == 400 and "token" in answer.get_json()["error"]["fields"]
    assert _password_is(member, PASSWORD)


def test_unknown_and_known_addresses_get_the_same_answer(app):
    make_user("mia")
    client = app.test_client()
    answers = [_ask(client, email) for email in ("mia@example.com", "nobody@example.com",
                                                 "not an email")]
    assert {(a.status_code, a.get_data()) for a in answers} == {(202, b"")}
    assert len({tuple(sorted((k, v) for k, v in a.headers if k != "Date")) for a in answers}) == 1
    assert [e.to_address for e in _emails("password_reset")] == ["mia@example.com"]

    pages = []
    for email in ("mia@example.com", "nobody@example.com"):
        answer = client.post("/password-reset", data={
            "email": email, "csrf_token": csrf_token(client, "/password-reset")})
        pages.append((answer.status_code,
                      answer.get_data(as_text=True).replace(email, "ADDRESS")))
    assert pages[0] == pages[1] and pages[0][0] == 200


def test_suspended_and_deleted_accounts_get_nothing(app):
    member, closed = make_user("mia"), make_user("otto")
    client = app.test_client()
    _ask(client, "mia@example.com")
    link = _link(_emails("password_reset")[0])
    from community.services import data_rights

    data_rights.delete_account(closed, closed, "anonymise", PASSWORD)
    member.suspended_until = utcnow() + timedelta(days=3)
    db.session.commit()

    assert _ask(client, "mia@example.com").status_code == 202
    assert _ask(client, "otto@example.com").status_code == 202
    assert len(_emails("password_reset")) == 1  # only the one sent before the suspension
    # A link sent before the suspension no longer works either.
    assert app.test_client().get(link).status_code == 400
    assert client.post(f"/api/v1/password-resets/{_token_of(link)}",
                       json={"password": NEW_PASSWORD}).status_code == 400
    assert _password_is(member, PASSWORD)


def test_a_used_link_closes_the_members_other_links(app):
    member = make_user("mia")
    client = app.test_client()
    _ask(client, "mia@example.com")
    _ask(client, "mia@example.com")
    first, second = (_token_of(_link(e)) for e in _emails("password_reset"))
    assert client.post(f"/api/v1/password-resets/{second}",
                       json={"password": NEW_PASSWORD}).status_code == 204
    assert client.post(f"/api/v1/password-resets/{first}",
                       json={"password": "yet another passphrase"}).status_code == 400
    assert _password_is(member, NEW_PASSWORD)


def test_requests_are_limited_per_email_address_and_per_client_address(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, PASSWORD_RESET_RATE_LIMIT="2 per hour",
                      PASSWORD_RESET_IP_RATE_LIMIT="4 per hour")
    make_user("mia")
    clients = []
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = address
        clients.append(c)
    one, two, three = clients

    # Per email address asked about, whoever asks, and whether or not it has an account.
    for email in ("mia@example.com", "nobody@example.com"):
        assert _ask(one, email).status_code == 202
        assert _ask(two, email.upper()).status_code == 202
        refused = _ask(three, email)
        assert refused.status_code == 429
        assert refused.get_json()["error"]["code"] == "rate_limited"
    assert len(_emails("password_reset")) == 2

    # Per client address: the page and the API share the budget.
    assert _ask(one, "a@example.com").status_code == 202
    assert _ask(one, "b@example.com").status_code == 202
    page = one.post("/password-reset", data={"email": "c@example.com",
                                             "csrf_token": csrf_token(one, "/password-reset")})
    assert page.status_code == 429
