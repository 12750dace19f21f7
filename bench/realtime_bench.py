"""Live delivery with 500 listening clients: latency from commit to receipt, and posts/s.

    .venv/bin/python bench/realtime_bench.py                # embedded: one process, SQLite
    .venv/bin/python bench/realtime_bench.py --redis        # two processes, Redis queue
    .venv/bin/python bench/realtime_bench.py --redis --database-url postgresql+psycopg://...

Clients run in separate processes (asyncio python-socketio clients), split evenly over the
servers. Every phase is bounded in time.
"""

import argparse
import itertools
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from listeners import Listeners  # noqa: E402
from stats import percentile  # noqa: E402
from tests.servers import start_servers  # noqa: E402

PASSWORD = "a long bench passphrase"


def prepare(database_url: str, instance: Path) -> tuple[int, str]:
    """Migrate, and create a member, a forum, a thread and an API token."""
    from community import create_app
    from community.cli import upgrade_database
    from community.extensions import db
    from community.models import Role
    from community.services import accounts, forums, moderation

    app = create_app({"DATABASE_URL": database_url, "PASSWORD_TIME_COST": 1,
                      "PASSWORD_MEMORY_COST": 1024}, instance_path=str(instance))
    upgrade_database(app)
    with app.app_context():
        suffix = uuid.uuid4().hex[:8]
        admin = accounts.register_user(f"bench_admin_{suffix}", f"a{suffix}@example.com",
                                       PASSWORD, role=Role.ADMIN)
        poster = accounts.register_user(f"bench_{suffix}", f"b{suffix}@example.com", PASSWORD)
        # A regular, not a newcomer: auto-moderation would hold a new member's posts.
        moderation.set_trust_level(admin, poster, 2)
        forum = forums.create_forum(admin, f"bench-{suffix}", "Bench")
        thread = forums.start_thread(poster, forum, "Benchmark thread", "Start")
        _, token = accounts.issue_token(poster, "bench")
        thread_id = thread.id
        db.session.remove()
    db.engine.dispose()
    return thread_id, token


def post(url, thread_id, token, text):
    return requests.post(f"{url}/api/v1/threads/{thread_id}/posts", json={"body": text},
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--posts", type=int, default=40, help="posts for the latency phase")
    parser.add_argument("--throughput-seconds", type=float, default=10)
    parser.add_argument("--redis", action="store_true", help="two processes sharing Redis")
    parser.add_argument("--database-url")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="community-bench-"))
    database_url = args.database_url or f"sqlite:///{instance / 'bench.db'}"
    thread_id, token = prepare(database_url, instance)
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "bench-secret",
           "COMMUNITY_RATELIMIT_ENABLED": "false"}
    if args.redis:
        env |= {"REDIS_URL": "redis://127.0.0.1:6379/0",
                "COMMUNITY_SOCKETIO_CHANNEL": f"bench-{uuid.uuid4().hex}"}
    servers = start_servers(2 if args.redis else 1, env, instance)
    urls = [s.url for s in servers]
    listeners = Listeners(urls, [(f"thread:{thread_id}", "post.created")] * args.clients,
                          args.client_processes)
    try:
        took = listeners.start()
        print(f"mode: {'2 processes + Redis' if args.redis else 'embedded, 1 process'}; "
              f"database: {database_url.split(':')[0]}; {listeners.count} clients connected in "
              f"{took:.1f}s")

        # Warm up every server's database pool, dispatcher thread and queue connection.
        for url in urls:
            post(url, thread_id, token, f"warm-up of {url}")
        time.sleep(1)

        # Latency: one post at a time, spaced so deliveries do not overlap.
        for i in range(args.posts):
            post(urls[i % len(urls)], thread_id, token, f"latency probe {i}")
            time.sleep(0.25)

        # Throughput: as many posts as 4 concurrent posters manage in the time given.
        done, deadline = [0], time.monotonic() + args.throughput_seconds

        def poster(n):
            # Distinct bodies: the duplicate rule would hold a repeated one for review.
            for i in itertools.count():
                if time.monotonic() >= deadline:
                    return
                if post(urls[n % len(urls)], thread_id, token,
                        f"throughput {n}.{i}").status_code == 201:
                    done[0] += 1

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(poster, range(4)))
        posts_per_second = done[0] / args.throughput_seconds
        received, _ = listeners.stop()
        expected = listeners.count * (len(urls) + args.posts + done[0])
        print(f"deliveries: {len(received)} of {expected} expected")
        kinds = {"probe": [], "load": []}
        for r in received:
            kind = "probe" if r.text.startswith("latency") else "warm" if r.text.startswith("warm-up") else "load"
            kinds.get(kind, []).append(r.at - r.stamp)
        for kind, label in (("probe", "one post at a time"), ("load", "under sustained posting")):
            values = kinds[kind]
            if values:
                print(f"delivery latency, {label}, ms: p50 {percentile(values, 50) * 1000:.0f}  "
                      f"p99 {percentile(values, 99) * 1000:.0f}  max {max(values) * 1000:.0f}")
        print(f"sustained posts/s with {listeners.count} listeners: {posts_per_second:.1f}")
    finally:
        listeners.kill()
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()
