"""Live fan-out: one server process, 500 Socket.IO clients in a thread's room, paced replies.

    .venv/bin/python bench/fanout_bench.py                       # this checkout
    .venv/bin/python bench/fanout_bench.py --baseline 417dcdb     # and an older commit, same run

For each rate (replies/s, posted through the JSON API for a fixed time), every client should
receive each reply's `post.created`. Printed per rate: deliveries / expected, latency from
the POST being sent to receipt (p50 / p99 / max), and the server's CPU time per delivered
message (user + system time of the server process over the phase, from /proc, divided by
the deliveries). With --baseline, the same phases run against a server started from a git
worktree of that commit (its own code, this checkout's virtualenv), interleaved round by
round, so both columns share the machine's state. Servers and listeners are stopped at the
end whatever happens; every phase is bounded in time.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from listeners import Listeners  # noqa: E402
from realtime_bench import prepare  # noqa: E402
from stats import percentile  # noqa: E402
from tests import servers  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
# The `community` command of any tree: community.launch since issue 17, community.cli before.
SERVE = """import sys
sys.argv[0] = "community"
try:
    from community.launch import main
except ImportError:
    from community.cli import main
main()"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Server(servers.Server):
    """`community serve` from `tree` (None: this checkout's installed command, gevent)."""

    def __init__(self, tree: Path | None, env: dict[str, str], instance: Path) -> None:
        self.port = servers.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = instance / f"server-{self.port}.log"
        full = os.environ | env | {"COMMUNITY_INSTANCE_PATH": str(instance),
                                   "COMMUNITY_REQUIRE_2FA_FOR_STAFF": "false"}
        if tree is None:
            command = [str(ROOT / ".venv/bin/community"), "serve", "--port", str(self.port)]
        else:
            full["PYTHONPATH"] = str(tree)
            command = [sys.executable, "-c", SERVE, "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=full, stdout=self.log.open("w"),
                                        stderr=subprocess.STDOUT, cwd=tree or ROOT)
        try:
            self.wait_ready(timeout=30)
        except Exception:
            self.stop()
            raise

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)


def phase(server: Server, thread_id: int, token: str, clients: int, rate: float,
          seconds: float, label: str) -> dict:
    """Post `rate` replies a second for `seconds` to a room of `clients` listeners."""
    listeners = Listeners([server.url], [(f"thread:{thread_id}", "post.created")] * clients)
    sent: dict[str, float] = {}
    failures = [0]
    try:
        listeners.start()
        session = requests.Session()

        def post(text: str) -> None:
            sent[text] = time.time()
            try:
                response = session.post(f"{server.url}/api/v1/threads/{thread_id}/posts",
                                        json={"body": text}, timeout=30,
                                        headers={"Authorization": f"Bearer {token}"})
                if response.status_code != 201:
                    failures[0] += 1
            except requests.RequestException:
                failures[0] += 1

        post(f"warm-up {label} {rate}")
        time.sleep(1)
        cpu_before = server.cpu_seconds()
        listeners_before = sum(cpu_seconds(pid) for pid in listeners.pids)
        count = int(rate * seconds)
        start = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            for i in range(count):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(post, f"fanout {label} {rate} {i} {uuid.uuid4().hex[:6]}")
        time.sleep(3.0)  # late deliveries
        took = time.monotonic() - start
        cpu = server.cpu_seconds() - cpu_before
        listeners_cpu = sum(cpu_seconds(pid) for pid in listeners.pids) - listeners_before
        received, lost = listeners.stop(drain=0)
    finally:
        listeners.kill()
    latencies = [r.at - sent[r.text] for r in received if r.text in sent
                 and r.text.startswith("fanout")]
    expected = listeners.count * count
    return {"label": label, "rate": rate, "delivered": len(latencies), "expected": expected,
            "failures": failures[0], "lost": lost,
            "p50": percentile(latencies, 50) * 1000 if latencies else float("nan"),
            "p99": percentile(latencies, 99) * 1000 if latencies else float("nan"),
            "max": max(latencies) * 1000 if latencies else float("nan"),
            "cpu_ms_per_message": cpu * 1000 / max(len(latencies), 1),
            "server_busy": cpu / took, "listeners_busy": listeners_cpu / took}


def worktree(commit: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix="community-baseline-"))
    subprocess.run(["git", "worktree", "add", "--detach", "-f", str(path), commit], cwd=ROOT,
                   check=True, capture_output=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rates", default="5,10,25,50", help="replies per second, per phase")
    parser.add_argument("--seconds", type=float, default=8, help="length of each phase")
    parser.add_argument("--baseline", help="a commit to measure side by side (git worktree)")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]

    trees: dict[str, Path | None] = {"this checkout": None}
    if args.baseline:
        trees[args.baseline] = worktree(args.baseline)
    rows = []
    try:
        for rate in rates:
            for label, tree in trees.items():
                instance = Path(tempfile.mkdtemp(prefix="community-fanout-"))
                url = f"sqlite:///{instance / 'bench.db'}"
                thread_id, token = prepare(url, instance)
                server = Server(tree, {"DATABASE_URL": url, "SECRET_KEY": "bench-secret",
                                       "COMMUNITY_RATELIMIT_ENABLED": "false"}, instance)
                try:
                    row = phase(server, thread_id, token, args.clients, rate, args.seconds,
                                label)
                finally:
                    server.stop()
                rows.append(row)
                print(f"{label:>14} {rate:5.0f}/s  delivered {row['delivered']:>6} / "
                      f"{row['expected']:<6} p50 {row['p50']:7.0f} ms  p99 {row['p99']:7.0f} ms"
                      f"  max {row['max']:7.0f} ms  server CPU {row['cpu_ms_per_message']:.3f}"
                      f" ms/message  failed posts {row['failures']}; busy (cores): server "
                      f"{row['server_busy']:.2f}, listeners {row['listeners_busy']:.2f}",
                      flush=True)
    finally:
        for tree in trees.values():
            if tree is not None:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                               capture_output=True)

    print("\n| server | replies/s | delivered | p50 ms | p99 ms | max ms "
          "| server CPU ms / message | server / listeners busy (cores) |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['label']} | {row['rate']:.0f} | {row['delivered']} / {row['expected']} | "
              f"{row['p50']:.0f} | {row['p99']:.0f} | {row['max']:.0f} | "
              f"{row['cpu_ms_per_message']:.3f} | {row['server_busy']:.2f} / "
              f"{row['listeners_busy']:.2f} |")


if __name__ == "__main__":
    main()
