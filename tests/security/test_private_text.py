"""Text about private content never reaches anything public.

Titles and bodies of threads in private forums, and of threads held for review or hidden,
must not be copied into public stores (badge reasons, webhook payloads for webhooks that
did not ask for private content) nor sent through public channels (the leaderboard room,
a public forum's room), nor shown by public pages (profiles, roadmap, search), nor shown
later to someone who lost the right to read them (notifications, their data export).

Every private title and body below carries SECRET, a word found nowhere else, and every
check looks for it in what a viewer who may not read it gets.
"""

import importlib.util
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import BadgeAward, Notification, OutboxEmail, Post, utcnow
from community.models.integrations import Webhook, WebhookDelivery
from community.queries.admin import account_export
from community.realtime import publisher
from community.services import advocacy, feedback, forums, mail, moderation, support, webhooks

from ..factories import make_forum, make_reply, make_thread, make_user
from ..realtime.test_socket import connect, received

SECRET = "Zephyrquill"


def assert_secret_absent(*texts) -> None:
    for text in texts:
        if not isinstance(text, str):
            text = json.dumps(text, ensure_ascii=False)
        assert SECRET.lower() not in text.lower(), text


@pytest.fixture
def app(app_factory):
    return app_factory(WEBHOOKS_ALLOW_LOOPBACK=True)


@pytest.fixture
def hooks(app, admin):
    """A webhook without private content and one with, both subscribed to everything."""
    plain = webhooks.create_webhook(admin, "http://127.0.0.1:9/plain", list(webhooks.EVENTS))
    private = webhooks.create_webhook(admin, "http://127.0.0.1:9/private", list(webhooks.EVENTS),
                                      include_private=True)
    return plain, private


def payloads(hook: Webhook, event: str | None = None) -> list[dict]:
    return [json.loads(d.payload) for d in db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
        .order_by(WebhookDelivery.id)) if event is None or d.event == event]


def leaderboard_socket(app):
    sock = connect(app)
    assert sock.emit("subscribe", {"room": "leaderboard"}, callback=True) == {"ok": True}
    received(sock)
    return sock


def public_views(client, api, username: str) -> list[str]:
    """What a visitor and a member read about `username`: profile, API, leaderboard."""
    return [client.get(f"/u/{username}").get_data(as_text=True),
            client.get(f"/api/v1/users/{username}").get_data(as_text=True),
            api.get(f"/api/v1/users/{username}").get_data(as_text=True),
            client.get("/api/v1/leaderboard?period=all").get_data(as_text=True),
            client.get("/leaderboard").get_data(as_text=True)]


# --- badges and their reasons ----------------------------------------------------------------

def test_a_shipped_idea_of_a_private_forum_is_not_named_in_public(
        app, hooks, staff, moderator, member, client, client_as, api_as):
    plain, private = hooks
    lab = make_forum("lab", kind="ideas", private=True)
    idea = make_thread(moderator, lab, title=f"{SECRET} hover tent", body=f"{SECRET} inside.")
    sock = leaderboard_socket(app)
    with publisher.capture() as sent:
        feedback.set_idea_status(staff, idea, "shipped", "It is out.")

    # Stored: a neutral reason and a reference to the thread.
    [award] = [a for a in db.session.scalars(select(BadgeAward).where(
        BadgeAward.user_id == moderator.id)) if a.badge.slug == "idea-shipped"]
    assert_secret_absent(award.reason)

    # The leaderboard's room (anonymous sockets) hears of the badge, not of the idea.
    to_board = [e.payload for e in sent if "leaderboard" in e.rooms]
    assert "idea-shipped" in [p["badge"]["slug"] for p in to_board]
    assert_secret_absent(to_board)
    time.sleep(0.3)  # leaderboard.changed goes out after LEADERBOARD_BROADCAST_SECONDS
    heard = received(sock)
    assert "badge.awarded" in [e["name"] for e in heard]
    assert_secret_absent([e["args"] for e in heard])

    # Profile, API and leaderboard, for a visitor and for a member.
    views = public_views(client, api_as(member), moderator.username)
    assert "Idea shipped" in views[0]
    assert_secret_absent(*views)
    assert_secret_absent(client_as(member).get(f"/u/{moderator.username}").get_data(as_text=True))
    # Those who may read the idea still see its title.
    assert f"{SECRET} hover tent" in client_as(staff).get(f"/u/{moderator.username}").get_data(
        as_text=True)

    # Webhooks: the one without private content gets the badge, without the idea.
    badge_events = payloads(plain, "badge.awarded")
    assert "idea-shipped" in [p["data"]["badge"]["slug"] for p in badge_events]
    assert_secret_absent(payloads(plain))
    assert any(SECRET in p["data"]["reason"] for p in payloads(private, "badge.awarded"))
    assert award.thread_id == idea.id


