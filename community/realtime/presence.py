"""Who is viewing each thread: a count per thread that survives sockets vanishing silently.

Each entry carries an expiry, refreshed while its socket lives; a socket that disappears
without a disconnect (its process died) simply stops being counted once its entry expires.
One process uses a dict; several share a Redis sorted set per thread.
"""

import threading
import time

TTL = 60  # seconds an entry counts without a refresh
REFRESH_EVERY = 20


class MemoryPresence:
    def __init__(self) -> None:
        self._entries: dict[int, dict[str, float]] = {}
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
        now = time.time()
        entries = self._entries.get(thread_id, {})
        for sid in [s for s, until in entries.items() if until <= now]:
            del entries[sid]
        return len(entries)


class RedisPresence:
    def __init__(self, url: str, prefix: str = "community") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
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
        key = self._key(thread_id)
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(key, "-inf", time.time())
        pipe.zcard(key)
        return int(pipe.execute()[1])


def make_presence(redis_url: str | None, prefix: str):
    return RedisPresence(redis_url, prefix) if redis_url else MemoryPresence()
