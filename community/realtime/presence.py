"""Who is viewing each thread, and which members are online: counts that survive sockets
vanishing silently.

Each entry carries an expiry, refreshed while its socket lives; a socket that disappears
without a disconnect (its process died) simply stops being counted once its entry expires.
One process uses a dict; several share a Redis sorted set per thread and per member.
"""

import threading
import time

TTL = 60  # seconds an entry counts without a refresh
REFRESH_EVERY = 20


class MemoryPresence:
    def __init__(self) -> None:
        self._entries: dict[int, dict[str, float]] = {}
        self._users: dict[int, dict[str, float]] = {}
        self._lock = threading.Lock()

    def join(self, thread_id: int, sid: str) -> int:
        with self._lock:
            self._entries.setdefault(thread_id, {})[sid] = time.time() + TTL
            return self._count(thread_id)

    def leave(self, thread_id: int, sid: str) -> int:
        with self._lock:
            self._entries.get(thread_id, {}).pop(sid, None)
            return self._count(thread_id)

    def refresh(self, memberships: dict[str, set[int]]) -> None:
        with self._lock:
            until = time.time() + TTL
            for sid, threads in memberships.items():
                for thread_id in threads:
                    self._entries.setdefault(thread_id, {})[sid] = until

    def count(self, thread_id: int) -> int:
        with self._lock:
            return self._count(thread_id)

    def _count(self, thread_id: int) -> int:
        return _live(self._entries.get(thread_id, {}))

    # Members online: their sockets, whatever page those are on.
    def user_connected(self, user_id: int, sid: str) -> None:
        with self._lock:
            self._users.setdefault(user_id, {})[sid] = time.time() + TTL

    def user_disconnected(self, user_id: int, sid: str) -> None:
        with self._lock:
            self._users.get(user_id, {}).pop(sid, None)

    def refresh_users(self, sockets: dict[str, int]) -> None:
        """Keep alive the entries of these sockets (sid: user id)."""
        with self._lock:
            until = time.time() + TTL
            for sid, user_id in sockets.items():
                self._users.setdefault(user_id, {})[sid] = until

    def is_online(self, user_id: int) -> bool:
        return user_id in self.online({user_id})

    def online(self, user_ids: set[int]) -> set[int]:
        """Those of `user_ids` with a live socket."""
        with self._lock:
            return {uid for uid in user_ids if _live(self._users.get(uid, {})) > 0}


def _live(entries: dict[str, float]) -> int:
    """How many entries have not expired (dropping those that have)."""
    now = time.time()
    for sid in [s for s, until in entries.items() if until <= now]:
        del entries[sid]
    return len(entries)


class RedisPresence:
    def __init__(self, url: str, prefix: str = "community") -> None:
        import redis

        # A bounded pool: a burst of disconnects (a page reload storm, a balancer draining)
        # waits for a connection instead of opening one per socket and keeping them all.
        pool = redis.BlockingConnectionPool.from_url(url, max_connections=4, timeout=2,
                                                     socket_timeout=2, socket_connect_timeout=2)
        self._redis = redis.Redis(connection_pool=pool)
        self._prefix = prefix

    def _key(self, thread_id: int) -> str:
        return f"{self._prefix}:presence:thread:{thread_id}"

    def join(self, thread_id: int, sid: str) -> int:
        key = self._key(thread_id)
        pipe = self._redis.pipeline()
        pipe.zadd(key, {sid: time.time() + TTL})
        pipe.expire(key, TTL * 2)
        pipe.execute()
        return self.count(thread_id)

    def leave(self, thread_id: int, sid: str) -> int:
        self._redis.zrem(self._key(thread_id), sid)
        return self.count(thread_id)

    def refresh(self, memberships: dict[str, set[int]]) -> None:
        until = time.time() + TTL
        pipe = self._redis.pipeline()
        for sid, threads in memberships.items():
            for thread_id in threads:
                pipe.zadd(self._key(thread_id), {sid: until})
                pipe.expire(self._key(thread_id), TTL * 2)
        pipe.execute()

    def count(self, thread_id: int) -> int:
        return self._live(self._key(thread_id))

    def _live(self, key: str) -> int:
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(key, "-inf", time.time())
        pipe.zcard(key)
        return int(pipe.execute()[1])

    # Members online: their sockets, whatever page and process those are on.
    def _user_key(self, user_id: int) -> str:
        return f"{self._prefix}:presence:user:{user_id}"

    def user_connected(self, user_id: int, sid: str) -> None:
        self.refresh_users({sid: user_id})

    def user_disconnected(self, user_id: int, sid: str) -> None:
        self._redis.zrem(self._user_key(user_id), sid)

    def refresh_users(self, sockets: dict[str, int]) -> None:
        """Keep alive the entries of these sockets (sid: user id)."""
        if not sockets:
            return
        until = time.time() + TTL
        pipe = self._redis.pipeline()
        for sid, user_id in sockets.items():
            pipe.zadd(self._user_key(user_id), {sid: until})
            pipe.expire(self._user_key(user_id), TTL * 2)
        pipe.execute()

    def is_online(self, user_id: int) -> bool:
        return user_id in self.online({user_id})

    def online(self, user_ids: set[int]) -> set[int]:
        """Those of `user_ids` with a live socket: one round trip however many."""
        if not user_ids:
            return set()
        ordered = sorted(user_ids)
        now = time.time()
        pipe = self._redis.pipeline()
        for user_id in ordered:
            pipe.zcount(self._user_key(user_id), now, "+inf")
        return {uid for uid, live in zip(ordered, pipe.execute()) if live}


def make_presence(redis_url: str | None, prefix: str):
    return RedisPresence(redis_url, prefix) if redis_url else MemoryPresence()
