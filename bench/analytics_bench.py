"""The insights dashboard at scale: how long each figure takes with 1M posts and 5M votes.

    .venv/bin/python bench/analytics_bench.py                       # a SQLite file in a temp dir
    .venv/bin/python bench/analytics_bench.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test   # a fresh database
    .venv/bin/python bench/analytics_bench.py --url sqlite:////tmp/a.db  # reuse a --keep one

The forums, threads and posts come from bench/generate.py (100k threads / 1M posts over
two years by default); this script adds what the dashboard reads on top, with bulk inserts:
thread and post votes (5M in all), solved questions with accepted solutions, CSAT
ratings, NPS answers, idea statuses, the points ledger (one entry per published post),
badge awards and member_activity (as migration 0006 backfills it). Then every section of
the dashboard (queries/analytics.py) is timed for several ranges, in-process, and the whole
page and the API summary through Flask's test client as a staff member: the median of
--runs runs after one warm-up, and the SQL statements each made.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from array import array
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import generate  # noqa: E402

DAY = 86_400
BATCH = 10_000
STAFF_IDS = range(2, 7)  # generate.py makes member 1 the admin; these become staff


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _stamp(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


# --- the data the dashboard reads ---------------------------------------------------------------

def add_engagement(url: str, *, votes: int, nps: int, awards: int, seed: int = 2) -> dict:
    """Bulk-insert votes, support outcomes, surveys, idea statuses, points and activity."""
    from community.models import (Badge, BadgeAward, CsatRating, NpsResponse, Post, PostVote,
                                  StatusChange, Thread, ThreadVote, User)

    rng = random.Random(seed)
    engine = generate._loader_engine(url)
    now = time.time()
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        users = conn.scalar(select(func.count()).select_from(User))
        kinds = dict(conn.execute(text("SELECT id, kind FROM forum")).all())
        threads = [(tid, _epoch(created), forum_id, author) for tid, created, forum_id, author in
                   conn.execute(select(Thread.id, Thread.created_at, Thread.forum_id,
                                       Thread.author_id))]
    post_ids, post_times = array("q"), array("d")
    with engine.connect() as conn:
        for pid, created in conn.execution_options(yield_per=50_000).execute(
                select(Post.id, Post.created_at).where(Post.state == "published")):
            post_ids.append(pid)
            post_times.append(_epoch(created))
    log(f"read {len(threads):,} threads and {len(post_ids):,} published posts")

    voter_weights = list(_accumulate(1 / (i + 1) ** 0.8 for i in range(users)))

    def voters(k: int, author: int):
        """k distinct members other than the author: a run of ids from a Zipf-chosen start."""
        start = rng.choices(range(users), cum_weights=voter_weights)[0]
        chosen = step = 0
        while chosen < k and step < users:
            uid = (start + step) % users + 1
            step += 1
            if uid != author:
                chosen += 1
                yield uid

    def delay(created: float, mean_days: float) -> datetime:
        return _stamp(min(created + rng.expovariate(1 / (mean_days * DAY)), now - 1))

    thread_votes = votes * 3 // 5
    weights = [rng.lognormvariate(0, 1.2) * (6 if kinds[f] == "ideas" else 1)
               for _, _, f, _ in threads]
    per_thread = Counter(rng.choices(range(len(threads)), weights=weights, k=thread_votes))
    with engine.begin() as conn:
        counts["thread_vote"] = _write(conn, ThreadVote.__table__, (
            {"user_id": uid, "thread_id": threads[i][0], "created_at": delay(threads[i][1], 20)}
            for i, k in per_thread.items()
            for uid in voters(min(k, users - 1), threads[i][3])))
    log(f"thread votes: {counts['thread_vote']:,}")

    post_weights = list(_accumulate(rng.lognormvariate(0, 1.5) for _ in post_ids))
    per_post = Counter(rng.choices(range(len(post_ids)), cum_weights=post_weights,
                                   k=votes - counts["thread_vote"]))
    del post_weights
    authors = {}
    with engine.connect() as conn:
        for pid, author in conn.execution_options(yield_per=50_000).execute(
                text("SELECT id, author_id FROM post WHERE state = 'published'")):
            authors[pid] = author
    with engine.begin() as conn:
        counts["post_vote"] = _write(conn, PostVote.__table__, (
            {"user_id": uid, "post_id": post_ids[i], "created_at": delay(post_times[i], 3)}
            for i, k in per_post.items()
            for uid in voters(min(k, users - 1), authors[post_ids[i]])))
    del authors
    log(f"post votes: {counts['post_vote']:,}")

    true = "TRUE"
    with engine.begin() as conn:
        conn.execute(text('UPDATE thread SET score = (SELECT count(*) FROM thread_vote v '
                          'WHERE v.thread_id = thread.id)'))
        conn.execute(text('UPDATE post SET score = (SELECT count(*) FROM post_vote v '
                          'WHERE v.post_id = post.id)'))
        staff = ", ".join(str(i) for i in STAFF_IDS)
        conn.execute(text(f"UPDATE \"user\" SET role = 'staff' WHERE id IN ({staff})"))
        conn.execute(text(f"UPDATE post SET official = {true} WHERE author_id IN (1, {staff})"))
        # Three questions in five with replies get an accepted solution: their last reply
        # by someone other than the asker.
        conn.execute(text(
            f"UPDATE post SET is_solution = {true} WHERE id IN ("
            "SELECT max(p.id) FROM post p JOIN thread t ON t.id = p.thread_id "
            "JOIN forum f ON f.id = t.forum_id WHERE f.kind = 'support' AND p.number > 1 "
            "AND p.state = 'published' AND p.author_id <> t.author_id AND t.id % 5 < 3 "
            "GROUP BY p.thread_id)"))
        conn.execute(text(f"UPDATE thread SET solved = {true} WHERE id IN "
                          f"(SELECT thread_id FROM post WHERE is_solution = {true})"))
        solved = conn.execute(text(f"SELECT id, author_id FROM thread WHERE solved = {true}")).all()
    created = {tid: c for tid, c, _, _ in threads}

    def csat_row(thread_id: int, author: int) -> dict:
        at = delay(created[thread_id], 2)
        return {"thread_id": thread_id, "user_id": author,
                "score": rng.choices((1, 2, 3, 4, 5), weights=(5, 5, 10, 30, 50))[0],
                "comment": rng.choice(("", "", "", "Quick and clear, thanks!", "Took a while.")),
                "created_at": at, "updated_at": at}

    with engine.begin() as conn:
        counts["csat_rating"] = _write(conn, CsatRating.__table__, (
            csat_row(tid, author) for tid, author in solved if rng.random() < 0.7))
        counts["nps_response"] = _write(conn, NpsResponse.__table__, (
            {"user_id": rng.randint(1, users),
             "score": rng.choices(range(11), weights=(2, 1, 1, 2, 2, 4, 6, 10, 20, 25, 27))[0],
             "comment": rng.choice(("", "", "Love the gear.", "Support could be faster.")),
             "created_at": _stamp(rng.uniform(now - generate.HISTORY_DAYS * DAY, now - 1))}
            for _ in range(nps)))
    log(f"solved questions: {len(solved):,}; CSAT ratings: {counts['csat_rating']:,}; "
        f"NPS answers: {counts['nps_response']:,}")

    statuses = ("under_review", "planned", "in_progress", "shipped", "declined")
    ideas = [(tid, c) for tid, c, f, _ in threads if kinds[f] == "ideas"]
    changes, new_status = [], {}
    for tid, c in ideas:
        status = rng.choices(("open", *statuses), weights=(50, 15, 10, 8, 10, 7))[0]
        if status != "open":
            changes.append({"thread_id": tid, "actor_id": STAFF_IDS[0], "from_status": "open",
                            "to_status": status, "post_id": None, "created_at": delay(c, 60)})
            new_status[tid] = status
    with engine.begin() as conn:
        counts["status_change"] = _write(conn, StatusChange.__table__, changes)
        for status in statuses:
            ids = [tid for tid, s in new_status.items() if s == status]
            for first in range(0, len(ids), 500):
                conn.execute(text(f"UPDATE thread SET status = '{status}' WHERE id IN "
                                  f"({', '.join(map(str, ids[first:first + 500]))})"))
        # The ledger: 5 points per published post, where and when it was written.
        counts["point_entry"] = conn.execute(text(
            "INSERT INTO point_entry (user_id, action, points, subject_key, forum_id, thread_id, "
            "post_id, reversal, created_at) SELECT p.author_id, 'reply', 5, 'post:' || p.id, "
            "t.forum_id, p.thread_id, p.id, FALSE, p.created_at FROM post p "
            "JOIN thread t ON t.id = p.thread_id WHERE p.state = 'published'")).rowcount
        badge_ids = []
        for i in range(20):
            badge_ids.append(conn.execute(insert(Badge.__table__).values(
                slug=f"bench-{i}", name=f"Bench badge {i}", description="", icon="★",
                tier="bronze", repeatable=True, builtin=False,
                created_at=_stamp(now - generate.HISTORY_DAYS * DAY))).inserted_primary_key[0])
        counts["badge_award"] = _write(conn, BadgeAward.__table__, (
            {"badge_id": rng.choice(badge_ids), "user_id": rng.randint(1, users),
             "occasion": str(i), "reason": "", "awarded_by_id": None, "revoked_at": None,
             "created_at": _stamp(rng.uniform(now - generate.HISTORY_DAYS * DAY, now - 1))}
            for i in range(awards)))
        day = "CAST((created_at AT TIME ZONE 'UTC') AS DATE)" if generate.is_postgresql(url) \
            else "date(created_at)"
        counts["member_activity"] = conn.execute(text(
            f"INSERT INTO member_activity (user_id, day) "
            f"SELECT author_id, {day} FROM post WHERE state <> 'pending' "
            f"UNION SELECT user_id, {day} FROM thread_vote "
            f"UNION SELECT user_id, {day} FROM post_vote")).rowcount
    log(f"status changes {counts['status_change']:,}; point entries {counts['point_entry']:,}; "
        f"badge awards {counts['badge_award']:,}; member_activity {counts['member_activity']:,}")
    generate.finish(engine, url, analyze=generate.is_postgresql(url))
    engine.dispose()
    return counts


def table_sizes(url: str) -> dict[str, int]:
    """Rows in the tables the dashboard reads."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        sizes = {name: conn.scalar(text(f'SELECT count(*) FROM "{name}"')) for name in (
            "user", "thread", "post", "thread_vote", "post_vote", "member_activity",
            "point_entry", "csat_rating", "nps_response", "badge_award")}
    engine.dispose()
    return sizes


