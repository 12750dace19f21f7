"""Live access ends when rights end: a revoked token, a lowered role, a suspension, a
silence, a thread moved out of sight or a forum made private take effect on open sockets
at once, in this process and across processes sharing Redis."""

import contextvars
import threading
from datetime import timedelta

import pytest
import requests
import socketio as socketio_client

from community.extensions import db, socketio
from community.models import ApiToken, Role, utcnow
from community.realtime import publisher, rooms
from community.services import accounts, forums, moderation

from ..factories import make_forum, make_reply, make_thread
from .test_multiprocess import two_servers  # noqa: F401  (fixture)
from .test_socket import Socket, connect


def heard(sock, name=None):
    """The events `sock` received since last asked, connected or not (after every pending
    after-commit task and event has gone out), but presence counts."""
    publisher.dispatcher.flush()
    events, sock._client.queue = list(sock._client.queue), []
    return [e["name"] for e in events
            if e["name"] != "presence" and (name is None or e["name"] == name)]


def posts_heard(sock):
    """The threads of the post.created events `sock` received since last asked."""
    publisher.dispatcher.flush()
    events, sock._client.queue = list(sock._client.queue), []
    return [e["args"][0]["thread_id"] for e in events if e["name"] == "post.created"]


def subscribe(sock, *names):
    for room in names:
        assert sock.emit("subscribe", {"room": room}, callback=True) == {"ok": True}, room
    heard(sock)  # drop presence events


@pytest.fixture
def thread(member):
    return make_thread(member, make_forum())


# --- API tokens ----------------------------------------------------------------------------

def test_a_revoked_token_socket_is_disconnected_and_hears_nothing_more(app, thread, member,
                                                                      moderator):
    token, secret = accounts.issue_token(member, "live")
    by_token, by_cookie = Socket(app, auth={"token": secret}), connect(app, member)
    for sock in (by_token, by_cookie):
        subscribe(sock, rooms.thread(thread.id))

    accounts.revoke_token(member, token)
    publisher.dispatcher.flush()
    assert not by_token.is_connected()
    assert by_cookie.is_connected()  # the member's other credentials are untouched

    make_reply(moderator, thread, "After the revocation")
    socketio.emit("notification", {"unread": 1}, to=rooms.user(member.id))
    assert heard(by_token) == []
    assert {"post.created", "notification"} <= set(heard(by_cookie))
    assert not Socket(app, auth={"token": secret}).is_connected()  # nor can it come back


def test_a_socket_whose_token_died_unannounced_may_not_subscribe(app, thread, member):
    token, secret = accounts.issue_token(member, "live")
    sock = Socket(app, auth={"token": secret})
    db.session.get(ApiToken, token.id).revoked_at = utcnow()  # not through the service
    db.session.commit()
    assert sock.emit("subscribe", {"room": rooms.thread(thread.id)}, callback=True) == \
        {"ok": False, "error": "unauthorized"}
    assert sock.emit("subscribe", {"room": "leaderboard"}, callback=True) == \
        {"ok": False, "error": "unauthorized"}


# --- roles -------------------------------------------------------------------------------

def test_a_demoted_moderator_leaves_the_moderation_room_and_private_forums(app, moderator,
                                                                          member, admin):
    public = make_forum()
    public_thread = make_thread(member, public)
    private_thread = make_thread(admin, make_forum("mods", private=True))
    by_cookie = connect(app, moderator)
    _, secret = accounts.issue_token(moderator, "curator", "read write moderate")
    by_token = Socket(app, auth={"token": secret})
    for sock in (by_cookie, by_token):
        subscribe(sock, rooms.MODERATION, rooms.forum("mods"), rooms.thread(private_thread.id),
                  rooms.thread(public_thread.id))

    accounts.set_role(admin, moderator, Role.MEMBER)
    public.premoderated = True
    db.session.commit()
    forums.reply(member, public_thread, "Held for review")  # → moderation.item
    make_reply(admin, private_thread, "Staff only")  # → post.created, thread.updated
    make_reply(admin, public_thread, "For everyone")  # still theirs to hear

    for sock in (by_cookie, by_token):
        assert sock.is_connected()
        assert heard(sock) == ["post.created", "thread.updated"]
        assert sock.emit("subscribe", {"room": rooms.MODERATION}, callback=True) == \
            {"ok": False, "error": "forbidden"}


