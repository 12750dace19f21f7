"""Redis stops while two server processes run: the site keeps working, live updates fall
back to each process's own clients (and say so), and everything resumes when Redis is back."""

import queue
import re

import pytest
import requests
import socketio
from playwright.sync_api import expect

from community.services.accounts import issue_token

from ..e2e.conftest import browser  # noqa: F401  (fixture)
from ..factories import make_forum, make_thread
from ..servers import start_servers
from .conftest import server_env

WAIT = 15  # seconds: the subscriber retries every 0.5–5 s


@pytest.fixture
def servers(app, migrated_url, private_redis, tmp_path):
    # Rate limits stay on: their counters live in the same Redis and must fall back too.
    env = server_env(migrated_url, REDIS_URL=private_redis.url)
    started = start_servers(2, env, tmp_path)
    yield started
    for server in started:
        server.stop()


class Listener:
    """A Socket.IO client on one process, subscribed to a thread."""

    def __init__(self, url: str, thread_id: int) -> None:
        self.events: queue.Queue = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        for name in ("post.created", "live.status"):
            self.client.on(name, lambda data, name=name: self.events.put((name, data)))
        self.client.connect(url, transports=["websocket"], wait_timeout=10)
        assert self.client.call("subscribe", {"room": f"thread:{thread_id}"},
                                timeout=10) == {"ok": True}

    def next(self, name: str, timeout: float = WAIT):
        """The next `name` event's data, skipping others; None if none came in time."""
        try:
            while True:
                got, data = self.events.get(timeout=timeout)
                if got == name:
                    return data
        except queue.Empty:
            return None


def post(server, thread, token, body):
    response = requests.post(f"{server.url}/api/v1/threads/{thread.id}/posts",
                             json={"body": body}, timeout=10,
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def failed_login(server):
    session = requests.Session()
    form = session.get(server.url + "/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    return session.post(server.url + "/login", timeout=10, data={
        "csrf_token": token, "login": "nobody", "password": "wrong password"})


def test_the_site_outlives_redis_and_live_updates_resume(servers, private_redis, member,
                                                         browser):  # noqa: F811
    a, b = servers
    thread = make_thread(member, make_forum())
    _, token = issue_token(member, "faults", "read write")
    listener = Listener(a.url, thread.id)
    page = browser.new_context(base_url=a.url).new_page()
    page.goto(f"/t/{thread.id}")
    status = page.locator("#live-status")
    expect(status).to_have_attribute("data-state", "live")
    try:
        sent = post(b, thread, token, "Before the outage")
        assert listener.next("post.created")["post"]["id"] == sent

        private_redis.stop()
        assert listener.next("live.status") == {"state": "degraded"}
        expect(status).to_have_attribute("data-state", "reconnecting", timeout=WAIT * 1000)

        for server in (a, b):
            for path in ("/", f"/t/{thread.id}", "/leaderboard", "/api/v1/forums"):
                assert requests.get(server.url + path, timeout=10).status_code == 200, path
            # The rate-limited login form answers (a refusal, not an error) with counters local.
            assert failed_login(server).status_code == 401
            health = requests.get(server.url + "/healthz", timeout=10).json()
            assert health == {"status": "degraded", "database": "ok", "redis": "error"}
        # Writes work, and a post made on A still reaches A's own clients at once.
        local = post(a, thread, token, "During the outage, on A")
        assert listener.next("post.created")["post"]["id"] == local
        post(b, thread, token, "During the outage, on B")  # stored; A's clients miss it

        private_redis.start()
        assert listener.next("live.status") == {"state": "live"}
        expect(status).to_have_attribute("data-state", "live", timeout=WAIT * 1000)
        # The page caught up on what it missed while degraded.
        expect(page.locator("#posts")).to_contain_text("During the outage, on B")
        after = post(b, thread, token, "After the outage")
        assert listener.next("post.created")["post"]["id"] == after
    finally:
        listener.client.disconnect()
