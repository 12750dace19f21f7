from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import Poll, PollBallot, PollOption, utcnow
from community.realtime import publisher
from community.services import forums

from ..factories import make_forum, make_thread, make_user

BODY = {"question": "Which colour?", "options": ["Red", "Green", "Blue"]}
POLL_KEYS = {"id", "thread_id", "question", "multiple", "results", "closes_at", "closed",
             "voter_count", "results_visible", "options", "my_choices", "can_vote", "can_close"}


@pytest.fixture
def thread(member):
    return make_thread(member, make_forum())


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def create(api, thread, **changes):
    return api.post(f"/api/v1/threads/{thread.id}/poll", json=BODY | changes)


def test_create_and_read_a_poll(api_as, client, member, thread):
    closes = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    response = create(api_as(member), thread, multiple=True, closes_at=closes.isoformat(),
                      results="always")
    assert response.status_code == 201
    poll = response.get_json()
    assert set(poll) == POLL_KEYS
    assert poll["thread_id"] == thread.id and poll["multiple"] is True
    assert poll["closes_at"] == closes.isoformat() and poll["closed"] is False
    assert [(o["label"], o["votes"], o["percent"]) for o in poll["options"]] == [
        ("Red", 0, 0), ("Green", 0, 0), ("Blue", 0, 0)]
    assert poll["my_choices"] == [] and poll["can_vote"] and poll["can_close"]
    shown = client.get(f"/api/v1/threads/{thread.id}/poll").get_json()
    assert shown["id"] == poll["id"] and shown["can_vote"] is False and shown["can_close"] is False


@pytest.mark.parametrize("changes, field", [
    ({"question": ""}, "question"),
    ({"question": 5}, "question"),
    ({"options": ["One"]}, "options"),
    ({"options": "Red,Green"}, "options"),
    ({"options": ["Red", 7]}, "options.1"),
    ({"options": ["Red", "red"]}, "options"),
    ({"options": ["Red", "x" * 121]}, "options"),
    ({"multiple": "yes"}, "multiple"),
    ({"multiple": 1}, "multiple"),
    ({"closes_at": "2020-01-01T00:00:00+00:00"}, "closes_at"),
    ({"closes_at": "2999-01-01T00:00:00"}, "closes_at"),  # no time zone
    ({"closes_at": "soon"}, "closes_at"),
    ({"results": "never"}, "results"),
])
def test_bad_poll_bodies_are_400_and_create_nothing(api_as, member, thread, changes, field):
    response = create(api_as(member), thread, **changes)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]
    assert rows(Poll) == 0 and rows(PollOption) == 0


def test_missing_fields_and_non_object_bodies(api_as, member, thread):
    api = api_as(member)
    response = api.post(f"/api/v1/threads/{thread.id}/poll", json={"question": "Only this?"})
    assert response.status_code == 400 and "options" in response.get_json()["error"]["fields"]
    assert api.post(f"/api/v1/threads/{thread.id}/poll", json=["x"]).status_code == 400
    assert rows(Poll) == 0


