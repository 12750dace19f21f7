"""Mixed load against real servers while 500 Socket.IO clients listen: throughput, latency
per request type, errors, live event delivery; the saturation point and a profile there;
or a soak at moderate load that checks memory, sockets and database connections.

    .venv/bin/python bench/load.py                          # embedded: steps, then a profile
    .venv/bin/python bench/load.py --mode scaled            # PostgreSQL + Redis, 2 processes
    .venv/bin/python bench/load.py --soak [--duration 600] [--rate 40] [--mode embedded scaled]

The workload is workload.py's mix (80% page reads, 15% idea votes, 5% replies); the data
is seed.py's; the deployments are deploy.py's (rate limits off). Only 127.0.0.1 is used and
every phase is bounded in time. Exit status 1 when a soak found errors or growth.
"""

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

import hotspots  # noqa: E402
import report  # noqa: E402
from deploy import MODES, PG_SERVER, REDIS_URL, Cpu, Deployment, server_usage  # noqa: E402
from listeners import Listeners  # noqa: E402
from seed import seed  # noqa: E402
from workload import Tally, Workload, subscriptions  # noqa: E402

# Soak thresholds (docs/load.md says why these).
RSS_GROWTH_MB, RSS_GROWTH_SHARE = 25, 0.10
# Database connections a server may still hold once the load is gone: PostgreSQL, the
# pool's idle ones (pool_size 10); SQLite, descriptors up to the pool's peak (5 + 10 overflow).
DATABASE_KEEPS = {"embedded": 15, "scaled": 10}
# Redis connections an idle server needs: the Socket.IO queue's subscription and publisher,
# and a presence update or two; a pool that keeps more grew with the number of sockets.
REDIS_KEEPS = 10
SPARE_FDS, SPARE_THREADS = 4, 3


# --- saturation -------------------------------------------------------------------------

async def saturate(deployment: Deployment, listeners: Listeners, subs, work: Workload,
                   args) -> bool:
    work.connect()
    await work.sign_in(args.browsers)
    await connect_listeners(listeners, subs)
    await work.run(4, args.warmup)  # pools, caches, compiled templates
    cpu = Cpu(lambda: deployment.processes() | {"listeners": listeners.pids})
    print(f"\nsaturation: closed loop, {args.step_seconds:.0f} s per step after a "
          f"{args.ramp:.0f} s ramp")
    steps = []
    for users in args.users:
        cpu.reset()
        tally = await work.run(users, args.step_seconds, ramp=args.ramp)
        steps.append(report.Step(users, tally, cpu.read(), os.getloadavg()))
        print("  " + report.step_line(steps[-1]), flush=True)
    best = report.saturation_point(steps)
    profiled = await profile(deployment, work, cpu, best.users, args) if args.profile else None
    await work.close()
    received, lost = await asyncio.to_thread(listeners.stop, 3.0)
    for step in steps + ([profiled] if profiled else []):
        step.delivery = report.deliveries(step.tally.posts, received, subs)

    print(f"\n{report.steps_table(steps)}\n")
    print(f"saturation point: about {best.users} users, {best.throughput:.1f} req/s "
          f"(the next step added less than 10%); listeners lost: {lost}")
    print(f"\nrequests at {best.users} users:\n{report.kinds_table(best.tally)}")
    print(f"live events at {best.users} users: {report.delivery_line(best.delivery)}")
    if profiled:
        print(f"\nthe profiled run ({profiled.users} users, under py-spy): "
              f"{report.step_line(profiled)}\n  {report.delivery_line(profiled.delivery)}")
    print(f"server log tracebacks: {deployment.server_errors()}; load average now {report.loadavg()}")
    return False


async def profile(deployment: Deployment, work: Workload, cpu: Cpu, users: int, args):
    """Run `users` users again while py-spy samples every server; print where the time went."""
    out = Path(args.profile_dir) / f"{deployment.mode}-{time.strftime('%Y%m%d-%H%M%S')}"
    pids = [s.process.pid for s in deployment.servers]
    cpu.reset()
    running = asyncio.create_task(work.run(users, args.profile_seconds + 2, ramp=args.ramp))
    await asyncio.sleep(args.ramp + 1)
    paths = await asyncio.to_thread(hotspots.record, pids, args.profile_seconds, out)
    tally = await running
    step = report.Step(users, tally, cpu.read(), os.getloadavg())
    print(f"\nprofile at {users} users ({args.profile_seconds:.0f} s, py-spy --gil, raw stacks in {out}):")
    for i, path in enumerate(paths, start=1):
        print(hotspots.report(hotspots.summarize(path, args.profile_seconds), f"server {i}"))
    return step


