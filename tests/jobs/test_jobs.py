"""The job queue: jobs enqueued after commit only, sent by the job, swept when lost or
retried, the periodic schedule, and `community worker` as a real process."""

import email
import os
import socketserver
import subprocess
import threading
import time
from datetime import datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from community.errors import ValidationError
from community.extensions import db
from community.jobs.queue import queue_of
from community.models import OutboxEmail, Role, utcnow
from community.models.integrations import WebhookDelivery
from community.queries import advocacy as qa
from community.services import advocacy, forums, webhooks
from community.services.unit import use_case

from ..conftest import TEST_SETTINGS
from ..factories import make_forum, make_reply, make_thread, make_user
from ..servers import BIN
from ..services.test_webhooks import Receiver


class SmtpServer:
    """A small SMTP server on 127.0.0.1 that accepts every message and keeps it."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 localhost test SMTP")
                sender, recipients = "", []
                while line := self.rfile.readline():
                    command = line.decode().strip()
                    verb = command[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 localhost")
                    elif verb == "MAIL":
                        sender, recipients = command.split(":", 1)[1].strip(), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(command.split(":", 1)[1].strip())
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = []
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                        server.messages.append(email.message_from_bytes(
                            b"".join(data), policy=policy.default))
                        server.envelopes.append((sender, recipients))
                        self.reply("250 OK: queued")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:  # RSET, NOOP
                        self.reply("250 OK")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"smtp://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app(app_factory):
    return app_factory(WEBHOOKS_ALLOW_LOOPBACK=True)


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


# Jobs run in app contexts of their own, as in a worker: the test's session ends its read
# snapshot (commit) to see what they wrote.
def outbox() -> list[OutboxEmail]:
    db.session.commit()
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def deliveries() -> list[WebhookDelivery]:
    db.session.commit()
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def run_periodic(app, moment: datetime) -> list[str]:
    """Run the periodic jobs due at `moment` (UTC), as the consumer's scheduler does."""
    huey = queue_of(app).huey
    due = huey.read_periodic(moment)
    for task in due:
        huey.execute(task, moment)
    return [type(task).__name__ for task in due]


# --- after commit only -------------------------------------------------------------------

def test_an_email_queued_in_a_committed_transaction_is_sent_by_the_job(app_factory, smtp):
    app = app_factory(SMTP_URL=smtp.url)
    queue = queue_of(app)
    make_user("mia")
    thread = make_thread(make_user("moe"), make_forum(), body="Hello @mia")
    make_reply(make_user("max"), thread, "Also hello, @mia")  # a second email, same job
    assert queue.pending() == ["send_email"]  # one waiting job sends whatever is due
    assert smtp.messages == []  # nothing is sent inside the transaction

    queued = outbox()
    assert len(queued) >= 2 and {e.status for e in queued} == {"queued"}

    assert queue.run_pending() == ["send_email"]
    assert [m["To"] for m in smtp.messages] == [e.to_address for e in queued]
    assert [r for _, r in smtp.envelopes] == [[f"<{e.to_address}>"] for e in queued]
    [first] = [m for m in smtp.messages if m["To"] == "mia@example.com"
               and "Hello @mia" in m.get_body(("plain",)).get_content()]
    assert first["List-Unsubscribe"]
    assert {e.status for e in outbox()} == {"sent"}
    assert queue.pending() == []


def test_a_rolled_back_transaction_enqueues_nothing(app, admin, member):
    queue = queue_of(app)
    webhooks.create_webhook(admin, "http://127.0.0.1:9/hooks", ["post.created"])
    thread = make_thread(admin, make_forum())
    queue.run_pending()  # what setting up queued
    before = (len(outbox()), len(deliveries()))

    @use_case
    def reply_then_fail():
        forums.reply(admin, thread, "Hello @mia, this reply never happened.")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        reply_then_fail()
    assert queue.pending() == []
    assert (len(outbox()), len(deliveries())) == before

    make_reply(admin, thread, "Hello @mia, this one did.")
    assert sorted(queue.pending()) == ["deliver_webhooks", "send_email"]


# --- webhooks: the job, then the sweep for retries ----------------------------------------

def test_a_delivery_goes_out_through_the_job_and_a_failure_is_retried_by_the_sweep(
        app_factory, receiver):
    app = app_factory(WEBHOOKS_ALLOW_LOOPBACK=True)
    queue = queue_of(app)
    receiver.statuses = [200, 500, 200]
    admin, member = make_user("ada", role=Role.ADMIN), make_user("mia")
    webhooks.create_webhook(admin, receiver.url, ["thread.created"])
    make_thread(member, make_forum())
    assert queue.pending() == ["deliver_webhooks"]
    queue.run_pending()
    assert receiver.events() == ["thread.created"]
    assert [d.status for d in deliveries()] == ["delivered"]

    make_thread(member, make_forum("second"))
    queue.run_pending()  # the receiver answers 500: the delivery waits for its retry
    [_, failed] = deliveries()
    assert (failed.status, failed.attempts, failed.response_code) == ("pending", 1, 500)
    assert failed.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert queue.pending() == []  # no job is waiting: only the sweep will send it

    assert "deliver_webhooks" in run_periodic(app, utcnow())  # not due yet: nothing sent
    assert len(receiver.requests) == 2
    failed.next_attempt_at = utcnow() - timedelta(seconds=1)  # its backoff is over
    db.session.commit()
    assert "deliver_webhooks" in run_periodic(app, utcnow() + timedelta(minutes=1))
    assert len(receiver.requests) == 3
    [_, retried] = deliveries()
    assert (retried.status, retried.attempts, retried.response_code) == ("delivered", 2, 200)


