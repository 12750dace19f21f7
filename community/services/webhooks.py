"""Outgoing webhooks: reactions to domain events queue signed deliveries; a job sends them later.

A delivery row is written in the transaction of the change it reports, so a rolled-back
change is never announced. After the commit the deliver_webhooks job (community.jobs) sends
what is due, outside any request; failures wait out an exponential backoff in the row's
next_attempt_at, and the job's periodic run sends them when due. `community webhooks
deliver` does the same from the command line.

Every address is checked twice against server-side request forgery: when an admin saves
it and again right before each attempt (DNS may have changed). All addresses a host name
resolves to must be public; the connection then goes to the checked address itself.
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from sqlalchemy import func, select, update

from .. import jobs, permissions, serializers, visibility
from ..errors import ValidationError
from ..extensions import db
from ..models import utcnow
from ..models.integrations import Webhook, WebhookDelivery
from ..domain_events import (BadgeAwarded, IdeaStatusChanged, MemberJoined, PostPublished,
                             SolutionChanged, ThreadStarted)
from ..recognition import award_reason
from .unit import use_case

# The events a webhook can subscribe to, and what they mean.
EVENTS = {
    "thread.created": "A thread is started",
    "post.created": "A reply is posted",
    "idea.status_changed": "An idea's status changes",
    "solution.accepted": "An answer is accepted as the solution",
    "badge.awarded": "A member earns a badge",
    "member.joined": "A member joins",
}
PING = "ping"  # what "Send test" delivers
SIGNATURE_HEADER = "X-Community-Signature"
USER_AGENT = "Community-Webhooks/1"
MAX_WEBHOOKS = 50

BACKOFF_FACTOR = 4
MAX_BACKOFF = timedelta(hours=6)
# How long a claimed delivery is reserved for the job sending it.
LEASE = timedelta(minutes=5)


def setting(name: str):
    """A WEBHOOKS_* setting (defaults in community/config.py)."""
    return current_app.config[name]


# --- signing -----------------------------------------------------------------------------

def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Community-Signature value: HMAC-SHA256 of "<timestamp>.<body>" under the secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = 300,
                     now: float | None = None) -> bool:
    """What a receiver does: the signature matches and is at most `tolerance` seconds old."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# --- addresses (SSRF) --------------------------------------------------------------------

class UnsafeAddress(Exception):
    """The webhook's host resolves to an address webhooks may not reach, or to none."""


# IPv6 forms that carry an IPv4 address. A packet sent to one of them can end up at that
# IPv4 address (a dual-stack socket, a 6to4 relay, a Teredo relay, a NAT64 gateway), so
# "is this IPv6 address global?" is the wrong question: Python 3.11 calls 64:ff9b::10.0.0.1,
# ::127.0.0.1 and 2002:a00:1:: global.
#  - NAT64 64:ff9b::/96 (RFC 6052) is how IPv6-only networks with DNS64 reach IPv4-only
#    hosts, so a legitimate receiver can resolve to it: its embedded IPv4 (the last 32 bits)
#    must pass the IPv4 rule, and the loopback allowance never applies (it goes out
#    through the gateway, not to this machine).
#  - Refused outright: the local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215; where the IPv4
#    sits depends on a prefix length only the local network knows), IPv4-compatible
#    ::a.b.c.d (deprecated by RFC 4291), 6to4 2002::/16 (deprecated by RFC 7526) and
#    Teredo 2001::/32. No receiver needs them, and refusing the range whole does not
#    depend on which embedded address a relay would really use.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_REFUSED_V6 = (ipaddress.IPv6Network("64:ff9b:1::/48"), ipaddress.IPv6Network("::/96"))


def _embeds_ipv4(ip: ipaddress.IPv6Address) -> bool:
    return ip.sixtofour is not None or ip.teredo is not None or any(
        ip in net for net in _REFUSED_V6)


