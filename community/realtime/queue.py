"""The Redis message queue between server processes, and what happens when Redis goes away.

Events are always delivered to this process's own sockets first; Redis only carries them to
the other processes. While Redis is unreachable each process keeps serving its own clients
and tells them live updates are partial (`live.status`), then says so again when Redis is
back so pages can catch up on what they missed.
"""

import logging
import threading
import time
from collections.abc import Callable

import redis
import socketio

log = logging.getLogger(__name__)

STATUS_EVENT = "live.status"
# A message of ours on the queue, beside python-socketio's own (emit, disconnect, …): every
# other process re-checks its own sockets (see realtime.revocation). Only each process knows
# its sockets' rooms and credentials, so this cannot be a plain leave_room or disconnect.
RECHECK_METHOD = "community.recheck"
# One message of ours carries every event of one commit: one Redis publish per commit, not
# one per room and event (a reply is a post, a thread update and a notification per watcher).
BATCH_METHOD = "community.batch"
RETRY_MAX_SECONDS = 5  # the library backs off to 60 s; resume within seconds instead
POOL_SIZE = 4  # connections for publishing, per process


def emit_message(event: str, payload: dict, room: str, skip_sid: str | None = None) -> dict:
    """One event for one room, in the form python-socketio's managers pass between hosts."""
    return {"event": event, "data": [payload], "namespace": "/", "room": room,
            "skip_sid": skip_sid}


class LocalManager(socketio.Manager):
    """This process alone (no Redis): a batch is its events, emitted in order."""

    def emit_batch(self, messages: list[dict]) -> None:
        for m in messages:
            self.emit(m["event"], m["data"][0], m["namespace"], room=m["room"],
                      skip_sid=m["skip_sid"])


class ResilientRedisManager(socketio.RedisManager):
    def __init__(self, url: str, channel: str) -> None:
        super().__init__(url, channel=channel)
        self._healthy = True
        self._health_lock = threading.Lock()
        # What this process does with another's recheck (set by realtime.revocation).
        self.on_recheck: Callable[[dict], None] | None = None

    def _redis_connect(self):
        # Every socket's thread may emit: a bounded pool makes a burst wait for a connection
        # instead of opening (and then keeping) one per thread. One more for the subscriber.
        # A connect timeout so a dead host fails fast; no read timeout, since the subscriber
        # sits idle between messages.
        pool = redis.BlockingConnectionPool.from_url(
            self.redis_url, max_connections=POOL_SIZE + 1, timeout=5, socket_connect_timeout=2,
            socket_keepalive=True)
        self.redis = redis.Redis(connection_pool=pool)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True

    @property
    def healthy(self) -> bool:
        return self._healthy

    def _set_healthy(self, healthy: bool) -> None:
        with self._health_lock:
            if healthy == self._healthy:
                return
            self._healthy = healthy
        if healthy:
            log.warning("message queue reachable again: live updates resume across processes")
        else:
            log.error("message queue unreachable: live updates reach this process's clients only")
        # Local sockets only: the queue is the thing that may be down.
        self.emit(STATUS_EVENT, status_payload(healthy), namespace="/", ignore_queue=True)

    def _publish(self, data):
        # One attempt: a retry would only double the wait. Health is the subscriber's to
        # judge (it notices a lost Redis at once), so a failure here is only logged.
        try:
            if not self.connected:
                self._redis_connect()
            return self.redis.publish(self.channel, self.json.dumps(data))
        except Exception as exc:
            self.connected = False
            log.warning("cannot publish to the message queue: %s", exc)
            return None

    def emit_batch(self, messages: list[dict]) -> None:
        """Emit a commit's events to this process's sockets, then to the others in one
        message (their order kept)."""
        for m in messages:
            self._handle_emit(m)
        self._publish({"method": BATCH_METHOD, "host_id": self.host_id, "emits": messages})

    def publish_recheck(self, scope: dict) -> None:
        """Ask every other process to re-check its sockets in `scope` (this one does its own)."""
        self._publish({"method": RECHECK_METHOD, "scope": scope, "host_id": self.host_id})

    def _listen(self):
        # python-socketio's listener thread dispatches only its own methods: batches and
        # rechecks are taken out here, and run on that same thread, so everything stays in
        # the order it was published.
        for message in super()._listen():
            try:
                data = self.json.loads(message)
            except Exception:  # not ours to judge: the library skips what it cannot read
                data = None
            method = data.get("method") if isinstance(data, dict) else None
            if method not in (RECHECK_METHOD, BATCH_METHOD):
                yield data if isinstance(data, dict) else message  # decoded once, not twice
            elif data.get("host_id") == self.host_id:
                continue  # this process handled its own already
            elif method == BATCH_METHOD:
                for emit in data.get("emits") or ():
                    try:
                        self._handle_emit(emit)
                    except Exception:
                        log.exception("could not emit %s from another process",
                                      emit.get("event"))
            elif self.on_recheck is not None:
                try:
                    self.on_recheck(data.get("scope") or {})
                except Exception:
                    log.exception("recheck of live sockets failed")

    def _redis_listen_with_retries(self):
        retry_sleep = 0.5
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                self._set_healthy(True)
                retry_sleep = 0.5
                yield from self.pubsub.listen()
            except Exception as exc:
                log.warning("message queue subscription lost: %s; retrying in %.1fs",
                            exc, retry_sleep)
                self._set_healthy(False)
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, RETRY_MAX_SECONDS)


def queue_healthy(server: socketio.Server) -> bool:
    """False while this process cannot hear the other processes' events."""
    return getattr(server.manager, "healthy", True)


def status_payload(healthy: bool) -> dict:
    return {"state": "live" if healthy else "degraded"}


def make_queue(url: str | None, channel: str) -> socketio.Manager:
    """Redis between processes when configured; otherwise this process alone."""
    return ResilientRedisManager(url, channel) if url else LocalManager()
