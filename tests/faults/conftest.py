import uuid

import pytest

from ..conftest import TEST_SETTINGS
from .services import PrivateRedis


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """What a real server process of a fault test runs with."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SETTINGS["SECRET_KEY"],
        "COMMUNITY_SOCKETIO_CHANNEL": f"faults-{uuid.uuid4().hex}",
        "COMMUNITY_PASSWORD_TIME_COST": "1",
        "COMMUNITY_PASSWORD_MEMORY_COST": "1024",
        "COMMUNITY_POINTS_MIN_VOTER_AGE_HOURS": "0",
        "COMMUNITY_AUTO_MODERATION": "false",
    } | extra
