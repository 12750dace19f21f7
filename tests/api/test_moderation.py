"""Moderation over JSON: held content answers 202, flags, the queue, member tools, the log,
rate limits."""

from datetime import timedelta

import pytest

from community.extensions import db
from community.models import Post, ReviewItem, Role, User, utcnow
from community.services import moderation

from ..factories import make_forum, make_reply, make_thread, make_user

LINKY = "Deals: https://cheap.example and https://cheaper.example"


def test_a_new_members_linky_post_waits_while_an_established_reply_is_instant(app_factory):
    app_factory(AUTO_MODERATION=True)
    forum = make_forum()
    regular = make_user("olga")
    regular.trust_level = 2
    newbie, mod = make_user("newbie"), make_user("moe", Role.MODERATOR)
    db.session.commit()
    thread = make_thread(regular, forum)
    api = _client(newbie)

    held = api.post(f"/api/v1/threads/{thread.id}/posts", json={"body": LINKY})
    assert held.status_code == 202 and held.get_json()["state"] == "pending"
    new_thread = api.post("/api/v1/forums/general/threads",
                          json={"title": "Best deals", "body": LINKY})
    assert new_thread.status_code == 202 and new_thread.get_json()["state"] == "pending"
    instant = _client(regular).post(f"/api/v1/threads/{thread.id}/posts", json={"body": LINKY})
    assert instant.status_code == 201 and instant.get_json()["state"] == "published"

    # Others do not see what waits; its author and the moderators do.
    page = _client(regular).get(f"/api/v1/threads/{thread.id}").get_json()
    assert [p["state"] for p in page["posts"]] == ["published", "published"]
    assert _client(regular).get(f"/api/v1/threads/{new_thread.get_json()['id']}").status_code == 404
    assert _client(newbie).get(f"/api/v1/posts/{held.get_json()['id']}").status_code == 200

    queue = _client(mod).get("/api/v1/moderation/queue").get_json()
    opening = db.session.query(Post.id).filter_by(thread_id=new_thread.get_json()["id"]).scalar()
    assert [i["post"]["id"] for i in queue["items"]] == [held.get_json()["id"], opening]
    first = queue["items"][0]
    assert first["kind"] == "pending" and first["author"]["trust_level"] == 0
    assert "Links" in first["reason"] and first["author"]["history"]["waiting"] == 2
    assert first["post"]["body"] == LINKY  # moderators read the content

    approved = _client(mod).post(f"/api/v1/moderation/queue/{first['id']}", json={"action": "approve"})
    assert approved.status_code == 200
    assert approved.get_json()["item"]["resolution"] == "approved"
    page = _client(regular).get(f"/api/v1/threads/{thread.id}").get_json()
    assert len(page["posts"]) == 3
    again = _client(mod).post(f"/api/v1/moderation/queue/{first['id']}", json={"action": "reject"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    log = _client(mod).get("/api/v1/moderation/log").get_json()
    assert [(e["action"], e["actor"], e["target_id"]) for e in log["entries"]] == [
        ("approve", "moe", first["post"]["id"])]


def _client(user):
    """A Bearer client for `user` on the test's own app (for tests that use app_factory)."""
    from flask import current_app

    from community.services.accounts import issue_token, scopes_open_to

    _, secret = issue_token(user, "tests", " ".join(scopes_open_to(user)))
    c = current_app.test_client()
    c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return c


def test_flags_through_the_api(api_as, member, moderator):
    thread = make_thread(moderator, make_forum())
    post = make_reply(moderator, thread, "Something rude")
    url = f"/api/v1/posts/{post.id}/flags"
    created = api_as(member).post(url, json={"reason": "abusive", "note": "Name-calling"})
    assert created.status_code == 201
    assert created.get_json() | {"id": 0, "created_at": ""} == {
        "id": 0, "post_id": post.id, "reason": "abusive", "note": "Name-calling", "weight": 1,
        "created_at": ""}
    assert api_as(member).post(url, json={"reason": "spam"}).status_code == 409
    assert api_as(moderator).post(url, json={"reason": "spam"}).status_code == 403
    bad = api_as(make_user("otto")).post(url, json={"reason": "boring"})
    assert bad.status_code == 400 and "reason" in bad.get_json()["error"]["fields"]
    assert api_as(make_user("ugo")).post(url, json={"reason": "spam", "note": 5}).status_code == 400
    queue = api_as(moderator).get("/api/v1/moderation/queue?kind=flagged").get_json()
    assert queue["total"] == 1
    assert queue["items"][0]["flags"][0] | {"created_at": ""} == {
        "reason": "abusive", "note": "Name-calling", "weight": 1, "by": "mia", "created_at": ""}


def test_the_queue_is_for_moderators(api_as, client, member):
    assert client.get("/api/v1/moderation/queue").status_code == 401
    assert api_as(member).get("/api/v1/moderation/queue").status_code == 403
    assert api_as(member).get("/api/v1/moderation/log").status_code == 403
    assert api_as(member).post("/api/v1/moderation/queue/1", json={"action": "approve"}).status_code \
        == 403


def test_claims_keep_two_moderators_apart(api_as, member, moderator):
    forum = make_forum()
    forum.premoderated = True
    db.session.commit()
    api_as(member).post("/api/v1/forums/general/threads", json={"title": "Held", "body": "Body"})
    item_id = db.session.query(ReviewItem.id).scalar()
    other = make_user("mona", Role.MODERATOR)
    claimed = api_as(moderator).post(f"/api/v1/moderation/queue/{item_id}", json={"action": "claim"})
    assert claimed.get_json()["item"]["claimed_by"] == "moe"
    refused = api_as(other).post(f"/api/v1/moderation/queue/{item_id}", json={"action": "approve"})
    assert refused.status_code == 409 and "moe" in refused.get_json()["error"]["message"]
    bad = api_as(other).post(f"/api/v1/moderation/queue/{item_id}", json={"action": "explode"})
    assert bad.status_code == 400
    edited = api_as(moderator).post(f"/api/v1/moderation/queue/{item_id}",
                                    json={"action": "approve", "body": "Body, tidied"})
    assert edited.status_code == 200
    assert edited.get_json()["item"]["post"]["body"] == "Body, tidied"
    assert api_as(moderator).get("/api/v1/moderation/queue/999").status_code == 405
    assert api_as(moderator).post("/api/v1/moderation/queue/999",
                                  json={"action": "approve"}).status_code == 404


def test_suspending_through_the_api(api_as, member, moderator, admin):
    until = (utcnow() + timedelta(days=2)).isoformat()
    url = "/api/v1/users/mia/suspend"
    done = api_as(moderator).post(url, json={"until": until, "reason": "Spam"})
    assert done.status_code == 200
    assert done.get_json()["suspended_reason"] == "Spam" and done.get_json()["suspended_until"]
    # A suspended member's tokens stop working (the site tells them why: tests/web).
    assert api_as(member).get("/api/v1/me").status_code == 401
    assert api_as(moderator).post("/api/v1/users/ada/suspend",
                                  json={"until": until, "reason": "No"}).status_code == 403
    assert api_as(moderator).post("/api/v1/users/moe/suspend",
                                  json={"until": until, "reason": "Me"}).status_code == 400
    naive = api_as(moderator).post(url, json={"until": "2030-01-01T00:00:00", "reason": "x"})
    assert naive.status_code == 400
    assert api_as(moderator).post(url, json={"until": until}).status_code == 400
    assert api_as(moderator).post("/api/v1/users/nobody/suspend",
                                  json={"until": until, "reason": "x"}).status_code == 404
    lifted = api_as(moderator).delete(url)
    assert lifted.status_code == 200 and lifted.get_json()["suspended_until"] is None
    assert api_as(moderator).delete(url).status_code == 409
    actions = [e["action"] for e in api_as(admin).get("/api/v1/moderation/log").get_json()["entries"]]
    assert actions == ["unsuspend_member", "suspend_member"]


def test_silence_and_trust_level_through_the_api(api_as, member, moderator):
    until = (utcnow() + timedelta(days=1)).isoformat()
    silenced = api_as(moderator).post("/api/v1/users/mia/silence",
                                      json={"until": until, "reason": "Cool off"})
    assert silenced.status_code == 200 and silenced.get_json()["silenced_reason"] == "Cool off"
    thread = make_thread(moderator, make_forum())
    refused = api_as(member).post(f"/api/v1/threads/{thread.id}/posts", json={"body": "Hello"})
    assert refused.status_code == 403 and "silenced" in refused.get_json()["error"]["message"]
    assert api_as(moderator).delete("/api/v1/users/mia/silence").status_code == 200
    assert api_as(member).post(f"/api/v1/threads/{thread.id}/posts",
                               json={"body": "Hello"}).status_code == 201

    level = api_as(moderator).put("/api/v1/users/mia/trust-level", json={"level": 3})
    assert level.status_code == 200
    assert (level.get_json()["trust_level"], level.get_json()["trust_locked"]) == (3, True)
    assert api_as(moderator).put("/api/v1/users/mia/trust-level",
                                 json={"level": "3"}).status_code == 400
    assert api_as(moderator).put("/api/v1/users/mia/trust-level",
                                 json={"level": 9}).status_code == 400
    reset = api_as(moderator).delete("/api/v1/users/mia/trust-level")
    assert (reset.get_json()["trust_level"], reset.get_json()["trust_locked"]) == (0, False)
    assert api_as(member).get("/api/v1/users/mia/moderation").status_code == 403


def test_hide_restore_split_and_merge_through_the_api(api_as, member, moderator):
    forum = make_forum()
    thread = make_thread(member, forum)
    replies = [make_reply(member, thread, f"Reply {i}") for i in range(3)]
    hidden = api_as(moderator).post(f"/api/v1/posts/{replies[0].id}/hide", json={"reason": "Rude"})
    assert hidden.status_code == 200 and hidden.get_json()["state"] == "hidden"
    assert api_as(member).post(f"/api/v1/posts/{replies[0].id}/hide", json={}).status_code == 403
    assert api_as(moderator).post(f"/api/v1/posts/{replies[0].id}/restore",
                                  json={}).get_json()["state"] == "published"
    split = api_as(moderator).post(f"/api/v1/moderation/threads/{thread.id}/split",
                                   json={"post_ids": [replies[1].id, replies[2].id],
                                         "title": "Split off"})
    assert split.status_code == 201 and split.get_json()["reply_count"] == 1
    new_id = split.get_json()["id"]
    merged = api_as(moderator).post(f"/api/v1/moderation/threads/{new_id}/merge",
                                    json={"into": thread.id})
    assert merged.status_code == 200 and merged.get_json()["reply_count"] == 3
    assert api_as(member).get(f"/api/v1/threads/{new_id}").status_code == 404
    db.session.expire_all()
    numbers = [p.number for p in db.session.query(Post).filter_by(thread_id=thread.id)
               .order_by(Post.number)]
    assert numbers == [1, 2, 5, 6]


def test_the_log_filters_and_pages(api_as, member, moderator, admin):
    moderation.suspend_member(moderator, member, utcnow() + timedelta(days=1), "First")
    moderation.add_watched_word(admin, "spam", "hold")
    api = api_as(moderator)
    by_admin = api.get("/api/v1/moderation/log?actor=ada").get_json()
    assert [e["action"] for e in by_admin["entries"]] == ["add_watched_word"]
    assert by_admin["entries"][0]["details"]["after"]["word"] == "spam"
    on_mia = api.get(f"/api/v1/moderation/log?target_type=user&target_id={member.id}").get_json()
    assert on_mia["total"] == 1 and on_mia["entries"][0]["reason"] == "First"
    assert api.get("/api/v1/moderation/log?since=yesterday").status_code == 400
    assert api.get("/api/v1/moderation/log?target_id=x").status_code == 400
    paged = api.get("/api/v1/moderation/log?per_page=1&page=2").get_json()
    assert (paged["page"], paged["pages"], len(paged["entries"])) == (2, 2, 1)


# --- rate limits -----------------------------------------------------------------------------------

@pytest.fixture
def clock(monkeypatch):
    """Move the rate limiter's clock forward without waiting."""
    import limits.storage.memory as memory

    class Clock:
        offset = 0.0

        def time(self):
            import time

            return time.time() + self.offset

    fake = Clock()
    monkeypatch.setattr(memory, "time", fake)
    return fake


def test_posting_is_rate_limited_and_recovers(app_factory, clock):
    app_factory(RATELIMIT_ENABLED=True, POST_RATE_LIMIT="2 per minute",
                POST_IP_RATE_LIMIT="100 per minute")
    member = make_user("mia")
    thread = make_thread(make_user("olga"), make_forum())
    api = _client(member)
    url = f"/api/v1/threads/{thread.id}/posts"
    statuses = [api.post(url, json={"body": f"Reply {i}"}).status_code for i in range(3)]
    assert statuses == [201, 201, 429]
    refused = api.post(url, json={"body": "Once more"})
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another member is not held back by mia's limit.
    assert _client(make_user("otto")).post(url, json={"body": "Mine"}).status_code == 201
    assert db.session.query(Post).count() == 4
    clock.offset += 61
    assert api.post(url, json={"body": "After a minute"}).status_code == 201


def test_limits_apply_per_address_and_to_votes_flags_and_sign_ups(app_factory, clock):
    app_factory(RATELIMIT_ENABLED=True, REGISTER_IP_RATE_LIMIT="1 per hour",
                VOTE_RATE_LIMIT="1 per minute", FLAG_IP_RATE_LIMIT="1 per hour")
    from flask import current_app

    client = current_app.test_client()
    body = {"username": "first", "email": "first@example.com", "password": "a long passphrase"}
    assert client.post("/api/v1/users", json=body).status_code == 201
    second = client.post("/api/v1/users", json=body | {"username": "second",
                                                        "email": "second@example.com"})
    assert second.status_code == 429 and "Retry-After" in second.headers
    assert db.session.query(User).filter_by(username="second").count() == 0

    author = make_user("olga")
    thread = make_thread(author, make_forum())
    posts = [make_reply(author, thread, f"Answer {i}") for i in range(2)]
    voter = _client(make_user("vic"))
    assert voter.put(f"/api/v1/posts/{posts[0].id}/vote", json={"value": 1}).status_code == 200
    assert voter.put(f"/api/v1/posts/{posts[1].id}/vote", json={"value": 1}).status_code == 429
    flagger = _client(make_user("fay"))
    assert flagger.post(f"/api/v1/posts/{posts[0].id}/flags", json={"reason": "spam"}).status_code \
        == 201
    # Same client address: the per-address flag limit holds the next member back too.
    assert _client(make_user("fred")).post(f"/api/v1/posts/{posts[1].id}/flags",
                                           json={"reason": "spam"}).status_code == 429
    clock.offset += 3601
    assert client.post("/api/v1/users", json=body | {"username": "second",
                                                      "email": "second@example.com"}
                       ).status_code == 201


def test_an_admin_changes_a_limit_at_run_time(app_factory, clock):
    app_factory(RATELIMIT_ENABLED=True, POST_RATE_LIMIT="1 per minute")
    admin = make_user("ada", Role.ADMIN)
    moderation.update_rate_limits(admin, POST_RATE_LIMIT="3 per minute")
    member = make_user("mia")
    thread = make_thread(admin, make_forum())
    api = _client(member)
    url = f"/api/v1/threads/{thread.id}/posts"
    assert [api.post(url, json={"body": f"R{i}"}).status_code for i in range(4)] == \
        [201, 201, 201, 429]
