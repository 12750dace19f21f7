import pytest

from ..factories import make_forum, make_reply, make_thread


def test_search_returns_results_with_snippets(client, member):
    forum = make_forum("gear")
    titled = make_thread(member, forum, title="Zeppelin models", body="Any kits?")
    other = make_thread(member, forum, title="Trip report", body="We hiked.")
    reply = make_reply(member, other, body="A <b>zeppelin</b> flew over us.")
    response = client.get("/api/v1/search?q=zeppelin")
    assert response.status_code == 200
    body = response.get_json()
    assert body["page"] == 1 and body["pages"] == 1 and body["total"] == 2
    first, second = body["results"]
    assert first == {"thread": {"id": titled.id, "title": "Zeppelin models", "forum": "gear",
                                "url": f"/t/{titled.id}"},
                     "post_id": None, "snippet_html": "Any kits?"}
    assert second["thread"]["id"] == other.id and second["post_id"] == reply.id
    assert second["snippet_html"] == "A &lt;b&gt;<mark>zeppelin</mark>&lt;/b&gt; flew over us."


def test_search_pages(client, member):
    forum = make_forum()
    for i in range(7):
        make_thread(member, forum, title=f"Zeppelin number {i}")
    body = client.get("/api/v1/search?q=zeppelin&per_page=3&page=3").get_json()
    assert body["total"] == 7 and body["pages"] == 3 and len(body["results"]) == 1
    assert client.get("/api/v1/search?q=zeppelin&per_page=500").get_json()["pages"] == 1


@pytest.mark.parametrize("query", ["page=0", "page=abc", "page=-3", "per_page=0",
                                   "per_page=x", "page=1e3"])
def test_invalid_paging_is_a_validation_error(client, query):
    response = client.get(f"/api/v1/search?q=tent&{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and set(error["fields"]) <= {"page", "per_page"}


def test_a_too_long_query_is_a_validation_error(client):
    response = client.get("/api/v1/search?q=" + "x" * 10_000)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"q": "At most 200 characters."}


def test_an_empty_query_finds_nothing(client, member):
    make_thread(member, make_forum())
    body = client.get("/api/v1/search").get_json()
    assert body == {"results": [], "page": 1, "pages": 1, "total": 0}


@pytest.mark.parametrize("q", ['"', "*", "AND OR NOT", "NEAR(", "'); DROP TABLE post; --",
                               "%FF", "テント 防水", "🏕️", "tent -", "tent*"])
def test_hostile_queries_never_fail(client, member, q):
    make_thread(member, make_forum(), title="Tent seams")
    assert client.get(f"/api/v1/search?q={q}").status_code == 200
    assert client.get(f"/api/v1/threads/similar?title={q}").status_code == 200


def test_a_nul_character_is_refused_like_everywhere(client):
    # community/inputs.py: no request may carry NUL (PostgreSQL text cannot hold it).
    for path in ("/api/v1/search?q=tent%00", "/api/v1/threads/similar?title=%00"):
        response = client.get(path)
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "validation_error"


def test_private_forums_only_for_moderators(client, api_as, member, moderator, admin):
    make_thread(admin, make_forum("team", private=True), title="Secret zeppelin plans")
    assert client.get("/api/v1/search?q=zeppelin").get_json()["total"] == 0
    assert api_as(member).get("/api/v1/search?q=zeppelin").get_json()["total"] == 0
    found = api_as(moderator).get("/api/v1/search?q=zeppelin").get_json()
    assert [r["thread"]["forum"] for r in found["results"]] == ["team"]
    assert client.get("/api/v1/threads/similar?title=zeppelin").get_json() == {"threads": []}
    similar = api_as(moderator).get("/api/v1/threads/similar?title=zeppelin").get_json()
    assert [t["title"] for t in similar["threads"]] == ["Secret zeppelin plans"]


def test_similar_threads(client, member):
    forum = make_forum("gear")
    tips = make_thread(member, forum, title="Tent waterproofing tips")
    make_thread(member, forum, title="Stove fuel")
    response = client.get("/api/v1/threads/similar?title=How+do+I+waterproof+my+tent")
    assert response.status_code == 200
    assert response.get_json() == {"threads": [{"id": tips.id, "title": "Tent waterproofing tips",
                                                "forum": "gear", "url": f"/t/{tips.id}"}]}
    assert client.get("/api/v1/threads/similar").get_json() == {"threads": []}


def test_both_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    search = paths["/api/v1/search"]["get"]
    assert {p["name"] for p in search["parameters"]} == {"q", "page", "per_page"}
    assert search["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SearchOut"}
    assert {p["name"] for p in paths["/api/v1/threads/similar"]["get"]["parameters"]} == {"title"}
