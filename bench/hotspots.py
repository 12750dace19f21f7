"""Where a server process spends its time: py-spy samples of the thread holding the GIL,
summed by layer (innermost matching frame), by what the code was inside of, and by activity.
"""

import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PY_SPY = Path(sys.executable).parent / "py-spy"

# A sample is charged to the first layer (in this order) that any of its frames belongs to,
# looking from the innermost frame outwards.
LAYERS = (
    ("SQL driver (sqlite3 / psycopg)", ("sqlite3/", "psycopg/", "psycopg_binary/", "psycopg_c/")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("Markdown + bleach", ("markdown_it/", "bleach/", "html5lib/", "tinycss2/", "community/text.py")),
    ("argon2", ("argon2/",)),
    ("Jinja2 (templates)", ("jinja2/", ".html:")),
    ("Socket.IO / Engine.IO / websocket", ("socketio/", "engineio/", "simple_websocket/",
                                            "wsproto/")),
    ("Redis client", ("redis/",)),
    ("email outbox (building, writing)", ("community/services/mail.py", "email/generator.py",
                                          "email/message.py", "email/contentmanager.py")),
    ("JSON", ("json/",)),
    ("Werkzeug (HTTP, routing)", ("werkzeug/", "http/server.py", "socketserver.py", "email/")),
    ("Flask and extensions", ("flask/", "flask_", "wtforms/", "itsdangerous/", "limits/")),
    ("app code (community/)", ("community/",)),
)
# What a sample was inside of (a sample can be inside several).
INSIDE = (
    ("rendering a template", ("render_template (flask/templating.py",)),
    ("a SQLAlchemy call", ("sqlalchemy/",)),
    ("writing a post (Markdown, bleach)", ("render (community/text.py",)),
    ("emitting events (dispatcher thread)", ("_run (community/realtime/publisher.py",)),
    ("a job (email, webhooks…) on the queue's threads", ("huey/consumer.py",)),
    ("a Socket.IO / websocket thread", ("simple_websocket/", "engineio/async_drivers/")),
    ("a request (WSGI)", ("wsgi_app (flask/app.py",)),
)


@dataclass
class Profile:
    samples: int = 0
    seconds: float = 0.0
    rate: int = 0
    layers: Counter = field(default_factory=Counter)
    inside: Counter = field(default_factory=Counter)
    views: Counter = field(default_factory=Counter)
    leaves: Counter = field(default_factory=Counter)

    @property
    def gil_busy(self) -> float:
        """Share of the time some thread of the process held the GIL."""
        return self.samples / (self.seconds * self.rate) if self.seconds else 0.0


def record(pids: list[int], seconds: float, out: Path, rate: int = 100) -> list[Path]:
    """Sample each process for `seconds` (all at once); the raw stack files."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"py-spy-{pid}.txt" for pid in pids]
    procs = [subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--duration",
                               str(int(seconds)), "--rate", str(rate), "--gil", "--nonblocking",
                               "--format", "raw", "--output", str(path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for pid, path in zip(pids, paths)]
    for p in procs:
        try:
            p.wait(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return [p for p in paths if p.exists()]


def summarize(path: Path, seconds: float, rate: int = 100) -> Profile:
    """Read a raw py-spy file ("frame;frame;... count" lines, outermost frame first)."""
    profile = Profile(seconds=seconds, rate=rate)
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, n = stack.split(";"), int(count)
        profile.samples += n
        profile.layers[_layer(frames)] += n
        for name, marks in INSIDE:
            if any(m in f for f in frames for m in marks):
                profile.inside[name] += n
        profile.views[_view(frames)] += n
        profile.leaves[frames[-1]] += n
    return profile


def _layer(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, marks in LAYERS:
            if any(m in frame for m in marks):
                return name
    return "other (stdlib, threading)"


def _view(frames: list[str]) -> str:
    """The view a request sample belongs to (the first app frame Flask dispatched to), or
    what else the thread was doing."""
    for i, frame in enumerate(frames):
        if frame.startswith("Flask.dispatch_request ("):
            for inner in frames[i + 1:]:
                if "community/web/" in inner or "community/api/" in inner:
                    return inner.rsplit(":", 1)[0] + ")"
            return "other view"
    joined = ";".join(frames)
    for name, mark in (("job queue threads (huey)", "huey/consumer.py"),
                       ("event dispatcher thread", "Dispatcher._run ("),
                       ("websocket threads", "simple_websocket/"),
                       ("request, outside the view (parsing, session, login, hooks)",
                        "handle_one_request (")):
        if mark in joined:
            return name
    return "other"


def report(profile: Profile, name: str, top: int = 12) -> str:
    total = profile.samples or 1
    lines = [f"{name}: {profile.samples} samples in {profile.seconds:.0f} s; the GIL was held "
             f"{profile.gil_busy:.0%} of the time"]

    def table(title: str, counter: Counter, limit: int) -> None:
        lines.append(f"  {title}")
        for key, n in counter.most_common(limit):
            lines.append(f"    {n / total:6.1%}  {key}")

    table("by layer (innermost frame):", profile.layers, len(LAYERS) + 1)
    table("inside:", profile.inside, len(INSIDE))
    table("by view or thread:", profile.views, top)
    table("hottest frames:", profile.leaves, top)
    return "\n".join(lines)
