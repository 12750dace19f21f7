from community.api.schemas import EditConflictOut
from community.extensions import db
from community.models import Post, Thread

from ..factories import make_forum, make_reply, make_thread


def test_forum_listing_hides_private_forums(client, api_as, member, moderator):
    make_forum("general")
    make_forum("mods", private=True)
    assert [f["slug"] for f in client.get("/api/v1/forums").get_json()["forums"]] == ["general"]
    slugs = [f["slug"] for f in api_as(moderator).get("/api/v1/forums").get_json()["forums"]]
    assert slugs == ["general", "mods"]


def test_create_forum_needs_admin_and_valid_input(api_as, member, admin):
    body = {"slug": "help", "name": "Help", "kind": "support"}
    assert api_as(member).post("/api/v1/forums", json=body).status_code == 403
    created = api_as(admin).post("/api/v1/forums", json=body)
    assert created.status_code == 201 and created.get_json()["kind"] == "support"
    duplicate = api_as(admin).post("/api/v1/forums", json=body)
    assert duplicate.status_code == 409 and "slug" in duplicate.get_json()["error"]["fields"]
    bad = api_as(admin).post("/api/v1/forums", json={"slug": "x y", "name": "", "kind": "chat"})
    assert bad.status_code == 400
    assert {"kind"} <= set(bad.get_json()["error"]["fields"])


def test_thread_lifecycle_through_the_api(api_as, member, moderator):
    make_forum()
    api = api_as(member)
    created = api.post("/api/v1/forums/general/threads",
                       json={"title": "Zip is stuck", "body": "Any **tips**?"})
    assert created.status_code == 201
    thread = created.get_json()
    assert thread["title"] == "Zip is stuck" and thread["author"]["username"] == "mia"

    reply = api_as(moderator).post(f"/api/v1/threads/{thread['id']}/posts",
                                   json={"body": "Use wax, @mia."})
    assert reply.status_code == 201
    post = reply.get_json()
    assert 'class="mention"' in post["html"] and post["number"] == 2

    shown = api.get(f"/api/v1/threads/{thread['id']}").get_json()
    assert [p["number"] for p in shown["posts"]] == [1, 2]
    assert shown["thread"]["reply_count"] == 1 and shown["pages"] == 1

    first_id = shown["posts"][0]["id"]
    edited = api.patch(f"/api/v1/posts/{first_id}", json={"body": "Any tips? Edited."})
    assert edited.status_code == 200 and edited.get_json()["edited_at"]
    revisions = api.get(f"/api/v1/posts/{first_id}/revisions").get_json()["revisions"]
    assert [r["body"] for r in revisions] == ["Any **tips**?"]

    assert api.delete(f"/api/v1/posts/{post['id']}").status_code == 403
    assert api_as(moderator).delete(f"/api/v1/posts/{post['id']}").status_code == 204
    removed = api.get(f"/api/v1/posts/{post['id']}").get_json()
    assert removed["state"] == "deleted" and removed["body"] is None


def test_patch_thread_permissions(api_as, member, moderator):
    thread = make_thread(member, make_forum())
    make_forum("other")
    api = api_as(member)
    assert api.patch(f"/api/v1/threads/{thread.id}", json={"title": "Renamed it"}).status_code == 200
    assert api.patch(f"/api/v1/threads/{thread.id}", json={"pinned": True}).status_code == 403
    moved = api_as(moderator).patch(f"/api/v1/threads/{thread.id}",
                                    json={"forum": "other", "locked": True})
    assert moved.status_code == 200
    assert moved.get_json()["forum"] == "other" and moved.get_json()["locked"] is True
    refused = api.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "hello?"})
    assert refused.status_code == 403 and "locked" in refused.get_json()["error"]["message"]


def test_bad_input_is_a_400_and_writes_nothing(api_as, member):
    make_forum()
    api = api_as(member)
    for body in ({"title": "no", "body": "x"}, {"title": "Fine title", "body": ""},
                 {"title": "Fine title", "body": "x" * 50_001}, {"title": 5, "body": "x"},
                 {"title": "Fine title"}):
        response = api.post("/api/v1/forums/general/threads", json=body)
        assert response.status_code == 400, body
        assert response.get_json()["error"]["fields"]
    assert db.session.query(Thread).count() == 0
    assert api.post("/api/v1/forums/nope/threads", json={"title": "abc", "body": "x"}).status_code == 404


def test_paging_and_sorting_arguments(client, member):
    forum = make_forum()
    for i in range(3):
        make_thread(member, forum, title=f"Thread {i}")
    page = client.get("/api/v1/forums/general/threads?per_page=2&page=2").get_json()
    assert (page["page"], page["pages"], page["total"], len(page["threads"])) == (2, 2, 3, 1)
    assert [t["title"] for t in client.get("/api/v1/forums/general/threads").get_json()["threads"]] \
        == ["Thread 2", "Thread 1", "Thread 0"]
    for query in ("page=0", "page=x", "per_page=1000", "sort=nope"):
        assert client.get(f"/api/v1/forums/general/threads?{query}").status_code == 400, query
    assert client.get("/api/v1/forums/general/threads?page=5").status_code == 404


