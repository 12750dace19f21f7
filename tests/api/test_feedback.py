import threading

from community.extensions import db
from community.models import PostVote, Thread, ThreadVote
from community.services import feedback

from ..factories import make_forum, make_reply, make_thread, make_user


def test_vote_endpoints(api_as, member, moderator):
    idea = make_thread(member, make_forum("ideas", kind="ideas"))
    reply = make_reply(member, idea)
    api = api_as(moderator)
    assert api.put(f"/api/v1/threads/{idea.id}/vote", json={"value": 1}).get_json() == \
        {"score": 1, "viewer_vote": 1}
    assert api.put(f"/api/v1/threads/{idea.id}/vote", json={"value": 1}).get_json()["score"] == 1
    assert api.put(f"/api/v1/posts/{reply.id}/vote", json={"value": 1}).get_json()["score"] == 1
    assert api.put(f"/api/v1/threads/{idea.id}/vote", json={"value": 0}).get_json() == \
        {"score": 0, "viewer_vote": 0}
    own = api_as(member).put(f"/api/v1/threads/{idea.id}/vote", json={"value": 1})
    assert own.status_code == 403 and "own" in own.get_json()["error"]["message"]
    for bad in ({"value": 2}, {"value": "1"}, {}, {"value": True}):
        assert api.put(f"/api/v1/threads/{idea.id}/vote", json=bad).status_code == 400, bad


def test_twenty_simultaneous_identical_votes_leave_one(app, member):
    idea = make_thread(member, make_forum("ideas", kind="ideas"))
    voter = make_user("racer")
    from community.services.accounts import issue_token

    _, secret = issue_token(voter, "race")
    barrier, statuses = threading.Barrier(20), []

    def vote():
        client = app.test_client()
        barrier.wait()
        response = client.put(f"/api/v1/threads/{idea.id}/vote", json={"value": 1},
                              headers={"Authorization": f"Bearer {secret}"})
        statuses.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=vote) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [s for s, _ in statuses] == [200] * 20, statuses
    assert {body["score"] for _, body in statuses} == {1}
    db.session.expire_all()
    assert db.session.query(ThreadVote).count() == 1
    assert db.session.get(Thread, idea.id).score == 1


def test_status_merge_and_history_endpoints(api_as, member, staff):
    ideas = make_forum("ideas", kind="ideas")
    a = make_thread(member, ideas, title="Orange packs")
    b = make_thread(member, ideas, title="Orange colourway")
    api = api_as(staff)
    changed = api.post(f"/api/v1/threads/{a.id}/status", json={"status": "planned", "note": "Yes!"})
    assert changed.status_code == 200 and changed.get_json()["status"] == "planned"
    history = api.get(f"/api/v1/threads/{a.id}/statuses").get_json()["statuses"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [("open", "planned")]
    assert api.post(f"/api/v1/threads/{a.id}/status", json={"status": "soon"}).status_code == 400
    assert api_as(member).post(f"/api/v1/threads/{a.id}/status",
                               json={"status": "shipped"}).status_code == 403

    merged = api.post(f"/api/v1/threads/{b.id}/merge", json={"into": a.id})
    assert merged.status_code == 200 and merged.get_json()["id"] == a.id
    assert api.post(f"/api/v1/threads/{a.id}/merge", json={"into": a.id}).status_code == 400
    assert api.post(f"/api/v1/threads/{a.id}/merge", json={"into": "x"}).status_code == 400

    roadmap = api_as(member).get("/api/v1/roadmap").get_json()
    assert [t["title"] for t in roadmap["planned"]] == ["Orange packs"]
    listed = api_as(member).get("/api/v1/forums/ideas/threads?status=duplicate").get_json()
    assert [t["id"] for t in listed["threads"]] == [b.id]
    assert api_as(member).get("/api/v1/forums/ideas/threads?status=bogus").status_code == 400


def test_top_and_trending_sort_by_stored_columns(client, member):
    ideas = make_forum("ideas", kind="ideas")
    quiet = make_thread(member, ideas, title="Quiet idea")
    loud = make_thread(member, ideas, title="Loud idea")
    newest = make_thread(member, ideas, title="Newest idea")
    for i in range(5):
        feedback.vote_thread(make_user(f"voter{i}"), loud, 1)
    feedback.vote_thread(make_user("solo"), quiet, 1)
    top = client.get("/api/v1/forums/ideas/threads?sort=top").get_json()["threads"]
    assert [t["title"] for t in top] == ["Loud idea", "Quiet idea", "Newest idea"]
    trending = client.get("/api/v1/forums/ideas/threads?sort=trending").get_json()["threads"]
    assert trending[0]["title"] == "Loud idea"
    assert newest.id


def test_follow_endpoints(api_as, member):
    thread = make_thread(member, make_forum())
    other = make_user("otto")
    api = api_as(other)
    assert api.put(f"/api/v1/threads/{thread.id}/follow", json={"level": "tracking"}).get_json() == \
        {"level": "tracking"}
    assert api.put(f"/api/v1/threads/{thread.id}/follow", json={"level": "loud"}).status_code == 400
    assert api.delete(f"/api/v1/threads/{thread.id}/follow").get_json() == {"level": None}


def test_post_vote_on_hidden_post_is_refused(api_as, member, moderator):
    thread = make_thread(member, make_forum())
    reply = make_reply(moderator, thread)
    reply.state = "hidden"
    db.session.commit()
    assert api_as(member).put(f"/api/v1/posts/{reply.id}/vote", json={"value": 1}).status_code in (403, 404)
    assert db.session.query(PostVote).count() == 0
