"""Moderation in the browser: the queue, flagging, member tools, the log, admin pages."""

import re
from datetime import timedelta

from community.extensions import db
from community.models import AuditEntry, Flag, Post, PostState, ReviewItem, WatchedWord, utcnow
from community.services import forums, moderation

from ..conftest import csrf_token, log_in
from ..factories import make_forum, make_reply, make_thread, make_user


def _held_thread(member):
    forum = make_forum()
    forum.premoderated = True
    db.session.commit()
    return forums.start_thread(member, forum, "Is this allowed?", "Asking for a friend.")


def test_a_held_thread_shows_as_awaiting_review_to_its_author_only(client_as, client, member):
    thread = _held_thread(member)
    page = client_as(member).get(f"/t/{thread.id}")
    assert page.status_code == 200 and "Awaiting review" in page.get_data(as_text=True)
    assert client.get(f"/t/{thread.id}").status_code == 404
    assert "Is this allowed?" not in client.get("/f/general").get_data(as_text=True)
    assert "Is this allowed?" in client_as(member).get("/f/general").get_data(as_text=True)


def test_moderators_work_the_queue_in_one_click(client_as, member, moderator):
    thread = _held_thread(member)
    browser = client_as(moderator)
    page = browser.get("/moderation").get_data(as_text=True)
    assert "Review queue (1)" in page  # the navigation link
    assert "Is this allowed?" in page and "Pre-moderated forum" in page
    assert "trust level 0" in page
    item = db.session.query(ReviewItem).one()
    token = csrf_token(browser, "/moderation")
    response = browser.post(f"/moderation/items/{item.id}", data={"action": "approve",
                                                                  "csrf_token": token})
    assert response.status_code == 303
    db.session.refresh(thread)
    assert thread.state == "published"
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Approved." in page and "Review queue (0)" in page and "Nothing waits for review" in page
    again = browser.post(f"/moderation/items/{item.id}", data={"action": "reject",
                                                               "csrf_token": token})
    assert "handled already" in browser.get(again.headers["Location"]).get_data(as_text=True)
    db.session.refresh(thread)
    assert thread.state == "published"
    log = browser.get("/moderation/log").get_data(as_text=True)
    assert "<th scope=\"row\">approve</th>" in log and f">post {item.post_id}</a>" in log


def test_the_queue_and_its_link_are_for_moderators_only(client_as, member):
    _held_thread(member)
    assert "Review queue" not in client_as(member).get("/").get_data(as_text=True)
    for path in ("/moderation", "/moderation/log", "/moderation/items/1/fragment",
                 "/moderation/members/mia"):
        assert client_as(member).get(path).status_code == 403, path


def test_an_item_fragment_is_the_queues_own_rendering(client_as, member, moderator):
    _held_thread(member)
    item = db.session.query(ReviewItem).one()
    fragment = client_as(moderator).get(f"/moderation/items/{item.id}/fragment")
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert f'id="item-{item.id}"' in html
    assert 'value="approve"' in html and "<html" not in html


def test_flagging_a_post(client_as, member, moderator):
    thread = make_thread(moderator, make_forum())
    post = make_reply(moderator, thread, "Something rude")
    browser = client_as(member)
    assert ">Flag<" in browser.get(f"/t/{thread.id}").get_data(as_text=True)
    form = browser.get(f"/p/{post.id}/flag")
    assert form.status_code == 200 and "What is wrong with it?" in form.get_data(as_text=True)
    token = csrf_token(browser, f"/p/{post.id}/flag")
    missing = browser.post(f"/p/{post.id}/flag", data={"reason": "other", "csrf_token": token})
    assert missing.status_code == 400 and "Tell the moderators" in missing.get_data(as_text=True)
    done = browser.post(f"/p/{post.id}/flag", data={"reason": "spam", "csrf_token": token})
    assert done.status_code == 303
    assert db.session.query(Flag).count() == 1
    twice = browser.post(f"/p/{post.id}/flag", data={"reason": "spam", "csrf_token": token})
    assert twice.status_code == 409 and "flagged this post already" in twice.get_data(as_text=True)
    own = client_as(moderator).get(f"/p/{post.id}/flag")
    assert own.status_code == 403


