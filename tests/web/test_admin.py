import base64
import io
import json
import re

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import ApiToken, Forum, Role, Setting, User
from community.models.integrations import Webhook, WebhookDelivery
from community.services import webhooks

from ..conftest import csrf_token
from ..factories import PASSWORD, make_forum, make_thread, make_user
from ..services.test_webhooks import Receiver

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwAE"
                       "hQGAhKmMIQAAAABJRU5ErkJggg==")


@pytest.fixture
def app(app_factory):
    return app_factory(WEBHOOKS_ALLOW_LOOPBACK=True)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def console(client_as, admin):
    client = client_as(admin)
    client.token = csrf_token(client, "/admin")
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


# --- access ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin", "/admin/forums", "/admin/members", "/admin/site",
                                  "/admin/webhooks"])
def test_the_console_is_for_admins_only(client, client_as, member, staff, path):
    assert client.get(path).status_code == 302  # to the login page
    assert client_as(member).get(path).status_code == 403
    assert client_as(staff).get(path).status_code == 403


def test_admins_see_the_console_link_and_menu(client_as, console, staff):
    page = text(console.get("/admin"))
    for link in ("/admin/forums", "/admin/members", "/admin/site", "/admin/webhooks",
                 "/admin/badges", "/admin/scoring", "/admin/watched-words", "/admin/rate-limits"):
        assert f'href="{link}"' in page
    assert 'href="/admin">Admin</a>' in text(console.get("/"))
    assert 'href="/admin">Admin</a>' not in text(client_as(staff).get("/"))


# --- forums ------------------------------------------------------------------------------

def test_create_edit_and_reorder_forums(console):
    response = console.post("/admin/forums", data={
        "csrf_token": console.token, "name": "Gear swap", "slug": "gear-swap",
        "description": "Buy and sell used gear.", "kind": "discussion", "premoderated": "on"})
    assert response.status_code == 302
    forum = db.session.scalar(select(Forum).where(Forum.slug == "gear-swap"))
    assert (forum.name, forum.premoderated, forum.private) == ("Gear swap", True, False)
    make_forum("news")

    response = console.post("/admin/forums/gear-swap", data={
        "csrf_token": console.token, "name": "Gear market", "slug": "gear-market",
        "description": "", "kind": "ideas", "private": "on"})
    assert response.status_code == 302
    db.session.refresh(forum)
    assert (forum.slug, forum.name, forum.kind, forum.private, forum.premoderated) == \
        ("gear-market", "Gear market", "ideas", True, False)

    console.post("/admin/forums/news/move", data={"csrf_token": console.token, "direction": "up"})
    db.session.expire_all()
    order = db.session.scalars(select(Forum.slug).order_by(Forum.position)).all()
    assert order == ["news", "gear-market"]
    page = text(console.get("/admin/forums"))
    assert page.index("/f/news") < page.index("/f/gear-market")


def test_a_duplicate_slug_is_a_clear_error_and_changes_nothing(console):
    make_forum("news")
    response = console.post("/admin/forums", data={
        "csrf_token": console.token, "name": "News again", "slug": "news", "kind": "discussion"})
    assert response.status_code == 409
    assert "Already in use." in text(response)
    assert db.session.query(Forum).count() == 1

    make_forum("events")
    response = console.post("/admin/forums/events", data={
        "csrf_token": console.token, "name": "Events", "slug": "news", "kind": "discussion"})
    assert response.status_code == 409
    assert db.session.scalar(select(Forum.slug).where(Forum.name == "Events")) == "events"


def test_the_kind_of_a_forum_with_threads_stays(console, member):
    forum = make_forum("help", kind="support")
    make_thread(member, forum)
    response = console.post("/admin/forums/help", data={
        "csrf_token": console.token, "name": "Help", "slug": "help", "kind": "ideas"})
    assert response.status_code == 400
    assert "only while the forum has no threads" in text(response)
    db.session.refresh(forum)
    assert forum.kind == "support"


