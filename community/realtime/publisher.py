"""Services record events here; they are emitted only after their transaction commits."""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from ..extensions import db, socketio

_PENDING = "pending_events"


@dataclass(frozen=True)
class Event:
    name: str
    payload: dict
    rooms: tuple[str, ...]


Sink = Callable[[Event], None]


def _emit(evt: Event) -> None:
    for room in evt.rooms:
        socketio.emit(evt.name, evt.payload, to=room)


_sinks: list[Sink] = [_emit]


def publish(name: str, payload: dict, *rooms: str) -> None:
    """Queue `name` with `payload` for `rooms`, to be sent when the current transaction commits."""
    # Round-trip through JSON now, so a payload that cannot be sent fails where it is made.
    payload = json.loads(json.dumps(payload))
    db.session().info.setdefault(_PENDING, []).append(Event(name, payload, rooms))


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
    for evt in session.info.pop(_PENDING, []):
        for sink in list(_sinks):
            sink(evt)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_PENDING, None)