def test_a_solution_accepted_in_a_private_forum_is_not_named_in_public(
        app, hooks, staff, moderator, member, client, api_as):
    plain, private = hooks
    desk = make_forum("desk", kind="support", private=True)
    question = make_thread(moderator, desk, title=f"{SECRET} refund rules?", body="Asking.")
    answer = make_reply(staff, question, f"The {SECRET} rule is 30 days.")
    sock = leaderboard_socket(app)
    with publisher.capture() as sent:
        support.accept_solution(moderator, question, answer)

    [award] = [a for a in db.session.scalars(select(BadgeAward).where(
        BadgeAward.user_id == staff.id)) if a.badge.slug == "first-solution"]
    assert_secret_absent(award.reason)
    to_public = [e.payload for e in sent if "leaderboard" in e.rooms
                 or any(r.startswith("forum:") and r != "forum:desk" for r in e.rooms)]
    assert "first-solution" in [p["badge"]["slug"] for p in to_public if "badge" in p]
    assert_secret_absent(to_public)
    time.sleep(0.3)
    assert_secret_absent([e["args"] for e in received(sock)])

    views = public_views(client, api_as(member), staff.username)
    assert "Problem solver" in views[0]
    assert_secret_absent(*views)

    assert payloads(plain, "solution.accepted") == []
    assert "first-solution" in [p["data"]["badge"]["slug"]
                                for p in payloads(plain, "badge.awarded")]
    assert_secret_absent(payloads(plain))
    assert [p["data"]["thread"]["id"] for p in payloads(private, "solution.accepted")] == \
        [question.id]
    assert award.thread_id == question.id


def test_a_badge_names_a_public_thread_until_it_moves_to_a_private_forum(
        app, staff, moderator, member, client):
    ideas = make_forum("ideas", kind="ideas")
    idea = make_thread(member, ideas, title=f"{SECRET} stove")
    feedback.set_idea_status(staff, idea, "shipped", "")
    assert f"{SECRET} stove" in client.get(f"/u/{member.username}").get_data(as_text=True)
    forums.update_thread(moderator, idea, forum=make_forum("vault", private=True))
    assert_secret_absent(client.get(f"/u/{member.username}").get_data(as_text=True))


# --- held and hidden threads ---------------------------------------------------------------

def test_a_hidden_idea_stays_out_of_webhooks_rooms_roadmap_profiles_and_search(
        app, hooks, staff, moderator, member, client, api_as):
    plain, private = hooks
    ideas = make_forum("ideas", kind="ideas")
    idea = make_thread(member, ideas, title=f"{SECRET} solar kettle", body="Boil with sun.")
    make_reply(make_user("fan"), idea, f"Yes please, {SECRET} kettles rock.")
    opening = db.session.scalar(select(Post).where(Post.thread_id == idea.id, Post.number == 1))
    moderation.hide_post(moderator, opening, "Off topic")
    before = {h.id: len(payloads(h)) for h in hooks}
    with publisher.capture() as sent:
        feedback.set_idea_status(staff, idea, "planned", f"{SECRET} planned.")
        feedback.set_idea_status(staff, idea, "shipped", "")

    assert_secret_absent([e.payload for e in sent if "forum:ideas" in e.rooms
                          or "leaderboard" in e.rooms])
    for hook in hooks:
        assert_secret_absent(payloads(hook)[before[hook.id]:])
    viewer = api_as(make_user("reader"))
    assert_secret_absent(
        client.get("/roadmap").get_data(as_text=True),
        client.get(f"/u/{member.username}").get_data(as_text=True),
        # (searching for other words: the results page repeats the search)
        client.get("/search?q=kettles+rock").get_data(as_text=True),
        client.get("/api/v1/search?q=kettles").get_data(as_text=True),
        viewer.get("/api/v1/search?q=kettles").get_data(as_text=True),
        viewer.get(f"/api/v1/search?q={SECRET}").get_data(as_text=True),
        client.get("/api/v1/threads/similar?title=solar+kettle").get_data(as_text=True))
    # Moderators still find it.
    assert SECRET in api_as(moderator).get("/api/v1/search?q=kettles").get_data(as_text=True)


# --- search ---------------------------------------------------------------------------------

