"""Bulk benchmark data: members, forums, tags, threads and posts, with consistent counters.

    .venv/bin/python bench/generate.py --database-url sqlite:////tmp/bench/large.db \\
        --threads 100000 --posts 1000000
    .venv/bin/python bench/generate.py --threads 100 --posts 1000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --keep

The schema comes from the migrations (upgrade_database); rows are written with Core
executemany in large batches, a few transactions in all, far faster than the services.
Counters are computed here the way the services keep them: forum.thread_count, post_count
(published posts) and last_activity_at; thread.reply_count (published replies),
last_post_number, last_activity_at and hot (services.ranking.hot).

Shape: one big forum holding ~80% of the threads (its listing is the stressed page), one
private forum, one huge thread (--huge posts) for deep thread pages, ~0.5% of replies
deleted, and text drawn from a Zipf-like vocabulary (a few hundred characters per post)
so the search index does real work. A common word (COMMON_WORD, in roughly a fifth of
the posts) and a rare one (RARE_WORD, in exactly RARE_POSTS posts at any size) are there
for search benchmarks.

With a PostgreSQL URL the given database is only used to CREATE a fresh
community_bench_<random> database, which is dropped at the end unless --keep.
"""

import argparse
import html
import itertools
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from anywhere

from sqlalchemy import (column, create_engine, event, func, insert, inspect, select,  # noqa: E402
                        table)
from sqlalchemy.engine import Engine, make_url  # noqa: E402

COMMON_WORD = "battery"
RARE_WORD = "thermocouple"
RARE_POSTS = 10
BIG_FORUM = "general"
DAY = 86_400
HISTORY_DAYS = 730
BATCH = 10_000

FORUMS = [
    # slug, name, kind, private
    (BIG_FORUM, "General discussion", "discussion", False),
    ("help", "Help and support", "support", False),
    ("ideas", "Ideas", "ideas", False),
    ("announcements", "Announcements", "discussion", False),
    ("setup", "Setup and installation", "support", False),
    ("apps", "Mobile apps", "support", False),
    ("showcase", "Show and tell", "discussion", False),
    ("developers", "Developers and API", "discussion", False),
    ("feedback", "Site feedback", "ideas", False),
    ("staff", "Staff lounge", "discussion", True),
]
TAGS = ["wifi", "bluetooth", "firmware", "battery-life", "app", "setup", "billing", "shipping",
        "accessories", "warranty", "audio", "display", "sensors", "integrations", "api",
        "security", "performance", "outdoor", "kids", "beta"]

# Product-support words, most frequent first (their weights fall off as 1/rank).
HEAD = """
device app update firmware connection problem router phone setup settings work working
issue reset light button screen network account help support light time day week new
power speaker camera sensor hub wifi bluetooth signal range model version release
battery charge charging cable adapter port plug socket volume sound audio music video
display brightness colour mode schedule timer alarm notification alert message email
password login sync cloud backup storage memory card data file photo picture recording
install installed mount wall ceiling bracket screw drill box manual guide instructions
store order delivery shipping refund warranty replacement return price subscription plan
feature request idea suggestion vote roadmap beta test testing tester feedback report bug
crash freeze slow fast quick stable unstable random error code message log logs debug
kitchen bedroom garage garden office basement attic floor room house home apartment
morning evening night weekend hour minute second yesterday today tomorrow month year
android iphone tablet laptop desktop browser windows mac linux chrome firefox safari
thanks thank great good bad better worse best worst awesome terrible annoying happy
tried try trying restart restarted reboot rebooted unplug unplugged reconnect reconnected
paired pairing unpair range extender mesh node channel band frequency interference
temperature humidity motion door window lock unlock smoke leak water outdoor indoor
voice assistant automation routine scene trigger action rule integration api token
official answer solution solved accepted question answer same similar exactly still
""".split()
STOP = """
the the the a a an and and and to to to of of in in is is it it i i my my we you that
this for for on on with was was but have has not be are at so just can when if after
""".split()
SYLLABLES = ("ba be bi bo bu da de di do du fa fe fi fo ka ke ki ko la le li lo lu ma me "
             "mi mo mu na ne ni no nu pa pe pi po ra re ri ro ru sa se si so ta te ti to "
             "va ve vi vo za ze zo rel van dor mir tek sol gar pen lix qua bro").split()


# --- text -------------------------------------------------------------------------------------

