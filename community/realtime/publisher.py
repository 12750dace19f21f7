"""Every Socket.IO event goes out here: services record them, and they are sent only
after their transaction commits (never for a rollback), all of one commit together (one
message on the Redis queue per commit, see realtime.queue).

Sending happens on one dispatcher thread, so neither a slow client nor a slow message queue
ever holds up the request that caused the event. The same thread runs after-commit tasks
(publisher.after_commit), sends summaries that are throttled (publish_soon: the
leaderboard) and the few events that belong to no transaction (publish_now: typing,
presence), so capture() sees every event the app sends.
"""

import functools
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from ..extensions import db, socketio
from .queue import emit_message

_PENDING = "pending_events"
_TASKS = "pending_tasks"
_SOON = "pending_soon"
_WAKE = object()  # tells the dispatcher thread to look at its timetable again
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    name: str
    payload: dict
    rooms: tuple[str, ...]
    skip_sid: str | None = None  # the socket that caused it, when it must not hear it


Task = Callable[[], None]
Batch = tuple[Event, ...]  # the events of one commit, sent together in order


class Dispatcher:
    """Emits events to Socket.IO rooms from a background thread, in commit order.

    It also runs tasks (see after_commit) on that thread, in the same order, and tasks
    timed for later (put_later), once each however often they are asked for meanwhile.
    """

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._later: dict[Hashable, tuple[float, Task]] = {}  # key: (when due, task)
        self._running_later = 0

    def put(self, item: Batch | Task) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="event-dispatcher",
                                                daemon=True)
                self._thread.start()
        self._queue.put(item)

    def put_later(self, key: Hashable, task: Task, delay: float) -> None:
        """Run `task` on the dispatcher thread in `delay` seconds, unless a task of `key` is
        waiting already: that one then stands for both (a throttle, not a queue)."""
        with self._lock:
            if key in self._later:
                return
            self._later[key] = (time.monotonic() + delay, task)
        self.put(_WAKE)

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self._until_due())
            except queue.Empty:
                item = None
            try:
                if item is not None and item is not _WAKE:
                    self._handle(item)
                self._run_due()
            finally:
                if item is not None:
                    self._queue.task_done()

    def _until_due(self) -> float | None:
        with self._lock:
            if not self._later:
                return None
            return max(0.0, min(due for due, _ in self._later.values()) - time.monotonic())

    def _run_due(self) -> None:
        now = time.monotonic()
        with self._lock:
            due = sorted((when, key) for key, (when, _) in self._later.items() if when <= now)
            tasks = [self._later.pop(key)[1] for _, key in due]
            self._running_later += len(tasks)
        for task in tasks:
            try:
                self._handle(task)
            finally:
                with self._lock:
                    self._running_later -= 1

    def _handle(self, item: Batch | Task) -> None:
        try:
            if isinstance(item, tuple):
                self._emit(item)
            else:
                item()
        except Exception:  # a failed task loses that task only
            log.exception("after-commit task %r failed", item)

    @staticmethod
    def _emit(batch: Batch) -> None:
        messages = [emit_message(evt.name, evt.payload, room, evt.skip_sid)
                    for evt in batch for room in evt.rooms]
        try:
            socketio.server.manager.emit_batch(messages)
        except Exception:  # a failed emit (e.g. Redis down) loses that batch only
            log.exception("could not emit %s", sorted({evt.name for evt in batch}))

    def _busy(self) -> bool:
        with self._lock:
            return bool(self._queue.unfinished_tasks or self._later or self._running_later)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event has been emitted and task run, those timed for
        later included (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._busy():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True


dispatcher = Dispatcher()
_captures: list[list[Event]] = []  # see capture()
# For each throttled event waiting to go out, the captures open when a commit asked for it.
_asked: dict[Hashable, set[int]] = {}
_asked_lock = threading.Lock()


def publish(name: str, payload: dict, *rooms: str) -> None:
    """Queue `name` with `payload` for `rooms`, to be sent when the current transaction commits."""
    # Round-trip through JSON now, so a payload that cannot be sent fails where it is made.
    payload = json.loads(json.dumps(payload))
    db.session().info.setdefault(_PENDING, []).append(Event(name, payload, rooms))


def publish_soon(name: str, make_payload: Callable[[], dict], *rooms: str,
                 within: float) -> None:
    """Once the current transaction commits, send `name` to `rooms` within `within` seconds,
    with the payload `make_payload()` returns then (in an app context of its own).

    The commits of those seconds share that one send, so the event goes out at most about
    once per `within` seconds however many commits ask: for summaries (the leaderboard).
    """
    db.session().info.setdefault(_SOON, {})[(name, rooms)] = (make_payload, within)


def publish_now(name: str, payload: dict, *rooms: str, skip_sid: str | None = None) -> None:
    """Send `name` to `rooms` at once: for what belongs to no transaction (typing, presence).

    `skip_sid`: the socket that caused it, which does not hear it.
    """
    payload = json.loads(json.dumps(payload))
    _deliver((Event(name, payload, rooms, skip_sid),))


def _deliver(batch: Batch, captures: set[int] | None = None) -> None:
    dispatcher.put(batch)
    for seen in list(_captures):
        if captures is None or id(seen) in captures:
            seen.extend(batch)


def _send_soon(key: Hashable, app: Flask, name: str, make_payload: Callable[[], dict],
               rooms: tuple[str, ...]) -> None:
    with _asked_lock:
        asked = _asked.pop(key, set())
    with app.app_context():
        payload = json.loads(json.dumps(make_payload()))
    # A capture sees it when open both at a commit that asked for it and now: what a test
    # block did, not what an earlier test's commit still had waiting.
    _deliver((Event(name, payload, rooms),), asked)


def after_commit(task: Task) -> None:
    """Run `task()` on the dispatcher thread once the current transaction commits (never for
    a rollback), before that transaction's events are sent.

    Events describe the state after the commit, so whatever the commit changes about who
    may hear them (see realtime.revocation) has to be applied first.
    """
    db.session().info.setdefault(_TASKS, []).append(task)


@contextmanager
def capture() -> Iterator[list[Event]]:
    """Collect the events sent while the block runs (for tests).

    A throttled event (publish_soon) is collected when the block is still open when it is
    sent: flush the dispatcher inside the block to wait for it.
    """
    sent: list[Event] = []
    _captures.append(sent)
    try:
        yield sent
    finally:
        _captures[:] = [c for c in _captures if c is not sent]  # by identity: lists compare equal


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    for task in session.info.pop(_TASKS, []):
        dispatcher.put(task)
    events = session.info.pop(_PENDING, [])
    if events:
        _deliver(tuple(events))
    soon = session.info.pop(_SOON, {})
    if soon and has_app_context():
        app = current_app._get_current_object()
        for (name, rooms), (make_payload, within) in soon.items():
            key = (id(app), name, rooms)
            with _asked_lock:
                _asked.setdefault(key, set()).update(id(c) for c in _captures)
            dispatcher.put_later(key, functools.partial(_send_soon, key, app, name,
                                                        make_payload, rooms), within)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_TASKS, None)
        session.info.pop(_SOON, None)
