"""Forum and thread pages at two sizes: are they a fixed number of queries, within 2x in time?

    .venv/bin/python bench/forum_bench.py                        # SQLite files in a temp dir
    .venv/bin/python bench/forum_bench.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test  # fresh databases
    .venv/bin/python bench/forum_bench.py --small-url URL --large-url URL  # reuse data

Each size is generated with bench/generate.py (small: 100 threads / 1k posts, large: 100k
threads / 1M posts, by default), then every page is requested in-process through Flask's
test client as an anonymous visitor: two warm-up requests, then up to --runs timed ones,
round robin over the pages. For each page it reports the median and p95 time, the SQL
statements per request (counted on the app's engine) and the large/small ratio of medians.
"""

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import generate  # noqa: E402

POSTS_PER_PAGE = 20
THREADS_PER_PAGE = 25
DEEP_PAGE = 200
# The pages the explain step shows plans for (labels of PAGES below).
EXPLAINED = ("forum latest p1", "forum top p1", "forum trending p1", "forum latest deep",
             "thread p1", "huge thread last", "home", "search common")


@dataclass
class Scale:
    name: str
    threads: int
    posts: int
    huge: int
    url: str = ""
    created: bool = False  # made here, so dropped at the end unless --keep
    generated_seconds: float | None = None
    targets: dict = field(default_factory=dict)


@dataclass
class Result:
    label: str
    path: str
    times_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    status: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms) if self.times_ms else math.nan

    @property
    def p95(self) -> float:
        return percentile(self.times_ms, 95)

    @property
    def query_count(self) -> str:
        counts = sorted(set(self.queries))
        return "/".join(map(str, counts)) if counts else "-"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- data --------------------------------------------------------------------------------------

def prepare(scale: Scale, args, workdir: Path) -> None:
    """Make (or reuse) the scale's database and fill it."""
    if scale.url:
        log(f"{scale.name}: reusing {scale.url}")
        return
    if generate.is_postgresql(args.database_url):
        scale.url = generate.create_database(args.database_url)
    else:
        path = workdir / f"{scale.name}.db"
        if path.exists():
            raise SystemExit(f"{path} exists: pass it as --{scale.name}-url, or remove it")
        scale.url = f"sqlite:///{path}"
    scale.created = True
    log(f"{scale.name}: generating {scale.threads:,} threads / {scale.posts:,} posts "
        f"into {scale.url}")
    summary = generate.generate(scale.url, threads=scale.threads, posts=scale.posts,
                                huge=scale.huge, log=lambda m: log(f"{scale.name}: {m}"))
    scale.generated_seconds = summary.total_seconds
    rows = summary.users + summary.threads + summary.posts
    log(f"{scale.name}: generated in {summary.total_seconds:.0f}s "
        f"({rows / summary.total_seconds:,.0f} rows/s)")


def discard(scale: Scale, args) -> None:
    if args.keep or not scale.created:
        if scale.created:
            log(f"{scale.name}: kept {scale.url}")
        return
    if generate.is_postgresql(scale.url):
        generate.drop_database(args.database_url, scale.url)
    else:
        path = make_url(scale.url).database
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    log(f"{scale.name}: dropped {scale.url}")


# --- measuring ---------------------------------------------------------------------------------

def make_app(url: str, instance: Path):
    from community import create_app

    return create_app({"DATABASE_URL": url, "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024,
                       "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench",
                       "WTF_CSRF_ENABLED": False}, instance_path=str(instance))


def find_targets(app) -> dict:
    """The big forum, a normal (~10 post) thread in it, and the huge thread."""
    from community.extensions import db
    from community.models import Forum, Thread
    from community.queries import forums as forum_queries

    with app.app_context():
        forum = db.session.scalars(select(Forum).where(Forum.private.is_(False))
                                   .order_by(Forum.thread_count.desc())).first()
        huge = db.session.scalars(select(Thread).order_by(Thread.last_post_number.desc())).first()
        normal = db.session.scalars(
            select(Thread).where(Thread.forum_id == forum.id, Thread.pinned.is_(False),
                                 Thread.id != huge.id)
            .order_by(func.abs(Thread.last_post_number - 10), Thread.id.desc())).first()
        forum_pages = max(1, math.ceil(forum.thread_count / THREADS_PER_PAGE))
        # The cursor an old ?page=N link redirects to: the deep page reached by keyset.
        deep_cursor = forum_queries.page_cursor(app.login_manager.anonymous_user(), forum,
                                                page=min(DEEP_PAGE, max(2, forum_pages - 1)))
        targets = {"forum": forum.slug, "forum_threads": forum.thread_count,
                   "forum_pages": forum_pages, "deep_cursor": deep_cursor,
                   "normal_thread": normal.id, "normal_posts": normal.last_post_number,
                   "huge_thread": huge.id, "huge_posts": huge.last_post_number,
                   "huge_pages": max(1, math.ceil(huge.last_post_number / POSTS_PER_PAGE))}
        db.session.remove()
    return targets