def _accumulate(values):
    total = 0.0
    for v in values:
        total += v
        yield total


def _write(conn, table, rows) -> int:
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            conn.execute(insert(table), batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(insert(table), batch)
        count += len(batch)
    return count


# --- timing ------------------------------------------------------------------------------------

class SqlCounter:
    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, *args):
        if not statement.startswith("BEGIN"):
            self.count += 1


def measure(url: str, runs: int, instance: str) -> list[dict]:
    """Time each dashboard section, the page and the API for several ranges."""
    from community import create_app
    from community.extensions import db
    from community.models import Forum, User
    from community.queries import analytics as qa

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024},
                     instance_path=instance)
    results = []
    with app.app_context():
        counter = SqlCounter(db.engine)
        big = db.session.scalar(select(Forum).order_by(Forum.thread_count.desc()).limit(1))
        staff_id = db.session.scalar(select(User.id).where(User.role == "staff").limit(1))
        today = datetime.now(UTC).date()
        scenarios = [
            ("30 days", today - timedelta(days=29), today, "UTC", None),
            ("30 days, one forum", today - timedelta(days=29), today, "UTC", big.slug),
            ("30 days, New York", today - timedelta(days=29), today, "America/New_York", None),
            ("90 days", today - timedelta(days=89), today, "UTC", None),
            ("366 days", today - timedelta(days=365), today, "UTC", None),
        ]
        sections = {
            "participation": qa.participation, "support": qa.support_health,
            "satisfaction": qa.satisfaction, "ideas": qa.ideas, "advocates": qa.advocates,
        }
        from community.auth import SESSION_KEY
        from community.services import sessions

        client = app.test_client()
        key = sessions.start(db.session.get(User, staff_id), "bench")
        with client.session_transaction() as session:
            session["_user_id"] = str(staff_id)
            session["_fresh"] = True
            session[SESSION_KEY] = key
        for label, first, last, tz, forum_slug in scenarios:
            forum = db.session.scalar(select(Forum).where(Forum.slug == forum_slug)) \
                if forum_slug else None
            rng = qa.parse_range(first.isoformat(), last.isoformat(), tz, forum=forum)
            row = {"range": label}
            for name, fn in sections.items():
                row[name] = _time(lambda: fn(rng), runs, counter)
            query = f"from={first}&to={last}&tz={tz}"
            if forum_slug:
                query += f"&forum={forum_slug}"
            row["page"] = _time(lambda: _ok(client.get(f"/insights?{query}")), runs, counter)
            row["api"] = _time(lambda: _ok(client.get(f"/api/v1/analytics/summary?{query}")),
                               runs, counter)
            results.append(row)
            log(f"{label}: " + ", ".join(f"{k} {v[0]:.0f} ms" for k, v in row.items()
                                         if k != "range"))
            db.session.remove()
    db.engine.dispose()
    return results


