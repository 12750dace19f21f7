import re

from sqlalchemy import select

from community.extensions import db
from community.models import ForumFollow, Notification, NotificationPreference, OutboxEmail
from community.services import feedback, follows, mail, notifications

from ..conftest import csrf_token
from ..factories import make_forum, make_reply, make_thread, make_user


def reply_notifications(user) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind.in_(("reply", "mention")))
        .order_by(Notification.id)))


def bell_label(html: str) -> str:
    return re.search(r'id="bell"[^>]*aria-label="([^"]+)"', html, re.DOTALL).group(1)


def test_the_bell_shows_the_unread_count_and_links_to_the_page(client_as, client, member,
                                                                moderator):
    thread = make_thread(member, make_forum(), title="Bell")
    notifications.mark_read(member, everything=True)
    browser = client_as(member)
    assert bell_label(browser.get("/").get_data(as_text=True)) == "Notifications"
    make_reply(moderator, thread, "one")
    make_reply(moderator, thread, "@mia two")
    html = browser.get("/").get_data(as_text=True)
    assert bell_label(html) == "Notifications (2 unread)"
    assert 'href="/notifications"' in html and 'id="bell-count"' in html
    assert 'id="bell"' not in client.get("/").get_data(as_text=True)  # visitors have no bell


def test_the_notifications_page_lists_marks_read_and_filters(client_as, member, moderator):
    thread = make_thread(member, make_forum(), title="Page")
    notifications.mark_read(member, everything=True)
    make_reply(moderator, thread, "one")
    make_reply(moderator, thread, "two")
    make_thread(moderator, make_forum("other"), title="Other", body="Hey @mia")
    browser = client_as(member)
    html = browser.get("/notifications").get_data(as_text=True)
    assert "2 new posts in “Page”." in html and "moe mentioned you in “Other”." in html
    assert "2 unread." in html

    reply, mention = reply_notifications(member)
    token = csrf_token(browser, "/notifications")
    response = browser.post("/notifications/read", data={"id": str(reply.id), "csrf_token": token,
                                                          "next": "/notifications?unread=1"})
    assert response.status_code == 302 and response.location == "/notifications?unread=1"
    unread_page = browser.get("/notifications?unread=1").get_data(as_text=True)
    assert "mentioned you" in unread_page and "new posts in" not in unread_page

    # Following a notification marks it read and leads to the post.
    response = browser.get(f"/notifications/{mention.id}/open")
    assert response.status_code == 302 and response.location == f"/p/{mention.post_id}"
    assert "You are all caught up." in browser.get("/notifications").get_data(as_text=True)
    assert client_as(moderator).get(f"/notifications/{mention.id}/open").status_code == 404


def test_mark_all_read_and_no_open_redirect(client_as, member, moderator):
    thread = make_thread(member, make_forum())
    make_reply(moderator, thread)
    browser = client_as(member)
    token = csrf_token(browser, "/notifications")
    response = browser.post("/notifications/read", data={"all": "1", "csrf_token": token,
                                                          "next": "//evil.example.com/"})
    assert response.status_code == 302 and response.location == "/notifications"
    assert all(n.read_at is not None for n in reply_notifications(member))
    no_token = browser.post("/notifications/read", data={"all": "1"})
    assert no_token.status_code == 400


def test_the_panel_fragment(client_as, client, member, moderator):
    thread = make_thread(member, make_forum(), title="Panel")
    make_reply(moderator, thread, "@mia hello")
    html = client_as(member).get("/notifications/panel?next=/t/1").get_data(as_text=True)
    assert "<html" not in html and "moe mentioned you in “Panel”." in html
    assert 'name="next" value="/t/1"' in html and "Mark all read" in html
    assert client.get("/notifications/panel").status_code == 302  # to the login page


def test_the_preferences_page_saves_every_choice(client_as, member):
    browser = client_as(member)
    html = browser.get("/settings/notifications").get_data(as_text=True)
    assert 'name="mention.email" aria-labelledby' in html and 'name="badge.email"' not in html
    assert '<input type="radio" name="digest" value="weekly" checked>' in html
    form = {"csrf_token": csrf_token(browser, "/settings/notifications"), "digest": "daily",
            "mention.in_app": "on", "mention.email": "on", "reply.in_app": "on",
            "badge.in_app": "on"}
    response = browser.post("/settings/notifications", data=form)
    assert response.status_code == 302
    prefs = notifications.preferences_of(member)
    assert prefs["mention"] == {"in_app": True, "email": True}
    assert prefs["reply"] == {"in_app": True, "email": False}
    assert prefs["quote"] == {"in_app": False, "email": False}
    db.session.refresh(member)
    assert member.digest == "daily" and member.auto_follow is False
    bad = browser.post("/settings/notifications", data=form | {"digest": "hourly"})
    assert bad.status_code == 400


