"""Services record events here; they are sent only after their transaction commits.

Sending happens on a dispatcher thread, so neither a slow client nor a slow message queue
ever holds up the request that caused the event.
"""

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from ..extensions import db, socketio

_PENDING = "pending_events"
_TASKS = "pending_tasks"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    name: str
    payload: dict
    rooms: tuple[str, ...]


Sink = Callable[[Event], None]
Task = Callable[[], None]


class Dispatcher:
    """Emits events to Socket.IO rooms from a background thread, in commit order.

    It also runs tasks (see after_commit) on that thread, in the same order.
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[Event | Task] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def put(self, item: Event | Task) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="event-dispatcher",
                                                daemon=True)
                self._thread.start()
        self._queue.put(item)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if isinstance(item, Event):
                    self._emit(item)
                else:
                    item()
            except Exception:  # a failed task loses that task only
                log.exception("after-commit task %r failed", item)
            finally:
                self._queue.task_done()

    @staticmethod
    def _emit(evt: Event) -> None:
        try:
            for room in evt.rooms:
                socketio.emit(evt.name, evt.payload, to=room)
        except Exception:  # a failed emit (e.g. Redis down) loses that event only
            log.exception("could not emit %s to %s", evt.name, evt.rooms)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event has been emitted and task run (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True


dispatcher = Dispatcher()
_sinks: list[Sink] = [dispatcher.put]


def publish(name: str, payload: dict, *rooms: str) -> None:
    """Queue `name` with `payload` for `rooms`, to be sent when the current transaction commits."""
    # Round-trip through JSON now, so a payload that cannot be sent fails where it is made.
    payload = json.loads(json.dumps(payload))
    db.session().info.setdefault(_PENDING, []).append(Event(name, payload, rooms))


def after_commit(task: Task) -> None:
    """Run `task()` on the dispatcher thread once the current transaction commits (never for
    a rollback), before that transaction's events are sent.

    Events describe the state after the commit, so whatever the commit changes about who
    may hear them (see realtime.revocation) has to be applied first.
    """
    db.session().info.setdefault(_TASKS, []).append(task)


@contextmanager
def capture() -> Iterator[list[Event]]:
    """Collect the events sent while the block runs (for tests)."""
    sent: list[Event] = []
    _sinks.append(sent.append)
    try:
        yield sent
    finally:
        _sinks.remove(sent.append)


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    for task in session.info.pop(_TASKS, []):
        dispatcher.put(task)
    for evt in session.info.pop(_PENDING, []):
        for sink in list(_sinks):
            sink(evt)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_TASKS, None)
