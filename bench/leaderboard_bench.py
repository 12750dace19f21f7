"""Leaderboards at 10k and at 5M ledger entries, and what scoring adds to a write.

    .venv/bin/python bench/leaderboard_bench.py                      # SQLite files in /tmp
    .venv/bin/python bench/leaderboard_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

For PostgreSQL a database of the bench's own is created next to the one in the URL and
dropped at the end. The ledger and its period totals are bulk-written the way the
services would have written them (recognition.period_starts).
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from community import create_app  # noqa: E402
from community.cli import upgrade_database  # noqa: E402
from community.extensions import db  # noqa: E402
from community.models import PointEntry, PointTotal, Role, User, utcnow  # noqa: E402
from community.recognition import period_starts  # noqa: E402

ACTIONS = ["reply_posted", "upvote_received", "idea_vote_received", "solution_accepted",
           "thread_started", "daily_visit"]
POINTS = {"reply_posted": 1, "upvote_received": 1, "idea_vote_received": 1,
          "solution_accepted": 15, "thread_started": 2, "daily_visit": 1}


def generate(url: str, members: int, entries: int, instance: Path) -> None:
    app = create_app({"DATABASE_URL": url, "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024},
                     instance_path=str(instance))
    upgrade_database(app)
    rng = random.Random(42)
    now = utcnow()
    with app.app_context():
        conn = db.session.connection()
        conn.execute(insert(User), [
            {"id": i, "username": f"member{i}", "email": f"m{i}@example.com", "password_hash": "x",
             "display_name": "", "bio": "", "role": Role.MEMBER.value, "trust_level": 1,
             "created_at": now - timedelta(days=400)} for i in range(1, members + 1)])
        totals: dict[tuple, int] = {}
        user_points: dict[int, int] = {}
        batch = []
        # Activity is skewed: a few advocates earn most points, as in real communities.
        weights = [1 / (i ** 0.9) for i in range(1, members + 1)]
        users = rng.choices(range(1, members + 1), weights=weights, k=entries)
        for n, user_id in enumerate(users):
            action = rng.choice(ACTIONS)
            points = POINTS[action]
            created = now - timedelta(seconds=rng.randrange(0, 365 * 86400))
            forum_id = None
            batch.append({"user_id": user_id, "action": action, "points": points,
                          "subject_key": f"bench:{n}", "forum_id": forum_id, "reversal": False,
                          "created_at": created})
            user_points[user_id] = user_points.get(user_id, 0) + points
            for period, start in period_starts(created.date()).items():
                key = (user_id, period, start, 0)
                totals[key] = totals.get(key, 0) + points
            if len(batch) == 50_000:
                conn.execute(insert(PointEntry), batch)
                batch = []
        if batch:
            conn.execute(insert(PointEntry), batch)
        rows = [{"user_id": u, "period": p, "period_start": s, "forum_id": f, "points": pts}
                for (u, p, s, f), pts in totals.items()]
        for i in range(0, len(rows), 50_000):
            conn.execute(insert(PointTotal), rows[i:i + 50_000])
        conn.execute(text('UPDATE "user" SET points = 0'))
        db.session.commit()
        if url.startswith("postgresql"):
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.session.remove()
    db.engine.dispose()


def measure(url: str, instance: Path, runs: int) -> dict[str, tuple[float, float, int]]:
    """p50 and p99 in ms, and statements per call, for each period's top 20."""
    from sqlalchemy import event

    from community.queries.advocacy import leaderboard

    app = create_app({"DATABASE_URL": url}, instance_path=str(instance))
    today = utcnow().date()
    cases = {"week": {}, "month": {}, "all": {},
             "custom 30 days": {"start": (today - timedelta(days=29)).isoformat(),
                                "end": today.isoformat()}}
    results = {}
    with app.app_context():
        for label, extra in cases.items():
            period = "custom" if label.startswith("custom") else label
            statements = []
            listener = lambda *a: statements.append(1)  # noqa: E731
            leaderboard(period, limit=20, **extra)
            event.listen(db.engine, "before_cursor_execute", listener)
            leaderboard(period, limit=20, **extra)
            event.remove(db.engine, "before_cursor_execute", listener)
            timings = []
            for _ in range(runs):
                started = time.perf_counter()
                leaderboard(period, limit=20, **extra)
                timings.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            timings.sort()
            results[label] = (statistics.median(timings),
                              timings[min(len(timings) - 1, int(len(timings) * 0.99))],
                              len(statements))
        db.session.remove()
    db.engine.dispose()
    return results


