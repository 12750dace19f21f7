"""Voting, the hottest write: votes/s with 20 concurrent clients against a real server.

    .venv/bin/python bench/votes_bench.py                       # SQLite
    .venv/bin/python bench/votes_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Each client holds its own API token and toggles its votes on random ideas (PUT …/vote with
1 or 0) for a fixed time; every request is a real write (insert or delete the vote, update
the score and the trending rank, write the points ledger and totals). Bounded in time.
"""

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import start_servers  # noqa: E402

PASSWORD = "a long bench passphrase"


def prepare(url: str, instance: Path, clients: int, ideas: int) -> tuple[list[str], list[int]]:
    from community import create_app
    from community.cli import upgrade_database
    from community.extensions import db
    from community.models import Role
    from community.services import accounts, forums

    app = create_app({"DATABASE_URL": url, "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024},
                     instance_path=str(instance))
    upgrade_database(app)
    with app.app_context():
        admin = accounts.register_user("bench_admin", "admin@example.com", PASSWORD, role=Role.ADMIN)
        # Ideas by many authors, so points land on many members as in real use.
        authors = [accounts.register_user(f"author{i}", f"author{i}@example.com", PASSWORD)
                   for i in range(50)]
        forum = forums.create_forum(admin, "ideas", "Ideas", kind="ideas")
        idea_ids = [forums.start_thread(authors[i % 50], forum, f"Idea number {i}", "Vote").id
                    for i in range(ideas)]
        tokens = []
        for i in range(clients):
            voter = accounts.register_user(f"voter{i}", f"voter{i}@example.com", PASSWORD)
            tokens.append(accounts.issue_token(voter, "bench")[1])
        db.session.remove()
    db.engine.dispose()
    return tokens, idea_ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="sqlite")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--ideas", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="community-votes-"))
    made = None
    if args.database_url == "sqlite":
        url = f"sqlite:///{instance / 'votes.db'}"
    else:
        made = f"community_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{made}"'))
        admin.dispose()
        url = make_url(args.database_url).set(database=made).render_as_string(hide_password=False)
    try:
        tokens, ideas = prepare(url, instance, args.clients, args.ideas)
        [server] = start_servers(1, {"DATABASE_URL": url, "SECRET_KEY": "bench",
                                     "COMMUNITY_RATELIMIT_ENABLED": "false",
                                     "COMMUNITY_POINTS_MIN_VOTER_AGE_HOURS": "0"}, instance)
        latencies, errors = [], []
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds

        def client(token: str, seed: int) -> None:
            rng, session = random.Random(seed), requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            mine: dict[int, int] = {}
            while time.monotonic() < deadline:
                idea = rng.choice(ideas)
                value = 1 - mine.get(idea, 0)
                started = time.perf_counter()
                response = session.put(f"{server.url}/api/v1/threads/{idea}/vote",
                                       json={"value": value}, timeout=30)
                elapsed = time.perf_counter() - started
                with lock:
                    (latencies if response.status_code == 200 else errors).append(elapsed)
                if response.status_code == 200:
                    mine[idea] = value

        try:
            threads = [threading.Thread(target=client, args=(t, i)) for i, t in enumerate(tokens)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            server.stop()
        latencies.sort()
        print(f"database: {url.split(':')[0]}; {args.clients} clients for {args.seconds:.0f}s")
        print(f"votes/s: {len(latencies) / args.seconds:.1f}; errors: {len(errors)}")
        print(f"latency ms: p50 {statistics.median(latencies) * 1000:.1f}  "
              f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f}")
    finally:
        if made:
            admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{made}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
