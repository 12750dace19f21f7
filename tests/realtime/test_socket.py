import contextvars
import time

import pytest

from community.extensions import db, socketio
from community.models import Post
from community.realtime import publisher
from community.realtime.presence import MemoryPresence, RedisPresence
from community.services import forums

from ..conftest import log_in
from ..factories import make_forum, make_reply, make_thread


def received(client, name=None):
    publisher.dispatcher.flush()
    events = client.get_received()
    return [e for e in events if name is None or e["name"] == name]


@pytest.fixture
def thread(member):
    return make_thread(member, make_forum())


class Socket:
    """A Socket.IO test client whose events each run in their own app context, as in production."""

    def __init__(self, app, **kwargs):
        self._client = self._isolated(socketio.test_client, app, **kwargs)

    @staticmethod
    def _isolated(fn, *args, **kwargs):
        db.session.commit()
        return contextvars.Context().run(fn, *args, **kwargs)

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        return (lambda *a, **k: self._isolated(attr, *a, **k)) if callable(attr) else attr


def connect(app, user=None, **kwargs):
    flask_client = app.test_client()
    if user is not None:
        log_in(flask_client, user)
    return Socket(app, flask_test_client=flask_client, **kwargs)


def test_anonymous_may_follow_public_rooms_only(app, thread, moderator):
    private = make_thread(moderator, make_forum("mods", private=True))
    sock = connect(app)
    assert sock.is_connected()
    assert sock.emit("subscribe", {"room": f"thread:{thread.id}"}, callback=True) == {"ok": True}
    assert sock.emit("subscribe", {"room": "forum:general"}, callback=True) == {"ok": True}
    assert sock.emit("subscribe", {"room": f"thread:{private.id}"}, callback=True) == \
        {"ok": False, "error": "not_found"}
    assert sock.emit("subscribe", {"room": "forum:mods"}, callback=True)["ok"] is False
    assert sock.emit("subscribe", {"room": "thread:" + "9" * 12}, callback=True) == \
        {"ok": False, "error": "not_found"}
    assert sock.emit("subscribe", {"room": "moderation"}, callback=True) == \
        {"ok": False, "error": "forbidden"}


def test_moderation_room_is_for_moderators(app, member, moderator):
    assert connect(app, member).emit("subscribe", {"room": "moderation"}, callback=True) == \
        {"ok": False, "error": "forbidden"}
    assert connect(app, moderator).emit("subscribe", {"room": "moderation"}, callback=True) == \
        {"ok": True}


@pytest.mark.parametrize("payload", [None, "thread:1", 5, [], {}, {"room": 7}, {"room": "thread:x"},
                                     {"room": "user:1"}, {"room": "forum:UPPER"}, {"room": "x" * 10_000},
                                     # "$" alone would let a trailing newline through
                                     {"room": "leaderboard\n"}, {"room": "thread:1\n"},
                                     {"room": "forum:general\n"}])
def test_malformed_subscriptions_get_an_error_ack(app, payload):
    sock = connect(app)
    assert sock.emit("subscribe", payload, callback=True) == {"ok": False, "error": "bad_request"}
    assert sock.is_connected()


def test_unknown_thread_is_not_found(app):
    assert connect(app).emit("subscribe", {"room": "thread:999999"}, callback=True) == \
        {"ok": False, "error": "not_found"}


def test_a_token_socket_has_only_the_powers_of_its_scopes(app, moderator):
    from community.services.accounts import issue_token

    _, reader = issue_token(moderator, "reader", "read")
    _, curator = issue_token(moderator, "curator", "read moderate")
    assert Socket(app, auth={"token": reader}).emit(
        "subscribe", {"room": "moderation"}, callback=True) == {"ok": False, "error": "forbidden"}
    assert Socket(app, auth={"token": curator}).emit(
        "subscribe", {"room": "moderation"}, callback=True) == {"ok": True}


def test_token_auth_puts_the_socket_in_its_user_room(app, member):
    from community.services.accounts import issue_token

    _, secret = issue_token(member, "socket")
    sock = Socket(app, auth={"token": secret})
    assert sock.is_connected()
    socketio.emit("notification", {"unread": 1}, to=f"user:{member.id}")
    assert received(sock, "notification")[0]["args"][0] == {"unread": 1}

    refused = Socket(app, auth={"token": "cmt_not-a-token"})
    assert not refused.is_connected()


def test_cookie_session_auth(app, member):
    sock = connect(app, member)
    socketio.emit("notification", {"unread": 2}, to=f"user:{member.id}")
    assert received(sock, "notification")[0]["args"][0] == {"unread": 2}


def test_reply_reaches_thread_and_forum_subscribers(app, thread, moderator):
    watcher, forum_watcher, elsewhere = connect(app), connect(app), connect(app)
    watcher.emit("subscribe", {"room": f"thread:{thread.id}"}, callback=True)
    forum_watcher.emit("subscribe", {"room": "forum:general"}, callback=True)
    received(watcher)  # drop presence events

    post = make_reply(moderator, thread, "Live **reply**")
    created = received(watcher, "post.created")
    assert len(created) == 1
    payload = created[0]["args"][0]
    assert payload["thread_id"] == thread.id and payload["post"]["id"] == post.id
    assert "<strong>reply</strong>" in payload["post"]["html"]
    updated = received(forum_watcher, "thread.updated")
    assert updated[0]["args"][0]["thread"]["reply_count"] == 1
    assert received(elsewhere) == []