def _allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address) and not ip.is_loopback:  # ::1 is in ::/96
        if ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
            return embedded.is_global and not embedded.is_multicast
        if _embeds_ipv4(ip):
            return False
    if ip.is_loopback:
        return bool(setting("WEBHOOKS_ALLOW_LOOPBACK"))
    # Not private, link-local (cloud metadata at 169.254.169.254), shared, reserved…
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, each checked; UnsafeAddress if any is not allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeAddress(f"The host name {host} does not resolve.") from None
    addresses = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not _allowed(ip):
            raise UnsafeAddress(f"{host} leads to {ip}, a private, loopback or link-local "
                                "address (or an IPv6 form carrying an IPv4 address) that "
                                "webhooks may not reach.")
        if str(ip) not in addresses:
            addresses.append(str(ip))
    if not addresses:
        raise UnsafeAddress(f"The host name {host} does not resolve.")
    return addresses


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _is_this_server(host: str, port: int, addresses: list[str]) -> bool:
    if not has_request_context():
        return False
    own = urlsplit("//" + request.host)
    own_port = own.port or _default_port(request.scheme)
    if own.hostname is None or own_port != port:
        return False
    if own.hostname.lower() == host.lower():
        return True
    try:
        own_addresses = {str(i[4][0]) for i in socket.getaddrinfo(own.hostname, own_port)}
    except (OSError, UnicodeError):
        return False
    return bool(own_addresses & set(addresses))


