"""Changing the email address: a link to the new address, a notice to the old one; the
address changes only when the link is used, and only while it is still free."""

import re

from sqlalchemy import select

from community.extensions import db
from community.models import OutboxEmail
from community.services import accounts, mail

from ..conftest import csrf_token, log_in
from ..factories import PASSWORD, make_user


def _emails(kind: str, user) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.kind == kind, OutboxEmail.user_id == user.id).order_by(OutboxEmail.id)))


def _link(email: OutboxEmail) -> str:
    found = re.search(r"http://localhost:5000(/confirm-email/[\w.-]+)", email.body_text)
    assert found and found.group(1) in email.body_html
    return found.group(1)


def _api(app, user):
    _, secret = accounts.issue_token(user, "cli", "read write")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def _unchanged(user, email: str) -> None:
    db.session.expire_all()
    assert user.email == email and user.pending_email is None
    assert _emails("confirm_new_email", user) == [] and _emails("email_change_notice", user) == []


def test_the_new_address_is_confirmed_from_its_email_and_the_old_one_is_told(app, member):
    browser = app.test_client()
    log_in(browser, member)
    asked = browser.post("/settings/email", data={
        "csrf_token": csrf_token(browser, "/settings/email"),
        "email": " Mia.New@Example.com ", "password": PASSWORD})
    assert asked.status_code == 302
    db.session.expire_all()
    # Nothing changes until the link is used.
    assert member.email == "mia@example.com" and member.pending_email == "mia.new@example.com"
    assert "mia.new@example.com" in browser.get("/settings/email").text

    [confirm] = _emails("confirm_new_email", member)
    [notice] = _emails("email_change_notice", member)
    assert confirm.to_address == "mia.new@example.com"
    assert notice.to_address == "mia@example.com"
    assert "mia.new@example.com" in notice.body_text and "/confirm-email/" not in notice.body_text
    for email in (confirm, notice):
        assert "List-Unsubscribe" not in mail.build_message(email)

    link = _link(confirm)
    confirmed = app.test_client().get(link)
    assert confirmed.status_code == 200 and "Email address confirmed" in confirmed.text
    db.session.expire_all()
    assert member.email == "mia.new@example.com" and member.pending_email is None
    assert member.email_verified_at is not None
    assert accounts.find_user("mia.new@example.com").id == member.id
    assert accounts.find_user("mia@example.com") is None
    again = app.test_client().get(link)
    assert again.status_code == 200 and "was confirmed already" in again.text


def test_the_api_asks_for_a_change_with_the_password(app, member):
    api = _api(app, member)
    answer = api.put("/api/v1/me/email", json={"email": "mia@new.example", "password": PASSWORD})
    assert answer.status_code == 202
    assert api.get("/api/v1/me").get_json()["pending_email"] == "mia@new.example"
    token = _link(_emails("confirm_new_email", member)[0]).rsplit("/", 1)[1]
    assert app.test_client().post(f"/api/v1/email-confirmations/{token}").status_code == 204
    me = api.get("/api/v1/me").get_json()
    assert me["email"] == "mia@new.example" and me["pending_email"] is None
    assert me["email_verified"] is True
    # Visitors cannot ask.
    assert app.test_client().put("/api/v1/me/email", json={
        "email": "x@example.com", "password": PASSWORD}).status_code == 401


def test_a_wrong_password_or_an_invalid_address_changes_nothing(app, member):
    api = _api(app, member)
    wrong = api.put("/api/v1/me/email", json={"email": "mia@new.example", "password": "nope"})
    assert wrong.status_code == 400 and "password" in wrong.get_json()["error"]["fields"]
    for bad in ("not-an-address", "mia@example.com", "a" * 250 + "@x.io"):
        refused = api.put("/api/v1/me/email", json={"email": bad, "password": PASSWORD})
        assert refused.status_code == 400 and "email" in refused.get_json()["error"]["fields"]
    _unchanged(member, "mia@example.com")

    browser = app.test_client()
    log_in(browser, member)
    page = browser.post("/settings/email", data={
        "csrf_token": csrf_token(browser, "/settings/email"),
        "email": "mia@new.example", "password": "nope"})
    assert page.status_code == 400 and "Not correct." in page.text
    _unchanged(member, "mia@example.com")


def test_a_taken_address_is_refused_as_sign_up_refuses_it(app, member):
    make_user("otto")
    api = _api(app, member)
    taken = api.put("/api/v1/me/email", json={"email": "OTTO@example.com", "password": PASSWORD})
    assert taken.status_code == 409
    assert taken.get_json()["error"]["fields"] == {"email": "An account with this email exists."}
    _unchanged(member, "mia@example.com")
    # A wrong password says nothing about the address.
    wrong = api.put("/api/v1/me/email", json={"email": "otto@example.com", "password": "nope"})
    assert wrong.status_code == 400 and "email" not in wrong.get_json()["error"]["fields"]


def test_an_address_taken_meanwhile_is_not_given_to_a_second_account(app, member):
    api = _api(app, member)
    assert api.put("/api/v1/me/email", json={"email": "shared@example.com",
                                             "password": PASSWORD}).status_code == 202
    link = _link(_emails("confirm_new_email", member)[0])
    accounts.register_user("sam", "shared@example.com", PASSWORD)
    refused = app.test_client().get(link)
    assert refused.status_code == 409 and "not free any more" in refused.text
    token = link.rsplit("/", 1)[1]
    assert app.test_client().post(f"/api/v1/email-confirmations/{token}").status_code == 409
    db.session.expire_all()
    assert member.email == "mia@example.com"
    assert accounts.find_user("shared@example.com").username == "sam"


def test_a_link_to_an_earlier_address_stops_working_after_a_second_change(app, member):
    api = _api(app, member)
    for address in ("first@example.com", "second@example.com"):
        assert api.put("/api/v1/me/email", json={"email": address,
                                                 "password": PASSWORD}).status_code == 202
    first, second = (_link(e) for e in _emails("confirm_new_email", member))
    stale = app.test_client().get(first)
    assert stale.status_code == 400 and "This link does not work" in stale.text
    db.session.expire_all()
    assert member.email == "mia@example.com" and member.pending_email == "second@example.com"

    assert app.test_client().get(second).status_code == 200
    db.session.expire_all()
    assert member.email == "second@example.com"
    # Nor does it work afterwards.
    assert app.test_client().get(first).status_code == 400
    db.session.expire_all()
    assert member.email == "second@example.com"