# --- suspension and silence --------------------------------------------------------------

# --- login sessions -------------------------------------------------------------------------

def test_a_socket_of_an_ended_login_session_is_disconnected(app, thread, member, moderator):
    """Logout, a new password or "sign out everywhere" also end the cookie's sockets."""
    from community.services import sessions

    ended, other_member = connect(app, member), connect(app, moderator)
    for sock in (ended, other_member):
        subscribe(sock, rooms.thread(thread.id))
    sessions.end_all(member)
    publisher.dispatcher.flush()
    assert not ended.is_connected()
    assert other_member.is_connected()
    socketio.emit("notification", {"unread": 1}, to=rooms.user(member.id))
    make_reply(moderator, thread, "After the logout")
    assert heard(ended) == []
    assert "post.created" in heard(other_member)


def test_a_new_password_keeps_the_sockets_of_the_browser_that_changed_it(app, member):
    from community.auth import SESSION_KEY
    from community.services import sessions

    from ..factories import PASSWORD
    from ..conftest import log_in

    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, member), log_in(elsewhere, member)
    kept = Socket(app, flask_test_client=here)
    cut = Socket(app, flask_test_client=elsewhere)
    with here.session_transaction() as cookie:
        key = cookie[SESSION_KEY]
    accounts.change_password(member, PASSWORD, "a brand new passphrase", keep_session=key)
    publisher.dispatcher.flush()
    assert kept.is_connected() and not cut.is_connected()
    assert sessions.is_live(member.id, key)


def test_a_suspended_member_is_disconnected(app, thread, member, moderator):
    typist, reader = connect(app, member), connect(app, moderator)
    subscribe(typist, rooms.thread(thread.id))
    subscribe(reader, rooms.thread(thread.id))

    moderation.suspend_member(moderator, member, utcnow() + timedelta(days=1), "Spam")
    publisher.dispatcher.flush()
    assert not typist.is_connected()
    make_reply(moderator, thread, "After the suspension")
    assert heard(typist) == []
    assert "post.created" in heard(reader)


def test_a_suspended_or_silenced_member_may_not_type(app, thread, member, moderator):
    sock = connect(app, member)
    subscribe(sock, rooms.thread(thread.id))
    moderation.silence_member(moderator, member, utcnow() + timedelta(days=1), "Cool down")
    assert sock.emit("typing", {"thread_id": thread.id}, callback=True) == \
        {"ok": False, "error": "forbidden"}
    make_reply(moderator, thread, "They may still read")
    assert "post.created" in heard(sock)

    member.suspended_until = utcnow() + timedelta(days=1)  # not through the service
    db.session.commit()
    moderation.unsilence_member(moderator, member)
    assert sock.emit("typing", {"thread_id": thread.id}, callback=True) == \
        {"ok": False, "error": "forbidden"}


# --- threads and forums ------------------------------------------------------------------

def test_a_thread_moved_into_a_private_forum_stops_reaching_those_who_cannot_see_it(
        app, thread, member, moderator):
    make_forum("mods", private=True)
    visitor, owner, mod = connect(app), connect(app, member), connect(app, moderator)
    for sock in (visitor, owner, mod):
        subscribe(sock, rooms.thread(thread.id))

    forums.update_thread(moderator, thread, forum=_forum("mods"))
    make_reply(moderator, thread, "Now out of sight")

    assert heard(visitor) == []
    assert posts_heard(owner) == []
    assert posts_heard(mod) == [thread.id]
    assert owner.emit("subscribe", {"room": rooms.thread(thread.id)}, callback=True) == \
        {"ok": False, "error": "not_found"}


