"""A server process is SIGKILLed while members post and vote through two processes: nothing
is half-written, no acknowledged post is lost, and live clients carry on with the other."""

import queue
import signal
import time

import pytest
import requests
import socketio
from sqlalchemy import func, select

from community.extensions import db
from community.models import Post
from community.services.accounts import issue_token

from ..factories import make_forum, make_thread, make_user
from ..servers import start_servers
from .conftest import server_env
from .proxy import FailoverProxy
from ..recount import mismatches
from .traffic import Traffic


@pytest.fixture
def servers(app, migrated_url, private_redis, tmp_path):
    env = server_env(migrated_url, REDIS_URL=private_redis.url,
                     COMMUNITY_RATELIMIT_ENABLED="false")
    started = start_servers(2, env, tmp_path)
    yield started
    for server in started:
        if server.process.poll() is None:
            server.stop()


def test_a_killed_process_leaves_no_half_written_data(servers, member):
    a, b = servers
    thread = make_thread(member, make_forum())
    idea = make_thread(member, make_forum("ideas", kind="ideas"), title="Offline maps")
    tokens = [issue_token(make_user(f"voter{n}"), "faults")[1] for n in range(6)]

    # A live client behind a balancer that prefers A, as a browser on A would be.
    proxy = FailoverProxy([a.port, b.port])
    events: queue.Queue = queue.Queue()
    client = socketio.Client(reconnection=True, reconnection_delay=0.2,
                             reconnection_delay_max=1)
    client.on("post.created", lambda data: events.put(data["post"]["id"]))
    client.on("connect", lambda: client.emit("subscribe", {"room": f"thread:{thread.id}"}))
    client.connect(proxy.url, transports=["websocket"], wait_timeout=10)
    traffic = Traffic([a.url, b.url], tokens, thread.id, idea.id).start(workers=8)
    try:
        time.sleep(2)
        a.process.send_signal(signal.SIGKILL)
        a.process.wait(timeout=10)
        time.sleep(2)
        traffic.stop()

        # The client found its way to B and hears what is posted there.
        deadline = time.monotonic() + 15
        while client.get_sid() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # its subscription, sent on connect
        response = requests.post(f"{b.url}/api/v1/threads/{thread.id}/posts",
                                 json={"body": "After the crash"}, timeout=10,
                                 headers={"Authorization": f"Bearer {tokens[0]}"})
        assert response.status_code == 201, response.text
        sent = response.json()["id"]
        deadline = time.monotonic() + 15
        heard = set()
        while sent not in heard and time.monotonic() < deadline:
            try:
                heard.add(events.get(timeout=1))
            except queue.Empty:
                pass
        assert sent in heard, "the client did not reconnect to the surviving process"
    finally:
        traffic.stop()
        client.disconnect()
        proxy.close()

    assert traffic.failures == [], traffic.failures[:5]
    assert traffic.statuses[201] > 0 and traffic.statuses[200] > 0, traffic.statuses
    db.session.remove()
    assert mismatches(db.engine) == []
    stored = set(db.session.scalars(select(Post.id).where(Post.id.in_(traffic.created))))
    assert stored == set(traffic.created), "an acknowledged post was lost"
    assert db.session.scalar(select(func.count()).select_from(Post)) >= len(traffic.created)