def scoring_cost(url: str, instance: Path, runs: int) -> tuple[float, float]:
    """A vote's median ms with points and badges, and with the advocacy reactions removed."""
    from community import domain_events, events
    from community.services import accounts, advocacy, feedback, forums

    app = create_app({"DATABASE_URL": url, "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024,
                      "POINTS_MIN_VOTER_AGE_HOURS": 0}, instance_path=str(instance))
    with app.app_context():
        suffix = uuid.uuid4().hex[:6]
        admin = accounts.register_user(f"admin{suffix}", f"a{suffix}@example.com",
                                       "a long bench passphrase", role=Role.ADMIN)
        forum = forums.create_forum(admin, f"ideas-{suffix}", "Ideas", kind="ideas")
        idea = forums.start_thread(admin, forum, "An idea to vote on", "Vote for it")
        voters = [accounts.register_user(f"v{suffix}{i}", f"v{suffix}{i}@example.com",
                                         "a long bench passphrase") for i in range(runs * 2)]

        def timed(voters):
            out = []
            for voter in voters:
                started = time.perf_counter()
                feedback.vote_thread(voter, idea, 1)
                out.append((time.perf_counter() - started) * 1000)
            return statistics.median(out)

        with_points = timed(voters[:runs])
        kind = domain_events.ThreadVoted
        domain_events.install(events.REACTIONS | {kind: tuple(
            r for r in events.REACTIONS[kind] if r.__module__ != advocacy.__name__)})
        try:
            without = timed(voters[runs:])
        finally:
            domain_events.install(events.REACTIONS)
        db.session.remove()
    db.engine.dispose()
    return with_points, without


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="sqlite")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=5_000_000)
    parser.add_argument("--small-entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="community-board-"))
    made = []

    def database(name: str) -> str:
        if args.database_url == "sqlite":
            return f"sqlite:///{workdir / name}.db"
        db_name = f"community_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        admin.dispose()
        made.append(db_name)
        return make_url(args.database_url).set(database=db_name).render_as_string(hide_password=False)

    try:
        sizes = {"small": (min(args.members, 2_000), args.small_entries),
                 "large": (args.members, args.entries)}
        figures = {}
        for label, (members, entries) in sizes.items():
            url = database(label)
            started = time.monotonic()
            generate(url, members, entries, workdir)
            print(f"{label}: {members:,} members, {entries:,} ledger entries generated in "
                  f"{time.monotonic() - started:.0f}s", flush=True)
            figures[label] = measure(url, workdir, args.runs)
            if label == "large":
                with_points, without = scoring_cost(url, workdir, 30)
        print(f"\n{'leaderboard (top 20)':22} {'10k p50':>8} {'10k p99':>8} {'5M p50':>8} "
              f"{'5M p99':>8} {'ratio':>6} {'queries':>8}")
        for case in figures["small"]:
            s50, s99, sq = figures["small"][case]
            l50, l99, lq = figures["large"][case]
            print(f"{case:22} {s50:8.2f} {s99:8.2f} {l50:8.2f} {l99:8.2f} {l50 / s50:6.2f} "
                  f"{sq:>3} / {lq:<3}")
        print(f"\na vote with points and badges: {with_points:.2f} ms median; "
              f"without the advocacy receivers: {without:.2f} ms "
              f"(scoring adds {with_points - without:.2f} ms)")
    finally:
        if made:
            admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                for name in made:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
