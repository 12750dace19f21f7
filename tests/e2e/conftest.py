"""Browser tests: headless Debian chromium driven by Playwright against a real server."""

import shutil

import pytest
from playwright.sync_api import expect

from ..conftest import TEST_SETTINGS
from ..factories import PASSWORD
from ..servers import start_servers

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(app, migrated_url, tmp_path):
    env = {"DATABASE_URL": migrated_url, "SECRET_KEY": TEST_SETTINGS["SECRET_KEY"],
           "COMMUNITY_RATELIMIT_ENABLED": "false", "COMMUNITY_PASSWORD_TIME_COST": "1",
           "COMMUNITY_PASSWORD_MEMORY_COST": "1024", "COMMUNITY_POINTS_MIN_VOTER_AGE_HOURS": "0"}
    [server] = start_servers(1, env, tmp_path)
    yield server
    server.stop()


def log_in(browser, base_url, username):
    page = browser.new_context(base_url=base_url).new_page()
    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page
