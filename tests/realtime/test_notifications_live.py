"""The bell over Socket.IO: `notification` reaches the member's own room, and only theirs."""

import time

from sqlalchemy import select

from community.extensions import db
from community.models import OutboxEmail
from community.realtime.presence import MemoryPresence, RedisPresence
from community.services import notifications

from ..factories import make_forum, make_reply, make_thread, make_user
from .test_socket import connect, received


def emails_to(user) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail.kind).where(OutboxEmail.user_id == user.id)))


def test_a_mention_lights_up_the_bell_of_the_mentioned_member_only(app, member, moderator):
    thread = make_thread(member, make_forum(), title="Stove")
    notifications.mark_read(member, everything=True)
    mia, moe, visitor = connect(app, member), connect(app, moderator), connect(app)
    received(mia), received(moe), received(visitor)

    post = make_reply(moderator, thread, "@mia the canister one")
    [event] = received(mia, "notification")
    payload = event["args"][0]
    assert payload["unread"] == 1
    assert payload["notification"]["kind"] == "mention"
    assert payload["notification"]["message"] == "moe mentioned you in “Stove”."
    assert payload["notification"]["url"] == f"/p/{post.id}"
    assert [e for e in received(moe, "notification")
            if e["args"][0]["notification"]["kind"] != "badge"] == []  # his own first-post badge
    assert received(visitor, "notification") == []

    notifications.mark_read(member, everything=True)
    assert [e["args"][0] for e in received(mia, "notification")] == [
        {"notification": None, "unread": 0}]


def test_emails_wait_for_the_member_to_be_offline(app, member, moderator):
    thread = make_thread(member, make_forum())
    mia = connect(app, member)
    assert notifications.is_online(member.id)
    make_reply(moderator, thread, "@mia while you are here")
    assert emails_to(member) == []  # the bell told her

    mia.disconnect()
    assert not notifications.is_online(member.id)
    notifications.mark_read(member, everything=True)
    make_reply(moderator, thread, "and now you are gone")
    assert emails_to(member) == ["reply"]


def test_two_tabs_keep_the_member_online_until_both_close(app, member):
    first, second = connect(app, member), connect(app, member)
    first.disconnect()
    assert notifications.is_online(member.id)
    second.disconnect()
    assert not notifications.is_online(member.id)


def test_online_entries_expire_without_a_goodbye(monkeypatch):
    for presence in (MemoryPresence(), RedisPresence("redis://127.0.0.1:6379/0")):
        user_id = int(time.time() * 1000)  # a key no other run uses
        clock = [time.time()]
        monkeypatch.setattr("community.realtime.presence.time.time", lambda c=clock: c[0])
        presence.user_connected(user_id, "a")
        presence.user_connected(user_id, "b")
        clock[0] += 45
        presence.refresh_users({"a": user_id})
        presence.user_disconnected(user_id, "a")
        assert presence.is_online(user_id)  # b is still within its 60 s
        clock[0] += 30  # b's entry is now 75 s old
        assert not presence.is_online(user_id)


def test_a_stranger_is_not_online(app):
    assert not notifications.is_online(make_user("ghost").id)
