import re

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Post

from ..factories import make_forum, make_reply, make_thread


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def test_results_link_to_the_matching_post_or_the_thread(client, member):
    forum = make_forum("gear", name="Gear talk")
    titled = make_thread(member, forum, title="Zeppelin models", body="Any kits?")
    other = make_thread(member, forum, title="Trip report", body="We hiked.")
    reply = make_reply(member, other, body="A zeppelin flew over us.")
    html = page(client, "/search?q=zeppelin")
    assert "2 results for “zeppelin”" in html
    assert f'href="/t/{titled.id}"' in html and f'href="/p/{reply.id}"' in html
    assert html.index(f"/t/{titled.id}") < html.index(f"/p/{reply.id}")  # title match first
    assert "<mark>Zeppelin</mark> models" in html
    assert "Gear talk" in html and 'href="/f/gear"' in html
    assert "<mark>zeppelin</mark> flew over us" in html
    assert '<label for="search-q"' in html and 'value="zeppelin"' in html


def test_no_results_and_no_query(client, member):
    make_thread(member, make_forum())
    assert "No results for “kayak”" in page(client, "/search?q=kayak")
    html = page(client, "/search")
    assert "No results" not in html and 'name="q"' in html
    assert "No results for" in page(client, "/search?q=the")  # stop words only


def test_snippets_are_escaped(client, member):
    make_thread(member, make_forum(), title="Odd post",
                body="Zeppelin <script>alert('x')</script> <img src=x onerror=alert(1)>")
    html = page(client, "/search?q=zeppelin")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_query_is_escaped_in_the_page(client, member):
    make_thread(member, make_forum())
    html = page(client, '/search?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E')
    assert "<script>alert(1)" not in html


def test_private_forums_do_not_leak(client, client_as, member, moderator, admin):
    make_thread(admin, make_forum("team", name="Team room", private=True),
                title="Secret zeppelin plans")
    for c in (client, client_as(member)):
        html = page(c, "/search?q=zeppelin")
        assert "Secret zeppelin" not in html and "Team room" not in html
        assert "No results" in html
    assert "Secret <mark>zeppelin</mark> plans" in page(client_as(moderator), "/search?q=zeppelin")


def test_unpublished_posts_are_not_shown(client, member):
    thread = make_thread(member, make_forum(), title="Trip report", body="We hiked.")
    make_reply(member, thread, body="A zeppelin flew over us.").state = "hidden"
    db.session.commit()
    assert "No results" in page(client, "/search?q=zeppelin")


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1.5", "9" * 5000])
def test_bad_page_numbers_are_400(client, bad):
    page(client, f"/search?q=tent&page={bad}", 400)


def test_a_too_long_query_is_400_with_the_form_and_the_reason(client):
    html = page(client, "/search?q=" + "x" * 10_000, 400)
    assert "At most 200 characters" in html and 'aria-invalid="true"' in html


@pytest.mark.parametrize("q", ['"', "*", "AND OR NOT", "NEAR(", "'); DROP TABLE post; --",
                               "%E2%80%AE", "テント", "🏕️", "a:b", "{tent}", "-", "tent*"])
def test_hostile_queries_are_fine(client, member, q):
    make_thread(member, make_forum(), title="Tent seams")
    page(client, f"/search?q={q}")


def test_a_nul_character_is_refused_like_everywhere(client):
    # community/inputs.py: no request may carry NUL (PostgreSQL text cannot hold it).
    page(client, "/search?q=tent%00", 400)


def test_pagination_links_keep_the_query(client, member):
    forum = make_forum()
    for i in range(25):
        make_thread(member, forum, title=f"Zeppelin number {i}")
    html = page(client, "/search?q=zeppelin")
    assert "25 results" in html and "page 1 of 2" in html
    assert re.search(r'href="/search\?[^"]*page=2[^"]*"', html)
    assert re.search(r'href="/search\?[^"]*q=zeppelin[^"]*"', html)
    second = page(client, "/search?q=zeppelin&page=2")
    assert second.count('class="thread-row search-hit"') == 5 and 'start="21"' in second
    assert "No results on this page" in page(client, "/search?q=zeppelin&page=7")


def test_similar_fragment(client, member, admin):
    forum = make_forum()
    thread = make_thread(member, forum, title="Tent waterproofing tips")
    make_thread(admin, make_forum("team", private=True), title="Secret tent plans")
    html = page(client, "/search/similar?title=how+to+waterproof+a+tent")
    assert f'href="/t/{thread.id}"' in html and "Tent waterproofing tips" in html
    assert "Secret" not in html
    assert "<html" not in html  # a fragment, not a page
    # Nothing at all when nothing is similar, so the box can hide itself with :empty.
    assert page(client, "/search/similar?title=kayak") == ""
    assert page(client, "/search/similar") == ""
    assert page(client, "/search/similar?title=" + "x" * 10_000) == ""


def test_similar_titles_are_escaped(client, member):
    make_thread(member, make_forum(), title="<b>Tent</b> help")
    html = page(client, "/search/similar?title=tent")
    assert "<b>Tent</b>" not in html and "&lt;b&gt;Tent&lt;/b&gt; help" in html


def test_the_script_is_served(client):
    response = client.get("/static/js/similar.js")
    assert response.status_code == 200
    assert b"data-similar-url" in response.data and b"data-similar-target" in response.data
    response.close()


def test_post_links_point_at_real_posts(client, member):
    thread = make_thread(member, make_forum(), title="Trip", body="We saw a zeppelin.")
    opening = db.session.scalars(select(Post).where(Post.thread_id == thread.id)).one()
    assert f'href="/p/{opening.id}"' in page(client, "/search?q=zeppelin")
    assert client.get(f"/p/{opening.id}").status_code in (200, 302)
