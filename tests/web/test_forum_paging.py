"""Forum pages by keyset cursor (queries.forums.forum_threads), old ?page=N links, and the
last page of a long thread (pages are ranges of post numbers)."""

import re
from html import unescape

import pytest

from community.queries import forums as forum_queries
from community.services import forums

from ..factories import make_forum, make_reply, make_thread

ROW = re.compile(r'class="thread-title"[^>]*>([^<]+)<')


def links(html: str) -> dict[str, str]:
    """The pagination's links by rel (prev/next), unescaped."""
    nav = html[html.index('class="pagination"'):] if 'class="pagination"' in html else ""
    return {rel: unescape(href) for rel, href in
            re.findall(r'<a rel="(prev|next)" href="([^"]+)"', nav)}


def titles(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    return [t for t in (unescape(m).strip() for m in ROW.findall(html)) if t.startswith("Thread ")]


def make_threads(member, forum, n: int):
    return [make_thread(member, forum, title=f"Thread {i:03d}") for i in range(n)]


@pytest.mark.parametrize("sort", ["latest", "top", "trending"])
def test_next_links_walk_every_thread_once_in_order(client, member, sort):
    forum = make_forum()
    made = make_threads(member, forum, 60)
    seen, url = [], f"/f/general?sort={sort}"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += [t for t in (unescape(m).strip() for m in ROW.findall(html))
                 if t.startswith("Thread ")]
        url = links(html).get("next")
        assert url is None or "after=" in url and f"sort={sort}" in url
    assert sorted(seen) == sorted(t.title for t in made) and len(seen) == 60
    if sort == "latest":
        assert seen == [t.title for t in reversed(made)]


def test_a_next_link_shows_the_same_threads_when_new_ones_arrive(client, member):
    forum = make_forum()
    make_threads(member, forum, 60)
    first = client.get("/f/general").get_data(as_text=True)
    second_url = links(first)["next"]
    second = titles(client, second_url)
    assert second == [f"Thread {i:03d}" for i in range(34, 9, -1)]  # 25 threads after the first 25
    for i in range(3):
        make_thread(member, forum, title=f"Thread new {i}")
    assert titles(client, second_url) == second  # an OFFSET page would have moved by three
    # Back from page 2 by its "previous" link: the 25 threads just above it, as they are now.
    back = links(client.get(second_url).get_data(as_text=True))["prev"]
    assert "before=" in back
    assert titles(client, back) == [f"Thread {i:03d}" for i in range(59, 34, -1)]


def test_old_page_links_still_work(client, member, monkeypatch):
    forum = make_forum()
    make_threads(member, forum, 60)
    by_offset = titles(client, "/f/general?page=2")  # shallow pages render by number
    assert by_offset == [f"Thread {i:03d}" for i in range(34, 9, -1)]
    assert "Page 2 of 3" in client.get("/f/general?page=2").get_data(as_text=True)
    # Deeper than NUMBERED_PAGES: a redirect to the same page by cursor.
    monkeypatch.setattr(forum_queries, "NUMBERED_PAGES", 1)
    response = client.get("/f/general?page=2&sort=latest")
    assert response.status_code == 302 and "after=" in response.headers["Location"]
    assert "sort=latest" in response.headers["Location"]
    assert titles(client, response.headers["Location"]) == by_offset
    assert client.get("/f/general?page=3").status_code == 302
    assert client.get("/f/general?page=4").status_code == 404


def test_bad_cursors_are_client_errors(client, member):
    forum = make_forum()
    make_threads(member, forum, 30)
    latest = links(client.get("/f/general").get_data(as_text=True))["next"]
    cursor = re.search(r"after=([^&]+)", latest).group(1)
    assert client.get(f"/f/general?sort=top&after={cursor}").status_code == 400  # another sort
    for bad in ("x", "e30", "WyJsYXRlc3QiXQ", "%00"):
        assert client.get(f"/f/general?after={bad}").status_code == 400, bad
    assert client.get(f"/f/general?after={cursor}&before={cursor}").status_code == 400


def test_pinned_threads_lead_and_cursors_cross_them(client, member, moderator):
    forum = make_forum()
    made = make_threads(member, forum, 30)
    forums.update_thread(moderator, made[0], pinned=True)
    first = titles(client, "/f/general")
    assert first[0] == "Thread 000" and len(first) == 25
    rest = titles(client, links(client.get("/f/general").get_data(as_text=True))["next"])
    assert rest == [f"Thread {i:03d}" for i in range(5, 0, -1)]


def test_api_cursors(client, member):
    forum = make_forum()
    make_threads(member, forum, 5)

    def listing(query: str = "") -> dict:
        return client.get(f"/api/v1/forums/general/threads?per_page=2{query}").get_json()

    first = listing()
    assert (first["page"], first["pages"], first["total"], first["prev"]) == (1, 3, 5, None)
    second = listing(f"&after={first['next']}")
    assert [t["title"] for t in second["threads"]] == ["Thread 002", "Thread 001"]
    assert second["page"] == 0 and second["prev"] and second["next"]
    by_number = listing("&page=2")
    assert by_number["threads"] == second["threads"]
    last = listing(f"&after={second['next']}")
    assert [t["title"] for t in last["threads"]] == ["Thread 000"] and last["next"] is None
    back = listing(f"&before={second['prev']}")
    assert [t["title"] for t in back["threads"]] == ["Thread 004", "Thread 003"]
    assert back["prev"] is None


def test_the_last_page_of_a_long_thread(client, member):
    thread = make_thread(member, make_forum(), title="Long one", body="Post number one.")
    replies = [make_reply(member, thread, body=f"Reply body {i}.") for i in range(2, 46)]
    forums.delete_post(member, replies[-2])  # number 44: removed, keeps its place
    html = client.get(f"/t/{thread.id}?page=3").get_data(as_text=True)  # numbers 41-45
    for i in (41, 42, 43, 45):
        assert f"Reply body {i}." in html
    assert "Reply body 40." not in html and "Reply body 44." not in html
    assert client.get(f"/t/{thread.id}?page=4").status_code == 404
    assert forum_queries.last_page(None, thread) == 3
