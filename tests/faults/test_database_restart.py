"""PostgreSQL restarts under load: requests caught in flight fail cleanly (503 with
Retry-After), the connection pool recovers by itself, and no counter is left half-written."""

import time

import pytest
import requests
from sqlalchemy import create_engine

from ..servers import start_servers
from .conftest import server_env
from ..recount import mismatches
from .seed import seed_database
from .services import PrivatePostgres
from .traffic import Traffic

MAX_RESTARTS = 5  # until a request is caught in flight


@pytest.fixture
def postgres():
    server = PrivatePostgres()
    server.init()
    yield server
    server.destroy()


def test_a_postgres_restart_under_load_fails_cleanly_and_recovers(postgres, tmp_path):
    seeded = seed_database(postgres.url, tmp_path)
    [server] = start_servers(1, server_env(postgres.url, COMMUNITY_RATELIMIT_ENABLED="false"),
                             tmp_path)
    traffic = Traffic([server.url], seeded["tokens"], seeded["thread"], seeded["idea"]).start()
    try:
        restarts = 0
        while restarts < MAX_RESTARTS and traffic.statuses[503] == 0:
            time.sleep(1.5)
            postgres.restart()
            restarts += 1
        time.sleep(2)
        traffic.stop()
        # The pool recovered without restarting the app.
        for path in ("/", f"/t/{seeded['thread']}", "/api/v1/forums", "/healthz"):
            assert requests.get(server.url + path, timeout=10).status_code == 200, path
    finally:
        traffic.stop()
        log = server.log.read_text()
        server.stop()

    assert traffic.failures == [], traffic.failures[:5]
    assert traffic.statuses[503] > 0, f"no request caught in {restarts} restarts: {traffic.statuses}"
    assert traffic.statuses["connection lost"] == 0
    # Every failed request was an expected, handled one.
    assert "unhandled error" not in log and "error page failed" not in log
    engine = create_engine(postgres.url)
    try:
        assert mismatches(engine) == []
    finally:
        engine.dispose()
