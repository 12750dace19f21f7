"""Two people in two browsers on one thread see each other's replies and typing live."""

from playwright.sync_api import expect

from ..factories import PASSWORD, make_forum, make_thread
from .conftest import log_in


def test_reply_and_typing_appear_live_in_the_other_browser(server, browser, member, moderator):
    thread = make_thread(member, make_forum(), title="Which stove for winter?")
    reader = log_in(browser, server.url, "mia")
    writer = log_in(browser, server.url, "moe")
    for page in (reader, writer):
        page.goto(f"/t/{thread.id}")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(reader.locator("#viewers")).to_have_text("2 people viewing")
    reader.evaluate("window.__notReloaded = true")

    writer.get_by_label("Message").type("Liquid fuel works best below freezing")
    expect(reader.locator("#typing")).to_have_text("moe is typing…")
    writer.get_by_role("button", name="Post reply").click()

    new_post = reader.locator(".post", has_text="Liquid fuel works best below freezing")
    expect(new_post).to_be_visible()
    expect(reader.locator('[data-replies-for="thread-%d"]' % thread.id).first).to_have_text("1")
    assert reader.evaluate("window.__notReloaded") is True
    # The inserted post is the server's own partial, for this viewer: no edit link on moe's post.
    expect(new_post.get_by_role("link", name="Edit")).to_have_count(0)


def test_register_and_log_in_in_the_browser(server, browser):
    page = browser.new_context(base_url=server.url).new_page()
    page.goto("/register")
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome back, newcomer")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    page.goto("/login")
    page.get_by_label("Username or email").fill("newcomer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_vote_moves_the_count_in_the_other_browser(server, browser, member, moderator):
    idea = make_thread(member, make_forum("ideas", kind="ideas"), title="Solar lantern")
    reader = log_in(browser, server.url, "mia")
    voter = log_in(browser, server.url, "moe")
    for page in (reader, voter):
        page.goto(f"/t/{idea.id}")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    reader.evaluate("window.__notReloaded = true")
    score = '[data-score-for="thread-%d"]' % idea.id

    voter.get_by_role("button", name="Vote for this idea").click()
    expect(voter.get_by_role("button", name="Vote for this idea")).to_have_attribute("aria-pressed", "true")
    expect(reader.locator(score).first).to_have_text("1")
    assert reader.evaluate("window.__notReloaded") is True
