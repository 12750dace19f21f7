"""The home page and forum pages for anonymous visitors: rendered once per version, never
stale after a change, never shared with members (community/page_cache.py)."""

import pytest

from community import page_cache
from community.services import feedback

from ..factories import make_forum, make_reply, make_thread, make_user


@pytest.fixture(autouse=True)
def empty_cache():
    page_cache.clear()
    yield
    page_cache.clear()


def test_the_home_page_is_rendered_once_then_again_after_a_new_thread(client, member):
    forum = make_forum()
    make_thread(member, forum, title="Tent poles")
    first = client.get("/")
    assert client.get("/").data == first.data
    assert (page_cache.pages.misses, page_cache.pages.hits) == (1, 1)

    make_thread(member, forum, title="Stove fuel")
    fresh = client.get("/")
    assert b"Stove fuel" in fresh.data and b"Stove fuel" not in first.data
    assert page_cache.pages.misses == 2


def test_a_forum_page_follows_replies_votes_and_hides(client, member, moderator):
    forum = make_forum("ideas", kind="ideas")
    idea = make_thread(member, forum, title="Offline maps")
    before = client.get("/f/ideas").get_data(as_text=True)
    assert 'data-replies-for="thread-%d">0<' % idea.id in before

    make_reply(moderator, idea, "Planned for spring")
    assert 'data-replies-for="thread-%d">1<' % idea.id in client.get("/f/ideas").get_data(as_text=True)

    score = f'data-score-for="thread-{idea.id}">'
    assert f"{score}0<" in client.get("/f/ideas").get_data(as_text=True)
    feedback.vote_thread(make_user("voter"), idea, 1)
    assert f"{score}1<" in client.get("/f/ideas").get_data(as_text=True)


def test_members_are_never_served_the_anonymous_page(client_as, client, member):
    forum = make_forum()
    make_thread(member, forum, title="Tent poles")
    anonymous = client.get("/f/general")
    signed_in = client_as(member).get("/f/general")
    assert b"Log in to post" in anonymous.data and b"Log in to post" not in signed_in.data
    assert "ETag" not in signed_in.headers
    assert page_cache.pages.hits == 0


def test_an_etag_answers_304_until_the_forum_changes(client, member):
    forum = make_forum()
    thread = make_thread(member, forum, title="Tent poles")
    first = client.get("/f/general")
    etag = first.headers["ETag"].strip('"')
    assert client.get("/f/general", headers={"If-None-Match": f'"{etag}"'}).status_code == 304
    make_reply(member, thread, "Still looking")
    assert client.get("/f/general", headers={"If-None-Match": f'"{etag}"'}).status_code == 200


def test_a_private_forum_is_refused_before_the_cache(client, member, admin):
    forum = make_forum("vip", private=True)
    make_thread(admin, forum, title="Secret roadmap")
    assert client.get("/f/vip").status_code == 404
    assert b"Secret roadmap" not in client.get("/").data
    assert len(page_cache.pages) == 1  # the home page only
