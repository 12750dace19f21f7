import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Forum, Setting, User
from community.models.integrations import Webhook
from community.services import webhooks

from ..factories import PASSWORD, make_forum, make_thread
from ..services.test_webhooks import Receiver


@pytest.fixture
def app(app_factory):
    return app_factory(WEBHOOKS_ALLOW_LOOPBACK=True)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_patch_and_reorder_forums(api_as, admin, member):
    make_forum("news")
    make_forum("help", kind="support")
    api = api_as(admin)
    response = api.patch("/api/v1/forums/news", json={"name": "Newsroom", "premoderated": True,
                                                      "private": True})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["premoderated"], body["private"], body["slug"]) == \
        ("Newsroom", True, True, "news")

    order = api.put("/api/v1/forums/order", json={"slugs": ["help", "news"]})
    assert [f["slug"] for f in order.get_json()["forums"]] == ["help", "news"]
    assert db.session.scalars(select(Forum.slug).order_by(Forum.position)).all() == ["help", "news"]

    assert api_as(member).patch("/api/v1/forums/news", json={"name": "Mine"}).status_code == 403


@pytest.mark.parametrize("body, status, field", [
    ({"slug": "help"}, 409, "slug"),
    ({"slug": "Not a slug!"}, 400, "slug"),
    ({"name": ""}, 400, "name"),
    ({"kind": "chat"}, 400, "kind"),
    ({"private": "yes"}, 400, "private"),
    ({"name": 5}, 400, "name"),
])
def test_bad_forum_changes_are_refused_and_change_nothing(api_as, admin, body, status, field):
    news = make_forum("news")
    make_forum("help")
    response = api_as(admin).patch("/api/v1/forums/news", json=body)
    assert response.status_code == status
    assert field in response.get_json()["error"]["fields"]
    db.session.refresh(news)
    assert (news.slug, news.name, news.kind, news.private) == ("news", "News", "discussion", False)


def test_reorder_must_name_every_forum_once(api_as, admin):
    make_forum("news")
    make_forum("help")
    api = api_as(admin)
    for slugs in (["news"], ["news", "help", "news"], ["news", "help", "ghost"]):
        response = api.put("/api/v1/forums/order", json={"slugs": slugs})
        assert response.status_code == 400, slugs
        assert "slugs" in response.get_json()["error"]["fields"]


def test_site_settings_read_and_patch(client, api_as, admin):
    assert client.get("/api/v1/site/settings").get_json()["primary_color"] == "#1f5f8b"
    api = api_as(admin)
    response = api.patch("/api/v1/site/settings",
                         json={"name": "Trailhead", "primary_color": "#036"})
    assert response.status_code == 200
    assert response.get_json()["primary_color"] == "#003366"
    bad = api.patch("/api/v1/site/settings", json={"name": "Other", "accent_color": "#fafafa"})
    assert bad.status_code == 400
    assert "accent_color" in bad.get_json()["error"]["fields"]
    assert db.session.get(Setting, "name").value == "Trailhead"
    assert api.patch("/api/v1/site/settings", json={"name": ["x"]}).status_code == 400


def test_webhooks_over_the_api(api_as, admin, member, receiver):
    api = api_as(admin)
    created = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["thread.created"],
                                                 "description": "Analytics"})
    assert created.status_code == 201
    hook = created.get_json()
    assert hook["secret"].startswith("whsec_") and hook["events"] == ["thread.created"]

    assert [h["id"] for h in api.get("/api/v1/webhooks").get_json()["webhooks"]] == [hook["id"]]
    changed = api.patch(f"/api/v1/webhooks/{hook['id']}", json={"events": ["post.created",
                                                                           "thread.created"]})
    assert changed.get_json()["events"] == ["thread.created", "post.created"]
    rotated = api.post(f"/api/v1/webhooks/{hook['id']}/secret").get_json()
    assert rotated["secret"] != hook["secret"]

    ping = api.post(f"/api/v1/webhooks/{hook['id']}/test")
    assert ping.status_code == 202 and ping.get_json()["status"] == "pending"
    make_thread(member, make_forum())
    webhooks.deliver_due()
    log = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()
    assert [(d["event"], d["status"], d["response_code"]) for d in log["deliveries"]] == \
        [("thread.created", "delivered", 200), ("ping", "delivered", 200)]
    ping_id = log["deliveries"][1]["id"]
    again = api.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{ping_id}/redeliver")
    assert again.status_code == 202 and again.get_json()["status"] == "pending"

    assert api.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    assert api.get(f"/api/v1/webhooks/{hook['id']}").status_code == 404


def test_webhook_input_errors(api_as, admin, member, receiver):
    api = api_as(admin)
    for body, field in [({"url": "http://169.254.169.254/", "events": ["post.created"]}, "url"),
                        ({"url": receiver.url, "events": ["nope"]}, "events"),
                        ({"url": receiver.url, "events": "post.created"}, "events"),
                        ({"url": 42, "events": ["post.created"]}, "url")]:
        response = api.post("/api/v1/webhooks", json=body)
        assert response.status_code == 400, body
        assert field in response.get_json()["error"]["fields"]
    assert db.session.query(Webhook).count() == 0
    assert api_as(member).get("/api/v1/webhooks").status_code == 403
    assert api_as(member).post("/api/v1/webhooks", json={
        "url": receiver.url, "events": ["post.created"]}).status_code == 403


def test_export_and_delete_me(client, api_as, member):
    make_thread(member, make_forum(), title="Mine to export")
    api = api_as(member)
    export = api.get("/api/v1/me/export")
    assert export.status_code == 200
    assert [t["title"] for t in export.get_json()["threads"]] == ["Mine to export"]
    assert client.get("/api/v1/me/export").status_code == 401

    url = "/api/v1/me/account"
    assert api.delete(url, json={"mode": "erase", "password": PASSWORD}).status_code == 400
    assert api.delete(url, json={"mode": "remove", "password": "wrong!"}).status_code == 400
    assert api.delete(url, json={"mode": "remove", "password": PASSWORD}).status_code == 204
    db.session.expire_all()
    assert db.session.get(User, member.id).username == f"deleted-{member.id}"
    assert api.get("/api/v1/me").status_code == 401  # its tokens are gone with it
