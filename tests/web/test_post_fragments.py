"""Fast post rendering: cached post fragments, per-viewer footers, the anonymous page cache
and conditional GET (community/fragments.py, community/page_cache.py)."""

import re

import pytest
from sqlalchemy import select

from community import fragments, page_cache, permissions
from community.extensions import db
from community.fragments import POST_ACTIONS
from community.models import Post
from community.services import feedback, forums, moderation

from ..conftest import log_in
from ..factories import make_forum, make_reply, make_thread, make_user

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"|name="csrf-token" content="([^"]+)"')


@pytest.fixture(autouse=True)
def empty_caches():
    fragments.fragments.clear()
    page_cache.clear()
    yield
    fragments.fragments.clear()
    page_cache.clear()


def _tokens(html: str) -> set[str]:
    return {a or b for a, b in TOKEN.findall(html)}


def _untokened(html: str) -> str:
    """The page with its CSRF tokens (signed afresh on every request) left out."""
    return TOKEN.sub("csrf", html)


def _thread(member, replies=3):
    thread = make_thread(member, make_forum(), body="The opening post.")
    for i in range(replies):
        make_reply(make_user(f"replier{i}"), thread, body=f"Reply number {i}.")
    return thread


def test_the_page_is_the_same_from_the_caches(client, member):
    thread = _thread(member)
    first = _untokened(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert len(fragments.fragments) == 4 and page_cache.pages.misses == 1
    again = _untokened(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert page_cache.pages.hits == 1 and again == first
    page_cache.clear()  # rendered again, every post from the fragment cache
    hits = fragments.fragments.hits
    assert _untokened(client.get(f"/t/{thread.id}").get_data(as_text=True)) == first
    assert fragments.fragments.hits == hits + 4


def test_an_edit_a_vote_and_a_hide_show_at_once(client, client_as, member, moderator):
    thread = _thread(member)
    reply = db.session.scalars(select(Post).where(Post.thread_id == thread.id,
                                                     Post.number == 2)).one()
    assert "Reply number 0." in client.get(f"/t/{thread.id}").get_data(as_text=True)

    forums.edit_post(reply.author, reply, "Reply number 0, corrected.")
    html = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Reply number 0, corrected." in html and "Reply number 0." not in html
    assert f'href="/p/{reply.id}/history"' in html

    feedback.vote_post(member, reply, 1)
    html = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert f'data-score-for="post-{reply.id}">1<' in html
    voter_page = client_as(member).get(f"/t/{thread.id}").get_data(as_text=True)
    assert re.search(rf'aria-pressed="true"[^>]*>\s*<span aria-hidden="true">▲</span> '
                     rf'<span class="score" data-score-for="post-{reply.id}">1<', voter_page)

    moderation.hide_post(moderator, reply)
    html = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "corrected" not in html and "This post is hidden by the moderators." in html
    # The moderator still sees it, with the badge and a Restore button.
    mod_page = client_as(moderator).get(f"/t/{thread.id}").get_data(as_text=True)
    assert "corrected" in mod_page and "Hidden by the moderators" in mod_page
    assert ">Restore<" in mod_page


def test_a_member_never_sees_another_viewers_actions_or_token(app, member):
    thread = _thread(member)
    other = make_user("otto")
    author_client, other_client = app.test_client(), app.test_client()
    log_in(author_client, member)
    log_in(other_client, other)
    opening = thread.id
    author_page = author_client.get(f"/t/{opening}").get_data(as_text=True)
    other_page = other_client.get(f"/t/{opening}").get_data(as_text=True)
    opening_post = db.session.scalars(select(Post).where(Post.thread_id == thread.id,
                                                            Post.number == 1)).one()
    edit = f'href="/p/{opening_post.id}/edit"'
    assert edit in author_page and edit not in other_page
    author_tokens, other_tokens = _tokens(author_page), _tokens(other_page)
    assert len(author_tokens) == 1 and len(other_tokens) == 1
    assert author_tokens != other_tokens
    # Every fragment in the cache is free of tokens and actions.
    for html in fragments.fragments.values():
        assert "csrf" not in html and "post-actions" not in html and "/edit" not in html


def test_anonymous_visitors_share_the_page_but_not_the_token(app, member):
    thread = _thread(member)
    first, second = app.test_client(), app.test_client()
    one = first.get(f"/t/{thread.id}").get_data(as_text=True)
    two = second.get(f"/t/{thread.id}").get_data(as_text=True)
    assert (page_cache.pages.hits, page_cache.pages.misses) == (1, 1)
    assert _tokens(one) != _tokens(two) and len(_tokens(two)) == 1
    assert "\x00" not in two
    # The token served is the session's own: it is accepted by a form post of that session.
    with second.session_transaction() as s:
        raw = s["csrf_token"]
    from flask_wtf.csrf import validate_csrf
    with app.test_request_context():
        from flask import session
        session["csrf_token"] = raw
        validate_csrf(_tokens(two).pop())


def test_a_pending_reply_never_reaches_anonymous_visitors(client, client_as, member):
    thread = _thread(member, replies=1)
    forum = thread.forum
    forum.premoderated = True
    db.session.commit()
    writer = make_user("newbie")
    held = forums.reply(writer, thread, "Please hold this one.")
    db.session.commit()
    assert held.state == "pending"
    # The author sees it (and fills the fragment cache); visitors never do.
    own = client_as(writer).get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Please hold this one." in own
    for _ in range(2):
        html = client.get(f"/t/{thread.id}").get_data(as_text=True)
        assert "Please hold this one." not in html and f'id="post-{held.id}"' not in html
    other = client_as(make_user("otto")).get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Please hold this one." not in other


def test_a_session_with_flashes_is_never_served_from_the_cache(client, member):
    thread = _thread(member)
    client.get(f"/t/{thread.id}")
    with client.session_transaction() as s:
        s["_flashes"] = [("info", "A message for this visitor only.")]
    html = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "A message for this visitor only." in html
    assert page_cache.pages.hits == 0
    # Nor stored with it: the next visitor does not see the message.
    assert "A message for this visitor" not in client.application.test_client().get(
        f"/t/{thread.id}").get_data(as_text=True)


def test_etag_gives_304_until_a_new_reply(client, member):
    thread = _thread(member)
    first = client.get(f"/t/{thread.id}")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in first.headers["Vary"]
    again = client.get(f"/t/{thread.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    make_reply(make_user("late"), thread, body="A late reply.")
    changed = client.get(f"/t/{thread.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "A late reply." in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != etag
    # Another session never revalidates this one's copy.
    other = client.application.test_client()
    assert other.get(f"/t/{thread.id}",
                     headers={"If-None-Match": changed.headers["ETag"]}).status_code == 200


def test_signed_in_pages_are_neither_cached_nor_tagged(client_as, member):
    thread = _thread(member)
    response = client_as(member).get(f"/t/{thread.id}")
    assert "ETag" not in response.headers and (page_cache.pages.hits, page_cache.pages.misses) == (0, 0)


def test_a_thread_moved_out_of_sight_is_refused_at_once(client, member, admin):
    thread = _thread(member)
    assert client.get(f"/t/{thread.id}").status_code == 200
    forums.update_forum(admin, thread.forum, private=True)
    db.session.commit()
    assert client.get(f"/t/{thread.id}").status_code == 404


def test_footer_permission_memo_agrees_with_can(app, member, moderator, admin):
    thread = _thread(member)
    posts = db.session.scalars(select(Post).where(Post.thread_id == thread.id)).all()
    moderation.hide_post(moderator, posts[-1])
    db.session.commit()
    for viewer in (member, moderator, admin, make_user("otto")):
        with app.test_request_context():
            from flask_login import login_user
            login_user(viewer)
            memo = fragments._viewer()
            for post in posts:
                for action in POST_ACTIONS:
                    assert memo.may_post(action, post) == permissions.can(viewer, action, post)


# --- insights: long ranges fold their per-day tables on the page -----------------------------

def test_a_long_range_shows_weeks_on_the_page_and_every_day_in_the_csv(client_as, staff):
    from ..queries.test_analytics import known_community

    known_community()
    client = client_as(staff)
    year = "from=2025-03-09&to=2026-03-07"  # 52 weeks
    html = client.get(f"/insights?{year}").get_data(as_text=True)
    participation = html[html.index('id="table-participation"'):]
    participation = participation[:participation.index("</table>")]
    assert "Participation per 7 days (the CSV has every day)" in participation
    assert "Members (last day)" in participation and ">Votes<" in participation
    assert participation.count("<tr>") == 1 + 52  # the header and 52 weeks
    assert "2026-03-01 to 2026-03-07" in participation
    rows = client.get(f"/insights/participation.csv?{year}").get_data(as_text=True).splitlines()
    assert len(rows) == 1 + 364
    # The week's sums are the days' sums; the members are the last day's.
    week = [r.split(",") for r in rows if "2026-03-01" <= r[:10] <= "2026-03-07"]
    cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", participation.split(
        "2026-03-01 to 2026-03-07")[1].split("</tr>")[0])
    assert cells[0] == week[-1][1]                                 # members, last day
    assert cells[1] == str(sum(int(r[2]) for r in week))           # new members, summed
    assert cells[-1] == str(sum(int(r[8]) for r in week))          # votes, summed
    # A short range keeps its days.
    march = client.get("/insights?from=2026-03-01&to=2026-03-07").get_data(as_text=True)
    assert "Participation per day" in march and "(the CSV has every day)" not in march


def test_the_version_follows_later_pages_and_the_quoted_solution(client, member):
    from community.services import support

    thread = make_thread(member, make_forum("help", kind="support"), body="Question.")
    helper = make_user("helper")
    replies = [make_reply(helper, thread, body=f"Answer {i}.") for i in range(21)]
    last = replies[-1]  # number 22: on page 2
    support.accept_solution(member, thread, last)
    db.session.commit()
    first_page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Answer 20." in first_page  # quoted by the solution banner
    assert "Answer 20." in client.get(f"/t/{thread.id}?page=2").get_data(as_text=True)
    forums.edit_post(helper, last, "Answer 20, with the firmware version.")
    db.session.commit()
    assert "with the firmware version" in client.get(f"/t/{thread.id}?page=2").get_data(
        as_text=True)
    assert "with the firmware version" in client.get(f"/t/{thread.id}").get_data(as_text=True)
