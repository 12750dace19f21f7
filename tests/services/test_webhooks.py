import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from community.errors import Forbidden, ValidationError
from community.extensions import db
from community.jobs.queue import queue_of, start_consumer, stop_consumer
from community.models import Role, utcnow
from community.models.integrations import Webhook, WebhookDelivery
from community.services import advocacy, feedback, forums, support, webhooks
from community.services.unit import use_case

from ..factories import make_forum, make_reply, make_thread, make_user
from ..servers import free_port


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records every POST and answers as it is told."""

    def __init__(self, statuses=(200,)) -> None:
        self.requests: list[dict] = []
        self.statuses = list(statuses)
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                # The last status given answers every further request.
                statuses = receiver.statuses
                status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body, "status": status})
                answer = b'{"thanks": true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                receiver.arrived.set()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/community"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[str]:
        return [json.loads(r["body"])["event"] for r in self.requests]


@pytest.fixture
def app(app_factory):
    # Webhooks may reach the local receiver only because tests say so.
    return app_factory(WEBHOOKS_ALLOW_LOOPBACK=True)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def hook_for(admin, url, *events, **kw):
    return webhooks.create_webhook(admin, url, events or ["post.created"], **kw)


def deliveries():
    return db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()


def test_a_reply_is_delivered_as_signed_json(app, admin, member, receiver):
    hook = hook_for(admin, receiver.url, "post.created")
    thread = make_thread(member, make_forum())
    reply = make_reply(admin, thread, "Seal the seams from the inside.")
    [queued] = deliveries()
    assert (queued.event, queued.status, queued.attempts) == ("post.created", "pending", 0)
    assert receiver.requests == []  # nothing is sent inside the request

    assert webhooks.deliver_due() == 1
    [request] = receiver.requests
    assert request["path"] == "/hooks/community"
    headers, body = request["headers"], request["body"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Community-Event"] == "post.created"
    assert headers["X-Community-Delivery"] == queued.uuid
    # t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">, checked here without the app's helper.
    t, v1 = (part.split("=", 1)[1] for part in headers["X-Community-Signature"].split(","))
    assert abs(int(t) - time.time()) < 120
    expected = hmac.new(hook.secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(v1, expected)
    payload = json.loads(body)
    assert payload["event"] == "post.created" and payload["id"] == queued.uuid
    assert payload["data"]["post"]["id"] == reply.id
    assert payload["data"]["post"]["body"] == "Seal the seams from the inside."
    assert payload["data"]["thread"]["id"] == thread.id

    db.session.expire_all()
    sent = db.session.get(WebhookDelivery, queued.id)
    assert (sent.status, sent.response_code, sent.attempts) == ("delivered", 200, 1)
    assert sent.delivered_at is not None and '"thanks"' in sent.response_body
    assert webhooks.deliver_due() == 0  # never sent twice


def test_verify_signature_rejects_tampering_and_old_timestamps():
    body = b'{"event":"ping"}'
    header = webhooks.sign("whsec_x", int(time.time()), body)
    assert webhooks.verify_signature("whsec_x", header, body)
    assert not webhooks.verify_signature("whsec_y", header, body)
    assert not webhooks.verify_signature("whsec_x", header, body + b" ")
    old = webhooks.sign("whsec_x", int(time.time()) - 3600, body)
    assert not webhooks.verify_signature("whsec_x", old, body)
    assert not webhooks.verify_signature("whsec_x", "garbage", body)


def test_failures_are_retried_with_exponential_backoff(app, admin, member, receiver):
    receiver.statuses = [500, 503, 200]
    hook_for(admin, receiver.url, "thread.created")
    make_thread(member, make_forum())
    t0 = utcnow()

    assert webhooks.deliver_due(now=t0) == 1
    [d] = deliveries()
    db.session.refresh(d)
    assert (d.status, d.attempts, d.response_code) == ("pending", 1, 500)
    assert d.next_attempt_at == t0 + timedelta(seconds=60)

    assert webhooks.deliver_due(now=t0 + timedelta(seconds=59)) == 0  # not due yet
    t1 = t0 + timedelta(seconds=60)
    assert webhooks.deliver_due(now=t1) == 1
    db.session.refresh(d)
    assert (d.status, d.attempts, d.response_code) == ("pending", 2, 503)
    assert d.next_attempt_at == t1 + timedelta(seconds=240)  # four times longer

    assert webhooks.deliver_due(now=t1 + timedelta(seconds=240)) == 1
    db.session.refresh(d)
    assert (d.status, d.attempts, d.response_code) == ("delivered", 3, 200)
    assert len(receiver.requests) == 3
    # Every attempt carries the same delivery id and body, freshly signed.
    assert len({r["body"] for r in receiver.requests}) == 1
    assert len({r["headers"]["X-Community-Delivery"] for r in receiver.requests}) == 1


def test_a_delivery_fails_for_good_after_the_last_attempt(app, admin, member, receiver):
    app.config["WEBHOOKS_MAX_ATTEMPTS"] = 2
    receiver.statuses = [500]
    hook_for(admin, receiver.url, "thread.created")
    make_thread(member, make_forum())
    t0 = utcnow()
    webhooks.deliver_due(now=t0)
    webhooks.deliver_due(now=t0 + timedelta(hours=1))
    assert webhooks.deliver_due(now=t0 + timedelta(days=1)) == 0
    [d] = deliveries()
    db.session.refresh(d)
    assert (d.status, d.attempts, d.next_attempt_at) == ("failed", 2, None)
    assert len(receiver.requests) == 2


def test_an_unreachable_receiver_is_logged_and_retried(app, admin, member):
    hook_for(admin, f"http://127.0.0.1:{free_port()}/nobody-listens", "thread.created")
    make_thread(member, make_forum())
    assert webhooks.deliver_due() == 1
    [d] = deliveries()
    db.session.refresh(d)
    assert d.status == "pending" and d.response_code is None
    assert "Connection" in d.error or "refused" in d.error.lower()


def test_a_rolled_back_change_queues_nothing(app, admin, member, receiver):
    hook_for(admin, receiver.url, "post.created")
    thread = make_thread(member, make_forum())

    @use_case
    def reply_then_fail():
        forums.reply(admin, thread, "This reply never happened.")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        reply_then_fail()
    assert deliveries() == []
    assert queue_of(app).pending() == []  # no job was enqueued either


def test_each_subscribed_event_is_queued(app, admin, staff, member, receiver):
    hook_for(admin, receiver.url, *webhooks.EVENTS)
    newcomer = make_user("newcomer")
    ideas = make_forum("ideas", kind="ideas")
    idea = make_thread(member, ideas, title="A lighter stove")
    feedback.set_idea_status(staff, idea, "planned", "On the roadmap.")
    question = make_thread(member, make_forum("help", kind="support"), title="Stove leaks?")
    answer = make_reply(staff, question, "Tighten the valve.")
    support.accept_solution(member, question, answer)
    badge = advocacy.create_badge(admin, "trail-angel", "Trail angel")
    advocacy.grant_badge(staff, badge, member, "Helped at the meetup.")

    by_event = {}
    for d in deliveries():
        by_event.setdefault(d.event, []).append(json.loads(d.payload)["data"])
    assert set(by_event) == set(webhooks.EVENTS)
    assert "newcomer" in [u["user"]["username"] for u in by_event["member.joined"]]
    assert newcomer.email not in json.dumps(by_event["member.joined"])
    status = by_event["idea.status_changed"][0]
    assert (status["thread"]["id"], status["from"], status["to"]) == (idea.id, "open", "planned")
    assert "On the roadmap." in status["note"]
    solution = by_event["solution.accepted"][0]
    assert (solution["thread"]["id"], solution["post"]["id"]) == (question.id, answer.id)
    awarded = [b for b in by_event["badge.awarded"] if b["badge"]["slug"] == "trail-angel"]
    assert awarded[0]["user"]["username"] == member.username
    assert {t["thread"]["id"] for t in by_event["thread.created"]} == {idea.id, question.id}


def test_unaccepting_a_solution_sends_nothing(app, admin, member, staff, receiver):
    question = make_thread(member, make_forum("help", kind="support"))
    answer = make_reply(staff, question)
    support.accept_solution(member, question, answer)
    hook_for(admin, receiver.url, "solution.accepted")
    support.unaccept_solution(member, question)
    assert deliveries() == []


def test_private_forums_reach_only_webhooks_that_ask(app, admin, moderator, receiver):
    plain = hook_for(admin, receiver.url, "thread.created")
    private = hook_for(admin, receiver.url, "thread.created", include_private=True)
    make_thread(moderator, make_forum("staff-room", private=True))
    assert [d.webhook_id for d in deliveries()] == [private.id]
    make_thread(moderator, make_forum("lobby"))
    assert sorted(d.webhook_id for d in deliveries()[1:]) == sorted([plain.id, private.id])


def test_switching_a_webhook_off_stops_events_and_retries(app, admin, member, receiver):
    receiver.statuses = [500]
    hook = hook_for(admin, receiver.url, "thread.created")
    make_thread(member, make_forum())
    webhooks.deliver_due()
    webhooks.update_webhook(admin, hook, active=False)
    make_thread(member, make_forum("other"))
    assert len(deliveries()) == 1  # the second thread queued nothing
    webhooks.deliver_due(now=utcnow() + timedelta(hours=1))
    [d] = deliveries()
    db.session.refresh(d)
    assert (d.status, d.error) == ("failed", "The webhook is switched off.")
    assert len(receiver.requests) == 1


def test_send_test_delivers_a_ping_and_redeliver_sends_again(app, admin, receiver):
    hook = hook_for(admin, receiver.url, "member.joined")
    delivery = webhooks.send_test_webhook(admin, hook)
    webhooks.deliver_due()
    assert receiver.events() == ["ping"]
    assert json.loads(receiver.requests[0]["body"])["data"]["sent_by"] == "ada"
    db.session.refresh(delivery)
    assert delivery.status == "delivered"
    webhooks.redeliver(admin, delivery)
    webhooks.deliver_due()
    assert receiver.events() == ["ping", "ping"]


def test_only_admins_manage_webhooks(app, staff, receiver):
    with pytest.raises(Forbidden):
        webhooks.create_webhook(staff, receiver.url, ["post.created"])
    assert db.session.query(Webhook).count() == 0


@pytest.mark.parametrize("url, message", [
    ("ftp://example.com/hook", "http:// or https://"),
    ("javascript:alert(1)", "http:// or https://"),
    ("not a url", "http:// or https://"),
    ("http://user:secret@93.184.215.14/hook", "credentials"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fd00:ec2::254]/", "private"),
    ("http://10.0.0.8/hook", "private"),
    ("http://192.168.1.20:8080/hook", "private"),
    ("http://172.16.3.4/hook", "private"),
    ("http://100.64.0.1/hook", "private"),
    ("http://0.0.0.0:8000/hook", "private"),
    ("http://[::ffff:10.0.0.1]/hook", "private"),
    # IPv6 forms that carry an IPv4 address (security.md, "Webhooks and SSRF").
    ("http://[::10.0.0.1]/hook", "carrying an IPv4"),           # IPv4-compatible
    ("http://[::127.0.0.1]/hook", "carrying an IPv4"),
    ("http://[64:ff9b::10.0.0.1]/hook", "private"),             # NAT64 to a private address
    ("http://[64:ff9b::127.0.0.1]/hook", "private"),            # NAT64 never counts as loopback
    ("http://[64:ff9b:1::a00:1]/hook", "carrying an IPv4"),     # local-use NAT64
    ("http://[2002:a00:1::]/hook", "carrying an IPv4"),         # 6to4 of 10.0.0.1
    ("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/hook", "carrying an IPv4"),  # Teredo
    ("http://127.0.0.1:9000/hook", "loopback"),
    ("http://[::1]:9000/hook", "loopback"),
    ("http://2130706433/hook", "loopback"),  # 127.0.0.1 as one number
    ("http://localhost:9000/hook", "loopback"),
    ("http://example.com:99999/hook", "valid address"),
    ("https://" + "a" * 500 + ".com/", "500 characters"),
])
def test_unsafe_addresses_are_refused(app, admin, url, message):
    app.config["WEBHOOKS_ALLOW_LOOPBACK"] = False
    with pytest.raises(ValidationError) as err:
        hook_for(admin, url)
    assert message in err.value.fields["url"]
    assert db.session.query(Webhook).count() == 0


def test_loopback_is_allowed_only_with_the_flag_and_private_ranges_never(app, admin):
    hook = hook_for(admin, "http://127.0.0.1:9/hook")
    assert hook.id is not None
    with pytest.raises(ValidationError):
        hook_for(admin, "http://10.1.2.3/hook")


def test_public_addresses_are_accepted(app, admin):
    hook = hook_for(admin, "https://93.184.215.14/hooks?source=community", "member.joined")
    assert hook.url == "https://93.184.215.14/hooks?source=community"
    # An IPv6-only receiver reached through NAT64 is fine when the IPv4 inside is public.
    assert hook_for(admin, "https://[64:ff9b::5db8:d70e]/hook").id is not None
    assert hook.secret.startswith("whsec_") and len(hook.secret) > 40


def test_the_address_is_checked_again_when_sending(app, admin, member, receiver):
    hook_for(admin, receiver.url, "thread.created")
    make_thread(member, make_forum())
    app.config["WEBHOOKS_ALLOW_LOOPBACK"] = False
    webhooks.deliver_due()
    [d] = deliveries()
    db.session.refresh(d)
    assert d.status == "failed" and "loopback" in d.error
    assert receiver.requests == []


def test_bad_events_and_descriptions_change_nothing(app, admin, receiver):
    for events, field in ([[], "events"], [["post.created", "post.exploded"], "events"]):
        with pytest.raises(ValidationError) as err:
            webhooks.create_webhook(admin, receiver.url, events)
        assert field in err.value.fields
    hook = hook_for(admin, receiver.url, "post.created")
    with pytest.raises(ValidationError):
        webhooks.update_webhook(admin, hook, events=["post.created"], description="x" * 201)
    with pytest.raises(ValidationError):
        webhooks.update_webhook(admin, hook, url="http://10.0.0.1/")
    db.session.expire_all()
    hook = db.session.get(Webhook, hook.id)
    assert (hook.url, hook.description) == (receiver.url, "")


def test_rotating_the_secret_signs_with_the_new_one(app, admin, receiver):
    hook = hook_for(admin, receiver.url)
    old = hook.secret
    webhooks.rotate_webhook_secret(admin, hook)
    assert hook.secret != old
    webhooks.send_test_webhook(admin, hook)
    webhooks.deliver_due()
    request = receiver.requests[0]
    assert webhooks.verify_signature(hook.secret, request["headers"]["X-Community-Signature"],
                                     request["body"])
    assert not webhooks.verify_signature(old, request["headers"]["X-Community-Signature"],
                                         request["body"])


def test_deleting_a_webhook_deletes_its_log(app, admin, member, receiver):
    hook = hook_for(admin, receiver.url, "thread.created")
    make_thread(member, make_forum())
    webhooks.delete_webhook(admin, hook)
    assert deliveries() == [] and db.session.query(Webhook).count() == 0


def test_the_worker_thread_sends_after_commit(app_factory, receiver):
    # The worker is now the job queue's consumer that `community serve` starts.
    app = app_factory(WEBHOOKS_ALLOW_LOOPBACK=True, JOBS_BACKEND="sqlite", JOBS_POLL_SECONDS=0.2)
    admin, member = make_user("ada", role=Role.ADMIN), make_user("mia")
    hook_for(admin, receiver.url, "thread.created")
    start_consumer(app)
    try:
        make_thread(member, make_forum())
        assert receiver.arrived.wait(10), "the worker sent nothing"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            db.session.commit()  # a fresh snapshot, to see what the worker wrote
            db.session.expire_all()
            if deliveries()[0].status == "delivered":
                break
            time.sleep(0.05)
        assert deliveries()[0].status == "delivered"
        assert receiver.events() == ["thread.created"]
    finally:
        stop_consumer(app)


def test_cli_delivers_what_is_due(app, admin, member, receiver):
    hook_for(admin, receiver.url, "thread.created")
    make_thread(member, make_forum())
    result = app.test_cli_runner().invoke(args=["webhooks", "deliver"])
    assert result.exit_code == 0, result.output
    assert "Attempted 1 deliveries. Now 1 delivered, 0 pending, 0 failed." in result.output
    assert receiver.events() == ["thread.created"]


def test_cli_prunes_old_finished_deliveries(app, admin, member, receiver):
    hook_for(admin, receiver.url, "thread.created")
    make_thread(member, make_forum())
    webhooks.deliver_due()
    [d] = deliveries()
    d.created_at = utcnow() - timedelta(days=40)
    db.session.commit()
    make_thread(member, make_forum("fresh"))
    result = app.test_cli_runner().invoke(args=["webhooks", "prune", "--days", "30"])
    assert "Removed 1 old deliveries." in result.output
    assert [x.status for x in deliveries()] == ["pending"]

