"""Search ranks a bounded set of candidates (queries.search.CANDIDATES, the newest matches
the viewer may read): relevance within it, and what it never reveals."""

from sqlalchemy import select

from community.extensions import db
from community.models import Post, PostState
from community.permissions import Anonymous
from community.queries import search as search_queries
from community.queries.search import search

from ..factories import make_forum, make_reply, make_thread


def titles(page) -> list[str]:
    return [hit.thread.title for hit in page.items]


def test_the_best_match_comes_first_in_a_small_set(member):
    forum = make_forum()
    make_thread(member, forum, title="Stove question", body="My stove has a zeppelin sticker.")
    best = make_thread(member, forum, title="Zeppelin hangar",
                       body="Zeppelin zeppelin: the zeppelin hangar tour.")
    make_thread(member, forum, title="Trip report", body="A long trip report. " * 20 + "zeppelin")
    found = search(Anonymous(), "zeppelin")
    assert titles(found)[0] == best.title and found.total == 3 and not found.more


def test_a_common_word_ranks_the_newest_candidates(member, monkeypatch):
    monkeypatch.setattr(search_queries, "CANDIDATES", 3)
    forum = make_forum()
    for i in range(5):
        make_thread(member, forum, title=f"Trip {i}", body=f"Day {i}: the zeppelin again.")
    found = search(Anonymous(), "zeppelin")
    assert found.more and found.total == 3
    assert set(titles(found)) == {"Trip 2", "Trip 3", "Trip 4"}
    assert search(Anonymous(), "day 0 zeppelin").total == 1  # another word narrows it


def test_private_and_pending_posts_never_show_nor_crowd_out(member, moderator, monkeypatch):
    monkeypatch.setattr(search_queries, "CANDIDATES", 2)
    public = make_thread(member, make_forum(), title="Public", body="A zeppelin overhead.")
    secret = make_thread(moderator, make_forum("staff", private=True), title="Secret plans",
                         body="The zeppelin launch date.")
    make_reply(moderator, secret, body="Zeppelin budget.")
    held = make_reply(member, public, body="Held zeppelin reply.")
    held.state = PostState.PENDING
    db.session.commit()
    found = search(Anonymous(), "zeppelin")
    assert titles(found) == ["Public"] and not found.more
    assert found.items[0].post_id == db.session.scalar(
        select(Post.id).where(Post.thread_id == public.id, Post.number == 1))
    assert "Secret plans" in titles(search(moderator, "zeppelin"))


def test_the_page_says_there_are_more(client, member, monkeypatch):
    monkeypatch.setattr(search_queries, "CANDIDATES", 2)
    forum = make_forum()
    for i in range(4):
        make_thread(member, forum, title=f"Trip {i}", body="The zeppelin again.")
    html = client.get("/search?q=zeppelin").get_data(as_text=True)
    assert "More than 2 results" in html
    assert client.get("/api/v1/search?q=zeppelin").get_json()["total"] == 2