def _ok(response):
    if response.status_code != 200:
        raise SystemExit(f"HTTP {response.status_code}: {response.get_data(as_text=True)[:500]}")


def _time(fn, runs: int, counter: SqlCounter) -> tuple[float, int]:
    """Median milliseconds over `runs` calls after a warm-up, and the statements per call."""
    fn()
    times = []
    for _ in range(runs):
        counter.count = 0
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), counter.count


def report(results: list[dict], database: str, sizes: dict) -> None:
    print()
    print(f"Insights dashboard on {database}: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    columns = ["participation", "support", "satisfaction", "ideas", "advocates", "page", "api"]
    head = f"{'range':<20}" + "".join(f"{c:>15}" for c in columns)
    print("median ms (SQL statements)")
    print(head)
    print("-" * len(head))
    for row in results:
        print(f"{row['range']:<20}" + "".join(
            f"{row[c][0]:>9.0f} ({row[c][1]:>2})" for c in columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="sqlite",
                        help="'sqlite' (a file in --workdir) or a PostgreSQL server URL whose "
                             "database is used only to CREATE/DROP the benchmark database")
    parser.add_argument("--url", help="reuse a database this script filled (with --keep)")
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--votes", type=int, default=5_000_000)
    parser.add_argument("--nps", type=int, default=20_000)
    parser.add_argument("--awards", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", help="where the SQLite file goes (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    args = parser.parse_args()

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="community-analytics-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    url, created = args.url, False
    try:
        if not url:
            if generate.is_postgresql(args.database_url):
                url = generate.create_database(args.database_url)
            else:
                path = workdir / "analytics.db"
                if path.exists():
                    raise SystemExit(f"{path} exists: pass it as --url, or remove it")
                url = f"sqlite:///{path}"
            created = True
            log(f"generating {args.threads:,} threads / {args.posts:,} posts into {url}")
            summary = generate.generate(url, threads=args.threads, posts=args.posts,
                                        users=args.users, huge=min(5000, args.posts // 10),
                                        log=log)
            log(f"generated in {summary.total_seconds:.0f}s")
            started = time.perf_counter()
            add_engagement(url, votes=args.votes, nps=args.nps, awards=args.awards)
            log(f"engagement added in {time.perf_counter() - started:.0f}s")
        sizes = table_sizes(url)
        results = measure(url, args.runs, str(workdir / "instance"))
        database = "PostgreSQL" if generate.is_postgresql(url) else "SQLite"
        report(results, database, sizes)
    finally:
        if created and not args.keep:
            if generate.is_postgresql(url):
                generate.drop_database(args.database_url, url)
            else:
                path = make_url(url).database
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(path + suffix):
                        os.remove(path + suffix)
            log(f"dropped {url}")
        elif created:
            log(f"kept {url}")


if __name__ == "__main__":
    main()