# --- members -----------------------------------------------------------------------------

def test_members_search_and_role_change(console, member):
    make_user("bob_builder")
    page = text(console.get("/admin/members?q=MI"))
    assert "mia@example.com" in page and "bob_builder" not in page
    assert 'href="/moderation/members/mia"' in page
    assert "bob_builder" in text(console.get("/admin/members?role=member"))

    response = console.post("/admin/members/mia/role", data={
        "csrf_token": console.token, "new_role": "moderator", "q": "mi"})
    assert response.status_code == 302 and "q=mi" in response.headers["Location"]
    db.session.refresh(member)
    assert member.role == Role.MODERATOR


def test_removing_the_last_admin_is_refused(console, admin):
    response = console.post("/admin/members/ada/role", data={
        "csrf_token": console.token, "new_role": "member"})
    assert response.status_code == 409
    assert "at least one admin" in text(response)
    db.session.refresh(admin)
    assert admin.role == Role.ADMIN


# --- site and brand ----------------------------------------------------------------------

def site_form(console, **values):
    data = {"csrf_token": console.token, "name": "Trailhead", "tagline": "Out there together.",
            "banner": "", "primary_color": "#1f5f8b", "accent_color": "#c2410c", "logo_url": "",
            "footer_links": ""} | values
    return console.post("/admin/site", data=data, content_type="multipart/form-data")


def test_rebranding_shows_everywhere(console, client):
    response = site_form(console, name="Summit Gear Community", primary_color="#2F5D3A",
                         accent_color="#b45309", banner="Spring meetups are on!",
                         footer_links="Store | https://example.com/store\nRoadmap | /roadmap")
    assert response.status_code == 302
    home = text(client.get("/"))
    assert "Summit Gear Community" in home
    assert '<p class="welcome-banner">Spring meetups are on!</p>' in home
    assert '<a href="https://example.com/store">Store</a>' in home
    assert '<a href="/roadmap">Roadmap</a>' in home

    link = re.search(r'href="(/theme\.css\?v=[0-9a-f]+)"', home).group(1)
    css = client.get(link)
    assert css.mimetype == "text/css" and "immutable" in css.headers["Cache-Control"]
    body = text(css)
    assert "--brand: #2f5d3a;" in body and "--accent: #b45309;" in body
    assert "--brand-contrast: #ffffff;" in body
    # Dark mode gets a lighter shade of the brand, readable on the dark surfaces.
    assert "@media (prefers-color-scheme: dark)" in body


def test_unreadable_colours_are_refused_and_nothing_is_saved(console):
    response = site_form(console, name="New name", primary_color="#ffd700")
    assert response.status_code == 400
    page = text(response)
    assert "contrast of 1.4:1 with white" in page and "4.5:1" in page
    assert db.session.get(Setting, "name") is None  # the valid name was not saved either
    for bad in ("gold", "#12345", "#ggg", "rgb(0,0,0)", ""):
        assert site_form(console, primary_color=bad).status_code == 400
    assert db.session.get(Setting, "primary_color") is None


def test_bad_footer_links_and_logo_addresses_are_refused(console):
    assert site_form(console, footer_links="Evil | javascript:alert(1)").status_code == 400
    assert site_form(console, footer_links="No separator here").status_code == 400
    assert site_form(console, logo_url="http://example.com/logo.png").status_code == 400
    assert db.session.query(Setting).count() == 0


