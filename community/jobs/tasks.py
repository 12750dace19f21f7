"""Every background job and when it runs, in one place (docs/jobs.md).

A job carries no arguments: it reads what is due from the tables (outbox_email and
webhook_delivery rows with their next_attempt_at) and does it. Jobs are enqueued after the
commit that made work (services call `jobs.enqueue_after_commit`), and the periodic ones
also run by themselves, so no cron is needed and a lost job delays work by a minute at most.
Schedules are in UTC.
"""

from datetime import timedelta

from flask import Flask, current_app
from huey import crontab

from ..services import advocacy, mail, webhooks
from . import queue
from .queue import Job

EMAIL_BATCH = 100


def send_email() -> None:
    """Send the outbox emails that are due: new ones, and retries whose time has come."""
    while sum(mail.send_due(limit=EMAIL_BATCH).values()) >= EMAIL_BATCH:
        pass


def deliver_webhooks() -> None:
    """Send the webhook deliveries that are due: new ones, and retries after their backoff."""
    if current_app.config["WEBHOOKS_WORKER"]:
        webhooks.deliver_due()


def prune_webhook_deliveries() -> None:
    """Forget finished webhook deliveries older than WEBHOOKS_KEEP_DAYS (0: keep them)."""
    days = current_app.config["WEBHOOKS_KEEP_DAYS"]
    if days:
        webhooks.prune_deliveries(timedelta(days=days))


def daily_digests() -> None:
    """Queue the daily digest of every member who chose one (each sent once per day)."""
    mail.queue_digests("daily")


def weekly_digests() -> None:
    """Queue the weekly digest of every member who chose one (each sent once per ISO week)."""
    mail.queue_digests("weekly")


def month_end() -> None:
    """Award "Top 10 advocate" for the month that has just ended (once per member and month)."""
    advocacy.award_month_end()


JOBS = (
    Job("send_email", send_email, crontab(minute="*"), "after a commit that queued an email; "
        "every minute (retries)"),
    Job("deliver_webhooks", deliver_webhooks, crontab(minute="*"),
        "after a commit that queued a delivery; every minute (retries with backoff)"),
    Job("daily_digests", daily_digests, crontab(minute="0", hour="7"), "every day at 07:00",
        retries=3, retry_delay=300),
    Job("weekly_digests", weekly_digests, crontab(minute="0", hour="7", day_of_week="1"),
        "Mondays at 07:00", retries=3, retry_delay=300),
    Job("month_end", month_end, crontab(minute="30", hour="0", day="1"),
        "the 1st of each month at 00:30, for the month before", retries=3, retry_delay=300),
    Job("prune_webhook_deliveries", prune_webhook_deliveries, crontab(minute="15", hour="3"),
        "every day at 03:15"),
)


def init_app(app: Flask) -> queue.JobQueue:
    """Give the app its job queue, with every job above registered on it."""
    return queue.init_app(app, JOBS)
