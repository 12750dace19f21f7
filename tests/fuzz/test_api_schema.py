"""Schemathesis against a real server: no 5xx, and every response as the OpenAPI document says.

Each role (a visitor, a member, an admin) gets a fresh database seeded with a little of
everything, so half the generated ids, slugs and usernames name real objects and the
requests reach past the 404s into the code behind them.
"""

import re
from dataclasses import dataclass

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)
from sqlalchemy import select

from community.extensions import db
from community.models import OutboxEmail, Post, ReviewItem, Role, User
from community.services import (accounts, advocacy, moderation, password_resets, polls,
                                webhooks)

from ..conftest import TEST_SETTINGS
from ..factories import make_forum, make_reply, make_thread, make_user
from ..servers import start_servers
from .conftest import PROFILE, examples

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# Per operation, role and generation mode: 86 operations x 3 roles x 2 modes.
EXAMPLES = examples(default=3, long=10)
# IP literals, so checking them needs no DNS: loopback and TEST-NET are refused, the
# public one is accepted (the server runs without its delivery worker, so nothing is sent).
WEBHOOK_URLS = ["https://93.184.215.14/hook", "http://127.0.0.1:9/hook",
                "https://203.0.113.7/hook", "ftp://93.184.215.14/x", ""]
# Query parameters are documented as free strings; random strings seldom look like the
# numbers, days and names the views parse, so these boundary values are mixed in.
NUMBERS = ["0", "-1", "1", "2", "100", "101", "1000001", "2147483648", "99999999999999999999",
           "²", "١", "1.5", " 1", "1e3"]
DAYS = ["2026-01-01", "0001-01-01", "9999-12-31", "1970-01-01", "2026-02-30", "20260101", "x"]
EDGE_QUERY = {
    "page": NUMBERS, "per_page": NUMBERS, "limit": NUMBERS, "target_id": NUMBERS,
    "solved": ["0", "1", "2"], "unread": ["1", "0"],
    "since": DAYS, "until": DAYS, "from": DAYS, "to": DAYS,
    "tz": ["UTC", "Etc/GMT+12", "Pacific/Kiritimati", "Europe/Paris", "../../etc/passwd",
           "localtime", "America/Argentina/ComodRivadavia", "EST5EDT", "posixrules"],
    "period": ["week", "month", "all", "custom", "day"],
    "sort": ["latest", "top", "trending", "oldest"],
    "status": ["open", "planned", "in_progress", "shipped", "declined", "duplicate", "x"],
    "kind": ["pending", "flagged", "x"], "target_type": ["post", "thread", "user"],
    "forum": ["general", "help", "staff", "nope"], "tag": ["nope"], "actor": ["moe", "nope"],
    "q": ["tent", '"', "*", "a OR b", "-x", "NEAR(", "tent:*", "'", "%", "_", "\\"],
    "title": ["Tents for the coast", "tent", "", "' OR 1=1 --"],
}


@dataclass
class Seeded:
    """What the database holds before fuzzing: the values real path parameters can take."""

    member: User
    admin: User
    pools: dict[str, list]


