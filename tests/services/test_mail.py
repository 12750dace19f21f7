import email
import smtplib
import time
from datetime import timedelta
from email import policy
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import select

from community.extensions import db
from community.jobs.queue import start_consumer, stop_consumer
from community.models import OutboxEmail, StatusChange, utcnow
from community.services import feedback, follows, mail, notifications
from community.services.unit import use_case

from ..factories import make_forum, make_reply, make_thread, make_user


def outbox() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def eml_files(app) -> list[Path]:
    return sorted((Path(app.instance_path) / "outbox").glob("*.eml"))


def parse(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


@pytest.fixture
def replied(app, member, moderator):
    """mia's thread with a reply from moe that mentions her: one email queued for her."""
    thread = make_thread(member, make_forum(), title="Rain fly <tips>")
    post = make_reply(moderator, thread, "Pitch the **fly** first, @mia.")
    return thread, post


# --- rendering ---------------------------------------------------------------------------------

def test_the_email_has_text_and_html_a_link_to_the_post_and_an_unsubscribe_link(app, replied,
                                                                                   member):
    _, post = replied
    [queued] = outbox()
    assert (queued.kind, queued.status, queued.to_address) == \
        ("mention", "queued", "mia@example.com")
    message = mail.build_message(queued)
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://localhost:5000/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"] == "[Community] moe mentioned you in “Rain fly <tips>”."
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"http://localhost:5000/p/{post.id}"
    for body in (text, html):
        assert link in body and unsubscribe in body and "Hi mia" in body
        assert "http://localhost:5000/settings/notifications" in body
    assert "> Pitch the fly first, @mia." in text  # the post's words, without markup
    assert "Rain fly &lt;tips&gt;" in html and "<tips>" not in html  # escaped in HTML


def test_links_use_base_url(app_factory):
    app = app_factory(BASE_URL="https://community.example.com/")
    member = make_user("mia")
    make_thread(make_user("moe"), make_forum(), body="Hello @mia")
    [queued] = outbox()
    assert queued.user_id == member.id
    assert "https://community.example.com/p/" in queued.body_text
    assert mail.build_message(queued)["List-Unsubscribe"].startswith(
        "<https://community.example.com/unsubscribe/")
    assert app.config["BASE_URL"] == "https://community.example.com/"


def test_unsubscribe_tokens_are_signed(app, member):
    token = mail.unsubscribe_token(member.id, "reply")
    assert mail.read_unsubscribe_token(token) == (member.id, "reply")
    assert mail.read_unsubscribe_token(token[:-2] + "xx") is None
    assert mail.read_unsubscribe_token("nonsense") is None
    user, kind = notifications.unsubscribe(token)
    assert (user.id, kind) == (member.id, "reply")
    assert notifications.preferences_of(member)["reply"] == {"in_app": True, "email": False}
    notifications.unsubscribe(mail.unsubscribe_token(member.id, "digest"))
    db.session.refresh(member)
    assert member.digest == "off"


def test_a_key_is_queued_once(app, member):
    @use_case
    def queue():
        return mail.queue_email(member, "reply", "same-key", "Hello", "notification",
                                message="Hello", excerpt="", reason="Test", author=None,
                                link="http://localhost:5000/")

    assert queue() is True
    assert queue() is False
    assert len(outbox()) == 1


# --- sending ------------------------------------------------------------------------------------

def test_the_embedded_default_writes_eml_files_and_sends_each_email_once(app, replied):
    assert mail.send_due() == {"sent": 1}
    [path] = eml_files(app)
    message = parse(path)
    assert message["To"] == "mia@example.com"
    assert message["From"] == "Community <community@localhost>"
    assert message.get_body(("html",)) is not None and message.get_body(("plain",)) is not None
    [sent] = outbox()
    assert sent.status == "sent" and sent.sent_at is not None and sent.attempts == 1
    assert mail.send_due() == {}
    assert len(eml_files(app)) == 1


def test_a_claimed_email_is_not_claimed_again(app, replied):
    [queued] = outbox()
    assert mail._claim(queued.id) is not None
    assert mail._claim(queued.id) is None  # a second sender gets nothing
    assert mail.send_due() == {}


class BrokenTransport:
    def __init__(self):
        self.calls = 0

    def send(self, message, name):
        self.calls += 1
        raise smtplib.SMTPServerDisconnected("connection lost")


def test_failures_are_retried_with_backoff_then_given_up(app, replied, monkeypatch):
    broken = BrokenTransport()
    monkeypatch.setattr(mail, "transport_for", lambda app: broken)
    assert mail.send_due() == {"retry": 1}
    [queued] = outbox()
    assert queued.status == "queued" and queued.attempts == 1
    assert "connection lost" in queued.last_error
    assert queued.next_attempt_at >= utcnow() + timedelta(seconds=50)
    assert mail.send_due() == {}  # not due yet

    for attempt in range(2, len(mail.RETRY_DELAYS) + 2):
        queued.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        outcome = mail.send_due()
        [queued] = outbox()
        assert queued.attempts == attempt
    assert outcome == {"failed": 1} and queued.status == "failed"
    assert broken.calls == len(mail.RETRY_DELAYS) + 1


class FakeSMTP:
    instances: ClassVar[list["FakeSMTP"]] = []

    def __init__(self, host, port, timeout=None, **kwargs):
        self.host, self.port, self.log = host, port, []
        FakeSMTP.instances.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.log.append("quit")

    def starttls(self, context=None):
        self.log.append("starttls")

    def login(self, user, password):
        self.log.append(("login", user, password))

    def send_message(self, message):
        self.log.append(("send", message["To"]))


def test_smtp_url(app_factory, monkeypatch):
    app = app_factory(SMTP_URL="smtp://mailer%40brand:p%40ss@mail.example.com:2525?starttls=1")
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.instances.clear()
    make_user("mia")
    make_thread(make_user("moe"), make_forum(), body="Hello @mia")
    assert mail.send_due() == {"sent": 1}
    [smtp] = FakeSMTP.instances
    assert (smtp.host, smtp.port) == ("mail.example.com", 2525)
    assert smtp.log == ["starttls", ("login", "mailer@brand", "p@ss"), ("send", "mia@example.com"),
                        "quit"]
    assert eml_files(app) == []

    plain = mail.SmtpTransport("smtp://relay.internal")
    assert (plain.port, plain.starttls, plain.username, plain.tls) == (25, False, None, False)
    assert mail.SmtpTransport("smtps://u:p@mail.example.com").port == 465
    with pytest.raises(ValueError):
        mail.SmtpTransport("http://mail.example.com")


def test_the_background_sender_sends_what_a_commit_queued(app_factory):
    # The sender is now the job queue's consumer that `community serve` starts.
    app = app_factory(JOBS_BACKEND="sqlite", JOBS_POLL_SECONDS=0.2, JOBS_CONSUMER=False)
    assert start_consumer(app) is None  # turned off
    app.config["JOBS_CONSUMER"] = True
    consumer = start_consumer(app)
    try:
        assert consumer.scheduler.is_alive() and start_consumer(app) is consumer  # one per app
        make_user("mia")
        make_thread(make_user("moe"), make_forum(), body="Hello @mia")
        for _ in range(100):  # waits for the outcome, up to 10 s; not a timing assertion
            if eml_files(app):
                break
            time.sleep(0.1)
    finally:
        stop_consumer(app)
    assert not consumer.scheduler.is_alive()
    [path] = eml_files(app)
    assert "Hello @mia" in parse(path).get_body(("plain",)).get_content()


# --- digests -----------------------------------------------------------------------------------

def test_digest_selection(app, member, moderator, staff):
    general, ideas = make_forum(), make_forum("ideas", kind="ideas")
    private = make_forum("staff-room", private=True)
    quiet = make_thread(moderator, general, title="Quiet thread")
    busy = make_thread(moderator, general, title="Busy thread")
    muted = make_thread(moderator, general, title="Muted thread")
    secret = make_thread(moderator, private, title="Secret thread")
    for thread, replies in ((busy, 3), (muted, 4), (secret, 5), (quiet, 1)):
        for n in range(replies):
            make_reply(staff, thread, f"Reply number {n} to {thread.title}")
    follows.follow_thread(member, muted, "muted")

    voted = make_thread(moderator, ideas, title="Voted idea")
    followed = make_thread(moderator, ideas, title="Followed idea")
    other = make_thread(moderator, ideas, title="Other idea")
    feedback.vote_thread(member, voted, 1)
    follows.follow_thread(member, followed, "tracking")
    feedback.set_idea_status(staff, voted, "planned", "Soon.")
    feedback.set_idea_status(staff, voted, "in_progress", "Started.")
    feedback.set_idea_status(staff, followed, "declined")
    feedback.set_idea_status(staff, other, "planned")

    from community.queries.notifications import digest_for

    now = utcnow()
    digest = digest_for(member, now - timedelta(days=7), now + timedelta(seconds=1))
    # Most new posts first (the opening post and status notes count); ties: votes, then newest.
    assert [(p.thread.title, p.new_posts) for p in digest.popular] == [
        ("Busy thread", 4), ("Voted idea", 3), ("Other idea", 2), ("Followed idea", 2),
        ("Quiet thread", 2)]
    assert [(m.thread.title, m.change.to_status) for m in digest.status_changes] == [
        ("Followed idea", "declined"), ("Voted idea", "in_progress")]
    assert "Secret thread" in [p.thread.title for p in digest_for(
        moderator, now - timedelta(days=7), now + timedelta(seconds=1)).popular]

    # Older activity is outside the window.
    later = digest_for(member, now + timedelta(seconds=1), now + timedelta(days=1))
    assert later.is_empty

    notifications.set_preferences(member, member, kinds={"idea_status": {"email": False}})
    week = (now - timedelta(days=7), now + timedelta(seconds=1))
    assert digest_for(member, *week).status_changes == []
    assert db.session.query(StatusChange).count() == 4


def test_digests_are_queued_for_those_who_chose_them_once_per_period(app, member, moderator):
    busy = make_thread(moderator, make_forum(), title="Busy thread")
    make_reply(moderator, busy, "more")
    daily, off = make_user("dana"), make_user("otto")
    notifications.set_preferences(daily, daily, digest="daily")
    notifications.set_preferences(off, off, digest="off")
    before = len(outbox())
    until = utcnow() + timedelta(seconds=1)
    # mia, moe and the admin who made the forum are weekly (the default).
    assert mail.queue_digests("weekly", until) == 3
    assert mail.queue_digests("weekly", until) == 0  # already queued this week
    assert mail.queue_digests("daily", until) == 1
    digests = [e for e in outbox()[before:]]
    assert sorted(e.to_address for e in digests) == [
        "dana@example.com", "fixture_admin@example.com", "mia@example.com", "moe@example.com"]
    [mine] = [e for e in digests if e.to_address == "mia@example.com"]
    assert mine.kind == "digest" and mine.subject == "[Community] This week in the community"
    assert "Busy thread" in mine.body_text and f"/t/{busy.id}" in mine.body_html
    assert mail.unsubscribe_url(member.id, "digest") in mine.body_text
    # Nothing happened in the window: no email at all.
    assert mail.queue_digests("daily", until + timedelta(days=3)) == 0


def test_cli_commands(app, replied):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["outbox", "status"]).output.strip() == \
        "queued: 1, sending: 0, sent: 0, failed: 0"
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and "Sent 1;" in result.output
    assert len(eml_files(app)) == 1
    result = runner.invoke(args=["digest", "--weekly"])
    assert result.exit_code == 0 and result.output.strip() == "Queued 3 weekly digests."
    assert runner.invoke(args=["digest"]).exit_code != 0
