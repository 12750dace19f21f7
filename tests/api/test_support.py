from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import CsatRating, NpsResponse, Post, PostState, utcnow
from community.realtime import publisher
from community.services import support

from ..conftest import csrf_token
from ..factories import make_forum, make_reply, make_thread, make_user


@pytest.fixture
def question(member):
    thread = make_thread(member, make_forum("help", kind="support"))
    helper = make_user("hal")
    return (thread, make_reply(helper, thread, "Use seam sealer."),
            make_reply(helper, thread, "Or tape."))


def _solutions(thread) -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(Post.id).where(Post.thread_id == thread.id, Post.is_solution.is_(True))))


# --- solutions -------------------------------------------------------------------------------

def test_accept_change_and_unaccept(api_as, member, staff, question):
    thread, first, second = question
    url = f"/api/v1/threads/{thread.id}/solution"
    with publisher.capture() as sent:
        accepted = api_as(member).post(url, json={"post_id": first.id})
    assert accepted.status_code == 200
    assert accepted.get_json()["solved"] is True and accepted.get_json()["id"] == thread.id
    assert {e.name for e in sent} - {"badge.awarded", "notification"} == \
        {"post.updated", "thread.updated"}

    changed = api_as(staff).post(url, json={"post_id": second.id})
    assert changed.status_code == 200 and _solutions(thread) == [second.id]
    shown = api_as(member).get(f"/api/v1/threads/{thread.id}").get_json()
    assert [p["is_solution"] for p in shown["posts"]] == [False, False, True]

    removed = api_as(member).delete(url)
    assert removed.status_code == 200 and removed.get_json()["solved"] is False
    assert _solutions(thread) == []


def test_accept_refusals_change_nothing(api_as, client, member, staff, question):
    thread, first, _ = question
    url = f"/api/v1/threads/{thread.id}/solution"
    assert api_as(member).post(url, json={"post_id": first.id}).status_code == 200
    other = make_thread(member, thread.forum, title="A second question")
    elsewhere = make_reply(staff, other)
    removed = make_reply(staff, thread, "Wrong answer.")
    removed.state = PostState.DELETED
    chat_thread = make_thread(member, make_forum("chat"))
    chat_reply = make_reply(staff, chat_thread)
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    cases = [
        (api_as(make_user("olga")), url, {"post_id": first.id}, 403, None),
        (client, url, {"post_id": first.id}, 401, None),
        (api_as(member), url, {"post_id": opening.id}, 400, "post_id"),
        (api_as(member), url, {"post_id": elsewhere.id}, 400, "post_id"),
        (api_as(member), url, {"post_id": removed.id}, 400, "post_id"),
        (api_as(member), url, {"post_id": 999_999}, 404, None),
        (api_as(member), url, {"post_id": str(first.id)}, 400, "post_id"),
        (api_as(member), url, {}, 400, "post_id"),
        (api_as(member), "/api/v1/threads/999999/solution", {"post_id": first.id}, 404, None),
        (api_as(member), f"/api/v1/threads/{chat_thread.id}/solution", {"post_id": chat_reply.id},
         403, None),
    ]
    for api, path, body, status, field in cases:
        with publisher.capture() as sent:
            response = api.post(path, json=body)
        assert response.status_code == status, (body, response.get_json())
        error = response.get_json()["error"]
        if field:
            assert error["code"] == "validation_error" and field in error["fields"]
        assert sent == []
        assert _solutions(thread) == [first.id] and _solutions(chat_thread) == []
    assert api_as(make_user("olga2")).delete(url).status_code == 403
    assert _solutions(thread) == [first.id]


# --- CSAT --------------------------------------------------------------------------------------

@pytest.fixture
def solved(member, question):
    thread, first, _ = question
    support.accept_solution(member, thread, first)
    return thread