@pytest.fixture
def seeded(app) -> Seeded:
    member, admin = make_user("mia"), make_user("ada", role=Role.ADMIN)
    bob, moe = make_user("bob"), make_user("moe", role=Role.MODERATOR)
    general, help_ = make_forum("general"), make_forum("help", kind="support")
    ideas, staff = make_forum("ideas", kind="ideas"), make_forum("staff", private=True)
    chat = make_thread(bob, general, "Tents for the coast")
    question = make_thread(member, help_, "My stove will not light")
    answer = make_reply(bob, question, "Clean the jet with the pricker.")
    idea = make_thread(bob, ideas, "A lighter tent pole")
    twin = make_thread(moe, ideas, "Lighter tent poles please")
    hidden = make_thread(admin, staff, "Staff only: launch plan")
    chat_reply = make_reply(member, chat, "Mine held up in a gale.")
    poll = polls.create_poll(member, question, "Which stove?", ["Gas", "Meths"])
    moderation.flag_post(moe, chat_reply, "spam")
    badge = advocacy.create_badge(admin, "trailblazer", "Trailblazer")
    advocacy.grant_badge(admin, badge, bob, "Mapped the coast path.")
    hook = webhooks.create_webhook(admin, WEBHOOK_URLS[0], ["thread.created"])
    delivery = webhooks.send_test_webhook(admin, hook)
    delivery.status = "failed"  # finished, so it can be redelivered
    password_resets.request_password_reset("bob@example.com")
    db.session.commit()
    reset_email = db.session.scalars(select(OutboxEmail.body_text)
                                     .where(OutboxEmail.kind == "password_reset")).one()

    threads = [chat.id, question.id, idea.id, twin.id, hidden.id]
    openers = db.session.scalars(select(Post.id).where(Post.number == 1)).all()
    return Seeded(member, admin, pools={
        "thread_id": threads, "post_id": [answer.id, chat_reply.id, *openers],
        "poll_id": [poll.id],
        "slug": ["general", "help", "ideas", "staff"], "badge_slug": ["trailblazer", "first-post"],
        "username": ["mia", "ada", "bob", "moe"], "webhook_id": [hook.id],
        "delivery_id": [delivery.id],
        "item_id": db.session.scalars(select(ReviewItem.id)).all(),
        "token": [re.search(r"/password-reset/([\w-]+)", reset_email).group(1)],
    })


@pytest.fixture
def server(seeded, migrated_url, tmp_path):
    env = {
        "DATABASE_URL": migrated_url,
        "REDIS_URL": "",
        "SECRET_KEY": TEST_SETTINGS["SECRET_KEY"],
        "COMMUNITY_PASSWORD_TIME_COST": "1",
        "COMMUNITY_PASSWORD_MEMORY_COST": "1024",
        # The documented limits (429s) would turn most writes away after a few examples
        # and hide the code behind them; everything else runs as in production.
        "COMMUNITY_RATELIMIT_ENABLED": "false",
        # Webhook deliveries stay queued: the fuzzer must only ever talk to 127.0.0.1.
        "COMMUNITY_WEBHOOKS_WORKER": "false",
    }
    [server] = start_servers(1, env, tmp_path)
    yield server
    server.stop()


class Caller:
    """Who sends the requests: nobody, or a member with a token (re-issued once revoked)."""

    def __init__(self, user) -> None:
        self.user = user
        self.token = None
        self.renew()

    def renew(self) -> None:
        if self.user is not None:
            _, self.token = accounts.issue_token(self.user, "fuzz", " ".join(accounts.scopes_open_to(self.user)))

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def after(self, case, response) -> None:
        if case.operation.label == "DELETE /api/v1/tokens/current" and response.status_code == 204:
            self.renew()


def _real_path_parameters(seeded: Seeded, caller_name: str | None):
    """A schema hook: half the time, path parameters are taken from the seeded objects."""
    pools = dict(seeded.pools)
    # Not the caller itself: an admin demoting or suspending itself ends the run's coverage.
    pools["username"] = [u for u in pools["username"] if u != caller_name]

    def flatmap_path_parameters(context, path_parameters):
        if not path_parameters:
            return st.just(path_parameters)
        path = context.operation.path
        real = {}
        for name in path_parameters:
            pool = pools["badge_slug"] if name == "slug" and "/badges/" in path else pools[name]
            real[name] = st.sampled_from(pool)
        return st.one_of(st.just(path_parameters),
                         st.fixed_dictionaries(real).map(lambda d: {**path_parameters, **d}))

    return flatmap_path_parameters


def _edge_query(context, query):
    """A schema hook: half the time, query parameters take boundary values."""
    names = [p.name for p in context.operation.query if p.name in EDGE_QUERY]
    if not names:
        return st.just(query)
    edges = st.fixed_dictionaries({}, optional={n: st.sampled_from(EDGE_QUERY[n]) for n in names})
    return st.one_of(st.just(query), edges.map(lambda d: {**(query or {}), **d}))


