"""What a load run found, as tables: throughput, latency per request type, errors, live
event delivery, CPU; and where throughput stopped rising."""

import os
from collections import Counter
from dataclasses import dataclass, field

from listeners import Received
from stats import percentile
from workload import KINDS, Sent, Tally


@dataclass
class Delivery:
    """Live events for a set of replies: how many listeners should and did get them."""

    expected: int = 0
    delivered: int = 0
    from_send: list[float] = field(default_factory=list)    # receipt - request sent
    from_commit: list[float] = field(default_factory=list)  # receipt - created_at

    @property
    def missing(self) -> int:
        return self.expected - self.delivered


def deliveries(posts: list[Sent], received: list[Received],
               subscriptions: list[tuple[str, str]]) -> Delivery:
    """post.created to the reply's thread room, thread.updated to its forum room."""
    watching = Counter(room for room, _ in subscriptions)
    result = Delivery()
    by_post = {p.post_id: p for p in posts}
    # thread.updated carries the thread's last activity, which is the reply's created_at.
    by_update = {(p.thread_id, round(p.created, 6)): p for p in posts}
    for p in posts:
        result.expected += watching[f"thread:{p.thread_id}"] + watching[f"forum:{p.forum}"]
    for r in received:
        post = (by_post.get(r.key) if r.event == "post.created"
                else by_update.get((r.key, round(r.stamp, 6))))
        if post is not None:
            result.delivered += 1
            result.from_send.append(r.at - post.sent)
            result.from_commit.append(r.at - r.stamp)
    return result


@dataclass
class Step:
    users: int
    tally: Tally
    cpu: dict[str, float]           # % of one core over the step
    load: tuple[float, float, float]
    delivery: Delivery | None = None

    @property
    def throughput(self) -> float:
        return self.tally.requests / self.tally.seconds

    def p(self, q: float, kind: str | None = None) -> float:
        values = (self.tally.latencies[kind] if kind else
                  [x for k in KINDS for x in self.tally.latencies[k]])
        return percentile(values, q) * 1000


def ms(value: float) -> str:
    return "-" if value != value else f"{value:.0f}"


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def errors_text(errors: Counter) -> str:
    return ", ".join(f"{status}: {n}" for status, n in sorted(errors.items(), key=str)) or "none"


def kinds_table(tally: Tally) -> str:
    rows = ["| request | share | req/s | p50 ms | p99 ms | errors |", "| --- | --- | --- | --- | --- | --- |"]
    total = tally.requests or 1
    for kind in KINDS:
        n = sum(v for (k, _), v in tally.statuses.items() if k == kind)
        bad = Counter({s: v for (k, s), v in tally.statuses.items() if k == kind and s not in (200, 201)})
        values = tally.latencies[kind]
        rows.append(f"| {kind} | {n / total:.0%} | {n / tally.seconds:.1f} | "
                    f"{ms(percentile(values, 50) * 1000)} | {ms(percentile(values, 99) * 1000)} | "
                    f"{errors_text(bad)} |")
    return "\n".join(rows)


def step_line(step: Step) -> str:
    cpu = ", ".join(f"{name} {value:.0f}%" for name, value in step.cpu.items())
    return (f"{step.users} users: {step.throughput:.1f} req/s, p50 {ms(step.p(50))} ms, "
            f"p99 {ms(step.p(99))} ms, errors {errors_text(step.tally.errors())}; "
            f"CPU (% of one core) {cpu}; load avg {' '.join(f'{x:.2f}' for x in step.load)}")


def steps_table(steps: list[Step]) -> str:
    cpu_names = list(steps[0].cpu) if steps else []
    head = ("| users | req/s | p50 ms | p99 ms | errors | events delivered / expected | "
            "event p50 / p99 ms (from send) | " + " | ".join(f"CPU {n}" for n in cpu_names)
            + " | load avg |")
    rows = [head, "|" + " --- |" * (head.count("|") - 1)]
    for s in steps:
        d = s.delivery or Delivery()
        events = (f"{ms(percentile(d.from_send, 50) * 1000)} / {ms(percentile(d.from_send, 99) * 1000)}")
        rows.append(f"| {s.users} | {s.throughput:.1f} | {ms(s.p(50))} | {ms(s.p(99))} | "
                    f"{sum(s.tally.errors().values())} | {d.delivered} / {d.expected} | {events} | "
                    + " | ".join(f"{s.cpu[n]:.0f}%" for n in cpu_names)
                    + f" | {s.load[0]:.2f} |")
    return "\n".join(rows)


def saturation_point(steps: list[Step], gain: float = 0.10) -> Step:
    """The first step after which more users add less than `gain` throughput (the best
    step if throughput never stops rising)."""
    for before, after in zip(steps, steps[1:]):
        if after.throughput < before.throughput * (1 + gain):
            return before
    return max(steps, key=lambda s: s.throughput)


def delivery_line(d: Delivery) -> str:
    return (f"{d.delivered} of {d.expected} events delivered; from the request being sent "
            f"p50 {ms(percentile(d.from_send, 50) * 1000)} ms, p99 "
            f"{ms(percentile(d.from_send, 99) * 1000)} ms; from commit p50 "
            f"{ms(percentile(d.from_commit, 50) * 1000)} ms, p99 "
            f"{ms(percentile(d.from_commit, 99) * 1000)} ms")
