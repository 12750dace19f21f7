"""Socket.IO listeners in separate processes, recording when each live event arrives.

Each listener is one python-socketio client subscribed to one room, recording one event
name: `post.created` (keyed by post id, stamped with the post's created_at) or
`thread.updated` (keyed by thread id, stamped with its last_activity_at). Clients are
spread round robin over the servers and over `processes` OS processes, so receiving
does not share a GIL with the load generator or the servers.
"""

import asyncio
import multiprocessing as mp
import queue
import time
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Received:
    event: str
    room: str
    key: int            # post id (post.created) or thread id (thread.updated)
    stamp: float        # the payload's created_at / last_activity_at, as a Unix time
    text: str           # the start of the post's body ("" for thread.updated)
    at: float           # time.time() on receipt


def _record(event: str, room: str, data: dict) -> Received:
    if event == "post.created":
        post = data["post"]
        return Received(event, room, post["id"], _unix(post["created_at"]),
                        (post["body"] or "")[:40], time.time())
    thread = data["thread"]
    return Received(event, room, thread["id"], _unix(thread["last_activity_at"]), "", time.time())


def _unix(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _listen(urls, subscriptions, ready, results, stop):
    """One process: a client per (room, event) in `subscriptions`, on `urls` round robin."""
    import socketio

    async def main():
        received: list[Received] = []
        lost = [0]

        async def one(i, room, event):
            client = socketio.AsyncClient(reconnection=False)

            @client.on(event)
            async def on_event(data):
                received.append(_record(event, room, data))

            @client.on("disconnect")
            async def on_disconnect(*_):
                if not stop.is_set():
                    lost[0] += 1

            await client.connect(urls[i % len(urls)], transports=["websocket"], wait_timeout=30)
            answer = await client.call("subscribe", {"room": room}, timeout=30)
            if not answer.get("ok"):
                raise RuntimeError(f"subscribe {room} refused: {answer}")
            return client

        clients = await asyncio.gather(*(one(i, room, event)
                                         for i, (room, event) in enumerate(subscriptions)))
        ready.put(len(clients))
        while not stop.is_set():
            await asyncio.sleep(0.2)
        results.put((received, lost[0]))
        await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)

    asyncio.run(main())


class Listeners:
    """`subscriptions` (one (room, event) per client) split over `processes` processes."""

    def __init__(self, urls: list[str], subscriptions: list[tuple[str, str]],
                 processes: int = 4) -> None:
        ctx = mp.get_context("spawn")
        self._ready, self._results, self._stop = ctx.Queue(), ctx.Queue(), ctx.Event()
        # Each process starts its round robin at a different server, so all share the work.
        shares = [subscriptions[p::processes] for p in range(processes)]
        self._procs = [ctx.Process(target=_listen, daemon=True,
                                   args=(urls[p % len(urls):] + urls[:p % len(urls)], share,
                                         self._ready, self._results, self._stop))
                       for p, share in enumerate(shares) if share]
        self.count = 0
        self.pids: list[int] = []

    def start(self, timeout: float = 120) -> float:
        """Connect and subscribe every client; the seconds it took."""
        started = time.monotonic()
        for p in self._procs:
            p.start()
        self.pids = [p.pid for p in self._procs]
        ready = 0
        while ready < len(self._procs):
            try:
                self.count += self._ready.get(timeout=1)
                ready += 1
            except queue.Empty:
                failed = [p.exitcode for p in self._procs if p.exitcode]
                if failed or time.monotonic() - started > timeout:
                    raise RuntimeError(f"listeners did not connect (exit codes {failed})") from None
        return time.monotonic() - started

    def stop(self, drain: float = 1.0, timeout: float = 60) -> tuple[list[Received], int]:
        """Wait `drain` seconds for late events, disconnect; (everything received, clients lost)."""
        time.sleep(drain)
        self._stop.set()
        received, lost = [], 0
        try:
            for _ in self._procs:
                r, n = self._results.get(timeout=timeout)
                received += r
                lost += n
        finally:
            self.kill()
        return received, lost

    def kill(self) -> None:
        self._stop.set()
        for p in self._procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
                p.join()