def _safe_webhook_urls(context, body):
    """A schema hook: webhook addresses are IP literals, so no request ever leaves the host."""
    if "/webhooks" in context.operation.path and isinstance(body, dict) \
            and isinstance(body.get("url"), str):
        return st.sampled_from(WEBHOOK_URLS).map(lambda url: {**body, "url": url})
    return st.just(body)


@pytest.mark.parametrize("role", ["anonymous", "member", "admin"])
def test_every_operation_answers_as_documented(role, seeded, server):
    user = {"anonymous": None, "member": seeded.member, "admin": seeded.admin}[role]
    caller = Caller(user)
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
    schema.hook("flatmap_path_parameters")(
        _real_path_parameters(seeded, user.username if user else None))
    schema.hook("flatmap_query")(_edge_query)
    schema.hook("flatmap_body")(_safe_webhook_urls)
    session = requests.Session()

    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, caller, session, server.url)
            except (Exception, FailureGroup) as exc:  # one run reports every failure
                failures.append(f"{mode.value} {operation.label}:\n{exc}")
    assert not failures, f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures)


def _fuzz(operation, mode, caller, session, base_url) -> None:
    negative = mode == GenerationMode.NEGATIVE
    suppressed = list(PROFILE.suppress_health_check)
    if negative:
        # Operations with nothing that can be made invalid (no body, only free-form
        # strings) have no negative examples: Schemathesis filters every draw out.
        suppressed.append(HealthCheck.filter_too_much)

    @settings(PROFILE, max_examples=EXAMPLES, suppress_health_check=suppressed)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(base_url=base_url, session=session, headers=caller.headers,
                             timeout=30)
        caller.after(case, response)
        case.validate_response(response, checks=CHECKS, headers=caller.headers)

    try:
        run()
    except Unsatisfiable:
        if not negative:
            raise


# Requests the fuzzer found or suggested, kept as fixed cases: each once answered 500 or 405.
DEEP_JSON = "[" * 100_000 + "]" * 100_000
HOSTILE = [
    ("GET", "/api/v1/threads/2147483648", {}, 404),
    ("DELETE", "/api/v1/posts/99999999999999999999", {}, 404),
    ("GET", "/t/99999999999999999999", {}, 404),
    ("POST", "/api/v1/threads/{thread}/merge", {"json": {"into": 2**40}}, 400),
    ("GET", "/api/v1/forums/gen%00eral/threads", {}, 400),
    ("GET", "/api/v1/users/mia%00", {}, 400),
    ("GET", "/api/v1/search?q=tent%00", {}, 400),
    ("POST", "/api/v1/threads/{thread}/posts", {"json": {"body": "Nul \x00 inside"}}, 400),
    ("POST", "/api/v1/threads/{thread}/posts",
     {"data": DEEP_JSON, "headers": {"Content-Type": "application/json"}}, 400),
    ("GET", "/api/v1/moderation/log?target_id=%C2%B2", {}, 400),
    ("GET", "/api/v1/moderation/log?target_id=99999999999999999999", {}, 400),
    ("GET", "/api/v1/moderation/log?until=9999-12-31", {}, 200),
]


def test_hostile_requests_get_clean_answers(seeded, server):
    caller = Caller(seeded.admin)
    thread = seeded.pools["thread_id"][0]
    wrong = []
    for method, path, options, status in HOSTILE:
        options = dict(options)
        headers = {**caller.headers, **options.pop("headers", {})}
        response = requests.request(method, server.url + path.format(thread=thread),
                                    headers=headers, timeout=30, **options)
        if response.status_code != status:
            wrong.append(f"{method} {path}: {response.status_code}, expected {status}")
        elif path.startswith("/api/") and status >= 400:
            assert set(response.json()["error"]) >= {"code", "message"}, response.text
    assert not wrong, "\n".join(wrong)