# --- soak -------------------------------------------------------------------------------

class Snapshot:
    """What every server holds at one moment, and the database's own count."""

    def __init__(self, deployment: Deployment) -> None:
        self.servers = server_usage(deployment)
        self.pg_connections = deployment.database_connections()


async def soak(deployment: Deployment, listeners: Listeners, subs, work: Workload, args) -> bool:
    work.connect()
    await work.sign_in(args.browsers)
    await work.run(4, args.warmup)  # every page, pool and cache warmed
    await work.close()
    await asyncio.sleep(2)
    before = Snapshot(deployment)  # no client at all
    await connect_listeners(listeners, subs)
    work.connect()
    cpu = Cpu(lambda: deployment.processes() | {"listeners": listeners.pids})
    rate = args.rate
    if rate is None:
        probe = await work.run(32, 15, ramp=3)
        rate = round(probe.requests / probe.seconds / 2, 1)
        print(f"probe: {probe.requests / probe.seconds:.1f} req/s with 32 users; the soak runs at "
              f"half that, {rate} req/s")
    await work.run(args.soak_users, 30, rate=rate)  # warm-up at the soak's pace
    start = Snapshot(deployment)
    print(f"\nsoak: {rate} req/s paced over {args.soak_users} users for {args.duration:.0f} s")
    rows, total, snapshots = [], Tally(), [start]
    began = time.monotonic()
    for _ in range(args.samples):
        cpu.reset()
        tally = await work.run(args.soak_users, args.duration / args.samples, rate=rate)
        total.merge(tally)
        snapshots.append(Snapshot(deployment))
        rows.append(report.Step(args.soak_users, tally, cpu.read(), os.getloadavg()))
        print("  " + soak_row(time.monotonic() - began, rows[-1], snapshots[-1]), flush=True)
    await work.close()
    received, lost = await asyncio.to_thread(listeners.stop, 3.0)
    after = await settled(deployment, before)
    delivery = report.deliveries(total.posts, received, subs)

    print(f"\n{soak_table(rows, snapshots[1:], began)}\n")
    print(resources_table(before, start, snapshots[-1], after, snapshots))
    print(f"\nrequests over the soak:\n{report.kinds_table(total)}")
    print(f"live events: {report.delivery_line(delivery)}; listeners lost: {lost}")
    problems = soak_problems(deployment, total, delivery, lost, before, start, snapshots[-1], after)
    print("\n" + ("\n".join(f"FAIL: {p}" for p in problems) if problems else
                  "PASS: no errors, every event delivered, RSS growth within the threshold, "
                  "nothing left open"))
    print(f"load average now {report.loadavg()}")
    return bool(problems)