def test_a_forum_made_private_stops_reaching_those_who_cannot_see_it(app, thread, member,
                                                                     moderator, admin):
    other = make_thread(member, make_forum("elsewhere"))
    visitor, owner, mod = connect(app), connect(app, member), connect(app, moderator)
    for sock in (visitor, owner, mod):
        subscribe(sock, rooms.forum("general"), rooms.thread(thread.id), rooms.thread(other.id))

    forums.update_forum(admin, _forum("general"), private=True)
    make_reply(moderator, thread, "Now staff only")
    make_reply(moderator, other, "Still public")

    assert heard(visitor) == ["post.created", "thread.updated"]  # the other thread's only
    assert posts_heard(owner) == [other.id]
    assert posts_heard(mod) == [thread.id, other.id]


def test_a_renamed_forum_room_does_not_carry_on_to_the_next_forum_of_that_name(app, member,
                                                                               admin):
    forum = make_forum()
    sock = connect(app, member)
    subscribe(sock, rooms.forum("general"))
    forums.update_forum(admin, forum, slug="renamed")
    make_thread(admin, make_forum("general", private=True), "Staff only")
    assert heard(sock) == []


# --- a subscribe that overlaps a recheck ---------------------------------------------------

def test_a_subscribe_overlapping_a_recheck_checks_again(app, moderator, admin, monkeypatch):
    sock = connect(app, moderator)
    real = rooms.refusal
    calls = []

    def stale_then_real(viewer, room):
        calls.append(room)
        if len(calls) > 1:
            return real(viewer, room)
        # The check reads the old rights; meanwhile (in another request) the role is
        # lowered and every socket rechecked, before this one has joined the room.
        contextvars.Context().run(demote)
        publisher.dispatcher.flush()
        return None

    def demote():
        with app.app_context():
            accounts.set_role(accounts.get_user(admin.username),
                              accounts.get_user(moderator.username), Role.MEMBER)

    monkeypatch.setattr(rooms, "refusal", stale_then_real)
    assert sock.emit("subscribe", {"room": rooms.MODERATION}, callback=True) == \
        {"ok": False, "error": "forbidden"}
    socketio.emit("moderation.item", {"item": {}}, to=rooms.MODERATION)
    assert heard(sock, "moderation.item") == []


def _forum(slug):
    from community.models import Forum

    return db.session.query(Forum).filter_by(slug=slug).one()


# --- across processes ----------------------------------------------------------------------

class Listener:
    """A real Socket.IO client that records the events it hears."""

    def __init__(self, url, token, *events):
        self.events: list[tuple[str, dict]] = []
        self.heard = threading.Condition()
        self.gone = threading.Event()
        self.client = socketio_client.Client(reconnection=False)
        for name in events:
            self.client.on(name, lambda data, name=name: self._record(name, data))
        self.client.on("disconnect", lambda *_: self.gone.set())
        self.client.connect(url, auth={"token": token}, transports=["websocket"],
                            wait_timeout=10)

    def _record(self, name, data):
        with self.heard:
            self.events.append((name, data))
            self.heard.notify_all()

    def wait_for(self, predicate, timeout=10):
        with self.heard:
            return self.heard.wait_for(lambda: any(predicate(n, d) for n, d in self.events),
                                       timeout)

    def subscribe(self, *names):
        for room in names:
            assert self.client.call("subscribe", {"room": room}, timeout=10) == {"ok": True}


def _api(server, method, path, token, **kwargs):
    response = requests.request(method, f"{server.url}/api/v1{path}", timeout=10,
                                headers={"Authorization": f"Bearer {token}"}, **kwargs)
    assert response.status_code < 300, response.text
    return response


def test_a_token_revoked_on_one_process_cuts_its_socket_on_the_other(two_servers,  # noqa: F811
                                                                     member, moderator):
    a, b = two_servers
    thread = make_thread(member, make_forum())
    _, secret = accounts.issue_token(member, "live", "read write")
    _, poster = accounts.issue_token(moderator, "poster", "read write")
    listener = Listener(a.url, secret, "post.created")
    try:
        listener.subscribe(rooms.thread(thread.id))
        _api(b, "DELETE", "/tokens/current", secret)
        assert listener.gone.wait(10), "the revoked token's socket on process A stayed open"
        _api(b, "POST", f"/threads/{thread.id}/posts", poster, json={"body": "After"})
        assert not listener.wait_for(lambda name, data: True, timeout=1)
        with pytest.raises(socketio_client.exceptions.ConnectionError):
            Listener(a.url, secret)
    finally:
        listener.client.disconnect()