def pages(t: dict) -> list[tuple[str, str]]:
    deep = min(DEEP_PAGE, max(2, t["forum_pages"] - 1))  # a full page at either size
    slug = t["forum"]
    return [
        ("forum latest p1", f"/f/{slug}?sort=latest"),
        ("forum top p1", f"/f/{slug}?sort=top"),
        ("forum trending p1", f"/f/{slug}?sort=trending"),
        # Page 200 (small: the last page) by keyset cursor, where "Next" links lead; an
        # old ?page=200 link answers a redirect to it (the small size's page 4 renders).
        ("forum latest deep", f"/f/{slug}?sort=latest&after={t['deep_cursor']}"),
        ("forum ?page=deep", f"/f/{slug}?sort=latest&page={deep}"),
        ("thread p1", f"/t/{t['normal_thread']}"),
        ("huge thread p1", f"/t/{t['huge_thread']}"),
        ("huge thread last", f"/t/{t['huge_thread']}?page={t['huge_pages']}"),
        ("home", "/"),
        ("search common", f"/search?q={generate.COMMON_WORD}"),
        ("search rare", f"/search?q={generate.RARE_WORD}"),
        ("api forum threads", f"/api/v1/forums/{slug}/threads"),
        ("api thread", f"/api/v1/threads/{t['normal_thread']}"),
    ]


class SqlCounter:
    """Counts statements (and the time spent in execute) on the app's engine."""

    def __init__(self, engine, capture: bool = False) -> None:
        self.count, self.seconds, self.capture, self.statements = 0, 0.0, capture, []
        self._started = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        # The app's explicit BEGIN on SQLite is not a query (PostgreSQL's is implicit).
        if not statement.startswith("BEGIN"):
            self.count += 1
        if self.capture:
            self.statements.append((statement, parameters))
        self._started = time.perf_counter()

    def _after(self, *_args):
        self.seconds += time.perf_counter() - self._started

    def reset(self) -> None:
        self.count, self.seconds, self.statements = 0, 0.0, []


def measure(scale: Scale, args, instance: Path, deadline: float) -> dict[str, Result]:
    """Time every page on the scale's database; returns results by label."""
    from community.extensions import db

    app = make_app(scale.url, instance)
    scale.targets = find_targets(app)
    log(f"{scale.name}: targets {scale.targets}")
    counter = SqlCounter(db.engine)
    client = app.test_client()
    results = {label: Result(label, path) for label, path in pages(scale.targets)
               if label not in args.skip}
    spent = dict.fromkeys(results, 0.0)

    def hit(r: Result, record: bool) -> None:
        counter.reset()
        started = time.perf_counter()
        response = client.get(r.path)
        elapsed = time.perf_counter() - started
        r.status = response.status_code
        if response.status_code not in (200, 302):
            raise SystemExit(f"{r.path}: HTTP {response.status_code}\n"
                             f"{response.get_data(as_text=True)[:2000]}")
        spent[r.label] += elapsed
        if record:
            r.times_ms.append(elapsed * 1000)
            r.queries.append(counter.count)
            r.sql_ms.append(counter.seconds * 1000)

    for warm in range(2):
        for r in results.values():
            hit(r, record=False)
        log(f"{scale.name}: warm-up {warm + 1} done "
            f"({', '.join(f'{k} {v * 1000 / (warm + 1):.0f}ms' for k, v in spent.items())})")
    spent = dict.fromkeys(results, 0.0)
    for run in range(args.runs):
        active = [r for r in results.values()
                  if len(r.times_ms) < 5 or spent[r.label] < args.page_seconds]
        if not active:
            break
        if time.time() > deadline:
            log(f"{scale.name}: --max-minutes reached after {run} rounds; reporting what we have")
            break
        for r in active:
            hit(r, record=True)
        if (run + 1) % 10 == 0:
            log(f"{scale.name}: {run + 1} rounds")

    if args.explain:
        scale.targets["plans"] = explain(app, client, counter, results, scale)
    db.session.remove()
    db.engine.dispose()
    return results


def explain(app, client, counter, results, scale) -> dict[str, list[dict]]:
    """The database's plan for every statement of the EXPLAINED pages."""
    from community.extensions import db

    postgresql = generate.is_postgresql(scale.url)
    plans = {}
    for label in [x for x in EXPLAINED if x in results]:
        counter.capture = True
        counter.reset()
        client.get(results[label].path)
        counter.capture = False
        captured = list(counter.statements)
        plans[label] = []
        with db.engine.connect() as conn:
            for statement, parameters in captured:
                prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgresql else "EXPLAIN QUERY PLAN "
                rows = conn.exec_driver_sql(prefix + statement, parameters).all()
                plan = "\n".join(r[0] if postgresql else f"{'  ' * _depth(rows, r)}{r[-1]}"
                                 for r in rows)
                plans[label].append({"sql": statement, "plan": plan})
    return plans


def _depth(rows, row) -> int:
    # EXPLAIN QUERY PLAN rows are (id, parent, notused, detail).
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent:
        depth, parent = depth + 1, parents.get(parent, 0)
    return depth