def check_url(url: str) -> str:
    """`url` if webhooks may post to it; ValidationError on the "url" field otherwise."""
    url = url.strip()

    def refuse(message: str):
        return ValidationError(message, {"url": message})

    if not url or len(url) > 500:
        raise refuse("Enter the receiver's address (at most 500 characters).")
    try:
        parts = urlsplit(url)
        port = parts.port or _default_port(parts.scheme)
    except ValueError:
        raise refuse("That is not a valid address.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise refuse("Use an http:// or https:// address.")
    if parts.username is not None or parts.password is not None:
        raise refuse("Leave credentials out of the address: receivers check the signature.")
    try:
        addresses = resolve(parts.hostname, port)
    except UnsafeAddress as exc:
        raise refuse(str(exc)) from None
    if _is_this_server(parts.hostname, port, addresses):
        raise refuse("That address is this community itself.")
    return url


# --- managing webhooks -------------------------------------------------------------------

def _events(chosen: Iterable[str]) -> str:
    chosen = list(dict.fromkeys(e.strip() for e in chosen if e.strip()))
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown or not chosen:
        message = f"Unknown: {', '.join(unknown)}." if unknown else "Choose at least one event."
        raise ValidationError("Please choose the events to send.", {"events": message})
    return " ".join(e for e in EVENTS if e in chosen)


def _description(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > 200:
        raise ValidationError("The description is too long.",
                              {"description": "At most 200 characters."})
    return text


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


@use_case
def create_webhook(actor, url: str, events: Iterable[str], description: str = "",
                   include_private: bool = False, active: bool = True) -> Webhook:
    """Admins: register a receiver for some events; it gets a fresh signing secret."""
    permissions.require(actor, "manage_webhooks")
    events_text, description = _events(events), _description(description)
    url = check_url(url)
    if db.session.scalar(select(func.count()).select_from(Webhook)) >= MAX_WEBHOOKS:
        raise ValidationError(f"At most {MAX_WEBHOOKS} webhooks.")
    hook = Webhook(url=url, events=events_text, description=description, secret=new_secret(),
                   active=active, include_private=include_private, created_by_id=actor.id)
    db.session.add(hook)
    db.session.flush()
    return hook


@use_case
def update_webhook(actor, hook: Webhook, *, url: str | None = None,
                   events: Iterable[str] | None = None, description: str | None = None,
                   include_private: bool | None = None, active: bool | None = None) -> Webhook:
    """Admins: change a webhook's address, events, description or switches."""
    permissions.require(actor, "manage_webhooks")
    changes = {}
    if events is not None:
        changes["events"] = _events(events)
    if description is not None:
        changes["description"] = _description(description)
    if url is not None and url.strip() != hook.url:
        changes["url"] = check_url(url)
    if include_private is not None:
        changes["include_private"] = include_private
    if active is not None:
        changes["active"] = active
    for name, value in changes.items():
        setattr(hook, name, value)
    return hook


@use_case
def rotate_webhook_secret(actor, hook: Webhook) -> Webhook:
    """Admins: give a webhook a new signing secret (the old one stops working at once)."""
    permissions.require(actor, "manage_webhooks")
    hook.secret = new_secret()
    return hook


@use_case
def delete_webhook(actor, hook: Webhook) -> None:
    """Admins: remove a webhook and its delivery log."""
    permissions.require(actor, "manage_webhooks")
    db.session.delete(hook)


@use_case
def send_test_webhook(actor, hook: Webhook) -> WebhookDelivery:
    """Admins: queue a "ping" delivery, to check the receiver and its signature check."""
    permissions.require(actor, "manage_webhooks")
    return _queue_one(hook, PING, {"message": "A test delivery from the community.",
                                   "webhook_id": hook.id, "sent_by": actor.username}, utcnow())


@use_case
def redeliver(actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Admins: try a failed delivery again, with a fresh set of attempts."""
    permissions.require(actor, "manage_webhooks")
    if delivery.status == "pending":
        raise ValidationError("This delivery is still being tried.")
    delivery.status, delivery.attempts = "pending", 0
    delivery.next_attempt_at, delivery.error = utcnow(), ""
    jobs.enqueue_after_commit("deliver_webhooks")
    return delivery


# --- queueing, from domain events --------------------------------------------------------

def _queue_one(hook: Webhook, name: str, data: dict, now: datetime) -> WebhookDelivery:
    delivery_id = str(uuid.uuid4())
    body = json.dumps({"id": delivery_id, "event": name, "created_at": now.isoformat(),
                       "data": data}, ensure_ascii=False, separators=(",", ":"))
    delivery = WebhookDelivery(webhook_id=hook.id, event=name, uuid=delivery_id, payload=body,
                               status="pending", attempts=0, next_attempt_at=now, created_at=now,
                               response_body="", error="")
    db.session.add(delivery)
    jobs.enqueue_after_commit("deliver_webhooks")
    return delivery


def queue_event(name: str, data: dict, *, private: bool = False,
                private_data: dict | None = None) -> int:
    """Queue `name` for every active webhook subscribed to it; how many deliveries.

    `private`: only webhooks that asked for private content get it. `private_data`: what
    those webhooks get instead of `data` (which then must hold nothing private).
    """
    active = db.session.scalars(select(Webhook).where(Webhook.active).order_by(Webhook.id))
    hooks = [h for h in active if name in h.event_list and (h.include_private or not private)]
    now = utcnow()
    for hook in hooks:
        chosen = private_data if private_data is not None and hook.include_private else data
        _queue_one(hook, name, chosen, now)
    return len(hooks)


# Every event about forum content asks community.visibility: content held for review,
# hidden or deleted goes to no webhook; a private forum's only to those that asked for it.
def _shareable(subject) -> bool:
    return visibility.is_public(subject, private_forums=True)


def _private(subject) -> bool:
    return not visibility.is_public(subject)


def announce_thread(event: ThreadStarted) -> None:
    """thread.created, for a thread whose text may go out."""
    thread, post = event.thread, event.post
    if _shareable(post):
        queue_event("thread.created", {"thread": serializers.thread(thread),
                                       "post": serializers.post(post)},
                    private=_private(post))


def announce_post(event: PostPublished) -> None:
    """post.created, for a reply whose text may go out."""
    post = event.post
    # The opening post is announced as thread.created.
    if post.number > 1 and _shareable(post):
        queue_event("post.created", {"thread": serializers.thread(post.thread),
                                     "post": serializers.post(post)},
                    private=_private(post))


def announce_idea_status(event: IdeaStatusChanged) -> None:
    """idea.status_changed, for an idea whose text may go out."""
    thread, actor, old, new, note_post = (event.thread, event.actor, event.old, event.new,
                                          event.note_post)
    if not _shareable(thread):
        return
    queue_event("idea.status_changed", {
        "thread": serializers.thread(thread), "from": old, "to": new,
        "note": note_post.body if note_post is not None and _shareable(note_post) else "",
        "actor": serializers.author(actor)}, private=_private(thread))


def announce_solution(event: SolutionChanged) -> None:
    """solution.accepted, for an accepted answer whose text may go out."""
    thread, post, accepted, actor = event.thread, event.post, event.accepted, event.actor
    if accepted and _shareable(post):
        queue_event("solution.accepted", {"thread": serializers.thread(thread),
                                          "post": serializers.post(post),
                                          "actor": serializers.author(actor)},
                    private=_private(post))


def announce_badge(event: BadgeAwarded) -> None:
    """badge.awarded, its reason naming a thread only where the thread may go."""
    award = event.award
    badge = award.badge

    def data(reason: str) -> dict:
        return {"user": serializers.author(award.user), "reason": reason,
                "badge": {"slug": badge.slug, "name": badge.name,
                          "description": badge.description, "icon": badge.icon,
                          "tier": badge.tier}}

    # The reason names the award's thread only where its title may go.
    public, private = award_reason(award), award_reason(award, private_forums=True)
    queue_event("badge.awarded", data(public),
                private_data=data(private) if private != public else None)


def announce_member(event: MemberJoined) -> None:
    """member.joined."""
    user = event.user
    queue_event("member.joined", {"user": serializers.member_joined(user)})


# --- delivering --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Claimed:
    id: int
    uuid: str
    event: str
    payload: str
    url: str
    secret: str
    usable: bool


@dataclass(frozen=True)
class Attempt:
    status: int | None = None
    body: str = ""
    error: str = ""
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever DNS says a moment later."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post_signed(url: str, secret: str, name: str, delivery_id: str, body: bytes,
                timeout: float) -> Attempt:
    """POST `body` to `url`, signed; re-checks the address first. Never raises."""
    parts = urlsplit(url)
    try:
        port = parts.port or _default_port(parts.scheme)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return Attempt(error="Not an http(s) address.", permanent=True)
        address = resolve(parts.hostname, port)[0]
    except UnsafeAddress as exc:
        return Attempt(error=str(exc), permanent=True)
    except ValueError:
        return Attempt(error="Not a valid address.", permanent=True)
    connection_class = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    connection = connection_class(parts.hostname, port, address, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "X-Community-Event": name, "X-Community-Delivery": delivery_id,
               SIGNATURE_HEADER: sign(secret, int(time.time()), body)}
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(1024).decode("utf-8", "replace")
        return Attempt(status=response.status, body=text)
    except (OSError, http.client.HTTPException) as exc:
        return Attempt(error=f"{type(exc).__name__}: {exc}"[:500] or "Connection failed.")
    finally:
        connection.close()


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (1, 2, …)."""
    base = timedelta(seconds=setting("WEBHOOKS_RETRY_SECONDS"))
    return min(base * BACKOFF_FACTOR ** max(attempts - 1, 0), MAX_BACKOFF)


@use_case
def _claim_due(now: datetime, limit: int) -> list[_Claimed]:
    """Reserve up to `limit` due deliveries for this sender (each counts as one attempt)."""
    due = db.session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)).all()
    claimed = []
    for delivery_id in due:
        # Conditional, so two processes racing for one delivery cannot both win it.
        won = db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
                   WebhookDelivery.next_attempt_at <= now)
            .values(next_attempt_at=now + LEASE, attempts=WebhookDelivery.attempts + 1)
            .execution_options(synchronize_session=False)).rowcount
        if won:
            claimed.append(delivery_id)
    rows = db.session.execute(
        select(WebhookDelivery, Webhook).join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.id.in_(claimed)).order_by(WebhookDelivery.id)
        .execution_options(populate_existing=True)).all() if claimed else []
    return [_Claimed(d.id, d.uuid, d.event, d.payload, h.url, h.secret,
                     usable=h.active or d.event == PING) for d, h in rows]


