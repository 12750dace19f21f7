"""Rate limits travel with their views: every write of posts, votes, flags and sign-ups
carries one, whatever the view is called, and only accepted writes spend it."""

import pytest

from community.extensions import db
from community.models import Post, Role
from community.ratelimits import BUDGETS, rate_limited

from .conftest import csrf_token, log_in
from .factories import make_forum, make_thread, make_user

# Every view that writes a post, a vote, a flag or an account, with the budget it spends.
LIMITED = {
    "forums.new_thread": "post", "forums.reply": "post",
    "api.start_thread": "post", "api.reply": "post",
    "feedback.vote_thread": "vote", "feedback.vote_post": "vote",
    "polls.vote": "vote", "polls.withdraw": "vote",
    "api.vote_thread": "vote", "api.vote_post": "vote",
    "api.cast_ballot": "vote", "api.withdraw_ballot": "vote",
    "moderation.flag_post": "flag", "api.flag_post": "flag",
    "auth.register": "register", "api.register": "register",
}


def test_every_limited_write_carries_its_limit_and_nothing_else_does(app):
    marks = {endpoint: getattr(view, "rate_limit", None)
             for endpoint, view in app.view_functions.items()}
    # A view renamed or moved shows up here as missing from the list, not as unlimited.
    assert {endpoint: kind for endpoint, kind in marks.items() if kind} == LIMITED
    assert set(LIMITED.values()) == set(BUDGETS)


def test_a_limit_holds_under_any_endpoint_name(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=False,
                      POST_IP_RATE_LIMIT="1 per minute")

    def anything():
        return "written", 201

    app.add_url_rule("/renamed", endpoint="somewhere.else", methods=["POST"],
                     view_func=rate_limited("post")(anything))
    client = app.test_client()
    assert [client.post("/renamed").status_code for _ in range(2)] == [201, 429]


def test_a_refused_write_spends_nothing(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=False,
                      POST_IP_RATE_LIMIT="1 per minute")
    answers = iter([("no", 400), ("yes", 201), ("again", 201)])
    app.add_url_rule("/write", endpoint="write", methods=["POST"],
                     view_func=rate_limited("post")(lambda: next(answers)))
    client = app.test_client()
    assert [client.post("/write").status_code for _ in range(3)] == [400, 201, 429]


@pytest.fixture
def low_effort_app(app_factory):
    return app_factory(RATELIMIT_ENABLED=True, AUTO_MODERATION=True,
                       POST_RATE_LIMIT="2 per minute", POST_IP_RATE_LIMIT="100 per minute")


def test_replies_refused_as_low_effort_do_not_spend_the_posting_budget(low_effort_app):
    from .api.test_moderation import _client

    thread = make_thread(make_user("olga", Role.MODERATOR), make_forum())
    api = _client(make_user("mia"))
    url = f"/api/v1/threads/{thread.id}/posts"
    refused = [api.post(url, json={"body": body}).status_code for body in ("+1", "Thanks!!")]
    assert refused == [400, 400]
    accepted = [api.post(url, json={"body": f"Waxing twice worked, round {i}."}).status_code
                for i in range(2)]
    assert all(status in (201, 202) for status in accepted)
    assert api.post(url, json={"body": "A third real answer."}).status_code == 429
    assert db.session.query(Post).filter(Post.thread_id == thread.id).count() == 3


def test_a_low_effort_reply_in_the_browser_does_not_spend_the_budget(low_effort_app):
    thread = make_thread(make_user("olga", Role.MODERATOR), make_forum())
    browser = low_effort_app.test_client()
    log_in(browser, make_user("mia"))
    token = csrf_token(browser, f"/t/{thread.id}")

    def reply(body: str) -> int:
        return browser.post(f"/t/{thread.id}/reply",
                            data={"body": body, "csrf_token": token}).status_code

    assert [reply("+1"), reply("+1"), reply("Two coats of wax did it.")] == [400, 400, 302]
