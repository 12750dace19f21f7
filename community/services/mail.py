"""Email: queued in the outbox by the transaction that caused it, sent later, at most once.

- `queue_email` renders an email (plain text and HTML, from templates/email/) and writes
  an OutboxEmail row in the caller's transaction: a rolled-back change sends nothing, and
  a `dedupe_key` seen before queues nothing.
- `send_due` sends what is due through the transport: SMTP when SMTP_URL is set, else
  .eml files in instance/outbox/. A row is claimed (queued -> sending) before it is sent,
  so of several senders only one sends it; a failure is retried with backoff, then the row
  is marked failed. A sender that dies between handing an email over and recording it
  leaves it "sending": it is never sent again (at most once, rather than twice).
- After the commit that queued an email, the send_email job (community.jobs) runs
  `send_due`; its periodic run every minute sends retries when they are due.
- Every email carries a one-click unsubscribe link (a token signed with SECRET_KEY), in
  its body and in the List-Unsubscribe header.
"""

import os
import smtplib
import ssl
from collections import Counter
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app, render_template
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select, update

from .. import jobs, text, urls
from ..extensions import db
from ..models import OutboxEmail, Post, PostState, User, utcnow
from ..queries.site import site_settings
from .rows import insert_if_absent
from .unit import use_case

# Seconds to wait before the 2nd, 3rd… attempt; after the last one the email has failed.
RETRY_DELAYS = (60, 300, 1800, 7200, 21600)
# Emails about the account itself (its password, its address): no one-click unsubscribe.
ACCOUNT_KINDS = {"password_reset", "password_changed", "confirm_email", "confirm_new_email",
                 "email_change_notice"}
DIGEST_PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


# --- links in emails (absolute, from community.urls) ---------------------------------------


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A signed token that stops one kind of email ("digest" or a notification kind)."""
    return _signer().dumps([user_id, kind])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, kind) from a token this app signed; None for anything else."""
    try:
        value = _signer().loads(token)
    except BadSignature:
        return None
    if (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)
            and isinstance(value[1], str)):
        return value[0], value[1]
    return None


def unsubscribe_url(user_id: int, kind: str) -> str:
    return urls.absolute(urls.path("notifications.unsubscribe",
                                    token=unsubscribe_token(user_id, kind)))


# --- queueing ------------------------------------------------------------------------------

def queue_email(user: User, kind: str, dedupe_key: str, subject: str, template: str,
                to_address: str | None = None, **context) -> bool:
    """Write an email to `user` into the outbox, in the current transaction.

    Renders templates/email/<template>.txt and .html; False if `dedupe_key` was queued before.
    `to_address`: another address than the member's (a new one they asked to confirm).
    """
    site = site_settings()
    context |= {"user": user, "site": site, "unsubscribe_url": unsubscribe_url(user.id, kind),
                "preferences_url": urls.absolute(urls.path("notifications.preferences")),
                "home_url": urls.absolute(urls.path("home.index"))}
    now = utcnow()
    queued = insert_if_absent(
        OutboxEmail, user_id=user.id, to_address=to_address or user.email, kind=kind,
        dedupe_key=dedupe_key[:120], subject=f"[{site['name']}] {subject}"[:200],
        body_text=render_template(f"email/{template}.txt", **context),
        body_html=render_template(f"email/{template}.html", **context),
        status="queued", attempts=0, next_attempt_at=now, last_error="", created_at=now)
    if queued:
        jobs.enqueue_after_commit("send_email")
    return queued


# --- digests -------------------------------------------------------------------------------

def digest_key(period: str, user_id: int, until: datetime) -> str:
    """One digest per member and day (daily) or ISO week (weekly), however often it is run."""
    if period == "daily":
        return f"digest:daily:{user_id}:{until.date().isoformat()}"
    year, week, _ = until.isocalendar()
    return f"digest:weekly:{user_id}:{year}-W{week:02d}"


@use_case
def queue_digest(user: User, period: str, until: datetime | None = None) -> bool:
    """System: queue the member's digest of the period ending `until`, unless it has nothing
    to say or was queued already; whether it was queued."""
    from ..queries.notifications import digest_for

    until = until or utcnow()
    if user.email_verified_at is None:  # only the confirmation goes to an unconfirmed address
        return False
    digest = digest_for(user, until - DIGEST_PERIODS[period], until)
    if digest.is_empty:
        return False
    # A status note's post opens with "**Status: …**" (services.feedback): the digest
    # shows the status itself, and the note after it.
    notes = {p.id: text.plain_text(p.body.partition("\n\n")[2], 240) for p in db.session.scalars(
        select(Post).where(Post.id.in_([m.change.post_id for m in digest.status_changes
                                         if m.change.post_id]),
                           Post.state == PostState.PUBLISHED))}
    title = "Today" if period == "daily" else "This week"
    return queue_email(user, "digest", digest_key(period, user.id, until),
                       f"{title} in the community", "digest", period=period, digest=digest,
                       notes=notes,
                       thread_link=lambda thread_id: urls.absolute(urls.thread_url(thread_id)))


