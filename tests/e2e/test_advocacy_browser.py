"""A member earns points and a badge live while marketing watches the leaderboard."""

import requests
from playwright.sync_api import expect

from community.services.accounts import issue_token

from ..factories import make_forum, make_reply, make_thread, make_user
from .conftest import log_in


def test_solution_brings_points_badge_and_leaderboard_live(server, browser, member, staff):
    asker = make_user("asker")
    question = make_thread(asker, make_forum("help", kind="support"), title="Stove won't light")
    answer = make_reply(member, question, "Clean the jet with the needle tool.")
    _, token = issue_token(asker, "e2e")

    marketing = log_in(browser, server.url, "stella")
    marketing.goto("/leaderboard")
    expect(marketing.locator("#live-status")).to_have_attribute("data-state", "live")
    helper = log_in(browser, server.url, "mia")
    helper.goto(f"/t/{question.id}")
    expect(helper.locator("#live-status")).to_have_attribute("data-state", "live")

    accepted = requests.post(f"{server.url}/api/v1/threads/{question.id}/solution",
                             json={"post_id": answer.id},
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert accepted.status_code == 200, accepted.text

    expect(helper.locator(".toast")).to_contain_text("Problem solver")
    row = marketing.locator("table.leaderboard tr", has_text="mia")
    expect(row).to_be_visible()
    # 1 (today's visit) + 1 (reply) + 3 (first response) + 15 (accepted solution)
    expect(row.locator("td.points")).to_have_text("20")

    with marketing.expect_download() as download:
        marketing.get_by_role("link", name="Export CSV").click()
    csv_text = open(download.value.path(), encoding="utf-8").read()
    assert "mia" in csv_text and ",20," in csv_text
