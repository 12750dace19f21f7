"""A customer of the brand signs in with the brand's OpenID Connect provider, in Chromium.

The community runs as a real `community serve` process, the provider on a thread of the
test process (tests/oidc_provider.py); both on 127.0.0.1. The browser follows the whole
redirect dance: community → provider's /authorize → community's callback.
"""

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from community.extensions import db
from community.models import User, UserIdentity

from ..conftest import TEST_SETTINGS
from ..oidc_provider import OidcProvider
from ..servers import start_servers


@pytest.fixture
def provider():
    running = OidcProvider().start()
    yield running
    running.stop()


@pytest.fixture
def oidc_server(app, migrated_url, tmp_path, provider):
    env = {"DATABASE_URL": migrated_url, "SECRET_KEY": TEST_SETTINGS["SECRET_KEY"],
           "COMMUNITY_RATELIMIT_ENABLED": "false", "COMMUNITY_PASSWORD_TIME_COST": "1",
           "COMMUNITY_PASSWORD_MEMORY_COST": "1024",
           "COMMUNITY_OIDC_PROVIDERS": json.dumps([provider.setting()])}
    [server] = start_servers(1, env, tmp_path)
    yield server
    server.stop()


def test_customer_signs_in_with_the_brand_provider(oidc_server, browser, provider):
    page = browser.new_context(base_url=oidc_server.url).new_page()
    page.goto("/login?next=/leaderboard")
    page.get_by_role("link", name="Sign in with Acme ID").click()

    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert page.url == f"{oidc_server.url}/leaderboard"
    # The name comes from the ID token's `name` claim.
    expect(page.locator("a.me")).to_contain_text("Carol Customer")

    db.session.rollback()
    carol = db.session.scalars(select(User)).one()
    assert (carol.username, carol.email) == ("carol", "carol@example.com")
    assert carol.email_verified_at is not None  # the provider vouched for it
    [identity] = db.session.scalars(select(UserIdentity)).all()
    assert (identity.user_id, identity.subject) == (carol.id, "acme-0001")