def test_search_finds_nothing_of_a_private_forum_for_those_who_cannot_read_it(
        app, moderator, member, client, client_as, api_as):
    vault = make_forum("vault", private=True)
    thread = make_thread(moderator, vault, title=f"{SECRET} launch date", body="Next spring.")
    make_reply(moderator, thread, f"Keep {SECRET} quiet.")
    for reader in (client, client_as(member), api_as(member)):
        # (searching for other words: the results page repeats the search)
        for path in ("/search?q=quiet", "/search?q=launch+date", f"/api/v1/search?q={SECRET}",
                     "/api/v1/search?q=spring", "/api/v1/threads/similar?title=launch+date",
                     "/search/similar?title=launch+date"):
            assert_secret_absent(reader.get(path).get_data(as_text=True))
    assert SECRET in api_as(moderator).get(f"/api/v1/search?q={SECRET}").get_data(as_text=True)


# --- notifications, emails and exports ----------------------------------------------------------

def test_notifications_about_a_thread_moved_out_of_sight_no_longer_name_it(
        app, staff, moderator, member, client_as, api_as):
    ideas = make_forum("ideas", kind="ideas")
    idea = make_thread(make_user("author"), ideas, title=f"{SECRET} lantern")
    feedback.vote_thread(member, idea, 1)
    make_reply(member, idea, "I would buy two.")
    feedback.set_idea_status(staff, idea, "planned", "Soon.")
    api = api_as(member)
    assert SECRET in api.get("/api/v1/notifications").get_data(as_text=True)

    forums.update_thread(moderator, idea, forum=make_forum("vault", private=True))
    browser = client_as(member)
    assert_secret_absent(api.get("/api/v1/notifications").get_data(as_text=True),
                         browser.get("/notifications").get_data(as_text=True),
                         browser.get("/notifications/panel").get_data(as_text=True),
                         account_export(member))
    # The stored row is kept (the member may get the thread back), only shown neutralised.
    assert SECRET in db.session.scalar(select(Notification.message).where(
        Notification.user_id == member.id, Notification.kind == "idea_status"))


def test_the_digest_leaves_out_ideas_that_were_hidden(app, staff, moderator, member):
    ideas = make_forum("ideas", kind="ideas")
    idea = make_thread(make_user("author"), ideas, title=f"{SECRET} canoe")
    feedback.vote_thread(member, idea, 1)
    feedback.set_idea_status(staff, idea, "planned", f"{SECRET} note.")
    opening = db.session.scalar(select(Post).where(Post.thread_id == idea.id, Post.number == 1))
    moderation.hide_post(moderator, opening)
    mail.queue_digest(member, "daily", utcnow())
    assert_secret_absent(*[e.subject + e.body_text + e.body_html for e in db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.kind == "digest"))])


def test_a_thread_moved_to_a_private_forum_is_not_announced_in_public_rooms(
        app, moderator, member):
    lobby = make_forum("lobby")
    thread = make_thread(member, lobby, title=f"{SECRET} leak report")
    with publisher.capture() as sent:
        forums.update_thread(moderator, thread, forum=make_forum("vault", private=True))
    assert [e.rooms for e in sent if e.name == "thread.updated"] == [("forum:vault",)]


# --- rows written before the fix ------------------------------------------------------------------

def _migration():
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0010_private_text.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_cleans_titles_stored_the_old_way(app, hooks, staff, moderator):
    plain, private = hooks
    lab = make_forum("lab", kind="ideas", private=True)
    idea = make_thread(moderator, lab, title=f"{SECRET} drone")
    desk = make_forum("desk", kind="support", private=True)
    question = make_thread(moderator, desk, title=f"{SECRET} invoice?")
    answer = make_reply(staff, question, "Here.")
    feedback.set_idea_status(staff, idea, "shipped", "")
    support.accept_solution(moderator, question, answer)
    # What the old code wrote.
    awards = {a.badge.slug: a for a in db.session.scalars(select(BadgeAward))}
    shipped, solved = awards["idea-shipped"], awards["first-solution"]
    shipped.reason, shipped.thread_id = f"“{idea.title}” shipped.", None
    solved.reason, solved.thread_id = f"Solved “{question.title}”.", None
    db.session.add(Notification(user_id=moderator.id, kind="badge",
                                message=f"You earned the “Idea shipped” badge: “{idea.title}” shipped.",
                                created_at=utcnow()))
    for hook in hooks:
        webhooks._queue_one(hook, "badge.awarded", {"reason": f"“{idea.title}” shipped."},
                            utcnow())
    db.session.commit()

    _migration().clean(db.session.connection())
    db.session.commit()
    db.session.expire_all()
    assert (shipped.thread_id, solved.thread_id) == (idea.id, question.id)
    assert (shipped.reason, solved.reason) == (advocacy.THREAD_REASONS["idea-shipped"][0],
                                               advocacy.THREAD_REASONS["first-solution"][0])
    assert_secret_absent([n.message for n in db.session.scalars(
        select(Notification).where(Notification.kind == "badge"))])
    assert_secret_absent(payloads(plain))
    assert any(SECRET in p["data"]["reason"] for p in payloads(private, "badge.awarded"))
