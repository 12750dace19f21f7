"""The job queue: email, webhooks, digests, month-end awards and retries, off the request.

`queue.py` is the machinery (huey: SQLite in instance/ by default, Redis with REDIS_URL;
jobs enqueued only after their transaction commits; the consumers). `tasks.py` lists every
job and its schedule. The tables stay the source of truth: a job sends what is due, and the
periodic sweeps send anything a lost job left behind. See docs/jobs.md.
"""

from .queue import enqueue_after_commit

__all__ = ["enqueue_after_commit"]