def test_private_content_is_404_in_the_api(client, api_as, member, moderator):
    thread = make_thread(moderator, make_forum("mods", private=True))
    post = db.session.query(Post).filter_by(thread_id=thread.id).one()
    for path in ("/api/v1/forums/mods/threads", f"/api/v1/threads/{thread.id}",
                 f"/api/v1/posts/{post.id}"):
        assert client.get(path).status_code == 404
        assert api_as(member).get(path).status_code == 404


def test_unicode_round_trips(api_as, member):
    make_forum()
    title = "Zelt 🏕️ مرحبا e\u0301"
    created = api_as(member).post("/api/v1/forums/general/threads",
                                  json={"title": title, "body": "שלום 👋"}).get_json()
    assert created["title"] == title


def test_tags(client, api_as, member, staff):
    assert api_as(member).post("/api/v1/tags", json={"slug": "tents", "name": "Tents"}).status_code == 403
    assert api_as(staff).post("/api/v1/tags", json={"slug": "tents", "name": "Tents"}).status_code == 201
    assert client.get("/api/v1/tags").get_json() == {"tags": [{"slug": "tents", "name": "Tents"}]}
    make_forum()
    created = api_as(member).post("/api/v1/forums/general/threads",
                                  json={"title": "Tent help", "body": "x", "tags": ["tents"]})
    assert created.get_json()["tags"] == [{"slug": "tents", "name": "Tents"}]


def test_preview(api_as, member):
    response = api_as(member).post("/api/v1/preview", json={"body": "*hi* <img src=x onerror=1>"})
    assert response.status_code == 200
    assert "<em>hi</em>" in response.get_json()["html"]
    assert "<img" not in response.get_json()["html"]


def test_pending_posts_are_seen_by_their_author_only(api_as, client, member, moderator):
    thread = make_thread(member, make_forum())
    post = make_reply(member, thread)
    post.state = "pending"
    db.session.commit()
    assert client.get(f"/api/v1/posts/{post.id}").status_code == 404
    assert [p["number"] for p in client.get(f"/api/v1/threads/{thread.id}").get_json()["posts"]] == [1]
    assert api_as(member).get(f"/api/v1/posts/{post.id}").get_json()["state"] == "pending"


def test_an_edit_of_a_stale_revision_gets_409_with_both_versions(api_as, member, moderator):
    thread = make_thread(member, make_forum(), body="Original words")
    post_id = db.session.query(Post).filter_by(thread_id=thread.id).one().id
    author, mod = api_as(member), api_as(moderator)
    assert author.get(f"/api/v1/posts/{post_id}").get_json()["revision"] == 1

    saved = mod.patch(f"/api/v1/posts/{post_id}", json={"body": "Fixed", "base_revision": 1})
    assert saved.status_code == 200 and saved.get_json()["revision"] == 2
    refused = author.patch(f"/api/v1/posts/{post_id}",
                           json={"body": "My rewrite", "base_revision": 1})
    assert refused.status_code == 409
    body = refused.get_json()
    EditConflictOut.model_validate(body)
    assert body["error"]["code"] == "conflict" and body["error"]["message"]
    current = body["current"]
    assert (current["revision"], current["body"], current["author"]["username"]) == \
        (2, "Fixed", "mia")
    assert current["edited_at"] and "<p>Fixed</p>" in current["html"]
    assert body["yours"] == {"body": "My rewrite", "base_revision": 1}
    assert author.get(f"/api/v1/posts/{post_id}").get_json()["body"] == "Fixed"

    again = author.patch(f"/api/v1/posts/{post_id}", json={"body": "My rewrite",
                                                            "base_revision": 2})
    assert again.status_code == 200 and again.get_json()["revision"] == 3
    # Clients that send no base revision keep working: the last save wins.
    legacy = mod.patch(f"/api/v1/posts/{post_id}", json={"body": "Fixed again"})
    assert legacy.status_code == 200 and legacy.get_json()["revision"] == 4
    for bad in ({"body": "x", "base_revision": "4"}, {"body": "x", "base_revision": True},
                {"body": "x", "base_revision": 0}, {"body": "x", "base_revision": 1.5}):
        response = author.patch(f"/api/v1/posts/{post_id}", json=bad)
        assert response.status_code == 400 and "base_revision" in \
            response.get_json()["error"]["fields"], bad


def test_the_edit_contract_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    patch = doc["paths"]["/api/v1/posts/{post_id}"]["patch"]
    edit_in = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert edit_in.endswith("/PostEditIn")
    assert "base_revision" in doc["components"]["schemas"]["PostEditIn"]["properties"]
    conflict = patch["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert conflict.endswith("/EditConflictOut")
    assert "revision" in doc["components"]["schemas"]["PostOut"]["required"]