def test_the_sweep_sends_what_a_lost_job_left(app, replied_email):
    queue = queue_of(app)
    queue.huey.flush()  # the job is lost (a Redis restart without persistence, say)
    run_periodic(app, utcnow())
    assert [e.status for e in outbox()] == ["sent"]
    # The sweep also cleared the "already waiting" mark the lost job left, so the next
    # commit enqueues again.
    make_reply(make_user("max"), replied_email, "And again, @mia")
    assert queue.pending() == ["send_email"]


@pytest.fixture
def replied_email(app):
    make_user("mia")
    thread = make_thread(make_user("moe"), make_forum(), body="Hello @mia")
    assert queue_of(app).pending() == ["send_email"]
    return thread


# --- the schedule --------------------------------------------------------------------------

def test_periodic_jobs_are_registered_with_their_schedule(app):
    queue = queue_of(app)
    assert [job.name for job in queue.schedule()] == [
        "send_email", "deliver_webhooks", "daily_digests", "weekly_digests", "month_end",
        "prune_webhook_deliveries"]

    def due(*when) -> set[str]:
        return {type(t).__name__ for t in queue.huey.read_periodic(datetime(*when))}

    sweeps = {"send_email", "deliver_webhooks"}
    assert due(2026, 3, 4, 13, 27) == sweeps  # a Wednesday afternoon: the sweeps only
    assert due(2026, 3, 4, 7, 0) == sweeps | {"daily_digests"}
    assert due(2026, 3, 2, 7, 0) == sweeps | {"daily_digests", "weekly_digests"}  # a Monday
    assert due(2026, 3, 1, 0, 30) == sweeps | {"month_end"}
    assert due(2026, 3, 4, 3, 15) == sweeps | {"prune_webhook_deliveries"}
    result = app.test_cli_runner().invoke(args=["worker", "--list"])
    assert result.exit_code == 0 and "month_end" in result.output
    assert "the 1st of each month at 00:30" in result.output


def test_the_month_end_job_awards_only_a_month_that_has_ended(app, member):
    make_thread(member, make_forum())  # points this month
    assert "month_end" in run_periodic(app, datetime(2026, 3, 1, 0, 30))  # for last month
    assert "top10-month" not in {a.badge.slug for a in qa.awards_of(member)}
    with pytest.raises(ValidationError):
        advocacy.award_month_end(utcnow().date())


# --- `community worker` ------------------------------------------------------------------

def wait_for(condition, what: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def test_community_worker_processes_a_job(app_factory, migrated_url, tmp_path):
    app = app_factory(JOBS_BACKEND="sqlite")
    log = tmp_path / "worker.log"
    env = os.environ | {
        "DATABASE_URL": migrated_url, "SECRET_KEY": TEST_SETTINGS["SECRET_KEY"],
        "COMMUNITY_INSTANCE_PATH": str(tmp_path), "COMMUNITY_JOBS_BACKEND": "sqlite",
        "COMMUNITY_JOBS_POLL_SECONDS": "0.2", "REDIS_URL": "", "SMTP_URL": ""}
    with log.open("w") as out:
        worker = subprocess.Popen([str(BIN / "community"), "worker", "--threads", "1"], env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        # Its first periodic round (the sweeps) runs at start; the email below comes after,
        # so the job enqueued by its commit is what sends it.
        wait_for(lambda: log.read_text().count("executed in") >= 2 or worker.poll() is not None,
                 "the worker's first sweep")
        assert worker.poll() is None, log.read_text()
        make_user("mia")
        make_thread(make_user("moe"), make_forum(), body="Hello @mia")
        assert queue_of(app).pending() == ["send_email"]
        [sent] = wait_for(lambda: list((Path(tmp_path) / "outbox").glob("*.eml")),
                          "the worker to send the email")
        assert "Hello @mia" in sent.read_text()
        wait_for(lambda: [e.status for e in outbox()] == ["sent"], "the row marked sent")
    finally:
        worker.terminate()  # SIGTERM: finish running jobs, then exit
        try:
            code = worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            raise
    text = log.read_text()
    assert "Running the sqlite job queue with 1 threads." in text
    runs = [line for line in text.splitlines() if "send_email" in line and "executed in" in line]
    assert len(runs) >= 2, text  # the startup sweep, then the job
    assert code == 0, text