def test_uploading_a_logo(console, client):
    data = {"csrf_token": console.token, "name": "Trailhead", "tagline": "", "banner": "",
            "primary_color": "#1f5f8b", "accent_color": "#c2410c", "logo_url": "",
            "footer_links": "", "logo_file": (io.BytesIO(PNG), "logo.png")}
    response = console.post("/admin/site", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    url = db.session.get(Setting, "logo_url").value
    assert re.fullmatch(r"/brand/logo\?v=[0-9a-f]{10}", url)
    assert f'<img src="{url}" alt="" class="brand-logo">' in text(client.get("/"))
    logo = client.get(url)
    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.data == PNG


@pytest.mark.parametrize("content, name", [
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "logo.svg"),
    (b"MZ\x90\x00 not an image", "logo.png"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (256 * 1024), "huge.png"),
])
def test_bad_logo_files_are_refused(console, content, name):
    data = {"csrf_token": console.token, "name": "Renamed", "tagline": "", "banner": "",
            "primary_color": "#1f5f8b", "accent_color": "#c2410c", "logo_url": "",
            "footer_links": "", "logo_file": (io.BytesIO(content), name)}
    response = console.post("/admin/site", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert db.session.query(Setting).count() == 0
    assert console.get("/brand/logo").status_code == 404


# --- webhooks ----------------------------------------------------------------------------

def test_wire_a_webhook_send_a_test_and_read_the_log(console, receiver):
    response = console.post("/admin/webhooks", data={
        "csrf_token": console.token, "url": receiver.url, "description": "CRM",
        "events": ["post.created", "thread.created"], "active": "on"})
    assert response.status_code == 302
    hook = db.session.scalar(select(Webhook))
    assert hook.event_list == ["thread.created", "post.created"] and hook.active
    page = text(console.get(f"/admin/webhooks/{hook.id}"))
    assert hook.secret in page

    response = console.post(f"/admin/webhooks/{hook.id}/test", data={"csrf_token": console.token})
    assert response.headers["Location"].endswith(f"/admin/webhooks/{hook.id}/deliveries")
    webhooks.deliver_due()
    assert receiver.events() == ["ping"]
    log = text(console.get(f"/admin/webhooks/{hook.id}/deliveries"))
    assert "Delivered" in log and "HTTP 200" in log and "ping" in log
    watching = console.get(f"/admin/webhooks/{hook.id}/deliveries?watch=1")
    assert 'http-equiv="refresh"' in text(watching)
    assert "HTTP 200" in text(console.get("/admin/webhooks"))


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "file:///etc/passwd",
                                 "http://10.1.1.1/hook", "http://localhost/hook"])
def test_unsafe_webhook_addresses_are_refused_in_the_form(console, url):
    response = console.post("/admin/webhooks", data={
        "csrf_token": console.token, "url": url, "events": ["post.created"], "active": "on"})
    assert response.status_code == 400
    assert db.session.query(Webhook).count() == 0


def test_the_community_itself_is_not_a_receiver_even_on_loopback(console):
    # The test client's requests come to http://localhost/, loopback being allowed here.
    response = console.post("/admin/webhooks", data={
        "csrf_token": console.token, "url": "http://localhost/api/v1/forums",
        "events": ["post.created"], "active": "on"})
    assert response.status_code == 400
    assert "this community itself" in text(response)


def test_edit_rotate_redeliver_and_delete_a_webhook(console, admin, receiver):
    hook = webhooks.create_webhook(admin, receiver.url, ["member.joined"])
    old_secret = hook.secret
    console.post(f"/admin/webhooks/{hook.id}", data={
        "csrf_token": console.token, "url": receiver.url, "description": "Welcome emails",
        "events": ["member.joined", "badge.awarded"]})
    db.session.refresh(hook)
    assert (hook.description, hook.active, hook.event_list) == \
        ("Welcome emails", False, ["badge.awarded", "member.joined"])
    console.post(f"/admin/webhooks/{hook.id}/rotate", data={"csrf_token": console.token})
    db.session.refresh(hook)
    assert hook.secret != old_secret

    delivery = webhooks.send_test_webhook(admin, hook)
    webhooks.deliver_due()
    console.post(f"/admin/webhooks/{hook.id}/deliveries/{delivery.id}/redeliver",
                 data={"csrf_token": console.token})
    webhooks.deliver_due()
    assert receiver.events() == ["ping", "ping"]

    console.post(f"/admin/webhooks/{hook.id}/delete", data={"csrf_token": console.token})
    assert db.session.query(Webhook).count() == 0
    assert db.session.query(WebhookDelivery).count() == 0