def test_a_moderator_demoted_on_one_process_stops_hearing_on_the_other(two_servers,  # noqa: F811
                                                                        member, moderator, admin):
    a, b = two_servers
    public = make_forum()
    public_thread = make_thread(member, public)
    private_thread = make_thread(admin, make_forum("mods", private=True))
    public.premoderated = True
    db.session.commit()
    _, curator = accounts.issue_token(moderator, "curator", "read write moderate")
    _, admin_token = accounts.issue_token(admin, "admin", "read write moderate admin")
    _, member_token = accounts.issue_token(member, "member", "read write")
    listener = Listener(a.url, curator, "post.created", "moderation.item")
    try:
        listener.subscribe(rooms.MODERATION, rooms.thread(private_thread.id),
                           rooms.thread(public_thread.id))
        _api(b, "PUT", f"/users/{moderator.username}/role", admin_token, json={"role": "member"})
        _api(b, "POST", f"/threads/{public_thread.id}/posts", member_token,
             json={"body": "Held for review"})
        _api(b, "POST", f"/threads/{private_thread.id}/posts", admin_token,
             json={"body": "Staff only"})
        last = _api(b, "POST", f"/threads/{public_thread.id}/posts", admin_token,
                    json={"body": "For everyone"}).json()
        # Events arrive in order: once the last one is here, the others would have been.
        assert listener.wait_for(lambda name, data: name == "post.created"
                                 and data["post"]["id"] == last["id"])
        assert [(n, d.get("thread_id")) for n, d in listener.events] == \
            [("post.created", public_thread.id)]
        assert listener.client.call("subscribe", {"room": rooms.MODERATION}, timeout=10) == \
            {"ok": False, "error": "forbidden"}
    finally:
        listener.client.disconnect()


def test_an_account_removed_on_one_process_is_cut_off_on_the_other(two_servers,  # noqa: F811
                                                                   member, moderator):
    from ..factories import PASSWORD

    a, b = two_servers
    thread = make_thread(moderator, make_forum())
    _, secret = accounts.issue_token(member, "live", "read write")
    _, other = accounts.issue_token(member, "deleter", "read write")
    listener = Listener(a.url, secret, "post.created", "notification")
    try:
        listener.subscribe(rooms.thread(thread.id))
        _api(b, "DELETE", "/me/account", other, json={"mode": "remove", "password": PASSWORD})
        assert listener.gone.wait(10), "the removed member's socket on process A stayed open"
        with pytest.raises(socketio_client.exceptions.ConnectionError):
            Listener(a.url, secret)
    finally:
        listener.client.disconnect()


def test_a_read_only_token_gets_nothing_more_on_either_process(two_servers,  # noqa: F811
                                                               member, moderator):
    a, b = two_servers
    thread = make_thread(member, make_forum())
    _, reader = accounts.issue_token(moderator, "reader", "read")
    listener = Listener(a.url, reader, "post.created", "moderation.item")
    try:
        listener.subscribe(rooms.thread(thread.id))  # reading is what it may do
        assert listener.client.call("subscribe", {"room": rooms.MODERATION}, timeout=10) == \
            {"ok": False, "error": "forbidden"}
        for server in (a, b):
            wrote = requests.post(f"{server.url}/api/v1/threads/{thread.id}/posts",
                                  json={"body": "Written with a read token"}, timeout=10,
                                  headers={"Authorization": f"Bearer {reader}"})
            assert wrote.status_code == 403
            page = requests.get(f"{server.url}/settings/tokens", timeout=10,
                                allow_redirects=False, headers={"Authorization": f"Bearer {reader}"})
            assert page.status_code == 302 and "/login" in page.headers["Location"]
            # The cookie it was handed (a "please log in" flash) signs nobody in either.
            again = requests.get(f"{server.url}/settings", cookies=page.cookies, timeout=10,
                                 allow_redirects=False)
            assert again.status_code == 302 and "/login" in again.headers["Location"]
    finally:
        listener.client.disconnect()
