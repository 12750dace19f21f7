"""Private Redis and PostgreSQL servers that a fault test may stop and restart at will.

The machine's own services are shared by the rest of the suite (and by other runs), so the
faults are done to servers of the test's own, on free ports, with the same binaries.
"""

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from ..servers import free_port


class PrivateRedis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = workdir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--logfile", str(self.log)])
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise TimeoutError("private redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise FileNotFoundError(f"PostgreSQL's {name} is not installed")
    return found[-1]


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb) with trust auth on 127.0.0.1."""

    def __init__(self) -> None:
        self.port = free_port()
        # Outside pytest's private tmp dir: the postgres user must be able to reach it.
        self.dir = Path(tempfile.mkdtemp(prefix="community-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        # PostgreSQL refuses to run as root; run it as the postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # Output to a file: the server started by pg_ctl inherits it and would hold a pipe open.
        with (self.dir / "pg_ctl.log").open("a") as log:
            subprocess.run(prefix + list(args), check=True, stdout=log, stderr=log, timeout=120)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(_postgres_bin("initdb"), "-D", str(self.data), "-U", "postgres",
                  "-A", "trust", "--no-sync")
        self.start()

    def _pg_ctl(self, *args: str) -> None:
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
                  "-w", "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
                  " -c fsync=off", *args)

    def start(self) -> None:
        self._pg_ctl("start")

    def restart(self) -> None:
        # -m fast: connections are cut and transactions in flight rolled back, as in a
        # failover or an operator's restart.
        self._pg_ctl("-m", "fast", "restart")

    def destroy(self) -> None:
        try:
            self._pg_ctl("-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