def test_done_when_an_admin_rebrands_creates_a_forum_and_sees_signed_deliveries(
        console, client_as, member, receiver):
    assert site_form(console, name="Trailhead Outdoor Community", primary_color="#2f5d3a",
                     banner="Welcome, hikers!").status_code == 302
    assert console.post("/admin/forums", data={
        "csrf_token": console.token, "name": "Trail conditions", "slug": "trail-conditions",
        "kind": "discussion"}).status_code == 302
    assert console.post("/admin/webhooks", data={
        "csrf_token": console.token, "url": receiver.url, "events": ["post.created"],
        "active": "on"}).status_code == 302
    hook = db.session.scalar(select(Webhook))

    forum = db.session.scalar(select(Forum).where(Forum.slug == "trail-conditions"))
    thread = make_thread(member, forum, title="Snow on the north pass?")
    browser = client_as(make_user("hiker"))
    reply = browser.post(f"/t/{thread.id}/reply", data={
        "csrf_token": csrf_token(browser, f"/t/{thread.id}"), "body": "Knee deep yesterday."})
    assert reply.status_code == 302
    webhooks.deliver_due()

    [request] = receiver.requests
    assert webhooks.verify_signature(hook.secret, request["headers"]["X-Community-Signature"],
                                     request["body"])
    assert json.loads(request["body"])["data"]["post"]["body"] == "Knee deep yesterday."
    log = text(console.get(f"/admin/webhooks/{hook.id}/deliveries"))
    assert "post.created" in log and "HTTP 200" in log
    assert "Welcome, hikers!" in text(browser.get("/"))


# --- API tokens with scopes --------------------------------------------------------------

def test_token_page_offers_the_scopes_a_role_has(client_as, member, admin):
    assert 'value="admin"' not in text(client_as(member).get("/settings/tokens"))
    assert 'value="moderate"' not in text(client_as(member).get("/settings/tokens"))
    page = text(client_as(admin).get("/settings/tokens"))
    assert 'value="admin"' in page and 'value="moderate"' in page


def test_tokens_are_created_with_the_chosen_scopes(client_as, member):
    client = client_as(member)
    token = csrf_token(client, "/settings/tokens")
    response = client.post("/settings/tokens", data={"csrf_token": token, "name": "Reader",
                                                    "scopes_shown": "1", "scopes": ["read"]})
    assert response.status_code == 200 and 'class="secret"' in text(response)
    assert db.session.scalar(select(ApiToken.scopes)) == "read"

    for scopes in ([], ["read", "admin"]):
        response = client.post("/settings/tokens", data={"csrf_token": token, "name": "Bad",
                                                        "scopes_shown": "1", "scopes": scopes})
        assert response.status_code == 400
    assert db.session.query(ApiToken).count() == 1


# --- data rights -------------------------------------------------------------------------

def test_members_download_their_data(client_as, member):
    make_thread(member, make_forum(), title="My only thread")
    client = client_as(member)
    assert "Download my data" in text(client.get("/settings/data"))
    response = client.get("/settings/data/export.json")
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["profile"]["email"] == "mia@example.com"
    assert [t["title"] for t in data["threads"]] == ["My only thread"]


def test_members_delete_their_account_in_the_browser(client_as, member):
    thread = make_thread(member, make_forum(), title="Keep my tips")
    client = client_as(member)
    token = csrf_token(client, "/settings/data/delete")
    wrong = client.post("/settings/data/delete", data={"csrf_token": token, "mode": "anonymise",
                                                       "password": "nope nope nope"})
    assert wrong.status_code == 400
    response = client.post("/settings/data/delete", data={"csrf_token": token, "mode": "anonymise",
                                                          "password": PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, member.id)
    assert user.username == f"deleted-{member.id}"
    assert client.get("/settings").status_code == 302  # signed out
    assert "Deleted user" in text(client.get(f"/t/{thread.id}"))