def test_following_a_forum_from_the_preferences_page(client_as, member):
    forum = make_forum("trails", name="Trails")
    make_forum("staff-room", private=True, name="Staff room")
    browser = client_as(member)
    html = browser.get("/settings/notifications").get_data(as_text=True)
    assert "Trails" in html and "Staff room" not in html
    token = csrf_token(browser, "/settings/notifications")
    response = browser.post("/f/trails/follow", data={"level": "watching", "csrf_token": token,
                                                      "next": "/settings/notifications"})
    assert response.location == "/settings/notifications"
    assert db.session.get(ForumFollow, (member.id, forum.id)).level == "watching"
    page = browser.get("/settings/notifications").get_data(as_text=True)
    assert '<option value="watching" selected>' in page
    browser.post("/f/trails/follow", data={"level": "none", "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(ForumFollow, (member.id, forum.id)) is None
    assert browser.post("/f/staff-room/follow", data={"level": "watching",
                                                      "csrf_token": token}).status_code == 404


def test_the_unsubscribe_link_in_an_email_works_in_one_click(client, member, moderator):
    thread = make_thread(member, make_forum())
    make_reply(moderator, thread)
    [email] = db.session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == member.id)).all()
    link = re.search(r"http://localhost:5000(/unsubscribe/\S+)", email.body_text).group(1)
    page = client.get(link)  # no login needed: the signed token is the authority
    assert page.status_code == 200 and "You are unsubscribed" in page.get_data(as_text=True)
    assert db.session.get(NotificationPreference, (member.id, "reply")).email is False
    token = csrf_token(client, link)
    again = client.post(link + "/undo", data={"csrf_token": token})
    assert "You are subscribed again" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(NotificationPreference, (member.id, "reply")).email is True

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", without cookies or CSRF.
    one_click = client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 204
    db.session.expire_all()
    assert db.session.get(NotificationPreference, (member.id, "reply")).email is False
    assert client.get("/unsubscribe/not-a-token").status_code == 404
    forged = mail.unsubscribe_token(member.id, "reply").replace(".", ".x", 1)
    assert client.get(f"/unsubscribe/{forged}").status_code == 404


def test_the_personal_home(client_as, client, member, moderator, staff):
    support, ideas = make_forum("help", kind="support"), make_forum("ideas", kind="ideas")
    general = make_forum()
    make_thread(member, general, title="My own thread")
    make_reply(staff, make_thread(moderator, support, title="Answered already"), "Here you go.")
    make_reply(member, make_thread(moderator, support, title="Where I helped"), "Like this.")
    make_thread(make_user("newbie"), support, title="Unanswered stove question")
    make_thread(moderator, make_forum("help-2", kind="support"), title="Elsewhere question")
    idea = make_thread(moderator, ideas, title="Lantern idea")
    feedback.vote_thread(member, idea, 1)
    feedback.set_idea_status(staff, idea, "planned")
    follows.follow_forum(member, ideas, "tracking")

    html = client_as(member).get("/").get_data(as_text=True)
    assert "Welcome back, mia." in html
    following = html[html.index("From what you follow"):html.index("Questions you could help with")]
    for title in ("My own thread", "Lantern idea", "Where I helped"):
        assert title in following
    helping = html[html.index("Questions you could help with"):html.index("Ideas you voted for")]
    assert "Unanswered stove question" in helping
    assert "Elsewhere question" not in helping and "Where I helped" not in helping
    assert "Answered already" not in helping
    moved = html[html.index("Ideas you voted for that moved"):html.index('id="forums-heading"')]
    assert "Lantern idea" in moved and "Planned" in moved

    anonymous = client.get("/").get_data(as_text=True)
    assert "From what you follow" not in anonymous and "Join the community" in anonymous
    assert 'id="forums-heading"' in anonymous


def test_the_forum_follow_partial_finds_the_level_itself(app, member):
    from flask import render_template
    from flask_login import login_user

    forum = make_forum("trails")
    follows.follow_forum(member, forum, "tracking")
    with app.test_request_context("/f/trails"):
        login_user(member)
        html = render_template("notifications/_forum_follow.html", forum=forum)
    assert '<option value="tracking" selected>' in html and 'action="/f/trails/follow"' in html
