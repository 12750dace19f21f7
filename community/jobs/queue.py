"""The job queue's machinery: one huey queue per app, jobs enqueued after commit, consumers.

- Storage (JOBS_BACKEND): a SQLite file, instance/jobs.db, by default (nothing to install);
  Redis when REDIS_URL is set (the queue is named after SOCKETIO_CHANNEL, so communities
  sharing a Redis keep apart); "memory" for tests, where nothing runs unless a test runs it.
- A service calls `enqueue_after_commit(name)`; the job goes on the queue once the
  transaction commits, and never for a rollback. A job carries no data: it reads what is
  due from the tables, so running it twice, or late, or never (the periodic sweep then
  does it) sends nothing twice and loses nothing.
- `start_consumer` runs huey's consumer on threads of the server process (`community
  serve`); `run_worker` runs it in the foreground (`community worker`).
"""

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import redis
from flask import Flask, current_app
from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from ..extensions import db

log = logging.getLogger(__name__)

_PENDING = "pending_jobs"
# After the queue refused a job (Redis unreachable), enqueueing is skipped for this long, so
# requests do not wait on a dead host; the periodic sweeps send what is due once it is back.
PAUSE_AFTER_FAILURE = 5.0
BACKENDS = ("sqlite", "redis", "memory")


@dataclass(frozen=True)
class Job:
    """One job: what it runs (inside an app context) and, if periodic, when by itself."""

    name: str
    run: Callable[[], object]
    schedule: Callable | None = None  # a huey crontab(...): run periodically
    when: str = ""  # the schedule in words (docs, `community worker --list`)
    retries: int = 0
    retry_delay: int = 0  # seconds


def backend_of(config) -> str:
    """The configured storage: JOBS_BACKEND, else redis when REDIS_URL is set, else sqlite."""
    chosen = config.get("JOBS_BACKEND") or ("redis" if config.get("REDIS_URL") else "sqlite")
    if chosen not in BACKENDS:
        raise ValueError(f"JOBS_BACKEND must be one of {', '.join(BACKENDS)}, not {chosen!r}")
    return chosen


def _make_huey(app: Flask, backend: str) -> Huey:
    name = app.config["SOCKETIO_CHANNEL"]
    # No result store: jobs report through the tables they change.
    if backend == "memory":
        return MemoryHuey(name, results=False)
    if backend == "redis":
        # Connect timeout: a dead Redis host fails fast instead of holding a commit. Reads
        # wait up to 1 s (huey's blocking pop), well inside the socket timeout.
        pool = redis.ConnectionPool.from_url(app.config["REDIS_URL"], socket_connect_timeout=2,
                                             socket_timeout=10, socket_keepalive=True)
        return RedisHuey(name, results=False, connection_pool=pool)
    return SqliteHuey(name, results=False, filename=str(Path(app.instance_path) / "jobs.db"))