def test_edit_and_remove_are_sent(app, thread, member):
    watcher = connect(app)
    watcher.emit("subscribe", {"room": f"thread:{thread.id}"}, callback=True)
    post = db.session.query(Post).filter_by(thread_id=thread.id).one()
    forums.edit_post(member, post, "changed")
    forums.delete_post(member, post)
    names = [e["name"] for e in received(watcher) if e["name"] != "presence"]
    assert names == ["post.updated", "post.removed"]


def test_nothing_is_sent_for_a_rolled_back_write(app, thread, member):
    watcher = connect(app)
    watcher.emit("subscribe", {"room": f"thread:{thread.id}"}, callback=True)
    received(watcher)
    with pytest.raises(Exception):
        forums.reply(member, thread, "")  # invalid: rolled back
    from community.services.unit import use_case

    @use_case
    def reply_then_fail():
        forums.reply(member, thread, "this will be rolled back")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        reply_then_fail()
    assert received(watcher) == []
    db.session.expire_all()
    assert db.session.query(Post).count() == 1


def test_pending_content_never_reaches_public_rooms(app, thread, member):
    watcher = connect(app)
    watcher.emit("subscribe", {"room": f"thread:{thread.id}"}, callback=True)
    received(watcher)
    post = db.session.query(Post).filter_by(thread_id=thread.id).one()
    post.state = "pending"
    db.session.commit()
    forums.edit_post(member, post, "an edit while pending")
    forums.delete_post(member, post)
    assert received(watcher) == []


def test_typing_goes_to_others_and_is_rate_limited(app, thread, member, moderator):
    typist, reader = connect(app, member), connect(app, moderator)
    room = {"room": f"thread:{thread.id}"}
    typist.emit("subscribe", room, callback=True)
    reader.emit("subscribe", room, callback=True)
    received(typist), received(reader)

    assert typist.emit("typing", {"thread_id": thread.id}, callback=True) == {"ok": True}
    assert typist.emit("typing", {"thread_id": thread.id}, callback=True) == \
        {"ok": False, "error": "rate_limited"}
    assert [e["args"][0] for e in received(reader, "typing")] == [
        {"thread_id": thread.id, "username": "mia"}]
    assert received(typist, "typing") == []


@pytest.mark.parametrize("payload", [None, {}, {"thread_id": "1"}, {"thread_id": True}, [1]])
def test_malformed_typing_is_refused(app, member, payload):
    sock = connect(app, member)
    assert sock.emit("typing", payload, callback=True) == {"ok": False, "error": "bad_request"}


def test_typing_needs_a_subscription_and_a_login(app, thread, member):
    assert connect(app, member).emit("typing", {"thread_id": thread.id}, callback=True) == \
        {"ok": False, "error": "not_subscribed"}
    anon = connect(app)
    anon.emit("subscribe", {"room": f"thread:{thread.id}"}, callback=True)
    assert anon.emit("typing", {"thread_id": thread.id}, callback=True) == \
        {"ok": False, "error": "unauthorized"}


def test_presence_counts_viewers_and_drops_disconnected_ones(app, thread):
    room = {"room": f"thread:{thread.id}"}
    first, second = connect(app), connect(app)
    first.emit("subscribe", room, callback=True)
    second.emit("subscribe", room, callback=True)
    assert received(first, "presence")[-1]["args"][0] == {"thread_id": thread.id, "viewers": 2}
    second.disconnect()
    assert received(first, "presence")[-1]["args"][0]["viewers"] == 1
    first.emit("unsubscribe", room, callback=True)
    assert app.extensions["presence"].count(thread.id) == 0


@pytest.mark.parametrize("make", [MemoryPresence, lambda: RedisPresence("redis://127.0.0.1:6379/0")])
def test_presence_entries_expire_without_a_goodbye(make, monkeypatch):
    presence = make()
    thread_id = int(time.time() * 1000)  # a key no other run uses
    clock = [time.time()]
    monkeypatch.setattr("community.realtime.presence.time.time", lambda: clock[0])
    assert presence.join(thread_id, "a") == 1
    assert presence.join(thread_id, "b") == 2
    clock[0] += 45
    presence.refresh({"a": {thread_id}})
    clock[0] += 30  # b's entry is now 75 s old, a's was refreshed 30 s ago
    assert presence.count(thread_id) == 1
    assert presence.leave(thread_id, "a") == 0


def test_a_failing_handler_answers_with_an_error_not_a_disconnect(app, monkeypatch):
    from community.realtime import rooms

    def explode(*args):
        raise RuntimeError("bug")

    monkeypatch.setattr(rooms, "refusal", explode)
    sock = connect(app)
    assert sock.emit("subscribe", {"room": "leaderboard"}, callback=True) == \
        {"ok": False, "error": "internal_error"}
    assert sock.is_connected()
