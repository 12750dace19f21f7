"""Sign in with OpenID Connect, through a real provider on 127.0.0.1 and the whole redirect dance.

The community is served on a thread too, and a `requests` session plays the browser: it
follows the community's redirect to the provider and the provider's back.
"""

import html
import re
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from community.extensions import db
from community.models import OutboxEmail, User, UserIdentity, utcnow
from community.services import moderation
from community.services.identities import NO_PASSWORD

from ..factories import PASSWORD, make_user
from ..oidc_provider import OidcProvider


@pytest.fixture
def provider():
    running = OidcProvider().start()
    yield running
    running.stop()


@pytest.fixture
def serve(app_factory):
    """serve(**settings): the community with these settings, served on 127.0.0.1; its URL."""
    running = []

    def start(**settings) -> str:
        server = make_server("127.0.0.1", 0, app_factory(**settings), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in running:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def site(serve, provider):
    """The community, served on 127.0.0.1 with the test provider configured."""
    return serve(OIDC_PROVIDERS=[provider.setting()])


def sign_in_with_acme(browser: requests.Session, site: str, path="/login/oidc/acme"):
    """Click "Sign in with Acme ID" and follow every redirect back to the community."""
    return browser.get(site + path, timeout=10)


def rows(model):
    db.session.rollback()  # see what the server's threads committed
    return db.session.scalars(select(model)).all()


def log_in_with_password(browser: requests.Session, site: str, login: str) -> None:
    page = browser.get(site + "/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = browser.post(site + "/login", data={"login": login, "password": PASSWORD,
                                                   "csrf_token": token}, timeout=10)
    assert response.status_code == 200 and "Log out" in response.text


def test_login_page_offers_the_provider(site):
    page = requests.get(site + "/login", timeout=10).text
    assert "Sign in with Acme ID" in page and 'href="/login/oidc/acme' in page


def test_first_sign_in_creates_the_member_and_the_next_signs_in_again(site, provider):
    make_user("carol")  # the wanted username is taken by someone else (another email)
    provider.user = provider.user | {"email": "carol.c@example.com"}

    browser = requests.Session()
    response = sign_in_with_acme(browser, site, "/login/oidc/acme?next=/leaderboard")
    assert response.status_code == 200 and urlsplit(response.url).path == "/leaderboard"
    assert "Log out" in response.text

    new = next(u for u in rows(User) if u.email == "carol.c@example.com")
    assert new.username == "carol2" and new.display_name == "Carol Customer"
    assert new.password_hash == NO_PASSWORD
    # The provider vouches for the address: confirmed, no email to wait for.
    assert new.email_verified_at is not None
    assert [m for m in rows(OutboxEmail) if m.user_id == new.id] == []
    [identity] = rows(UserIdentity)
    assert (identity.user_id, identity.provider, identity.subject) == (new.id, "acme", "acme-0001")

    again = requests.Session()
    response = sign_in_with_acme(again, site)
    assert response.status_code == 200 and "Log out" in response.text
    assert len(rows(User)) == 2 and len(rows(UserIdentity)) == 1
    page = again.get(site + "/settings/identities", timeout=10).text
    assert "Acme ID" in page and "Remove" in page


def test_an_address_the_provider_does_not_vouch_for_is_confirmed_by_email(site, provider):
    provider.user = provider.user | {"email": "dora@example.com", "email_verified": False}
    sign_in_with_acme(requests.Session(), site)
    new = next(u for u in rows(User) if u.email == "dora@example.com")
    assert new.email_verified_at is None
    assert [m.kind for m in rows(OutboxEmail) if m.user_id == new.id] == ["confirm_email"]


def test_verified_email_links_to_the_existing_account(site, provider):
    mia = make_user("mia")
    provider.user = provider.user | {"email": "MIA@example.com", "email_verified": True}
    browser = requests.Session()
    response = sign_in_with_acme(browser, site)
    assert response.status_code == 200 and "Log out" in response.text
    assert [u.id for u in rows(User)] == [mia.id]
    assert [i.user_id for i in rows(UserIdentity)] == [mia.id]


def test_unverified_email_is_not_linked_to_an_existing_account(site, provider):
    make_user("mia")
    provider.user = provider.user | {"email": "mia@example.com", "email_verified": False}
    browser = requests.Session()
    response = sign_in_with_acme(browser, site)
    assert response.status_code == 409
    assert "An account with this email already exists" in response.text
    assert len(rows(User)) == 1 and rows(UserIdentity) == []
    assert "Log out" not in browser.get(site + "/", timeout=10).text


