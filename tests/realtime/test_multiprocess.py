"""Two real server processes sharing the database and a Redis message queue."""

import json
import threading
import time
import uuid

import pytest
import redis
import requests
import socketio

from community.services.accounts import issue_token
from community.services.follows import follow_thread

from ..conftest import TEST_SETTINGS
from ..factories import make_forum, make_thread
from ..servers import start_servers

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def two_servers(app, migrated_url, tmp_path):
    env = {
        "DATABASE_URL": migrated_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": TEST_SETTINGS["SECRET_KEY"],
        # A channel of this test's own, so concurrent runs never hear each other.
        "COMMUNITY_SOCKETIO_CHANNEL": f"test-{uuid.uuid4().hex}",
        "COMMUNITY_RATELIMIT_ENABLED": "false",
    }
    servers = start_servers(2, env, tmp_path)
    for server in servers:
        server.channel = env["COMMUNITY_SOCKETIO_CHANNEL"]
    yield servers
    for server in servers:
        server.stop()


def test_a_post_made_on_one_process_reaches_a_client_of_the_other(two_servers, member, moderator):
    a, b = two_servers
    thread = make_thread(member, make_forum())
    _, token = issue_token(moderator, "multiprocess", "read write moderate")

    got = threading.Event()
    events = []
    client = socketio.Client(reconnection=False)

    @client.on("post.created")
    def on_post(data):
        events.append(data)
        got.set()

    client.connect(a.url, transports=["websocket"], wait_timeout=10)
    try:
        assert client.call("subscribe", {"room": f"thread:{thread.id}"}, timeout=10) == {"ok": True}
        response = requests.post(f"{b.url}/api/v1/threads/{thread.id}/posts",
                                 json={"body": "Sent through process **B**"},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 201, response.text
        assert got.wait(10), "post.created never arrived at process A's client"
        assert events[0]["thread_id"] == thread.id
        assert events[0]["post"]["id"] == response.json()["id"]
        assert "<strong>B</strong>" in events[0]["post"]["html"]
    finally:
        client.disconnect()


def test_presence_is_shared_across_processes(two_servers, member):
    a, b = two_servers
    thread = make_thread(member, make_forum())
    counts = []
    seen_two = threading.Event()
    first, second = socketio.Client(reconnection=False), socketio.Client(reconnection=False)

    @first.on("presence")
    def on_presence(data):
        counts.append(data["viewers"])
        if data["viewers"] == 2:
            seen_two.set()

    first.connect(a.url, transports=["websocket"], wait_timeout=10)
    second.connect(b.url, transports=["websocket"], wait_timeout=10)
    try:
        first.call("subscribe", {"room": f"thread:{thread.id}"}, timeout=10)
        second.call("subscribe", {"room": f"thread:{thread.id}"}, timeout=10)
        assert seen_two.wait(10), counts
    finally:
        first.disconnect()
        second.disconnect()


def test_one_commit_is_one_message_on_the_queue(two_servers, member, moderator):
    """A reply is a post, a thread update and a notification per online watcher: the other
    process gets them all in one Redis message, and its clients hear each of them."""
    a, b = two_servers
    thread = make_thread(member, make_forum())
    follow_thread(member, thread, "watching")
    _, member_token = issue_token(member, "live")
    _, moderator_token = issue_token(moderator, "multiprocess", "read write moderate")
    heard, told = threading.Event(), threading.Event()
    client = socketio.Client(reconnection=False)
    client.on("post.created", lambda data: heard.set())
    client.on("notification", lambda data: told.set() if data["notification"] else None)
    client.connect(a.url, transports=["websocket"], wait_timeout=10,
                   auth={"token": member_token})
    queue = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    queue.subscribe(a.channel)
    try:
        assert client.call("subscribe", {"room": f"thread:{thread.id}"}, timeout=10) == {"ok": True}
        time.sleep(0.5)  # the subscription's own presence messages go by
        while queue.get_message(timeout=0.1):
            pass
        response = requests.post(f"{b.url}/api/v1/threads/{thread.id}/posts",
                                 json={"body": "One message for all of it"},
                                 headers={"Authorization": f"Bearer {moderator_token}"},
                                 timeout=10)
        assert response.status_code == 201, response.text
        assert heard.wait(10) and told.wait(10)
        time.sleep(0.5)
        messages = []
        while (message := queue.get_message(timeout=0.1)) is not None:
            messages.append(json.loads(message["data"]))
        replies = [m for m in messages if any(e["event"] == "post.created"
                                              for e in m.get("emits", ()))]
        assert len(replies) == 1 and replies[0]["method"] == "community.batch"
        assert {(e["event"], e["room"]) for e in replies[0]["emits"]} >= {
            ("post.created", f"thread:{thread.id}"),
            ("notification", f"user:{member.id}")}
        assert not [m for m in messages if m.get("method") == "emit"]  # none sent singly
    finally:
        queue.close()
        client.disconnect()