def test_create_errors(api_as, client, member, moderator, thread):
    assert create(client, thread).status_code == 401
    assert create(api_as(make_user("other")), thread).status_code == 403
    assert create(api_as(member), make_thread(moderator, make_forum("mods", private=True))
                  ).status_code == 404
    assert api_as(member).post("/api/v1/threads/999999/poll", json=BODY).status_code == 404
    assert create(api_as(moderator), thread).status_code == 201
    again = create(api_as(member), thread, options=["A", "B"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    assert rows(Poll) == 1 and rows(PollOption) == 3


def test_a_thread_without_a_poll_is_404(client, thread):
    response = client.get(f"/api/v1/threads/{thread.id}/poll")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_vote_change_withdraw(api_as, member, thread):
    poll = create(api_as(member), thread).get_json()
    red, green, blue = (o["id"] for o in poll["options"])
    api = api_as(make_user("val"))
    with publisher.capture() as sent:
        voted = api.put(f"/api/v1/polls/{poll['id']}/ballot", json={"option_ids": [red]})
    assert voted.status_code == 200
    body = voted.get_json()
    assert set(body) == POLL_KEYS and body["my_choices"] == [red] and body["voter_count"] == 1
    assert body["results_visible"] and [o["votes"] for o in body["options"]] == [1, 0, 0]
    assert [e.name for e in sent] == ["poll.changed"]
    assert sent[0].payload == {"thread_id": thread.id, "poll_id": poll["id"], "voter_count": 1,
                               "closed": False}

    changed = api.put(f"/api/v1/polls/{poll['id']}/ballot", json={"option_ids": [blue]}).get_json()
    assert changed["my_choices"] == [blue] and [o["votes"] for o in changed["options"]] == [0, 0, 1]
    assert [o["percent"] for o in changed["options"]] == [0, 0, 100]

    withdrawn = api.delete(f"/api/v1/polls/{poll['id']}/ballot")
    assert withdrawn.status_code == 200
    body = withdrawn.get_json()
    assert body["my_choices"] == [] and body["voter_count"] == 0
    # after_vote: having withdrawn, the member no longer sees the results.
    assert body["results_visible"] is False and {o["votes"] for o in body["options"]} == {None}


def test_results_hidden_from_others_until_they_vote(api_as, client, member, thread):
    poll = create(api_as(member), thread, results="after_vote").get_json()
    api_as(make_user("val")).put(f"/api/v1/polls/{poll['id']}/ballot",
                                 json={"option_ids": [poll["options"][0]["id"]]})
    for viewer in (client, api_as(make_user("new"))):
        shown = viewer.get(f"/api/v1/threads/{thread.id}/poll").get_json()
        assert shown["voter_count"] == 1 and shown["results_visible"] is False
        assert [(o["votes"], o["percent"]) for o in shown["options"]] == [(None, None)] * 3
    author = api_as(member).get(f"/api/v1/threads/{thread.id}/poll").get_json()
    assert [o["votes"] for o in author["options"]] == [1, 0, 0]


@pytest.mark.parametrize("body", [
    {"option_ids": []},
    {"option_ids": "1"},
    {"option_ids": ["1"]},
    {"option_ids": [1.0]},
    {"option_ids": [True]},
    {"option_ids": None},
    {},
    "both",
    "duplicate",
    "foreign",
])
def test_bad_ballots_are_400_and_change_nothing(api_as, member, thread, body):
    poll = create(api_as(member), thread).get_json()
    other = create(api_as(member), make_thread(member, thread.forum, title="Other one")).get_json()
    first, second = poll["options"][0]["id"], poll["options"][1]["id"]
    if isinstance(body, str):
        body = {"both": {"option_ids": [first, second]},
                "duplicate": {"option_ids": [first, first]},
                "foreign": {"option_ids": [other["options"][0]["id"]]}}[body]
    api = api_as(make_user("val"))
    api.put(f"/api/v1/polls/{poll['id']}/ballot", json={"option_ids": [second]})
    with publisher.capture() as sent:
        response = api.put(f"/api/v1/polls/{poll['id']}/ballot", json=body)
    assert response.status_code == 400
    assert "option_ids" in str(response.get_json()["error"].get("fields"))
    assert sent == []
    assert [b.option_id for b in db.session.scalars(select(PollBallot))] == [second]


def test_multiple_choice_ballots(api_as, member, thread):
    poll = create(api_as(member), thread, multiple=True).get_json()
    red, green, blue = (o["id"] for o in poll["options"])
    body = api_as(make_user("val")).put(f"/api/v1/polls/{poll['id']}/ballot",
                                        json={"option_ids": [blue, red]}).get_json()
    assert body["my_choices"] == [red, blue] and body["voter_count"] == 1
    assert [o["percent"] for o in body["options"]] == [100, 0, 100]


def test_closing(api_as, member, thread):
    poll = create(api_as(member), thread).get_json()
    url = f"/api/v1/polls/{poll['id']}"
    voter = api_as(make_user("val"))
    voter.put(f"{url}/ballot", json={"option_ids": [poll["options"][0]["id"]]})
    assert voter.post(f"{url}/close").status_code == 403
    with publisher.capture() as sent:
        closed = api_as(member).post(f"{url}/close")
    assert closed.status_code == 200 and closed.get_json()["closed"] is True
    assert [e.payload["closed"] for e in sent] == [True]
    assert api_as(member).post(f"{url}/close").status_code == 200  # idempotent
    late = voter.put(f"{url}/ballot", json={"option_ids": [poll["options"][1]["id"]]})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "conflict"
    assert voter.delete(f"{url}/ballot").status_code == 409
    assert [b.option_id for b in db.session.scalars(select(PollBallot))] == [
        poll["options"][0]["id"]]


def test_ballot_errors(api_as, client, member, moderator, thread):
    poll = create(api_as(member), thread).get_json()
    first = poll["options"][0]["id"]
    assert client.put(f"/api/v1/polls/{poll['id']}/ballot",
                      json={"option_ids": [first]}).status_code == 401
    assert api_as(member).put("/api/v1/polls/999999/ballot",
                              json={"option_ids": [first]}).status_code == 404
    hidden = create(api_as(moderator), make_thread(moderator, make_forum("mods", private=True)))
    assert api_as(member).put(f"/api/v1/polls/{hidden.get_json()['id']}/ballot",
                              json={"option_ids": [first]}).status_code == 404
    forums.update_thread(moderator, thread, locked=True)
    locked = api_as(make_user("val")).put(f"/api/v1/polls/{poll['id']}/ballot",
                                          json={"option_ids": [first]})
    assert locked.status_code == 403 and "locked" in locked.get_json()["error"]["message"]
    assert rows(PollBallot) == 0


def test_poll_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/threads/{thread_id}/poll"])
    assert {"put", "delete"} <= set(paths["/api/v1/polls/{poll_id}/ballot"])
    assert "post" in paths["/api/v1/polls/{poll_id}/close"]
