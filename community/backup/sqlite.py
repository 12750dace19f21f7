"""SQLite: copies made with the online backup API; a restore swaps the database file."""

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from . import NO_REVISION, BackupError, move_into_place, staging_file

# Files SQLite keeps beside a database. Left over from the replaced database, a -wal would be
# played into the restored one, or a hot -journal rolled back into it, corrupting it.
_COMPANIONS = ("-wal", "-shm", "-journal")


def backup(url: str, path: Path) -> str:
    """Copy the live database to `path` (safe while the server writes); return its revision."""
    live = _database_file(url)
    if not live.is_file():
        raise BackupError(f"There is no database at {live} (run `community db upgrade`).")
    if path.exists() and path.samefile(live):
        raise BackupError(f"{path} is the live database itself.")
    staged = staging_file(path)
    try:
        _copy(live, "rw", staged)
        revision = _check(staged)
        move_into_place(staged, path)
    finally:
        staged.unlink(missing_ok=True)
    return revision


@dataclass
class Restore:
    """A checked copy of a backup, staged beside the live database file."""

    live: Path
    staged: Path
    revision: str

    @property
    def target(self) -> str:
        return str(self.live)

    @property
    def replaces_data(self) -> bool:
        return self.live.exists()

    def refuse_if_in_use(self) -> None:
        if self.live.exists():
            _refuse_if_in_use(self.live)

    def apply(self) -> None:
        self.refuse_if_in_use()
        if self.live.exists():
            _keep_owner_and_mode(self.live, self.staged)
        for suffix in _COMPANIONS:
            Path(f"{self.live}{suffix}").unlink(missing_ok=True)
        move_into_place(self.staged, self.live)

    def discard(self) -> None:
        self.staged.unlink(missing_ok=True)


def prepare_restore(url: str, path: Path) -> Restore:
    """Copy the backup beside the live database and check it; the live file is untouched."""
    live = _database_file(url)
    if live.exists() and path.samefile(live):
        raise BackupError(f"{path} is the live database itself.")
    staged = staging_file(live)
    try:
        _copy(path, "ro", staged)
        revision = _check(staged)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return Restore(live, staged, revision)


def _database_file(url: str) -> Path:
    name = make_url(url).database
    if not name or name == ":memory:":
        raise BackupError("The configured SQLite database is in memory: it has no file.")
    return Path(name).resolve()


def _open(path: Path, mode: str) -> sqlite3.Connection:
    """A connection that never creates the file (mode "rw" or "ro")."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=15,
                           isolation_level=None)


def _copy(source: Path, mode: str, staged: Path) -> None:
    """Copy the database at `source` into the file `staged`, as one self-contained file."""
    try:
        origin = _open(source, mode)
    except sqlite3.Error as exc:
        raise BackupError(f"Cannot open {source}: {exc}.") from None
    copy = sqlite3.connect(staged, isolation_level=None)
    try:
        # In one step (pages=-1) the copy is a single read transaction, a snapshot of the last
        # commit however busy the writers are; copied in slices, it would start over each
        # time another connection wrote.
        origin.backup(copy, pages=-1)
        # The copy inherits WAL mode; a backup is better as one file with nothing beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Could not copy {source}: {exc}.") from None
    finally:
        copy.close()
        origin.close()


def _check(path: Path) -> str:
    """The schema revision of the database file at `path`, once it has proved intact."""
    conn = _open(path, "ro")
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"The backup is damaged: {'; '.join(problems[:3])}.")
        try:
            revisions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
        except sqlite3.OperationalError:
            revisions = []
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"The backup is not a usable SQLite database: {exc}.") from None
    finally:
        conn.close()
    if len(revisions) != 1:
        raise BackupError(NO_REVISION)
    return revisions[0]


def _keep_owner_and_mode(live: Path, staged: Path) -> None:
    """Give the restored file the permissions, and the owner, of the file it replaces."""
    was = live.stat()
    os.chmod(staged, was.st_mode & 0o777)
    # Run as root (sudo), the restored file must still belong to the server's user.
    if os.geteuid() == 0:
        os.chown(staged, was.st_uid, was.st_gid)


def _refuse_if_in_use(live: Path) -> None:
    """Refuse while any other connection, such as a running server's, has `live` open."""
    conn = sqlite3.connect(live, timeout=1, isolation_level=None)
    try:
        # An exclusive lock is refused while any other connection has the database open in
        # WAL mode, even an idle one waiting in a server's pool.
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorname in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            raise BackupError(f"The database {live} is in use: stop the server, and anything "
                              "else using the database, before restoring.") from None
        raise BackupError(f"Cannot open the database {live}: {exc}.") from None
    except sqlite3.DatabaseError:
        pass  # a damaged live file: just what a restore is for
    finally:
        conn.close()
