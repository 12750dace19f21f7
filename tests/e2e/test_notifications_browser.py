"""Two browsers: moe mentions mia and her bell lights up live; she leaves, moe replies, and
she finds an email in the outbox with a working link to the post and an unsubscribe link."""

import re
import time
import uuid
from email import message_from_bytes, policy

import pytest
from playwright.sync_api import expect

from community.realtime.presence import RedisPresence
from community.services import follows

from ..conftest import TEST_SETTINGS
from ..factories import make_forum, make_thread
from ..servers import start_servers
from .test_live_thread import log_in

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def channel():
    return f"e2e-notifications-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def server(app, migrated_url, tmp_path, channel):
    # Through Redis, so the test can see when the server counts mia as gone.
    env = {"DATABASE_URL": migrated_url, "SECRET_KEY": TEST_SETTINGS["SECRET_KEY"],
           "REDIS_URL": REDIS_URL, "COMMUNITY_SOCKETIO_CHANNEL": channel,
           "COMMUNITY_RATELIMIT_ENABLED": "false", "COMMUNITY_PASSWORD_TIME_COST": "1",
           "COMMUNITY_PASSWORD_MEMORY_COST": "1024", "COMMUNITY_JOBS_POLL_SECONDS": "0.5"}
    [server] = start_servers(1, env, tmp_path)
    yield server
    server.stop()


def wait_for(condition, what: str, timeout: float = 15):
    """Poll until `condition()` is truthy (waiting for an outcome, not timing it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def test_mention_rings_the_bell_live_and_a_reply_reaches_the_outbox(
        server, browser, member, moderator, tmp_path, channel):
    thread = make_thread(moderator, make_forum(), title="Which stove for winter?")
    follows.follow_thread(member, thread)
    mia = log_in(browser, server.url, "mia")
    moe = log_in(browser, server.url, "moe")
    for page in (mia, moe):
        page.goto(f"/t/{thread.id}")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    bell = mia.locator("#bell")
    expect(bell).to_have_attribute("aria-label", "Notifications")
    mia.evaluate("window.__notReloaded = true")

    moe.get_by_label("Message").fill("@mia liquid fuel works best below freezing")
    moe.get_by_role("button", name="Post reply").click()
    expect(bell).to_have_attribute("aria-label", "Notifications (1 unread)")
    expect(mia.locator("#bell-count")).to_have_text("1")
    assert mia.evaluate("window.__notReloaded") is True

    bell.click()  # the panel, without leaving the page
    panel = mia.locator("#bell-panel")
    expect(panel.get_by_role("link", name=re.compile("moe mentioned you in"))).to_be_visible()
    mia.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    mia.context.close()  # mia goes offline
    presence = RedisPresence(REDIS_URL, channel)
    wait_for(lambda: not presence.is_online(member.id), "the server to see mia leave")

    moe.get_by_label("Message").fill("Also bring a windscreen.")
    moe.get_by_role("button", name="Post reply").click()
    expect(moe.locator(".post", has_text="Also bring a windscreen.")).to_be_visible()

    outbox = tmp_path / "outbox"
    [path] = wait_for(lambda: sorted(outbox.glob("*.eml")), "an email in the outbox")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "mia@example.com"
    assert message["Subject"] == "[Community] moe replied in “Which stove for winter?”."
    text = message.get_body(("plain",)).get_content()
    post_link = re.search(r"Read it: (\S+)", text).group(1)
    assert post_link.startswith(f"{server.url}/p/")
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe in text and unsubscribe.startswith(f"{server.url}/unsubscribe/")

    back = log_in(browser, server.url, "mia")
    back.goto(post_link)
    expect(back.locator(".post:target")).to_contain_text("Also bring a windscreen.")
    expect(back.locator("#bell")).to_have_attribute("aria-label", "Notifications (2 unread)")

    stranger = browser.new_context(base_url=server.url).new_page()
    stranger.goto(unsubscribe)
    expect(stranger.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
