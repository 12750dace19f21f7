"""Backups of the configured database, and restores from them (docs/operations.md).

SQLite backups are copies made with SQLite's online backup API; PostgreSQL backups are
pg_dump archives. A restore checks its backup (kind, integrity, schema version) before it
changes anything, and replaces the database in one step.
"""

import os
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Protocol

from sqlalchemy.engine import make_url

# How the backup files of each database begin.
_SIGNATURES = {
    "sqlite": b"SQLite format 3\x00",
    "postgresql": b"PGDMP",
}
_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

NO_REVISION = ("It has no schema version (no alembic_version row): it is not a community "
               "database brought up by `community db upgrade`.")


class BackupError(Exception):
    """A backup or restore was refused or failed; the database was left as it was."""


class PendingRestore(Protocol):
    """A checked backup, staged and ready to replace the database."""

    revision: str  # the backup's schema (Alembic) revision

    @property
    def target(self) -> str:
        """The database it replaces, as shown to people (never with a password)."""

    @property
    def replaces_data(self) -> bool:
        """Whether there is a database now that the restore would overwrite."""

    def refuse_if_in_use(self) -> None:
        """Raise BackupError while something else, such as a running server, uses the database."""

    def apply(self) -> None:
        """Replace the database with the backup (checking again that nothing uses it)."""

    def discard(self) -> None:
        """Forget the staged copy (the database is left as it was)."""


def backup(url: str, path: Path, *, overwrite: bool = False) -> str:
    """Write a consistent backup of the database at `url` to `path`; return its revision."""
    if path.is_dir():
        raise BackupError(f"{path} is a directory; name the backup file to write.")
    if not path.parent.is_dir():
        raise BackupError(f"There is no directory {path.parent}.")
    if path.exists() and not overwrite:
        raise BackupError(f"{path} exists already (use --force to replace it).")
    return _backend(url).backup(url, path)


@contextmanager
def prepared_restore(url: str, path: Path, known: Collection[str]) -> Iterator[PendingRestore]:
    """Check the backup at `path` and stage it, changing nothing until apply() is called.

    `known` are the schema revisions this code has migrations for: a backup from newer
    code is refused, since this code could neither run on it nor migrate it.
    """
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    dialect = _dialect(url)
    kind = _kind_of(path)
    if kind is None:
        raise BackupError(f"{path} is not a backup made by `community backup`.")
    if kind != dialect:
        raise BackupError(f"{path} is a {_NAMES[kind]} backup, but the configured database "
                          f"is {_NAMES[dialect]}.")
    pending = _backend(url).prepare_restore(url, path)
    try:
        if pending.revision not in known:
            raise BackupError(f"{path} has schema revision {pending.revision!r}, which this "
                              "version of the community does not know: it was made by a newer "
                              "version. Restore it with that version.")
        pending.refuse_if_in_use()
        yield pending
    finally:
        pending.discard()


def staging_file(beside: Path) -> Path:
    """A new empty file, readable by its owner only, in the directory of `beside`.

    In the same directory, so that move_into_place() is a rename on one file system.
    """
    fd, name = tempfile.mkstemp(prefix=f".{beside.name}.", suffix=".tmp", dir=beside.parent)
    os.close(fd)
    return Path(name)


def move_into_place(staged: Path, path: Path) -> None:
    """Replace `path` with the finished file `staged` in one step, durably."""
    with open(staged, "rb") as f:
        os.fsync(f.fileno())
    os.replace(staged, path)
    # The rename itself is only durable once the directory is.
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _dialect(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in _SIGNATURES:
        raise BackupError(f"Backups support SQLite and PostgreSQL databases, not {name}.")
    return name


def _kind_of(path: Path) -> str | None:
    with open(path, "rb") as f:
        start = f.read(16)
    return next((kind for kind, sign in _SIGNATURES.items() if start.startswith(sign)), None)


def _backend(url: str) -> ModuleType:
    # Imported when needed: each backend imports this module's helpers.
    if _dialect(url) == "sqlite":
        from . import sqlite
        return sqlite
    from . import postgresql
    return postgresql