async def settled(deployment: Deployment, before: Snapshot, timeout: float = 60) -> Snapshot:
    """A snapshot once every client connection and its threads have gone from the servers
    (Engine.IO's writer threads notice within a ping interval, 25 s), or after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        snap = Snapshot(deployment)
        if time.monotonic() > deadline or all(
                a.clients == 0 and a.threads <= b.threads + SPARE_THREADS
                for a, b in zip(snap.servers, before.servers)):
            return snap
        await asyncio.sleep(1)


def soak_row(elapsed: float, step: report.Step, snap: Snapshot) -> str:
    rss = ", ".join(f"{u.rss_mb:.0f}" for u in snap.servers)
    return (f"{elapsed:5.0f} s: {step.throughput:.1f} req/s, p50 {report.ms(step.p(50))} ms, "
            f"p99 {report.ms(step.p(99))} ms, errors {sum(step.tally.errors().values())}, "
            f"RSS {rss} MB, load avg {step.load[0]:.2f}")


def soak_table(rows: list[report.Step], snaps: list[Snapshot], began: float) -> str:
    n = len(snaps[0].servers)
    head = ("| interval | req/s | p50 ms | p99 ms | errors | "
            + " | ".join(f"server {i + 1} RSS MB / fds / threads" for i in range(n))
            + " | db connections | CPU servers | load avg |")
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for i, (step, snap) in enumerate(zip(rows, snaps), start=1):
        cells = " | ".join(f"{u.rss_mb:.0f} / {u.fds} / {u.threads}" for u in snap.servers)
        db = snap.pg_connections if snap.pg_connections is not None else \
            "+".join(str(u.database) for u in snap.servers)
        servers = sum(v for k, v in step.cpu.items() if k.startswith("server"))
        lines.append(f"| {i} | {step.throughput:.1f} | {report.ms(step.p(50))} | "
                     f"{report.ms(step.p(99))} | {sum(step.tally.errors().values())} | {cells} | "
                     f"{db} | {servers:.0f}% | {step.load[0]:.2f} |")
    return "\n".join(lines)


def resources_table(before: Snapshot, start: Snapshot, end: Snapshot, after: Snapshot,
                    snapshots: list[Snapshot]) -> str:
    lines = ["| server | RSS MB start → end (min–max) | fds before / start / end / after | "
             "threads | client sockets | database connections | Redis connections |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for i in range(len(start.servers)):
        b, s, e, a = (x.servers[i] for x in (before, start, end, after))
        rss = [x.servers[i].rss_mb for x in snapshots]
        lines.append(
            f"| {i + 1} | {s.rss_mb:.0f} → {e.rss_mb:.0f} ({min(rss):.0f}–{max(rss):.0f}) | "
            + " | ".join(" / ".join(str(getattr(x, f)) for x in (b, s, e, a))
                         for f in ("fds", "threads", "clients", "database", "redis")) + " |")
    if start.pg_connections is not None:
        lines.append(f"\nPostgreSQL backends on the bench database (pg_stat_activity), before / "
                     f"start / end / after: {before.pg_connections} / {start.pg_connections} / "
                     f"{end.pg_connections} / {after.pg_connections}")
    return "\n".join(lines)


def soak_problems(deployment: Deployment, total: Tally, delivery: report.Delivery, lost: int,
                  before: Snapshot, start: Snapshot, end: Snapshot, after: Snapshot) -> list[str]:
    problems = []
    if total.errors():
        problems.append(f"errors: {report.errors_text(total.errors())}")
    if delivery.missing or lost:
        problems.append(f"{delivery.missing} live events missing, {lost} listeners lost")
    if deployment.server_errors():
        problems.append(f"{deployment.server_errors()} tracebacks in the server logs")
    keep = DATABASE_KEEPS[deployment.mode]
    for i, (b, s, e, a) in enumerate(zip(before.servers, start.servers, end.servers,
                                         after.servers), start=1):
        allowed = max(RSS_GROWTH_MB, RSS_GROWTH_SHARE * s.rss_mb)
        if e.rss_mb - s.rss_mb > allowed:
            problems.append(f"server {i}: RSS grew {e.rss_mb - s.rss_mb:.0f} MB "
                            f"(more than {allowed:.0f} MB)")
        if a.clients:
            problems.append(f"server {i}: {a.clients} client sockets left open "
                            f"({a.close_wait} in CLOSE_WAIT) after every client left")
        if a.database > keep:
            problems.append(f"server {i}: {a.database} database connections after the load "
                            f"(at most {keep} expected)")
        if a.redis > REDIS_KEEPS:
            problems.append(f"server {i}: {a.redis} Redis connections after the load, "
                            f"{b.redis} before (at most {REDIS_KEEPS} expected)")
        # Once the clients are gone: the baseline, plus the database connections kept
        # (Redis is checked above).
        allowed_fds = b.fds - b.redis + SPARE_FDS \
            + max(0, a.database - b.database) * fds_per_connection(deployment)
        if a.fds - a.redis > allowed_fds:
            problems.append(f"server {i}: {a.fds - a.redis} fds (Redis aside) after the load, "
                            f"{b.fds - b.redis} before (at most {allowed_fds} expected)")
        if a.threads > b.threads + SPARE_THREADS:
            problems.append(f"server {i}: {a.threads} threads after the load, {b.threads} before")
    if after.pg_connections is not None and after.pg_connections > keep * len(after.servers):
        problems.append(f"{after.pg_connections} PostgreSQL backends after the load")
    return problems


def fds_per_connection(deployment: Deployment) -> int:
    # SQLite: the database file and its WAL; PostgreSQL: one socket.
    return 2 if deployment.mode == "embedded" else 1


# --- one mode, start to end -------------------------------------------------------------

async def connect_listeners(listeners: Listeners, subs) -> None:
    took = await asyncio.to_thread(listeners.start)
    rooms = {room for room, _ in subs}
    print(f"{listeners.count} listeners connected in {took:.1f} s, in {len(rooms)} rooms "
          f"({sum(r.startswith('thread:') for r, _ in subs)} on thread pages, "
          f"{sum(r.startswith('forum:') for r, _ in subs)} on forum pages), "
          f"{len(listeners.pids)} processes")


def run(mode: str, args) -> bool:
    """Seed, serve, load (saturation or soak), clean up; True when the soak failed."""
    rng = random.Random(args.seed)
    deployment = Deployment(mode, args.pg_server, args.redis_url)
    listeners = None
    try:
        print(f"\n== {deployment.describe()}; rate limits off (COMMUNITY_RATELIMIT_ENABLED=false)")
        print(f"load average {report.loadavg()} on {os.cpu_count()} cores (shared by the load "
              f"generator, the listeners and the servers)")
        began = time.monotonic()
        seeded = seed(deployment.database_url, str(deployment.instance), members=args.members,
                      threads=args.threads, posts=args.posts, ideas=args.ideas, votes=args.votes,
                      hot=args.hot, followers=args.followers, rng=rng)
        print(f"seeded in {time.monotonic() - began:.0f} s: {len(seeded.members)} members with "
              f"API tokens ({args.browsers} also signed in by cookie), {len(seeded.forums)} public "
              f"forums, {len(seeded.threads)} open threads ({args.posts} posts), "
              f"{len(seeded.ideas)} new ideas with {len(seeded.votes)} votes; replies go to "
              f"{len(seeded.hot)} lively threads with {args.followers} watchers each")
        urls = deployment.start()
        subs = subscriptions(seeded.hot, args.listeners)
        listeners = Listeners(urls, subs, args.listener_processes)
        work = Workload(urls, seeded, rng)
        phase = soak if args.soak else saturate
        return asyncio.run(phase(deployment, listeners, subs, work, args))
    finally:
        if listeners is not None:
            listeners.kill()
        deployment.close(keep=args.keep)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", nargs="+", choices=MODES, default=["embedded"])
    parser.add_argument("--soak", action="store_true", help="moderate load for --duration")
    parser.add_argument("--users", type=lambda s: [int(x) for x in s.split(",")],
                        default=[2, 4, 8, 16, 32, 64], help="saturation steps (virtual users)")
    parser.add_argument("--step-seconds", type=float, default=20)
    parser.add_argument("--ramp", type=float, default=3, help="unmeasured seconds per step")
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=True,
                        help="py-spy the servers at the saturation point")
    parser.add_argument("--profile-seconds", type=float, default=20)
    parser.add_argument("--profile-dir", default=str(Path(tempfile.gettempdir()) / "community-load"))
    parser.add_argument("--duration", type=float, default=600, help="soak seconds")
    parser.add_argument("--samples", type=int, default=10, help="soak intervals")
    parser.add_argument("--rate", type=float, help="soak req/s (default: half of a probe's)")
    parser.add_argument("--soak-users", type=int, default=32)
    parser.add_argument("--listeners", type=int, default=500)
    parser.add_argument("--listener-processes", type=int, default=4)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--browsers", type=int, default=40, help="members signed in by cookie")
    parser.add_argument("--threads", type=int, default=200)
    parser.add_argument("--posts", type=int, default=2500)
    parser.add_argument("--ideas", type=int, default=100)
    parser.add_argument("--votes", type=int, default=600)
    parser.add_argument("--hot", type=int, default=20, help="threads the replies go to")
    parser.add_argument("--followers", type=int, default=40, help="watchers of each of those")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--keep", action="store_true", help="keep the instance folder (logs)")
    args = parser.parse_args()
    failed = False
    for mode in args.mode:
        failed |= run(mode, args)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