def test_hide_and_restore_from_the_post(client_as, member, moderator):
    thread = make_thread(member, make_forum())
    post = make_reply(member, thread, "Hide me")
    browser = client_as(moderator)
    page = browser.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Split from here" in page and "Merge thread" in page
    token = csrf_token(browser, f"/t/{thread.id}")
    assert browser.post(f"/p/{post.id}/hide", data={"csrf_token": token}).status_code == 303
    db.session.refresh(post)
    assert post.state == PostState.HIDDEN
    assert "hidden by the moderators" in client_as(member).get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Hidden by the moderators" in browser.get(f"/t/{thread.id}").get_data(as_text=True)
    assert browser.post(f"/p/{post.id}/restore", data={"csrf_token": token}).status_code == 303
    db.session.refresh(post)
    assert post.state == PostState.PUBLISHED
    mia = client_as(member)
    refused = mia.post(f"/p/{post.id}/hide", data={"csrf_token": csrf_token(mia, f"/t/{thread.id}")})
    assert refused.status_code == 403


def test_suspending_from_the_member_tools(client_as, member, moderator, admin):
    browser = client_as(moderator)
    page = browser.get("/moderation/members/mia")
    assert page.status_code == 200 and "Suspend" in page.get_data(as_text=True)
    token = csrf_token(browser, "/moderation/members/mia")
    missing = browser.post("/moderation/members/mia", data={"tool": "suspend", "hours": "24",
                                                            "reason": "", "csrf_token": token})
    assert missing.status_code == 400
    done = browser.post("/moderation/members/mia", data={"tool": "suspend", "hours": "24",
                                                         "reason": "Spamming links",
                                                         "csrf_token": token})
    assert done.status_code == 303
    db.session.refresh(member)
    assert member.is_suspended()
    assert timedelta(hours=23) < member.suspended_until - utcnow() <= timedelta(hours=24)
    assert "Spamming links" in browser.get("/moderation/members/mia").get_data(as_text=True)

    # The member sees why, and until when.
    mia = client_as(member)
    thread = make_thread(moderator, make_forum())
    refused = mia.post(f"/t/{thread.id}/reply", data={"body": "Let me in",
                                                      "csrf_token": csrf_token(mia, f"/t/{thread.id}")})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 403 and "Spamming links" in text
    assert member.suspended_until.strftime("%-d %b %Y") in text

    # A moderator cannot act on an admin.
    above = browser.get("/moderation/members/ada").get_data(as_text=True)
    assert "You cannot act on ada (admin)" in above
    assert browser.post("/moderation/members/ada", data={"tool": "suspend", "hours": "24",
                                                         "reason": "No", "csrf_token": token}
                        ).status_code == 403
    db.session.refresh(admin)
    assert not admin.is_suspended()


def test_silence_and_trust_from_the_member_tools(client_as, member, moderator):
    browser = client_as(moderator)
    token = csrf_token(browser, "/moderation/members/mia")
    post = lambda **data: browser.post("/moderation/members/mia",  # noqa: E731
                                       data=data | {"csrf_token": token})
    assert post(tool="silence", until=(utcnow() + timedelta(days=2)).strftime("%Y-%m-%d"),
                reason="Cool off").status_code == 303
    assert "Silenced until" in browser.get("/moderation/members/mia").get_data(as_text=True)
    assert post(tool="trust", level="2").status_code == 303
    db.session.refresh(member)
    assert (member.trust_level, member.trust_locked) == (2, True)
    assert post(tool="reset_trust").status_code == 303
    assert post(tool="unsilence").status_code == 303
    assert post(tool="unsilence").status_code == 400  # not silenced any more
    assert post(tool="trust", level="x").status_code == 400
    assert post(tool="trust", level="²").status_code == 400
    assert post(tool="silence", until="9999-12-31").status_code == 400
    actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == ["silence_member", "set_trust_level", "reset_trust_level", "unsilence_member"]


def test_the_audit_log_page_filters(client_as, member, moderator, admin):
    moderation.suspend_member(moderator, member, utcnow() + timedelta(days=1), "Reason one")
    moderation.add_watched_word(admin, "spam", "hold")
    browser = client_as(moderator)
    page = browser.get("/moderation/log").get_data(as_text=True)
    assert "Reason one" in page and "add watched word" in page
    filtered = browser.get("/moderation/log?actor=ada").get_data(as_text=True)
    assert "Reason one" not in filtered and "add watched word" in filtered
    assert "1 entry" in filtered
    assert browser.get("/moderation/log?since=never").status_code == 400