def test_verified_email_is_not_linked_when_the_setting_is_off(app_factory, provider):
    app = app_factory(OIDC_PROVIDERS=[provider.setting()], OIDC_LINK_VERIFIED_EMAIL=False)
    make_user("mia")
    provider.user = provider.user | {"email": "mia@example.com"}
    client = app.test_client()
    # The dance by hand with the test client: to the provider, and back with its answer.
    to_provider = client.get("/login/oidc/acme").headers["Location"]
    back = requests.get(to_provider, allow_redirects=False, timeout=10).headers["Location"]
    response = client.get(urlsplit(back).path + "?" + urlsplit(back).query)
    assert response.status_code == 409
    assert rows(UserIdentity) == []


def test_member_links_an_identity_while_signed_in_and_removes_it(site, provider):
    mia = make_user("mia")
    provider.user = provider.user | {"email": "someone-else@example.com", "email_verified": False}
    browser = requests.Session()
    log_in_with_password(browser, site, "mia")

    response = browser.get(site + "/settings/identities/acme/link", timeout=10)
    assert response.status_code == 200 and urlsplit(response.url).path == "/settings/identities"
    assert "Your Acme ID account is linked." in response.text
    [identity] = rows(UserIdentity)
    assert identity.user_id == mia.id and len(rows(User)) == 1

    # Signed out, the identity now opens mia's account.
    other = requests.Session()
    assert "Log out" in sign_in_with_acme(other, site).text
    assert len(rows(User)) == 1

    token = re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)
    removed = browser.post(f"{site}/settings/identities/{identity.id}/remove",
                           data={"csrf_token": token}, timeout=10)
    assert removed.status_code == 200 and "no longer linked" in removed.text
    assert rows(UserIdentity) == []


def test_identity_of_another_member_cannot_be_linked(site, provider):
    sign_in_with_acme(requests.Session(), site)  # carol signs up with it
    make_user("mia")
    browser = requests.Session()
    log_in_with_password(browser, site, "mia")
    response = browser.get(site + "/settings/identities/acme/link", timeout=10)
    assert response.status_code == 409 and "already linked to another account" in response.text
    assert len(rows(UserIdentity)) == 1


def test_the_only_way_in_cannot_be_removed(site, provider):
    browser = requests.Session()
    sign_in_with_acme(browser, site)
    page = browser.get(site + "/settings/identities", timeout=10).text
    [identity] = rows(UserIdentity)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = browser.post(f"{site}/settings/identities/{identity.id}/remove",
                            data={"csrf_token": token}, timeout=10)
    assert "only way to sign in" in response.text
    assert len(rows(UserIdentity)) == 1


def test_suspended_member_is_refused(site, provider, moderator):
    browser = requests.Session()
    sign_in_with_acme(browser, site)
    carol = next(u for u in rows(User) if u.username == "carol")
    moderation.suspend_member(moderator, carol, utcnow() + timedelta(days=3), "spam")
    response = sign_in_with_acme(requests.Session(), site)
    assert response.status_code == 403 and "suspended" in response.text


def test_state_mismatch_is_refused(site, provider):
    browser = requests.Session()
    to_provider = browser.get(site + "/login/oidc/acme", allow_redirects=False, timeout=10)
    back = browser.get(to_provider.headers["Location"], allow_redirects=False, timeout=10)
    parts = urlsplit(back.headers["Location"])
    query = dict(parse_qsl(parts.query)) | {"state": "forged-state"}
    response = browser.get(f"{site}{parts.path}?{urlencode(query)}", timeout=10)
    assert response.status_code == 400 and "state mismatch" in response.text
    assert rows(User) == [] and rows(UserIdentity) == []


def test_callback_not_started_in_this_browser_is_refused(site, provider):
    started = requests.Session()
    to_provider = started.get(site + "/login/oidc/acme", allow_redirects=False, timeout=10)
    back = started.get(to_provider.headers["Location"], allow_redirects=False, timeout=10)
    # An attacker hands their callback URL to someone else's browser (login CSRF).
    response = requests.get(back.headers["Location"], timeout=10)
    assert response.status_code == 400 and "not started in this browser" in response.text
    assert rows(User) == []