def queue_digests(period: str, until: datetime | None = None) -> int:
    """System: queue the digest of every member who chose `period`; how many were queued."""
    if period not in DIGEST_PERIODS:
        raise ValueError(f"unknown digest period {period!r}")
    until = until or utcnow()
    ids = db.session.scalars(select(User.id).where(User.digest == period).order_by(User.id)).all()
    queued = 0
    for user_id in ids:
        user = db.session.get(User, user_id)
        if user is not None and not user.is_suspended():
            queued += queue_digest(user, period, until)
    return queued


# --- sending -------------------------------------------------------------------------------

class FileTransport:
    """The embedded default: each email becomes an .eml file a developer can open."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage, name: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{name}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(message.as_bytes())
        os.replace(partial, path)


class SmtpTransport:
    """smtp://user:password@host:port (?starttls=1), or smtps:// for TLS from the start."""

    def __init__(self, url: str, timeout: float = 20) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:password@host:port")
        query = parse_qs(parts.query)
        self.tls = parts.scheme == "smtps"
        self.starttls = query.get("starttls", ["0"])[-1].lower() in ("1", "true", "yes", "on")
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 587 if self.starttls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else ""
        self.timeout = timeout

    def send(self, message: EmailMessage, name: str) -> None:
        context = ssl.create_default_context()
        if self.tls:
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with connection as smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


def transport_for(app: Flask):
    url = app.config.get("SMTP_URL")
    if url:
        return SmtpTransport(url, app.config.get("SMTP_TIMEOUT", 20))
    return FileTransport(Path(app.instance_path) / "outbox")


def build_message(email: OutboxEmail) -> EmailMessage:
    """The MIME message for an outbox row: plain text and HTML, with List-Unsubscribe."""
    # Long lines are allowed in headers (RFC 5322: 998), so List-Unsubscribe stays a plain URL.
    message = EmailMessage(policy=policy.default.clone(max_line_length=998))
    message["Subject"] = email.subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = email.to_address
    message["Date"] = formatdate(email.created_at.timestamp(), usegmt=True)
    domain = urlsplit(urls.absolute("/")).hostname or "localhost"
    message["Message-ID"] = make_msgid(f"outbox.{email.id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    if email.user_id is not None and email.kind not in ACCOUNT_KINDS:
        message["List-Unsubscribe"] = f"<{unsubscribe_url(email.user_id, email.kind)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(email.body_text)
    message.add_alternative(email.body_html, subtype="html")
    return message


def send_due(limit: int = 100) -> dict[str, int]:
    """System: send the queued emails that are due, oldest first, each at most once.

    Returns how many were sent, left to retry and failed for good.
    """
    transport = transport_for(current_app)
    due = db.session.scalars(
        select(OutboxEmail.id).where(
            OutboxEmail.status == "queued",
            or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= utcnow()))
        .order_by(OutboxEmail.id).limit(limit)).all()
    outcome: Counter[str] = Counter()
    for email_id in due:
        email = _claim(email_id)
        if email is None:
            continue  # another sender has it
        try:
            transport.send(build_message(email), f"{email.id:06d}-{email.kind}")
        except Exception as exc:
            current_app.logger.warning("email %s not sent: %s", email.id, exc)
            outcome[_record_failure(email_id, exc)] += 1
        else:
            _record_sent(email_id)
            outcome["sent"] += 1
    return dict(outcome)


@use_case
def _claim(email_id: int) -> OutboxEmail | None:
    """System: take a queued email for sending; None if another sender took it first."""
    claimed = db.session.execute(
        update(OutboxEmail).where(OutboxEmail.id == email_id, OutboxEmail.status == "queued")
        .values(status="sending", attempts=OutboxEmail.attempts + 1)
        .returning(OutboxEmail.id)).first()
    if claimed is None:
        return None
    return db.session.get(OutboxEmail, email_id, populate_existing=True)


@use_case
def _record_sent(email_id: int) -> None:
    """System: the transport accepted the email."""
    email = db.session.get(OutboxEmail, email_id, populate_existing=True)
    email.status, email.sent_at, email.next_attempt_at = "sent", utcnow(), None


@use_case
def _record_failure(email_id: int, exc: Exception) -> str:
    """System: the transport refused; queue the email again later, or give up ("failed")."""
    email = db.session.get(OutboxEmail, email_id, populate_existing=True)
    email.last_error = f"{type(exc).__name__}: {exc}"[:1000]
    if email.attempts > len(RETRY_DELAYS):
        email.status, email.next_attempt_at = "failed", None
        return "failed"
    email.status = "queued"
    email.next_attempt_at = utcnow() + timedelta(seconds=RETRY_DELAYS[email.attempts - 1])
    return "retry"


def outbox_counts() -> dict[str, int]:
    """How many emails are queued, sending, sent and failed."""
    from sqlalchemy import func

    return dict(db.session.execute(
        select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)).all())