class Text:
    """Sentences, posts and titles from a fixed vocabulary, reproducibly from a seed."""

    def __init__(self, rng: random.Random, pool: int = 20_000) -> None:
        self.rng = rng
        words = random.Random(0)  # the vocabulary itself never depends on --seed
        tail = sorted({"".join(words.choices(SYLLABLES, k=words.randint(2, 4)))
                       for _ in range(6000)} - set(HEAD) - {RARE_WORD})
        codes = [f"{words.choice('xyzqr')}{words.randint(100, 9999)}" for _ in range(1500)]
        self.head = HEAD
        self.head_weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(HEAD))))
        self.tail = tail + codes
        self.sentences = [self._sentence() for _ in range(pool)]

    def _word(self) -> str:
        r = self.rng.random()
        if r < 0.35:
            return self.rng.choice(STOP)
        if r < 0.85:
            return self.rng.choices(self.head, cum_weights=self.head_weights)[0]
        return self.rng.choice(self.tail)

    def _sentence(self) -> str:
        words = [self._word() for _ in range(self.rng.randint(7, 16))]
        return words[0].capitalize() + " " + " ".join(words[1:]) + self.rng.choice(".....?!")

    def body(self, rare: bool = False) -> tuple[str, str]:
        """A post's Markdown body and its HTML: one to three paragraphs, ~250-700 characters."""
        sentences = self.rng.sample(self.sentences, self.rng.randint(3, 7))
        if rare:
            sentences[-1] = f"Could the {RARE_WORD} be the cause?"
        cut = sorted(self.rng.sample(range(1, len(sentences)), self.rng.randint(0, 2)))
        paragraphs = [" ".join(sentences[a:b]) for a, b in zip([0, *cut], [*cut, len(sentences)])]
        return ("\n\n".join(paragraphs),
                "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs))

    def title(self) -> str:
        words = [self.rng.choices(self.head, cum_weights=self.head_weights)[0]
                 if self.rng.random() < 0.7 else self.rng.choice(self.tail)
                 for _ in range(self.rng.randint(5, 10))]
        return " ".join([words[0].capitalize(), *words[1:]]) + self.rng.choice(["", "", "?"])


# --- databases ----------------------------------------------------------------------------------

def is_postgresql(url: str) -> bool:
    return url.startswith("postgresql")


def create_database(server_url: str) -> str:
    """A fresh, empty PostgreSQL database on the server of `server_url`; returns its URL."""
    name = f"community_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    """Drop a database made by create_database (and only such a one)."""
    name = make_url(url).database
    if not name or not name.startswith("community_bench_"):
        raise ValueError(f"refusing to drop {name!r}: not a benchmark database")
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def migrate(url: str, instance: str) -> str:
    """Create the schema with the app's migrations; returns a password hash for the members."""
    from community import create_app
    from community.cli import upgrade_database
    from community.security import hash_password

    app = create_app({"DATABASE_URL": url, "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024,
                      "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench"}, instance_path=instance)
    upgrade_database(app)
    with app.app_context():
        password_hash = hash_password("bench password 123")
    app.extensions["database"].engine.dispose()
    return password_hash


def _loader_engine(url: str) -> Engine:
    """An engine tuned for bulk loading (the app's own engine is never changed)."""
    if is_postgresql(url):
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _pg(dbapi_connection, _record):
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
            dbapi_connection.commit()
        return engine

    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _sqlite(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        # Safe enough for a file we can regenerate; WAL is restored at the end.
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000",
                       "temp_store=MEMORY", "foreign_keys=OFF"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()
    return engine


# --- the plan: every row's numbers, before any text is made -------------------------------------

@dataclass
class ThreadPlan:
    id: int
    forum_id: int
    author_id: int
    created: float
    pinned: bool = False
    locked: bool = False
    score: int = 0
    posts: int = 0  # all of them, the opening post included
    published_replies: int = 0
    last: float = 0.0


@dataclass
class Plan:
    users: int
    forum_ids: list[int]
    threads: list[ThreadPlan]
    # (created, thread_id, number, author_id, deleted), in creation order
    posts: list[tuple[float, int, int, int, bool]]
    rare_posts: set[int] = field(default_factory=set)  # indexes into posts
    huge_thread_id: int = 0


def plan(rng: random.Random, *, users: int, threads: int, posts: int, huge: int,
         now: float) -> Plan:
    """Who wrote what when, and every counter that follows from it."""
    if threads < 2 or posts < threads + huge:
        raise SystemExit("need at least 2 threads and posts >= threads + huge")
    forum_ids = list(range(1, len(FORUMS) + 1))
    # ~80% of the threads in the big forum, the rest spread over the others.
    forum_weights = [80] + [20 / (len(FORUMS) - 1)] * (len(FORUMS) - 1)
    user_weights = list(itertools.accumulate(1 / (i + 1) ** 0.8 for i in range(users)))
    start = now - HISTORY_DAYS * DAY
    created = sorted(rng.uniform(start, now - 60) for _ in range(threads))
    plans = [ThreadPlan(id=i + 1, forum_id=rng.choices(forum_ids, weights=forum_weights)[0],
                        author_id=rng.choices(range(1, users + 1), cum_weights=user_weights)[0],
                        created=c)
             for i, c in enumerate(created)]
    huge_thread = plans[len(plans) // 20]
    huge_thread.forum_id = forum_ids[0]
    for t in rng.sample([t for t in plans if t.forum_id == forum_ids[0] and t is not huge_thread],
                        min(3, threads // 20)):
        t.pinned = True
    for t in plans:
        t.locked = rng.random() < 0.01
        # Most threads get a few votes, a few get many.
        t.score = min(int(rng.paretovariate(1.3)) - 1, 2000) if rng.random() < 0.7 else 0

    replies = [0] * threads
    huge_thread_index = huge_thread.id - 1
    replies[huge_thread_index] = huge - 1
    weights = [0.0 if i == huge_thread_index else rng.lognormvariate(0, 1) for i in range(threads)]
    for i in rng.choices(range(threads), weights=weights, k=posts - threads - (huge - 1)):
        replies[i] += 1

    rows = []
    for t, n in zip(plans, replies):
        if t is huge_thread:
            times = sorted(rng.uniform(t.created, now - 1) for _ in range(n))
        else:
            # Replies come over the days after the thread opened (a recent thread's, by now).
            times = sorted(_reply_time(rng, t.created, now) for _ in range(n))
        rows.append((t.created, t.id, 1, t.author_id, False))
        for number, when in enumerate(times, start=2):
            author = rng.choices(range(1, users + 1), cum_weights=user_weights)[0]
            rows.append((when, t.id, number, author, rng.random() < 0.005))
        t.posts = n + 1
        t.last = times[-1] if times else t.created
    rows.sort()
    for when, thread_id, number, _author, deleted in rows:
        if number > 1 and not deleted:
            plans[thread_id - 1].published_replies += 1
    rare = set(rng.sample(range(len(rows)), min(RARE_POSTS, len(rows))))
    return Plan(users=users, forum_ids=forum_ids, threads=plans, posts=rows, rare_posts=rare,
                huge_thread_id=huge_thread.id)


def _reply_time(rng: random.Random, created: float, now: float) -> float:
    when = created + rng.expovariate(1 / (3 * DAY))
    return when if when < now - 1 else rng.uniform(created, now - 1)


# --- writing ------------------------------------------------------------------------------------

def _stamp(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class Writer:
    """Batched Core inserts into the tables as the migrations made them."""

    def __init__(self, engine: Engine, batch: int, log: Callable[[str], None]) -> None:
        from community.models import Base

        self.engine, self.batch, self.log = engine, batch, log
        self.models = Base.metadata.tables
        self.columns = {name: {c["name"] for c in inspect(engine).get_columns(name)}
                        for name in ("user", "forum", "tag", "thread", "thread_tag", "post")}
        self.rows_written = 0

    def _table(self, name: str, keys: list[str]):
        # A lightweight table: no Python-side defaults, so only the columns given are sent,
        # bound with the models' types (UTC timestamps stored the way the app stores them).
        model = self.models[name]
        return table(name, *[column(k, model.c[k].type) for k in keys])

    def _complete(self, name: str, row: dict) -> dict:
        """Fill NOT NULL columns this script does not know (added by later migrations)."""
        model = self.models[name]
        for col in self.columns[name] - row.keys():
            mc = model.c.get(col)
            if mc is None or mc.nullable or mc.server_default is not None or mc.primary_key:
                continue
            if mc.default is not None and mc.default.is_scalar:
                row[col] = mc.default.arg
            else:
                raise SystemExit(f"{name}.{col} is NOT NULL with no default: teach generate.py")
        return row

    def write(self, conn, name: str, rows) -> int:
        """Insert `rows` (an iterable of dicts) in batches; returns how many."""
        count, stmt, batch = 0, None, []
        for row in rows:
            batch.append(row)
            if len(batch) >= self.batch:
                stmt = self._flush(conn, name, batch, stmt)
                count += len(batch)
                batch = []
        if batch:
            self._flush(conn, name, batch, stmt)
            count += len(batch)
        self.rows_written += count
        return count

    def _flush(self, conn, name, batch, stmt):
        batch = [self._complete(name, r) for r in batch]
        if stmt is None:
            stmt = insert(self._table(name, list(batch[0])))
        conn.execute(stmt, batch)
        return stmt


@dataclass
class Summary:
    url: str
    users: int
    threads: int
    posts: int
    huge_thread_id: int
    seconds: dict[str, float]

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def generate(url: str, *, threads: int, posts: int, users: int = 5000, huge: int = 5000,
             seed: int = 1, batch: int = BATCH, analyze: bool | None = None, verify: bool = True,
             log: Callable[[str], None] = print) -> Summary:
    """Migrate the empty database at `url` and fill it; returns what was made and how fast."""
    rng = random.Random(seed)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now_ = time.perf_counter()
        seconds[name] = now_ - clock
        clock = now_

    with tempfile.TemporaryDirectory(prefix="community-gen-") as instance:
        password_hash = migrate(url, instance)
    lap("migrate")
    now = time.time()
    p = plan(rng, users=users, threads=threads, posts=posts, huge=huge, now=now)
    words = Text(rng)
    lap("plan")
    log(f"planned {users} users, {threads} threads, {len(p.posts)} posts "
        f"(huge thread {p.huge_thread_id}: {p.threads[p.huge_thread_id - 1].posts} posts) "
        f"in {seconds['plan']:.1f}s")

    from community.services.ranking import hot

    engine = _loader_engine(url)
    w = Writer(engine, batch, log)
    with engine.begin() as conn:
        w.write(conn, "user", (
            {"id": i, "username": f"member{i:06d}", "email": f"member{i}@example.com",
             "password_hash": password_hash, "display_name": f"Member {i}", "bio": "",
             "role": "admin" if i == 1 else "member", "trust_level": rng.randint(0, 4),
             "created_at": _stamp(now - HISTORY_DAYS * DAY - 3600 + i)}
            for i in range(1, users + 1)))
        by_forum: dict[int, list[ThreadPlan]] = {f: [] for f in p.forum_ids}
        for t in p.threads:
            by_forum[t.forum_id].append(t)
        w.write(conn, "forum", (
            {"id": fid, "slug": slug, "name": name, "description": f"All about {name.lower()}.",
             "kind": kind, "position": fid, "private": private,
             "thread_count": len(by_forum[fid]),
             "post_count": sum(t.published_replies + 1 for t in by_forum[fid]),
             "last_activity_at": (_stamp(max(t.last for t in by_forum[fid]))
                                  if by_forum[fid] else None),
             "created_at": _stamp(now - HISTORY_DAYS * DAY - 7200)}
            for fid, (slug, name, kind, private) in zip(p.forum_ids, FORUMS)))
        w.write(conn, "tag", ({"id": i, "slug": s, "name": s.replace("-", " ").capitalize(),
                               "description": ""} for i, s in enumerate(TAGS, start=1)))
    lap("users, forums, tags")

    kinds = {fid: kind for fid, (_s, _n, kind, _p) in zip(p.forum_ids, FORUMS)}
    has_status = "status" in w.columns["thread"]
    with engine.begin() as conn:
        def thread_rows():
            for t in p.threads:
                row = {"id": t.id, "forum_id": t.forum_id, "author_id": t.author_id,
                       "title": words.title(), "pinned": t.pinned, "locked": t.locked,
                       "last_activity_at": _stamp(t.last), "reply_count": t.published_replies,
                       "score": t.score,
                       "hot": hot(t.score, t.published_replies, _stamp(t.created)),
                       "last_post_number": t.posts, "created_at": _stamp(t.created)}
                if has_status:
                    row["status"] = "open" if kinds[t.forum_id] == "ideas" else None
                yield row
        w.write(conn, "thread", thread_rows())
        w.write(conn, "thread_tag", (
            {"thread_id": t.id, "tag_id": tag}
            for t in p.threads if rng.random() < 0.4
            for tag in rng.sample(range(1, len(TAGS) + 1), rng.randint(1, 3))))
    lap("threads")
    log(f"threads written in {seconds['threads']:.1f}s ({threads / seconds['threads']:,.0f}/s)")

    has_solution = "is_solution" in w.columns["post"]
    done, started, commit_every = 0, time.perf_counter(), 200_000
    next_report = 100_000
    for first in range(0, len(p.posts), commit_every):
        chunk = p.posts[first:first + commit_every]
        with engine.begin() as conn:
            def post_rows():
                for i, (when, thread_id, number, author, deleted) in enumerate(chunk, start=first):
                    body, body_html = words.body(rare=i in p.rare_posts)
                    row = {"id": i + 1, "thread_id": thread_id, "author_id": author,
                           "number": number, "body": body, "html": body_html,
                           "state": "deleted" if deleted else "published",
                           "official": author == 1, "score": int(rng.expovariate(0.5)),
                           "edited_at": None, "created_at": _stamp(when)}
                    if has_solution:
                        row["is_solution"] = False
                    yield row
            done += w.write(conn, "post", post_rows())
        if done >= next_report or done == len(p.posts):
            rate = done / (time.perf_counter() - started)
            log(f"  posts: {done:>9,} of {len(p.posts):,}  ({rate:,.0f} rows/s)")
            next_report = done + 100_000
    lap("posts")

    finish(engine, url, analyze=is_postgresql(url) if analyze is None else analyze)
    lap("finish (sequences, analyze)")
    if verify:
        check_counters(engine)
        lap("verify")
    engine.dispose()
    return Summary(url=url, users=users, threads=threads, posts=len(p.posts),
                   huge_thread_id=p.huge_thread_id, seconds=seconds)


def finish(engine: Engine, url: str, analyze: bool) -> None:
    """Sequences past the ids written, statistics, and SQLite back in WAL mode."""
    if is_postgresql(url):
        with engine.begin() as conn:
            for name in ("user", "forum", "tag", "thread", "post"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM \"{name}\"))")
        if analyze:
            # What autovacuum would have done by the time anyone reads: visibility map
            # (index-only scans) and planner statistics.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.connect() as conn:
            if analyze:
                conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")


def check_counters(engine: Engine) -> None:
    """Fail loudly if a stored counter disagrees with the rows."""
    from community.models import Forum, Post, Thread

    with engine.connect() as conn:
        published = Post.state == "published"
        per_thread = (select(Post.thread_id, func.max(Post.number).label("last"),
                             func.count().filter(published & (Post.number > 1)).label("replies"),
                             func.max(Post.created_at).label("active"))
                      .group_by(Post.thread_id).subquery())
        bad_threads = conn.scalar(
            select(func.count()).select_from(Thread).join(per_thread,
                                                          per_thread.c.thread_id == Thread.id)
            .where((per_thread.c.last != Thread.last_post_number)
                   | (per_thread.c.replies != Thread.reply_count)
                   | (per_thread.c.active != Thread.last_activity_at)))
        per_forum = (select(Thread.forum_id, func.count().label("threads"),
                            func.sum(Thread.reply_count + 1).label("posts"))
                     .group_by(Thread.forum_id).subquery())
        bad_forums = conn.scalar(
            select(func.count()).select_from(Forum).join(per_forum,
                                                         per_forum.c.forum_id == Forum.id)
            .where((per_forum.c.threads != Forum.thread_count)
                   | (per_forum.c.posts != Forum.post_count)))
    if bad_threads or bad_forums:
        raise SystemExit(f"counters disagree: {bad_threads} threads, {bad_forums} forums")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True,
                        help="sqlite:///path (a new file) or a PostgreSQL server URL")
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=1_000_000, help="all posts, openings included")
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--huge", type=int, default=None,
                        help="posts in the one huge thread (default: 5000, or a tenth of --posts "
                             "when that is less)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=BATCH, help="rows per executemany")
    parser.add_argument("--analyze", action=argparse.BooleanOptionalAction, default=None,
                        help="ANALYZE afterwards (default: yes on PostgreSQL, as autovacuum "
                             "would; no on SQLite, which the app never analyzes)")
    parser.add_argument("--keep", action="store_true", help="PostgreSQL: keep the database")
    args = parser.parse_args()
    huge = args.huge if args.huge is not None else min(5000, args.posts // 10)

    server_url = args.database_url
    if is_postgresql(server_url):
        url = create_database(server_url)
        print(f"created database {make_url(url).database}")
    else:
        path = make_url(server_url).database
        if not path or os.path.exists(path):
            raise SystemExit(f"{path!r} exists: give a new file")
        url = server_url
    try:
        s = generate(url, threads=args.threads, posts=args.posts, users=args.users, huge=huge,
                     seed=args.seed, batch=args.batch, analyze=args.analyze)
        rows = s.users + s.threads + s.posts
        print("\n".join(f"  {name:<28} {sec:8.1f}s" for name, sec in s.seconds.items()))
        print(f"{rows:,} rows ({s.posts:,} posts) in {s.total_seconds:.1f}s: "
              f"{rows / s.total_seconds:,.0f} rows/s, {s.posts / s.seconds['posts']:,.0f} posts/s "
              f"while writing posts; huge thread id {s.huge_thread_id}")
    finally:
        if is_postgresql(server_url):
            if args.keep:
                print(f"kept: {url}")
            else:
                drop_database(server_url, url)
                print(f"dropped database {make_url(url).database}")


if __name__ == "__main__":
    main()
