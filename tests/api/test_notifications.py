from community.extensions import db
from community.models import ForumFollow
from community.services import notifications

from ..factories import make_forum, make_reply, make_thread


def setup_mia(member, moderator):
    thread = make_thread(member, make_forum(), title="API")
    notifications.mark_read(member, everything=True)  # her first-post badge
    make_reply(moderator, thread, "one")
    make_reply(moderator, thread, "two")
    make_thread(moderator, make_forum("other"), title="Other", body="Hi @mia")
    return thread


def test_list_and_filter_notifications(api_as, member, moderator):
    setup_mia(member, moderator)
    api = api_as(member)
    data = api.get("/api/v1/notifications").get_json()
    assert data["unread"] == 2 and data["page"] == 1 and data["pages"] == 1
    kinds = [(n["kind"], n["count"], n["read"]) for n in data["notifications"]]
    assert kinds[:2] == [("mention", 1, False), ("reply", 2, False)] and kinds[2][0] == "badge"
    mention = data["notifications"][0]
    assert mention["message"] == "moe mentioned you in “Other”."
    assert mention["actor"]["username"] == "moe" and mention["url"] == f"/p/{mention['post_id']}"
    unread = api.get("/api/v1/notifications?unread=1").get_json()["notifications"]
    assert [n["kind"] for n in unread] == ["mention", "reply"]
    third = api.get("/api/v1/notifications?per_page=1&page=3").get_json()["notifications"]
    assert [n["kind"] for n in third] == ["badge"]
    assert api.get("/api/v1/notifications?page=0").status_code == 400
    theirs = api_as(moderator).get("/api/v1/notifications").get_json()["notifications"]
    assert [n["kind"] for n in theirs] == ["badge"]  # his own first-post badge, none of hers


def test_mark_read_by_ids_or_all(api_as, member, moderator):
    setup_mia(member, moderator)
    api = api_as(member)
    first = api.get("/api/v1/notifications?unread=1").get_json()["notifications"][0]
    response = api.post("/api/v1/notifications/read", json={"ids": [first["id"]]})
    assert response.status_code == 200 and response.get_json() == {"unread": 1}
    assert api.post("/api/v1/notifications/read", json={"all": True}).get_json() == {"unread": 0}
    for bad in ({"ids": ["1"]}, {"ids": []}, {}, {"all": "yes"}, {"ids": 5}):
        response = api.post("/api/v1/notifications/read", json=bad)
        assert response.status_code == 400, bad
        assert response.get_json()["error"]["code"] == "validation_error"


def test_notifications_need_a_member(client, api_as, member):
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.post("/api/v1/notifications/read", json={"all": True}).status_code == 401
    assert client.get("/api/v1/notifications/preferences").status_code == 401
    read_only = api_as(member, scopes="read")
    assert read_only.get("/api/v1/notifications").status_code == 200
    assert read_only.post("/api/v1/notifications/read", json={"all": True}).status_code == 403


def test_preferences(api_as, member):
    api = api_as(member)
    data = api.get("/api/v1/notifications/preferences").get_json()
    assert data["digest"] == "weekly" and data["auto_follow"] is True
    assert data["kinds"]["mention"] == {"in_app": True, "email": True}
    assert data["kinds"]["badge"] == {"in_app": True, "email": False}
    changed = api.put("/api/v1/notifications/preferences", json={
        "kinds": {"reply": {"email": False}}, "digest": "off", "auto_follow": False}).get_json()
    assert changed["kinds"]["reply"] == {"in_app": True, "email": False}
    assert changed["kinds"]["mention"] == {"in_app": True, "email": True}
    assert (changed["digest"], changed["auto_follow"]) == ("off", False)
    for bad in ({"digest": "hourly"}, {"auto_follow": "no"}, {"kinds": {"reply": {"email": 1}}},
                {"kinds": {"gossip": {"email": True}}}, {"kinds": {"rank": {"email": True}}}):
        response = api.put("/api/v1/notifications/preferences", json=bad)
        assert response.status_code == 400, bad
    assert api.get("/api/v1/notifications/preferences").get_json() == changed


def test_follow_a_forum(api_as, member, moderator):
    forum = make_forum("trails")
    make_forum("staff-room", private=True)
    api = api_as(member)
    assert api.put("/api/v1/forums/trails/follow", json={"level": "tracking"}).get_json() == \
        {"level": "tracking"}
    assert db.session.get(ForumFollow, (member.id, forum.id)).level == "tracking"
    assert api.put("/api/v1/forums/trails/follow", json={"level": "loud"}).status_code == 400
    assert api.put("/api/v1/forums/staff-room/follow", json={}).status_code == 404
    assert api.delete("/api/v1/forums/trails/follow").get_json() == {"level": None}
    db.session.expire_all()
    assert db.session.get(ForumFollow, (member.id, forum.id)) is None
    assert api_as(moderator).put("/api/v1/forums/staff-room/follow", json={}).get_json() == \
        {"level": "watching"}
