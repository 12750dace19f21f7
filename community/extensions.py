"""Extensions, created unbound and bound to an app in create_app()."""

import logging
import sqlite3
import threading
from contextvars import ContextVar

from flask import Flask, has_app_context
from flask.globals import app_ctx
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, scoped_session, sessionmaker


log = logging.getLogger(__name__)

# True while a service's unit of work runs (see services.unit); SQLite then opens its
# transaction with BEGIN IMMEDIATE so concurrent writers queue on busy_timeout instead of
# failing to upgrade a read snapshot.
writing: ContextVar[bool] = ContextVar("writing", default=False)


def _session_scope() -> tuple[str, int]:
    # One session per app context (a request, a CLI command, a socket event); outside any
    # context, one per thread.
    if has_app_context():
        return ("app", id(app_ctx._get_current_object()))
    return ("thread", threading.get_ident())


class Database:
    """The engine and the context-scoped session every service and query uses."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(expire_on_commit=False), scopefunc=_session_scope
        )

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"])
        self.session.configure(bind=self.engine)
        app.extensions["database"] = self
        app.teardown_appcontext(self._remove_session)

    def _remove_session(self, exc: BaseException | None) -> None:
        # Anything not committed by a service is discarded here.
        try:
            self.session.remove()
        except DBAPIError as error:
            # Its connection died under the request (a database restarting): drop the
            # connection without the ROLLBACK that just failed, rather than fail a response
            # already made.
            log.warning("discarding a broken database connection: %s", error)
            self.session().invalidate()
            self.session.registry.clear()


SQLITE_BUSY_SECONDS = 15
_HOLDS_WRITER = "holds_sqlite_writer"


def make_engine(url: str) -> Engine:
    """An engine for SQLite (WAL, foreign keys on) or PostgreSQL (pooled, pre-ping)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS,
                                                  "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        writer = _SqliteWriter()
        event.listen(engine, "begin", writer.begin)
        event.listen(engine, "commit", writer.end)
        event.listen(engine, "rollback", writer.end)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own BEGIN handling is off; _SqliteWriter.begin emits it instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    # 64 MB of page cache per connection (the default is 2 MB): the indexes of large
    # tables stay in memory.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


class _SqliteWriter:
    """One writing transaction at a time per process, queued on a lock.

    SQLite's own busy wait sleeps in C: under gevent it would stop the whole process, so the
    greenlet holding the write lock could never finish and the waiter would time out. Writers
    of one process wait here instead (a gevent lock under `community serve`); the busy wait
    is left to writers of other processes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def begin(self, connection) -> None:
        if not writing.get():
            connection.exec_driver_sql("BEGIN")
            return
        if not self._lock.acquire(timeout=SQLITE_BUSY_SECONDS):
            raise OperationalError("BEGIN IMMEDIATE", None,
                                   sqlite3.OperationalError("database is locked"))
        connection.info[_HOLDS_WRITER] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(connection)
            raise

    def end(self, connection) -> None:
        if connection.info.pop(_HOLDS_WRITER, False):
            self._lock.release()


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
socketio = SocketIO()