@use_case
def _record(delivery_id: int, attempt: Attempt, now: datetime) -> None:
    delivery = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
    if delivery is None:  # the webhook was deleted meanwhile
        return
    delivery.last_attempt_at = now
    delivery.response_code = attempt.status
    # PostgreSQL text cannot hold NUL characters, and receivers may answer anything.
    delivery.response_body = attempt.body.replace("\x00", "")
    delivery.error = attempt.error.replace("\x00", "")
    if attempt.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
    elif attempt.permanent or delivery.attempts >= setting("WEBHOOKS_MAX_ATTEMPTS"):
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)


def deliver_due(now: datetime | None = None, limit: int = 20) -> int:
    """Send the deliveries that are due, in any process; how many were attempted.

    Network calls happen between two short transactions, never inside one.
    """
    now = now or utcnow()
    attempted = 0
    while True:
        batch = _claim_due(now, limit)
        for claimed in batch:
            if not claimed.usable:
                attempt = Attempt(error="The webhook is switched off.", permanent=True)
            else:
                attempt = post_signed(claimed.url, claimed.secret, claimed.event, claimed.uuid,
                                      claimed.payload.encode(), setting("WEBHOOKS_TIMEOUT_SECONDS"))
            _record(claimed.id, attempt, now)
        attempted += len(batch)
        if len(batch) < limit:
            return attempted


@use_case
def prune_deliveries(older_than: timedelta) -> int:
    """Forget finished deliveries older than `older_than`; how many went."""
    cutoff = utcnow() - older_than
    return db.session.execute(
        WebhookDelivery.__table__.delete().where(WebhookDelivery.status != "pending",
                                                 WebhookDelivery.created_at < cutoff)).rowcount
