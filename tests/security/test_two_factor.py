"""Two-factor authentication: enrol from the QR page, a second login step, refusals, the lock."""

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import ApiToken, AuditEntry, LoginSession, Role, TwoFactor
from community.services import two_factor

from ..conftest import csrf_token
from ..factories import PASSWORD, make_user


class Clock:
    """The service's clock, moved by the test so codes of other time steps can be made."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def code(self, secret: str) -> str:
        return pyotp.TOTP(secret).at(self.now)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(two_factor, "utcnow", lambda: clock.now)
    return clock


def _enrol(user, clock) -> tuple[str, list[str]]:
    """Turn 2FA on for `user` through the service; the secret and the recovery codes."""
    secret = two_factor.begin_enrolment(user).secret
    codes = two_factor.confirm_enrolment(user, clock.code(secret))
    clock.advance(30)  # the enrolment code is spent: the next one belongs to a later step
    return secret, codes


def _password_step(app, user):
    browser = app.test_client()
    response = browser.post("/login?next=/settings", data={
        "csrf_token": csrf_token(browser, "/login"), "login": user.username, "password": PASSWORD})
    return browser, response


def _code_step(browser, code):
    return browser.post("/login/two-factor?next=/settings", data={
        "csrf_token": csrf_token(browser, "/login/two-factor"), "code": code})


def _signed_in(browser) -> bool:
    return browser.get("/settings").status_code == 200


def _sessions_of(user) -> int:
    return db.session.scalar(select(func.count()).select_from(LoginSession)
                             .where(LoginSession.user_id == user.id))


def test_a_member_enrols_with_the_qr_page_and_then_logs_in_with_a_code(app, member, client_as, clock):
    browser = client_as(member)
    page = browser.get("/settings/two-factor").get_data(as_text=True)
    assert "is <strong>off</strong>" in page
    assert browser.post("/settings/two-factor/setup", data={
        "csrf_token": csrf_token(browser, "/settings/two-factor")}).status_code == 302
    page = browser.get("/settings/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # the QR code, inline for the CSP
    secret = re.search(r'id="two-factor-secret">([A-Z2-7]+)<', page).group(1)

    wrong = browser.post("/settings/two-factor/confirm", data={
        "csrf_token": csrf_token(browser, "/settings/two-factor"), "code": "000000"})
    assert wrong.status_code == 400 and not two_factor.is_enabled(member)
    done = browser.post("/settings/two-factor/confirm", data={
        "csrf_token": csrf_token(browser, "/settings/two-factor"), "code": clock.code(secret)})
    assert done.status_code == 200
    shown = re.findall(r'<code class="secret">([0-9a-f]{5}-[0-9a-f]{5})</code>',
                       done.get_data(as_text=True))
    assert len(shown) == 10
    assert two_factor.is_enabled(member) and two_factor.recovery_codes_left(member) == 10
    assert all(c not in browser.get("/settings/two-factor").get_data(as_text=True) for c in shown)

    sessions_before = _sessions_of(member)
    other, response = _password_step(app, member)
    assert response.status_code == 302 and "/login/two-factor" in response.location
    assert not _signed_in(other) and _sessions_of(member) == sessions_before

    clock.advance(30)
    response = _code_step(other, clock.code(secret))
    assert response.status_code == 302 and response.location == "/settings"
    assert _signed_in(other) and _sessions_of(member) == sessions_before + 1


def test_wrong_and_reused_codes_sign_nobody_in(app, member, clock):
    secret, _ = _enrol(member, clock)
    browser, _ = _password_step(app, member)
    refused = _code_step(browser, "123456" if clock.code(secret) != "123456" else "654321")
    assert refused.status_code == 401 and "not right" in refused.get_data(as_text=True)
    assert not _signed_in(browser)

    code = clock.code(secret)
    assert _code_step(browser, code).status_code == 302 and _signed_in(browser)

    # The same code again, still inside its 30-second window, from another browser.
    thief, _ = _password_step(app, member)
    again = _code_step(thief, code)
    assert again.status_code == 401 and "already used" in again.get_data(as_text=True)
    assert not _signed_in(thief)


def test_the_code_step_needs_the_password_step_first(app, member, clock):
    secret, _ = _enrol(member, clock)
    browser = app.test_client()
    response = browser.post("/login/two-factor", data={
        "csrf_token": csrf_token(browser, "/login"), "code": clock.code(secret)})
    assert response.status_code == 302 and "/login" in response.location
    assert not _signed_in(browser) and _sessions_of(member) == 0


def test_five_wrong_codes_lock_the_second_step_for_fifteen_minutes(app, member, clock):
    secret, _ = _enrol(member, clock)
    browser, _ = _password_step(app, member)
    right = clock.code(secret)
    wrong = [c for c in ("111111", "222222", "333333", "444444", "555555", "666666")
             if c != right][:5]
    for code in wrong[:4]:
        assert "not right" in _code_step(browser, code).get_data(as_text=True)
    locked = _code_step(browser, wrong[4])
    assert locked.status_code == 401 and "locked for 15 minutes" in locked.get_data(as_text=True)

    # Even the right code is refused while locked; nothing is signed in.
    response = _code_step(browser, right)
    assert response.status_code == 401 and "locked" in response.get_data(as_text=True)
    assert not _signed_in(browser) and _sessions_of(member) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "two_factor.locked", AuditEntry.target_id == member.id)) == 1

    clock.advance(15 * 60)
    browser, _ = _password_step(app, member)  # the pending password step has expired too
    assert _code_step(browser, clock.code(secret)).status_code == 302 and _signed_in(browser)
    assert db.session.get(TwoFactor, member.id).failed_attempts == 0


def test_a_successful_login_resets_the_count_of_wrong_codes(app, member, clock):
    secret, _ = _enrol(member, clock)
    browser, _ = _password_step(app, member)
    for code in ("111111", "222222", "333333", "444444"):
        if code != clock.code(secret):
            _code_step(browser, code)
    assert _code_step(browser, clock.code(secret)).status_code == 302
    assert db.session.get(TwoFactor, member.id).failed_attempts == 0


def test_a_recovery_code_logs_in_once(app, member, clock):
    _, codes = _enrol(member, clock)
    browser, _ = _password_step(app, member)
    assert _code_step(browser, codes[0].upper().replace("-", " ")).status_code == 302
    assert _signed_in(browser) and two_factor.recovery_codes_left(member) == 9

    again, _ = _password_step(app, member)
    assert _code_step(again, codes[0]).status_code == 401 and not _signed_in(again)


def test_turning_it_off_needs_the_password_and_a_code(member, client_as, clock):
    secret, _ = _enrol(member, clock)
    browser = client_as(member)

    def disable(password, code):
        return browser.post("/settings/two-factor/disable", data={
            "csrf_token": csrf_token(browser, "/settings/two-factor"),
            "password": password, "code": code})

    assert disable("not-my-password", clock.code(secret)).status_code == 400
    assert two_factor.is_enabled(member)
    assert disable(PASSWORD, "000000" if clock.code(secret) != "000000" else "999999").status_code == 400
    assert two_factor.is_enabled(member)
    assert disable(PASSWORD, clock.code(secret)).status_code == 302
    assert not two_factor.is_enabled(member) and two_factor.recovery_codes_left(member) == 0


def test_a_new_api_token_needs_a_fresh_second_factor(app, member, client_as, clock):
    secret, _ = _enrol(member, clock)
    browser = client_as(member)

    def create(code):
        return browser.post("/settings/tokens", data={
            "csrf_token": csrf_token(browser, "/settings/tokens"), "name": "CRM sync",
            "scopes_shown": "1", "scopes": ["read"], "code": code})

    assert 'name="code"' in browser.get("/settings/tokens").get_data(as_text=True)
    assert create("").status_code == 400
    assert create(clock.code(secret)).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1

    api = app.test_client()
    body = {"login": member.username, "password": PASSWORD, "name": "script"}
    assert api.post("/api/v1/tokens", json=body).status_code == 401
    clock.advance(30)
    assert api.post("/api/v1/tokens", json=body | {"code": clock.code(secret)}).status_code == 201


def test_staff_are_sent_to_enrol_before_any_staff_page_when_required(app_factory, clock):
    app = app_factory(REQUIRE_2FA_FOR_STAFF=True)
    from ..conftest import log_in

    admin = make_user("ada", role=Role.ADMIN)
    browser = app.test_client()
    log_in(browser, admin)
    for path in ("/admin", "/admin/members"):
        response = browser.get(path)
        assert response.status_code == 302 and response.location == "/settings/two-factor"
    assert "needs it" in browser.get("/settings/two-factor").get_data(as_text=True)
    assert browser.get("/theme.css").status_code == 200  # public files stay public

    member = make_user("mia")
    other = app.test_client()
    log_in(other, member)
    assert other.get("/admin").status_code == 403  # members are refused, not sent to enrol

    _enrol(admin, clock)
    assert browser.get("/admin").status_code == 200


def test_until_staff_enrol_they_have_a_members_powers_everywhere(app_factory, clock):
    """Not only the staff pages: the JSON API with their cookie and the tokens they mint."""
    app = app_factory(REQUIRE_2FA_FOR_STAFF=True)
    from ..conftest import log_in

    admin, member = make_user("ada", role=Role.ADMIN), make_user("mia")
    browser = app.test_client()
    log_in(browser, admin)
    token = csrf_token(browser, "/settings")
    promote = browser.put(f"/api/v1/users/{member.username}/role", json={"role": "moderator"},
                          headers={"X-CSRFToken": token})
    assert promote.status_code == 403
    minted = browser.post("/settings/tokens", data={
        "csrf_token": token, "name": "sneaky", "scopes_shown": "1", "scopes": ["read", "admin"]})
    assert minted.status_code == 400 and "“admin”" in minted.get_data(as_text=True)
    db.session.refresh(member)
    assert member.role == Role.MEMBER

    _enrol(admin, clock)
    assert browser.put(f"/api/v1/users/{member.username}/role", json={"role": "moderator"},
                       headers={"X-CSRFToken": token}).status_code == 200


def test_staff_reach_staff_pages_without_2fa_when_not_required(admin, client_as):
    assert client_as(admin).get("/admin").status_code == 200
