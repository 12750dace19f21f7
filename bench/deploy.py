"""A throwaway deployment for load tests, and what its server processes hold.

- embedded: one `community serve` process, SQLite in a temporary instance folder, no Redis;
- scaled: two processes, a PostgreSQL database of its own (created here, dropped at the
  end) and the Redis message queue on a channel of its own.

Everything listens on 127.0.0.1. Rate limits are off (COMMUNITY_RATELIMIT_ENABLED=false):
the load comes from one address and a few hundred members, far beyond what the per-IP
limits allow a real client.
"""

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import generate
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.servers import Server, start_servers

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
MODES = ("embedded", "scaled")


class Deployment:
    """Database, settings and servers of one mode; `close()` removes all of it."""

    def __init__(self, mode: str, pg_server: str = PG_SERVER, redis_url: str = REDIS_URL) -> None:
        self.mode, self.pg_server = mode, pg_server
        self.instance = Path(tempfile.mkdtemp(prefix=f"community-load-{mode}-"))
        self.servers: list[Server] = []
        self.env = {"SECRET_KEY": f"load-{uuid.uuid4().hex}",
                    "COMMUNITY_RATELIMIT_ENABLED": "false"}
        if mode == "scaled":
            self.database_url = generate.create_database(pg_server)
            self.env |= {"REDIS_URL": redis_url,
                         "COMMUNITY_SOCKETIO_CHANNEL": f"load-{uuid.uuid4().hex[:12]}"}
        else:
            self.database_url = f"sqlite:///{self.instance / 'load.db'}"
        self.env["DATABASE_URL"] = self.database_url
        self._pg = (create_engine(pg_server, pool_size=1, max_overflow=0)
                    if mode == "scaled" else None)

    @property
    def database_name(self) -> str:
        return make_url(self.database_url).database

    def describe(self) -> str:
        if self.mode == "scaled":
            return (f"scaled: 2 server processes, PostgreSQL database {self.database_name}, "
                    f"Redis queue channel {self.env['COMMUNITY_SOCKETIO_CHANNEL']}")
        return "embedded: 1 server process, SQLite (WAL) in a temporary folder, no Redis"

    def start(self) -> list[str]:
        self.servers = start_servers(2 if self.mode == "scaled" else 1, self.env, self.instance)
        return [s.url for s in self.servers]

    def processes(self) -> dict[str, list[int]]:
        """Process ids by role: each server and, scaled out, the PostgreSQL backends of the
        bench database and the Redis server."""
        groups = {f"server {i + 1}": [s.process.pid] for i, s in enumerate(self.servers)}
        if self._pg is not None:
            with self._pg.connect() as conn:
                groups["postgres"] = list(conn.scalars(
                    text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                    {"d": self.database_name}))
            groups["redis"] = [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/comm")
                               if _read(p).strip() == "redis-server"]
        return groups

    def database_connections(self) -> int | None:
        """PostgreSQL: backends connected to the bench database (pg_stat_activity)."""
        if self._pg is None:
            return None
        with self._pg.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"),
                               {"d": self.database_name})

    def server_errors(self) -> int:
        """Tracebacks the servers logged."""
        return sum(s.log.read_text(errors="replace").count("Traceback")
                   for s in self.servers if s.log.exists())

    def close(self, keep: bool = False) -> None:
        for server in self.servers:
            server.stop()
        if self._pg is not None:
            self._pg.dispose()
            generate.drop_database(self.pg_server, self.database_url)
        if not keep:
            shutil.rmtree(self.instance, ignore_errors=True)


# --- what a process holds ------------------------------------------------------------------

TCP_STATES = {"01": "ESTABLISHED", "06": "TIME_WAIT", "08": "CLOSE_WAIT", "0A": "LISTEN"}


@dataclass
class Usage:
    """One server process at one moment."""

    rss_mb: float
    fds: int
    threads: int
    clients: int          # TCP connections to the server's port (HTTP keep-alive, websockets)
    close_wait: int       # of those, closed by the client but never by the server
    # SQLite: descriptors on the database file, one per connection; SQLite keeps a closed
    # connection's for reuse while others hold locks, so this stays at the pool's peak.
    # PostgreSQL: connections.
    database: int
    redis: int            # connections to Redis


def _tcp_table() -> dict[str, tuple[int, int, str]]:
    """Socket inode -> (local port, remote port, state), for every TCP socket on the host."""
    table = {}
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            next(f)
            for line in f:
                cols = line.split()
                local, remote, state, inode = cols[1], cols[2], cols[3], cols[9]
                table[inode] = (int(local.rsplit(":", 1)[1], 16),
                                int(remote.rsplit(":", 1)[1], 16), TCP_STATES.get(state, state))
    return table


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:  # the process ended while we looked
        return ""


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time the process has used (None once it has ended)."""
    stat = _read(Path(f"/proc/{pid}/stat"))
    if not stat:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (all cores; idle and I/O wait excluded)."""
    values = [int(v) for v in _read(Path("/proc/stat")).split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


class Cpu:
    """CPU used by groups of processes, by this process and by everything else on the
    machine since `reset()`, in % of one core (the machine has os.cpu_count() of them).

    `groups()` is asked again at each reading: database backends come and go with the pool.
    """

    def __init__(self, groups: Callable[[], dict[str, list[int]]]) -> None:
        self.groups = groups
        self.reset()

    def reset(self) -> None:
        self.wall, self.own, self.machine = time.monotonic(), time.process_time(), machine_busy()
        self.used = {pid: cpu_seconds(pid) for pids in self.groups().values() for pid in pids}

    def read(self) -> dict[str, float]:
        wall = time.monotonic() - self.wall
        out = {}
        for name, pids in self.groups().items():
            # A process that started since reset() spent all its time in the interval.
            spent = sum((cpu_seconds(pid) or 0.0) - (self.used.get(pid) or 0.0) for pid in pids)
            out[name] = 100 * max(spent, 0.0) / wall
        out["load generator"] = 100 * (time.process_time() - self.own) / wall
        out["others"] = 100 * (machine_busy() - self.machine) / wall - sum(out.values())
        return out


def usage(pid: int, port: int, database_file: str | None) -> Usage:
    """RSS, descriptors, threads and connections of server process `pid` listening on `port`."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except FileNotFoundError:  # closed while we looked
            pass
    tcp = _tcp_table()
    sockets = [tcp[link[8:-1]] for link in links
               if link.startswith("socket:[") and link[8:-1] in tcp]
    clients = [s for s in sockets if s[0] == port and s[2] != "LISTEN"]
    if database_file:
        database = sum(link == database_file for link in links)
    else:
        database = sum(s[1] == 5432 for s in sockets)
    return Usage(rss_mb=int(status["VmRSS"].split()[0]) / 1024, fds=len(links),
                 threads=int(status["Threads"]), clients=len(clients),
                 close_wait=sum(s[2] == "CLOSE_WAIT" for s in clients),
                 database=database, redis=sum(s[1] == 6379 for s in sockets))


def server_usage(deployment: Deployment) -> list[Usage]:
    database_file = (make_url(deployment.database_url).database
                     if deployment.mode == "embedded" else None)
    return [usage(s.process.pid, s.port, database_file) for s in deployment.servers]