class JobQueue:
    """The app's queue: its huey instance with every job registered on it."""

    def __init__(self, app: Flask, jobs: Iterable[Job]) -> None:
        self.app = app
        self.backend = backend_of(app.config)
        self.huey = _make_huey(app, self.backend)
        self.jobs = {job.name: job for job in jobs}
        self._tasks = {job.name: self._register(job) for job in self.jobs.values()}
        self._paused_until = 0.0
        self.consumer: Consumer | None = None

    def _register(self, job: Job) -> TaskWrapper:
        app, waiting = self.app, self._waiting_key(job.name)

        def run():
            # From here on, a commit's enqueue adds another run: it may have missed this one.
            self.huey.delete(waiting)
            with app.app_context():
                job.run()

        run.__doc__ = job.run.__doc__
        options = {"name": job.name, "retries": job.retries, "retry_delay": job.retry_delay}
        if job.schedule is not None:
            return self.huey.periodic_task(job.schedule, **options)(run)
        return self.huey.task(**options)(run)

    @staticmethod
    def _waiting_key(name: str) -> str:
        return f"community.waiting.{name}"

    def enqueue(self, name: str) -> bool:
        """Put job `name` on the queue now, unless it waits there already (a job sends all
        that is due, so one waiting is enough); False if the queue could not take it."""
        task, waiting = self._tasks[name], self._waiting_key(name)
        if time.monotonic() < self._paused_until:
            return False
        try:
            # A key left by a job that got lost is cleared by the job's next periodic run.
            if self.huey.put_if_empty(waiting, True):
                task()
        except Exception as exc:  # the sweeps send what is due once the queue is back
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
            log.warning("could not enqueue job %s (%s); the periodic sweep will catch up",
                        name, exc)
            with contextlib.suppress(Exception):  # else the next periodic run clears it
                self.huey.delete(waiting)
            return False
        return True

    def pending(self) -> list[str]:
        """The names of the jobs waiting on the queue, oldest first."""
        return [type(task).__name__ for task in self.huey.pending()]

    def run_pending(self) -> list[str]:
        """Run every job waiting on the queue, here and now, in order (tests)."""
        ran = []
        while (task := self.huey.dequeue()) is not None:
            self.huey.execute(task)
            ran.append(type(task).__name__)
        return ran

    def schedule(self) -> list[Job]:
        """The periodic jobs, in the order they are listed."""
        return [job for job in self.jobs.values() if job.schedule is not None]

    def make_consumer(self, *, workers: int, periodic: bool = True,
                      in_process: bool = False) -> Consumer:
        consumer_class = _InProcessConsumer if in_process else Consumer
        return consumer_class(self.huey, workers=workers, periodic=periodic, worker_type="thread",
                              max_delay=float(self.app.config["JOBS_POLL_SECONDS"]),
                              check_worker_health=not in_process, shutdown_timeout=30,
                              # SIGTERM (systemd, docker stop) lets running jobs finish.
                              graceful_signal="TERM")


class _InProcessConsumer(Consumer):
    """Huey's consumer on daemon threads of a server process: the server keeps its signals."""

    def _set_signal_handlers(self) -> None:
        pass


def init_app(app: Flask, jobs: Iterable[Job]) -> JobQueue:
    queue = app.extensions["jobs"] = JobQueue(app, jobs)
    return queue


def queue_of(app: Flask | None = None) -> JobQueue:
    return (app or current_app).extensions["jobs"]


# --- enqueue after commit ----------------------------------------------------------------

def enqueue_after_commit(name: str) -> None:
    """Enqueue job `name` once the current transaction commits (never for a rollback).

    Asked several times in one transaction, the job is enqueued once.
    """
    db.session().info.setdefault(_PENDING, {})[name] = current_app._get_current_object()


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    for name, app in session.info.pop(_PENDING, {}).items():
        queue_of(app).enqueue(name)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_PENDING, None)


# --- consumers ---------------------------------------------------------------------------

_start_lock = threading.Lock()


def start_consumer(app: Flask) -> Consumer | None:
    """Run the queue's consumer on threads of this process (`community serve`), once per
    app, unless JOBS_CONSUMER is off (a `community worker` runs elsewhere)."""
    if not app.config["JOBS_CONSUMER"]:
        return None
    queue = queue_of(app)
    with _start_lock:
        if queue.consumer is None:
            queue.consumer = queue.make_consumer(workers=int(app.config["JOBS_WORKERS"]),
                                                 in_process=True)
            queue.consumer.start()
    return queue.consumer


def stop_consumer(app: Flask) -> None:
    """Stop the in-process consumer after the jobs it is running, if any."""
    queue = queue_of(app)
    with _start_lock:
        consumer, queue.consumer = queue.consumer, None
    if consumer is not None:
        consumer.stop(graceful=True)


def run_worker(app: Flask, workers: int, periodic: bool = True) -> None:
    """Consume the queue in the foreground until SIGINT (graceful) or SIGTERM."""
    queue_of(app).make_consumer(workers=workers, periodic=periodic).run()