@pytest.mark.parametrize("changes, reason", [
    ({"iss": "http://127.0.0.1:9/other-issuer"}, "'iss'"),
    ({"aud": "another-client"}, "'aud'"),
    ({"nonce": "replayed-nonce"}, "'nonce'"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
])
def test_untrustworthy_id_tokens_are_refused(site, provider, changes, reason):
    provider.token_changes = changes
    response = sign_in_with_acme(requests.Session(), site)
    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "Signing in with Acme ID failed" in page and reason in page
    assert rows(User) == [] and rows(UserIdentity) == []


def test_discovery_naming_another_issuer_is_refused(app_factory, provider):
    setting = provider.setting() | {"issuer": provider.issuer + "/"}  # not what it says it is
    app = app_factory(OIDC_PROVIDERS=[setting])
    client = app.test_client()
    client.get("/login/oidc/acme")
    response = client.get("/login/oidc/acme/callback?code=x&state=y")
    assert response.status_code == 400 and "another issuer" in response.get_data(as_text=True)


def test_unknown_provider_is_not_found(site):
    assert requests.get(site + "/login/oidc/nobody", timeout=10).status_code == 404


def test_member_with_two_factor_gives_the_code_after_the_provider(site, provider):
    import pyotp

    from community.services import identities, two_factor

    mia = make_user("mia")
    two_factor.confirm_enrolment(mia, pyotp.TOTP(two_factor.begin_enrolment(mia).secret).now())
    identities.link_identity(mia, identities.Claims(provider="acme", subject="acme-0001"))
    browser = requests.Session()
    response = sign_in_with_acme(browser, site)
    assert urlsplit(response.url).path == "/login/two-factor"
    assert "Log out" not in browser.get(site + "/", timeout=10).text


@pytest.mark.parametrize("raw, message", [
    ({"name": "acme"}, "JSON list"),
    ([{"name": "acme", "issuer": "https://id.example"}], "lacks client_id, client_secret"),
    ([{"name": "Acme ID", "issuer": "i", "client_id": "c", "client_secret": "s"}], "use a-z"),
])
def test_wrong_provider_settings_are_named_at_start(raw, message):
    from community.oidc import parse_providers

    with pytest.raises(ValueError, match=message):
        parse_providers(raw)


# --- claim → role mapping ----------------------------------------------------------------

ROLES = {"claim": "groups", "map": {"community-mods": "moderator", "brand-staff": "staff"}}


def role_of(username: str) -> str:
    db.session.rollback()
    db.session.expire_all()  # the test's own User objects may be stale
    return db.session.scalar(select(User.role).where(User.username == username))


def test_mapped_claim_sets_the_role_at_each_sign_in(serve, provider):
    site = serve(OIDC_PROVIDERS=[provider.setting() | {"roles": ROLES}])
    provider.user = provider.user | {"groups": ["customers", "community-mods"]}
    assert "Log out" in sign_in_with_acme(requests.Session(), site).text
    assert role_of("carol") == "moderator"  # the new member gets it at once

    provider.user = provider.user | {"groups": ["community-mods", "brand-staff"]}
    sign_in_with_acme(requests.Session(), site)
    assert role_of("carol") == "staff"  # raised: the highest mapped role wins

    provider.user = provider.user | {"groups": "community-mods"}  # a single string counts too
    sign_in_with_acme(requests.Session(), site)
    assert role_of("carol") == "moderator"  # lowered

    provider.user = provider.user | {"groups": ["customers"]}  # nothing mapped, no default
    assert "Log out" in sign_in_with_acme(requests.Session(), site).text
    assert role_of("carol") == "moderator"


def test_mapping_default_lowers_members_no_longer_in_a_mapped_group(serve, provider):
    site = serve(OIDC_PROVIDERS=[provider.setting() | {"roles": ROLES | {"default": "member"}}])
    staff = make_user("stan", role="staff")
    from community.services import identities

    identities.link_identity(staff, identities.Claims(provider="acme", subject="acme-0001"))
    provider.user = provider.user | {"groups": []}
    assert "Log out" in sign_in_with_acme(requests.Session(), site).text
    assert role_of("stan") == "member"


def test_without_a_mapping_the_role_is_untouched(site, provider):
    from community.services import identities

    mod = make_user("moira", role="moderator")
    identities.link_identity(mod, identities.Claims(provider="acme", subject="acme-0001"))
    provider.user = provider.user | {"groups": ["brand-staff"]}
    assert "Log out" in sign_in_with_acme(requests.Session(), site).text
    assert role_of("moira") == "moderator"


def test_the_last_admin_is_not_lowered_by_the_mapping(serve, provider):
    from community.services import identities

    site = serve(OIDC_PROVIDERS=[provider.setting() | {"roles": ROLES}])
    admin = make_user("adaline", role="admin")
    identities.link_identity(admin, identities.Claims(provider="acme", subject="acme-0001"))
    provider.user = provider.user | {"groups": ["community-mods"]}
    response = sign_in_with_acme(requests.Session(), site)
    assert response.status_code == 200 and "Log out" in response.text  # still signed in
    assert role_of("adaline") == "admin"

    make_user("abelard", role="admin")  # with another admin, the mapping applies
    sign_in_with_acme(requests.Session(), site)
    assert role_of("adaline") == "moderator"


@pytest.mark.parametrize("roles, message", [
    ({"claim": "groups"}, "roles must be"),
    ({"claim": "groups", "map": {"mods": "overlord"}}, "unknown role 'overlord'"),
    ({"claim": "groups", "map": {"mods": "moderator"}, "default": "boss"}, "unknown role 'boss'"),
])
def test_wrong_role_mappings_are_named_at_start(roles, message):
    from community.oidc import parse_providers

    entry = {"name": "acme", "issuer": "i", "client_id": "c", "client_secret": "s",
             "roles": roles}
    with pytest.raises(ValueError, match=message):
        parse_providers([entry])


# --- only SSO ----------------------------------------------------------------------------

@pytest.fixture
def sso_site(serve, provider):
    return serve(OIDC_PROVIDERS=[provider.setting()], OIDC_ONLY=True)


def test_only_sso_login_page_has_no_password_form_and_no_sign_up(sso_site):
    page = requests.get(sso_site + "/login", timeout=10).text
    assert "Sign in with Acme ID" in page
    assert 'type="password"' not in page and "/register" not in page
    assert "/register" not in requests.get(sso_site + "/", timeout=10).text


def test_only_sso_refuses_passwords_and_registration(sso_site):
    make_user("mia")
    browser = requests.Session()
    page = browser.get(sso_site + "/password-reset", timeout=10).text  # a form: a CSRF token
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    login = browser.post(sso_site + "/login", timeout=10,
                         data={"login": "mia", "password": PASSWORD, "csrf_token": csrf})
    assert login.status_code == 403 and "passwords are not accepted" in login.text
    assert "Log out" not in browser.get(sso_site + "/", timeout=10).text

    token = requests.post(sso_site + "/api/v1/tokens",
                          json={"login": "mia", "password": PASSWORD, "name": "ci"}, timeout=10)
    assert token.status_code == 403
    assert "Settings → API tokens" in token.json()["error"]["message"]

    assert requests.get(sso_site + "/register", timeout=10).status_code == 403
    joined = requests.post(sso_site + "/api/v1/users", timeout=10,
                           json={"username": "newbie", "email": "n@example.com",
                                 "password": "a long enough password"})
    assert joined.status_code == 403
    assert [u.username for u in rows(User)] == ["mia"]


def test_only_sso_members_sign_in_with_the_provider_and_make_tokens_in_settings(sso_site):
    browser = requests.Session()
    assert "Log out" in sign_in_with_acme(browser, sso_site).text
    page = browser.get(sso_site + "/settings/tokens", timeout=10)
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    made = browser.post(sso_site + "/settings/tokens", timeout=10,
                        data={"csrf_token": csrf, "name": "ci", "scopes": "read"})
    assert made.status_code == 200 and "ci" in made.text
    [user] = rows(User)
    assert len([t for t in user.tokens if t.is_live]) == 1


def test_only_sso_keeps_password_resets_and_the_cli(sso_site):
    from flask import current_app

    app = current_app._get_current_object()
    make_user("mia")
    reset = requests.post(sso_site + "/api/v1/password-resets",
                          json={"email": "mia@example.com"}, timeout=10)
    assert reset.status_code == 202
    result = app.test_cli_runner().invoke(args=["user", "set-role", "mia", "moderator"])
    assert result.exit_code == 0, result.output
    assert role_of("mia") == "moderator"


def test_only_sso_without_a_provider_is_refused_at_start(app_factory):
    with pytest.raises(ValueError, match="OIDC_ONLY"):
        app_factory(OIDC_ONLY=True)