# --- reporting ---------------------------------------------------------------------------------

def report(small: Scale, large: Scale, a: dict[str, Result], b: dict[str, Result],
           database: str) -> list[dict]:
    rows = []
    print()
    print(f"Forum pages at scale: {database}; small {small.threads:,} threads / "
          f"{small.posts:,} posts, large {large.threads:,} / {large.posts:,}")
    head = (f"{'page':<20} {'small ms':>9} {'p95':>7} {'large ms':>9} {'p95':>8} "
            f"{'ratio':>6} {'queries':>8} {'sql ms L':>9}  within 2x")
    print(head)
    print("-" * len(head))
    for label, s in a.items():
        l_ = b.get(label)
        if l_ is None:
            continue
        ratio = l_.median / s.median if s.times_ms and l_.times_ms else math.nan
        queries = s.query_count if s.query_count == l_.query_count else \
            f"{s.query_count}->{l_.query_count}"
        ok = "yes" if ratio <= 2 else "NO" if ratio > 2 else "?"
        print(f"{label:<20} {s.median:9.1f} {s.p95:7.1f} {l_.median:9.1f} {l_.p95:8.1f} "
              f"{ratio:6.2f} {queries:>8} {statistics.median(l_.sql_ms or [math.nan]):9.1f}  {ok}")
        rows.append({"page": label, "small_path": s.path, "large_path": l_.path,
                     "small_median_ms": s.median, "small_p95_ms": s.p95,
                     "large_median_ms": l_.median, "large_p95_ms": l_.p95, "ratio": ratio,
                     "small_queries": s.query_count, "large_queries": l_.query_count,
                     "small_sql_ms": statistics.median(s.sql_ms or [math.nan]),
                     "large_sql_ms": statistics.median(l_.sql_ms or [math.nan]),
                     "runs": [len(s.times_ms), len(l_.times_ms)], "within_2x": ratio <= 2})
    print()
    print("small targets:", {k: v for k, v in small.targets.items() if k != "plans"})
    print("large targets:", {k: v for k, v in large.targets.items() if k != "plans"})
    return rows


def print_plans(scale: Scale) -> None:
    for label, statements in scale.targets.get("plans", {}).items():
        print(f"\n=== {label} ({scale.name}) ===")
        for s in statements:
            print("--", " ".join(s["sql"].split())[:400])
            print(s["plan"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="sqlite",
                        help="'sqlite' (files in --workdir) or a PostgreSQL server URL whose "
                             "database is used only to CREATE/DROP the benchmark databases")
    parser.add_argument("--small", default="100:1000", help="THREADS:POSTS")
    parser.add_argument("--large", default="100000:1000000", help="THREADS:POSTS")
    parser.add_argument("--small-huge", type=int, default=100,
                        help="posts in the small scale's huge thread")
    parser.add_argument("--large-huge", type=int, default=5000)
    parser.add_argument("--small-url", help="reuse this generated database for the small scale")
    parser.add_argument("--large-url", help="reuse this generated database for the large scale")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page, at most")
    parser.add_argument("--page-seconds", type=float, default=30,
                        help="stop timing a page once it has used this long (5 runs at least)")
    parser.add_argument("--max-minutes", type=float, default=60,
                        help="stop measuring (and report) after this long in all")
    parser.add_argument("--workdir", help="where SQLite files go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated databases")
    parser.add_argument("--explain", action="store_true",
                        help="print the plans of the forum and thread page queries (large)")
    parser.add_argument("--skip", default="", help="comma-separated pages not to measure")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    args.skip = {x.strip() for x in args.skip.split(",") if x.strip()}

    deadline = time.time() + args.max_minutes * 60
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="community-forum-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    instance = workdir / "instance"

    def scale(name, spec, huge, url):
        threads, posts = (int(x) for x in spec.split(":"))
        return Scale(name, threads, posts, min(huge, posts // 2), url or "")

    small = scale("small", args.small, args.small_huge, args.small_url)
    large = scale("large", args.large, args.large_huge, args.large_url)
    results = {}
    started = time.time()
    try:
        for s in (small, large):
            prepare(s, args, workdir)
            explain_this = args.explain and s is large
            args_for = argparse.Namespace(**{**vars(args), "explain": explain_this})
            results[s.name] = measure(s, args_for, instance, deadline)
            log(f"{s.name}: measured")
            if s is large:
                print_plans(s)
    finally:
        for s in (small, large):
            discard(s, args)

    database = "PostgreSQL" if generate.is_postgresql(small.url) else "SQLite"
    rows = report(small, large, results["small"], results["large"], database)
    print(f"\ngenerated: small {small.generated_seconds or 0:.0f}s, "
          f"large {large.generated_seconds or 0:.0f}s; total run {time.time() - started:.0f}s")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "database": database, "small": asdict(small), "large": asdict(large), "pages": rows,
        }, indent=2, default=str))


if __name__ == "__main__":
    main()
