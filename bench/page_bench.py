"""Pages against the framework floor: req/s of the community's pages next to a Flask
"hello world" served by the same kind of server, measured side by side in one run.

    .venv/bin/python bench/page_bench.py                 # 3 interleaved rounds, wrk -t2 -c16 -d10s
    .venv/bin/python bench/page_bench.py --rounds 1 --duration 5
    .venv/bin/python bench/page_bench.py --profile       # cProfile of the pages, in process
    PYTHONPATH=/tmp/old-tree .venv/bin/python bench/page_bench.py   # another copy of the code

TCP_NODELAY: without it, gevent's server holds each keep-alive response ~40 ms (Nagle and
the client's delayed ACK), which caps the hello world near 350 req/s. `community serve` sets
it (community/server.py); the bench probes the server on one connection and gives the hello
world the same setting, so an older tree is compared on its own terms.
docs/benchmarks.md, "Pages against the framework floor".

One `community serve` process (SQLite in a temporary instance folder, rate limits off) and
one hello-world process. The hello world runs on the server `community serve` runs on: if
the community answers with a Werkzeug `Server` header it is Werkzeug's threaded server (as
Flask-SocketIO's `run` serves it), else gevent.pywsgi after gevent.monkey.patch_all().
Data: a thread of 50 posts by 12 members (votes, an accepted answer; its first page shows
20 posts), 20 more threads, a staff member for the insights page (one-year range). Every
process is killed at the end, whatever happens; each wrk run is bounded by its own
duration plus a timeout.
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"
PASSWORD = "a long bench passphrase"
POSTS = 50

HELLO = textwrap.dedent("""
    import sys
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "gevent":
        from gevent import monkey
        monkey.patch_all()
    from flask import Flask
    app = Flask("hello")

    @app.route("/")
    def hello():
        return "Hello, World!"

    if kind == "gevent":
        import socket
        from gevent.pywsgi import WSGIServer
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if sys.argv[3] == "nodelay":  # inherited by accepted sockets on Linux
            listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(1024)
        WSGIServer(listener, app, log=None).serve_forever()
    else:
        from werkzeug.serving import run_simple
        run_simple("127.0.0.1", port, app, threaded=True)
