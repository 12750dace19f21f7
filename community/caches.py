"""Bounded in-process caches (cachetools), safe across greenlets and threads, that count
their hits. Keys must be self-validating (equal keys mean equal values): nothing tells one
process what another changed."""

import threading

from cachetools import LRUCache, TTLCache


class Cache:
    """Least recently used out first; with `ttl`, entries also expire after `ttl` seconds."""

    def __init__(self, size: int, ttl: float | None = None) -> None:
        self._data = TTLCache(size, ttl) if ttl else LRUCache(size)
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._data[key] = value

    def values(self) -> list:
        with self._lock:
            return list(self._data.values())

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)
