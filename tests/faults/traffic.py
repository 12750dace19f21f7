"""Concurrent writers and readers against real servers, recording every answer."""

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests


@dataclass
class Traffic:
    """Members posting, voting and reading on `urls` from several threads until stopped."""

    urls: list[str]
    tokens: list[str]
    thread_id: int
    idea_id: int
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # answers that are not clean
    created: list[int] = field(default_factory=list)  # posts the servers acknowledged
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self, workers: int = 6) -> "Traffic":
        for n in range(workers):
            worker = threading.Thread(target=self._run, args=(n,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=30)

    def _run(self, n: int) -> None:
        rng = random.Random(n)
        http = requests.Session()
        token = self.tokens[n % len(self.tokens)]
        auth = {"Authorization": f"Bearer {token}"}
        while not self._stop.is_set():
            url = rng.choice(self.urls)
            action = rng.choice(["read_page", "read_api", "post", "vote"])
            try:
                if action == "read_page":
                    response = http.get(f"{url}/t/{self.thread_id}", timeout=15)
                elif action == "read_api":
                    response = http.get(f"{url}/api/v1/threads/{self.thread_id}", timeout=15)
                elif action == "post":
                    response = http.post(f"{url}/api/v1/threads/{self.thread_id}/posts",
                                         json={"body": f"Reply {time.time()}"}, headers=auth,
                                         timeout=15)
                else:
                    response = http.put(f"{url}/api/v1/threads/{self.idea_id}/vote",
                                        json={"value": rng.randint(0, 1)}, headers=auth,
                                        timeout=15)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                self.statuses["connection lost"] += 1  # that process is gone
                time.sleep(0.05)
                continue
            except requests.RequestException as exc:
                self.failures.append(f"{action}: {exc!r}")
                continue
            self.statuses[response.status_code] += 1
            if action == "post" and response.status_code == 201:
                self.created.append(response.json()["id"])
            if not _clean(response):
                self.failures.append(f"{action} → {response.status_code}: {response.text[:300]}")


def _clean(response: requests.Response) -> bool:
    """A success, or a 503 that says so in the error contract (JSON) or on a page (HTML)."""
    if response.status_code in (200, 201):
        return True
    if response.status_code != 503 or "Retry-After" not in response.headers:
        return False
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return response.json()["error"]["code"] == "unavailable"
    return "Temporarily unavailable" in response.text