""")


# --- data ----------------------------------------------------------------------------------

def seed(database_url: str, instance: str) -> dict:
    """Members, forums, a 50-post thread and a staff member; returns the paths to load."""
    from community import create_app
    from community.cli import upgrade_database
    from community.extensions import db
    from community.models import Role
    from community.services import accounts, feedback, forums, support

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "seed", "REDIS_URL": None,
                      "AUTO_MODERATION": False, "RATELIMIT_ENABLED": False,
                      "POINTS_MIN_VOTER_AGE_HOURS": 0, "JOBS_BACKEND": "memory",
                      "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024},
                     instance_path=instance)
    upgrade_database(app)
    with app.app_context():
        def user(name, role=Role.MEMBER):
            return accounts.register_user(name, f"{name}@example.com", PASSWORD, role=role,
                                          verified=True)

        admin = user("bench_admin", Role.ADMIN)
        staff = user("bench_staff", Role.STAFF)
        members = [user(f"member{i:02d}") for i in range(12)]
        general = forums.create_forum(admin, "general", "General discussion")
        help_ = forums.create_forum(admin, "help", "Help and support", kind="support")
        forums.create_forum(admin, "ideas", "Ideas", kind="ideas")
        body = ("I have **tried** the [setup guide](https://help.example.com/setup) and the "
                "reset, and the Wi-Fi still drops every few hours. Thanks @member01!\n\n"
                "- router in the basement\n- two mesh nodes\n\nAny idea?")
        thread = forums.start_thread(members[0], help_, "The Wi-Fi drops every few hours",
                                     body, ())
        replies = []
        for i in range(POSTS - 1):
            replies.append(forums.reply(members[(i + 1) % len(members)], thread,
                                        f"Reply {i + 1}: {body}"))
        for i, post in enumerate(replies[:20]):
            for voter in members[:1 + i % 5]:
                if voter.id != post.author_id:
                    feedback.vote_post(voter, post, 1)
        support.accept_solution(members[0], thread, replies[3])
        for i in range(20):
            forums.start_thread(members[i % len(members)], general, f"Topic number {i}",
                                body, ())
        db.session.commit()
        thread_id = thread.id
    db.engine.dispose()
    today = date.today()
    return {"thread": f"/t/{thread_id}", "forum": "/f/general", "home": "/",
            "leaderboard": "/leaderboard",
            "insights": f"/insights?from={(today - timedelta(days=364)).isoformat()}"
                        f"&to={today.isoformat()}",
            "member": "member05", "staff": "bench_staff"}


# --- servers -------------------------------------------------------------------------------

def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    import requests
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not start:\n{log.read_text()}")


def log_in(base: str, username: str) -> str:
    """Sign in through the form; returns the Cookie header value."""
    import requests
    s = requests.Session()
    page = s.get(base + "/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = s.post(base + "/login", data={"csrf_token": token, "login": username,
                                      "password": PASSWORD}, timeout=30, allow_redirects=False)
    if r.status_code != 302:
        raise RuntimeError(f"login as {username} failed: {r.status_code}")
    return "; ".join(f"{c.name}={c.value}" for c in s.cookies)


def wrk(url: str, duration: int, cookie: str | None, connections: int = 16) -> float:
    threads = min(2, connections)
    cmd = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"  ! {url}: {errors.group(1)} non-2xx/3xx responses", file=sys.stderr)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def run(args) -> None:
    import requests
    instance = Path(tempfile.mkdtemp(prefix="community-pages-"))
    processes: list[subprocess.Popen] = []
    try:
        url = f"sqlite:///{instance / 'pages.db'}"
        paths = seed(url, str(instance))
        env = os.environ | {"DATABASE_URL": url, "SECRET_KEY": f"pages-{uuid.uuid4().hex}",
                            "COMMUNITY_RATELIMIT_ENABLED": "false",
                            "COMMUNITY_REQUIRE_2FA_FOR_STAFF": "false",
                            "COMMUNITY_INSTANCE_PATH": str(instance)}
        port = free_port()
        log = instance / "server.log"
        command = [str(BIN / "community"), "serve", "--port", str(port)]
        # cwd: the instance folder, so `python -c` imports the tree PYTHONPATH names
        processes.append(subprocess.Popen(command, env=env, stdout=log.open("w"),
                                          stderr=subprocess.STDOUT, cwd=instance))
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/healthz", processes[-1], log)
        server = requests.get(base + "/healthz", timeout=5).headers.get("Server", "")
        kind = "werkzeug" if "Werkzeug" in server else "gevent"
        # Nagle's algorithm and the client's delayed ACK hold each keep-alive response
        # ~40 ms when the server writes headers and body apart: a 1-connection probe of
        # /healthz tells whether `community serve` sets TCP_NODELAY; the floor does the same.
        probe = wrk(base + "/healthz", 1, None, connections=1)
        nodelay = probe > 100
        hport = free_port()
        hlog = instance / "hello.log"
        processes.append(subprocess.Popen([sys.executable, "-c", HELLO, kind, str(hport),
                                           "nodelay" if nodelay else "delay"],
                                          stdout=hlog.open("w"), stderr=subprocess.STDOUT,
                                          cwd=instance))
        wait_ready(f"http://127.0.0.1:{hport}/", processes[-1], hlog)
        member = log_in(base, paths["member"])
        staff = log_in(base, paths["staff"])
        targets = [
            ("hello world", f"http://127.0.0.1:{hport}/", None),
            ("thread 50 posts, anonymous", base + paths["thread"], None),
            ("thread 50 posts, signed in", base + paths["thread"], member),
            ("forum page", base + paths["forum"], None),
            ("home page", base + paths["home"], None),
            ("home page, signed in", base + paths["home"], member),
            ("leaderboard", base + paths["leaderboard"], None),
            ("insights, one year (staff)", base + paths["insights"], staff),
        ]
        for name, target, cookie in targets:  # warm up: first hits, caches, and a check
            r = requests.get(target, headers={"Cookie": cookie} if cookie else {}, timeout=60,
                             allow_redirects=False)
            if r.status_code != 200:
                raise RuntimeError(f"{name}: {r.status_code}")
            print(f"{name:<30} {len(r.content) / 1024:7.1f} KB", file=sys.stderr)
        print(f"server: {kind} (community serve Server header: {server or 'none'}); "
              f"TCP_NODELAY: {'on' if nodelay else 'off'} (one-connection /healthz probe: "
              f"{probe:.0f} req/s)")
        results: dict[str, list[float]] = {name: [] for name, _, _ in targets}
        for round_ in range(args.rounds):
            for name, target, cookie in targets:
                rate = wrk(target, args.duration, cookie)
                results[name].append(rate)
                print(f"  round {round_ + 1} {name:<30} {rate:9.1f} req/s", file=sys.stderr)
        floor = statistics.median(results["hello world"])
        heads = " | ".join(f"round {i + 1}" for i in range(args.rounds))
        print(f"\n| page | {heads} | median req/s | ratio to hello world |")
        print("| --- |" + " ---: |" * (args.rounds + 2))
        for name, rates in results.items():
            med = statistics.median(rates)
            cells = " | ".join(f"{r:.1f}" for r in rates)
            print(f"| {name} | {cells} | {med:.1f} | {med / floor:.3f} |")
        errors = log.read_text(errors="replace").count("Traceback")
        if errors:
            print(f"\n! the community server logged {errors} tracebacks ({log})", file=sys.stderr)
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if not args.keep:
            shutil.rmtree(instance, ignore_errors=True)


def profile(args) -> None:
    """cProfile of each page through the Flask test client (after one warm-up hit)."""
    import cProfile
    import io
    import pstats

    instance = Path(tempfile.mkdtemp(prefix="community-pages-profile-"))
    try:
        url = f"sqlite:///{instance / 'pages.db'}"
        paths = seed(url, str(instance))
        from community import create_app
        from community.auth import SESSION_KEY
        from community.services import accounts, sessions

        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "profile", "REDIS_URL": None,
                          "RATELIMIT_ENABLED": False, "JOBS_BACKEND": "memory",
                          "REQUIRE_2FA_FOR_STAFF": False}, instance_path=str(instance))

        def client(username=None):
            c = app.test_client()
            if username:
                with app.app_context():
                    user = accounts.find_user(username)
                    key = sessions.start(user, "bench")
                    from community.extensions import db
                    db.session.commit()
                    uid = user.id
                with c.session_transaction() as s:
                    s["_user_id"], s["_fresh"], s[SESSION_KEY] = str(uid), True, key
            return c

        pages = [("thread, anonymous", paths["thread"], None),
                 ("thread, signed in", paths["thread"], paths["member"]),
                 ("forum", paths["forum"], None), ("home", paths["home"], None),
                 ("leaderboard", paths["leaderboard"], None),
                 ("insights one year", paths["insights"], paths["staff"])]
        only = args.page
        for name, path, who in pages:
            if only and only not in name:
                continue
            c = client(who)
            assert c.get(path).status_code == 200, name
            n = args.profile_runs
            start = time.perf_counter()
            for _ in range(n):
                c.get(path)
            ms = (time.perf_counter() - start) / n * 1000
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(n):
                c.get(path)
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(args.top)
            size = len(c.get(path).data) / 1024
            print(f"\n===== {name}: {ms:.1f} ms per request (no profiler), {size:.1f} KB")
            print(out.getvalue())
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--page", help="profile only pages whose name contains this")
    parser.add_argument("--profile-runs", type=int, default=20)
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    # SIGTERM (a timeout) ends like Ctrl-C: the finally blocks stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.path.append(str(ROOT))  # PYTHONPATH (another tree) comes first
    profile(args) if args.profile else run(args)


if __name__ == "__main__":
    main()