def test_csat_first_time_201_then_200(api_as, member, solved):
    url = f"/api/v1/threads/{solved.id}/csat"
    first = api_as(member).post(url, json={"score": 4, "comment": "Thanks!"})
    assert first.status_code == 201
    body = first.get_json()
    assert set(body) == {"score", "comment", "created_at", "updated_at"}
    assert (body["score"], body["comment"]) == (4, "Thanks!")
    datetime.fromisoformat(body["created_at"])
    second = api_as(member).post(url, json={"score": 5})
    assert second.status_code == 200
    assert (second.get_json()["score"], second.get_json()["comment"]) == (5, "")
    assert second.get_json()["created_at"] == body["created_at"]
    assert db.session.query(CsatRating).count() == 1


def test_csat_after_seven_days_is_409(api_as, member, solved):
    url = f"/api/v1/threads/{solved.id}/csat"
    assert api_as(member).post(url, json={"score": 2}).status_code == 201
    rating = db.session.scalar(select(CsatRating))
    rating.created_at = utcnow() - timedelta(days=8)
    db.session.commit()
    late = api_as(member).post(url, json={"score": 5})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "conflict"
    db.session.expire_all()
    assert db.session.scalar(select(CsatRating.score)) == 2


@pytest.mark.parametrize("body", [{"score": 0}, {"score": 6}, {"score": "5"}, {"score": 4.5},
                                  {"score": True}, {}, {"score": 3, "comment": 7}])
def test_csat_validation(api_as, member, solved, body):
    response = api_as(member).post(f"/api/v1/threads/{solved.id}/csat", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and error["fields"]
    assert db.session.query(CsatRating).count() == 0


def test_csat_only_for_the_asker_of_a_solved_thread(api_as, member, staff, question, solved):
    url = f"/api/v1/threads/{solved.id}/csat"
    assert api_as(staff).post(url, json={"score": 5}).status_code == 403
    assert api_as(question[1].author).post(url, json={"score": 5}).status_code == 403
    open_thread = make_thread(member, solved.forum, title="Not solved yet")
    assert api_as(member).post(f"/api/v1/threads/{open_thread.id}/csat",
                               json={"score": 5}).status_code == 403
    assert api_as(member).post("/api/v1/threads/999999/csat", json={"score": 5}).status_code == 404
    assert db.session.query(CsatRating).count() == 0


# --- NPS ---------------------------------------------------------------------------------------

def test_nps_answer_status_and_90_day_limit(api_as, client, member):
    api = api_as(member)
    assert api.get("/api/v1/nps/status").get_json() == {"can_answer": True, "next_at": None}
    created = api.post("/api/v1/nps", json={"score": 10, "comment": "Love it"})
    assert created.status_code == 201
    assert (created.get_json()["score"], created.get_json()["comment"]) == (10, "Love it")
    status = api.get("/api/v1/nps/status").get_json()
    assert status["can_answer"] is False
    assert datetime.fromisoformat(status["next_at"]) > utcnow() + timedelta(days=89)
    again = api.post("/api/v1/nps", json={"score": 3})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    assert db.session.query(NpsResponse).count() == 1

    response = db.session.scalar(select(NpsResponse))
    response.created_at = utcnow() - timedelta(days=91)
    db.session.commit()
    assert api.get("/api/v1/nps/status").get_json()["can_answer"] is True
    assert api.post("/api/v1/nps", json={"score": 0}).status_code == 201
    assert db.session.query(NpsResponse).count() == 2

    assert client.get("/api/v1/nps/status").get_json() == {"can_answer": False, "next_at": None}
    assert client.post("/api/v1/nps", json={"score": 5}).status_code == 401


@pytest.mark.parametrize("body", [{"score": -1}, {"score": 11}, {"score": "7"}, {"score": 7.5},
                                  {"score": None}, {"comment": "no score"}])
def test_nps_validation(api_as, member, body):
    response = api_as(member).post("/api/v1/nps", json=body)
    assert response.status_code == 400
    assert "score" in response.get_json()["error"]["fields"]
    assert db.session.query(NpsResponse).count() == 0


def test_cookie_session_needs_csrf(client_as, member):
    client = client_as(member)
    assert client.post("/api/v1/nps", json={"score": 8}).status_code == 400
    token = csrf_token(client, "/feedback/nps")
    ok = client.post("/api/v1/nps", json={"score": 8}, headers={"X-CSRFToken": token})
    assert ok.status_code == 201
    assert db.session.query(NpsResponse).count() == 1
