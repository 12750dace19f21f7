"""`community serve` as deployed: gevent's server, a bounded pool of connections, a clean
stop on SIGTERM (docs/deploy.md)."""

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import socketio

from ..conftest import TEST_SETTINGS
from ..servers import start_servers


def _env(database_url: str, **extra: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SETTINGS["SECRET_KEY"],
            "COMMUNITY_RATELIMIT_ENABLED": "false"} | extra


@pytest.fixture
def small_server(app, migrated_url, tmp_path):
    [server] = start_servers(1, _env(migrated_url, COMMUNITY_MAX_CONNECTIONS="2"), tmp_path)
    yield server
    if server.process.poll() is None:
        server.stop()


def test_one_process_holds_no_more_connections_than_its_pool(small_server):
    url = small_server.url
    first, second = socketio.Client(reconnection=False), socketio.Client(reconnection=False)
    first.connect(url, transports=["websocket"], wait_timeout=10)
    second.connect(url, transports=["websocket"], wait_timeout=10)
    try:
        # Both greenlets of the pool hold a socket: a third connection waits to be accepted.
        with pytest.raises(requests.ReadTimeout):
            requests.get(f"{url}/healthz", timeout=1.5)
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(requests.get, f"{url}/healthz", timeout=15)
            time.sleep(0.3)
            assert not waiting.done()
            first.disconnect()  # a greenlet comes free, and the request waiting gets it
            assert waiting.result().status_code == 200
    finally:
        for client in (first, second):
            client.disconnect()


def test_sigterm_stops_the_server_cleanly(app, migrated_url, tmp_path):
    [server] = start_servers(1, _env(migrated_url), tmp_path)
    live = socketio.Client(reconnection=False)
    live.connect(server.url, transports=["websocket"], wait_timeout=10)
    try:
        server.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert server.process.wait(timeout=15) == 0
        assert time.monotonic() - started < 10  # an open socket does not hold it up
        assert "Traceback" not in server.log.read_text()
    finally:
        live.disconnect()