def test_split_and_merge_pages(client_as, member, moderator):
    forum = make_forum()
    thread = make_thread(member, forum)
    replies = [make_reply(member, thread, f"Reply {i}") for i in range(3)]
    browser = client_as(moderator)
    form = browser.get(f"/moderation/threads/{thread.id}/split?from={replies[1].id}")
    checked = re.findall(r'value="(\d+)" checked', form.get_data(as_text=True))
    assert checked == [str(replies[1].id), str(replies[2].id)]
    token = csrf_token(browser, f"/moderation/threads/{thread.id}/split")
    done = browser.post(f"/moderation/threads/{thread.id}/split", data={
        "post_ids": [str(replies[1].id), str(replies[2].id)], "title": "A side topic",
        "forum": "general", "csrf_token": token})
    assert done.status_code == 303
    new_id = int(done.headers["Location"].rsplit("/", 1)[1])
    bad = browser.post(f"/moderation/threads/{new_id}/merge", data={"into": "nowhere",
                                                                  "csrf_token": token})
    assert bad.status_code == 400
    for hostile in ("²", "9" * 20):
        assert browser.post(f"/moderation/threads/{new_id}/merge",
                            data={"into": hostile, "csrf_token": token}).status_code == 400
    merged = browser.post(f"/moderation/threads/{new_id}/merge",
                          data={"into": f"http://localhost/t/{thread.id}", "csrf_token": token})
    assert merged.status_code == 303 and merged.headers["Location"] == f"/t/{thread.id}"
    db.session.expire_all()
    assert db.session.query(Post).filter_by(thread_id=thread.id).count() == 4
    assert client_as(member).get(f"/moderation/threads/{thread.id}/split").status_code == 403


def test_admins_keep_the_watched_words(client_as, moderator, admin):
    assert client_as(moderator).get("/admin/watched-words").status_code == 403
    browser = client_as(admin)
    token = csrf_token(browser, "/admin/watched-words")
    added = browser.post("/admin/watched-words", data={"word": "Crypto", "action": "hold",
                                                       "csrf_token": token})
    assert added.status_code == 303
    assert "crypto" in browser.get("/admin/watched-words").get_data(as_text=True)
    twice = browser.post("/admin/watched-words", data={"word": "crypto", "action": "block",
                                                       "csrf_token": token})
    assert twice.status_code == 409
    bad = browser.post("/admin/watched-words", data={"word": "darn", "action": "replace",
                                                     "csrf_token": token})
    assert bad.status_code == 400 and "put in its place" in bad.get_data(as_text=True)
    word = db.session.query(WatchedWord).one()
    assert browser.post(f"/admin/watched-words/{word.id}/delete",
                        data={"csrf_token": token}).status_code == 303
    assert db.session.query(WatchedWord).count() == 0


def test_admins_change_the_rate_limits(client_as, moderator, admin):
    assert client_as(moderator).get("/admin/rate-limits").status_code == 403
    browser = client_as(admin)
    page = browser.get("/admin/rate-limits").get_data(as_text=True)
    assert "5 per minute; 60 per hour" in page
    token = csrf_token(browser, "/admin/rate-limits")
    bad = browser.post("/admin/rate-limits", data={"POST_RATE_LIMIT": "lots", "csrf_token": token})
    assert bad.status_code == 400 and "per minute" in bad.get_data(as_text=True)
    done = browser.post("/admin/rate-limits", data={"POST_RATE_LIMIT": "2 per minute",
                                                    "csrf_token": token})
    assert done.status_code == 303
    assert 'value="2 per minute"' in browser.get("/admin/rate-limits").get_data(as_text=True)
    browser.post("/admin/rate-limits", data={"POST_RATE_LIMIT": "", "csrf_token": token})
    assert 'value="5 per minute; 60 per hour"' in browser.get("/admin/rate-limits").get_data(
        as_text=True)
    entries = db.session.query(AuditEntry).filter_by(action="update_rate_limits").count()
    assert entries == 2


def test_posting_too_often_in_the_browser_is_429(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, POST_RATE_LIMIT="1 per minute")
    member = make_user("mia")
    thread = make_thread(make_user("olga"), make_forum())
    browser = app.test_client()
    log_in(browser, member)
    token = csrf_token(browser, f"/t/{thread.id}")
    first = browser.post(f"/t/{thread.id}/reply", data={"body": "One", "csrf_token": token})
    assert first.status_code == 302
    second = browser.post(f"/t/{thread.id}/reply", data={"body": "Two", "csrf_token": token})
    assert second.status_code == 429 and int(second.headers["Retry-After"]) >= 1
    assert "Slow down" in second.get_data(as_text=True)
    assert db.session.query(Post).count() == 2
