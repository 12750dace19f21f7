"""Real `community serve` processes for tests that need the whole stack."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process on 127.0.0.1, stopped when the test ends."""

    def __init__(self, env: dict[str, str], instance: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = instance / f"server-{self.port}.log"
        # As in TEST_SETTINGS: staff need no second factor unless a test asks for one.
        defaults = {"COMMUNITY_REQUIRE_2FA_FOR_STAFF": "false"}
        full_env = os.environ | defaults | env | {"COMMUNITY_INSTANCE_PATH": str(instance)}
        self.process = subprocess.Popen(
            [str(BIN / "community"), "serve", "--port", str(self.port)],
            env=full_env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"server did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_servers(count: int, env: dict[str, str], instance: Path) -> list[Server]:
    servers = [Server(env, instance) for _ in range(count)]
    try:
        for server in servers:
            server.wait_ready()
    except Exception:
        for server in servers:
            server.stop()
        raise
    return servers
