"""PostgreSQL: pg_dump archives, restored by pg_restore and psql in one transaction."""

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from . import NO_REVISION, BackupError, move_into_place, staging_file

# Every psql call: no ~/.psqlrc, no prompt for a password, stop at the first error.
_PSQL = ("--no-psqlrc", "--no-password", "--quiet", "--tuples-only", "--no-align",
         "--set=ON_ERROR_STOP=1")
_IN_USE_CHECKS = 6  # half a second apart
_OTHER_SESSIONS = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
_LIVE_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
# A table in `pg_restore --list`: "214; 1259 20240 TABLE public alembic_version owner".
_LISTED_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE public (\S+) ", re.MULTILINE)


def backup(url: str, path: Path) -> str:
    """Dump the database to `path` (pg_dump's snapshot is consistent); return its revision."""
    server = _Server.of(url)
    staged = staging_file(path)
    try:
        server.run("pg_dump", "--format=custom", "--no-password", f"--file={staged}")
        revision = _revision(staged)
        move_into_place(staged, path)
    finally:
        staged.unlink(missing_ok=True)
    return revision


@dataclass
class Restore:
    """A checked pg_dump archive, ready to replace the database's tables."""

    url: str
    archive: Path
    revision: str
    tables: frozenset[str]

    @property
    def target(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def replaces_data(self) -> bool:
        return True

    def refuse_if_in_use(self) -> None:
        server = _Server.of(self.url)
        # Looked at a few times: the sessions of a server just stopped take a moment to end.
        for _ in range(_IN_USE_CHECKS):
            if not int(server.query(_OTHER_SESSIONS)):
                return
            time.sleep(0.5)
        raise BackupError("The database is in use: stop the server, and anything else "
                          "connected to it, before restoring.")

    def apply(self) -> None:
        self.refuse_if_in_use()
        server = _Server.of(self.url)
        # Tables a later migration made would outlive a plain restore, and the next
        # `community db upgrade` would then fail to create them.
        extra = set(server.query(_LIVE_TABLES).splitlines()) - self.tables
        drops = "".join(f"DROP TABLE IF EXISTS public.{_quoted(t)} CASCADE;" for t in sorted(extra))
        with tempfile.TemporaryDirectory(prefix="community-restore-") as work:
            script = Path(work) / "restore.sql"
            _run("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                 f"--file={script}", str(self.archive))
            # One transaction: a restore that fails half-way leaves the database as it was.
            server.run("psql", *_PSQL, "--single-transaction",
                       *([f"--command={drops}"] if drops else []), f"--file={script}")

    def discard(self) -> None:
        pass  # nothing was staged: the archive is read where it is


def prepare_restore(url: str, path: Path) -> Restore:
    """Read the archive's schema revision and tables; the database is only looked at."""
    listing = _run("pg_restore", "--list", str(path))
    return Restore(url, path, _revision(path), frozenset(_LISTED_TABLE.findall(listing)))


@dataclass(frozen=True)
class _Server:
    """How the client tools reach the database: a libpq URI, and the password apart."""

    uri: str
    env: dict[str, str]

    @classmethod
    def of(cls, url: str) -> "_Server":
        sa_url = make_url(url)
        env = dict(os.environ)
        # In the environment, not in the URI: arguments are visible to every user in `ps`.
        if sa_url.password:
            env["PGPASSWORD"] = str(sa_url.password)
        uri = URL.create("postgresql", sa_url.username, None, sa_url.host, sa_url.port,
                         sa_url.database, sa_url.query)
        return cls(uri.render_as_string(hide_password=False), env)

    def run(self, tool: str, *args: str) -> str:
        return _run(tool, *args, f"--dbname={self.uri}", env=self.env)

    def query(self, sql: str) -> str:
        return self.run("psql", *_PSQL, f"--command={sql}").strip()


def _run(tool: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run a PostgreSQL client tool: its output, or BackupError with what it said."""
    done = subprocess.run([_tool(tool), *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.returncode}")
    return done.stdout


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not on PATH: install the PostgreSQL client tools, of the "
                          "server's major version or newer (e.g. apt install postgresql-client).")
    return found


def _revision(archive: Path) -> str:
    """The schema revision stored in a pg_dump archive (reading the archive checks it)."""
    script = _run("pg_restore", "--data-only", "--table=alembic_version", "--file=-",
                  str(archive)).splitlines()
    start = next((i for i, line in enumerate(script)
                  if line.startswith("COPY ") and ".alembic_version " in line), None)
    rows: list[str] = []
    if start is not None:
        end = next((i for i in range(start + 1, len(script)) if script[i] == "\\."), start + 1)
        rows = script[start + 1:end]
    if len(rows) != 1:
        raise BackupError(NO_REVISION)
    return rows[0]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
