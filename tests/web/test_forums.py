import re
import threading

from sqlalchemy import event

from community.extensions import db
from community.models import Post, Thread
from community.services import forums

from ..conftest import csrf_token
from ..factories import make_forum, make_reply, make_thread, make_user


def test_home_lists_forums_with_counts_and_latest(client, member):
    forum = make_forum(name="Gear help", kind="support")
    make_thread(member, forum, title="Stove won't light")
    make_forum("hidden", private=True)
    html = client.get("/").get_data(as_text=True)
    assert "Gear help" in html and "Stove won&#39;t light" in html
    assert "Hidden" not in html


def test_forum_page_lists_pinned_first_and_sorts(client, member, moderator):
    forum = make_forum()
    old = make_thread(member, forum, title="Old but pinned")
    make_thread(member, forum, title="Newer thread")
    forums.update_thread(moderator, old, pinned=True)
    html = client.get("/f/general").get_data(as_text=True)
    assert html.index("Old but pinned") < html.index("Newer thread")
    assert client.get("/f/general?sort=top").status_code == 200
    assert client.get("/f/general?sort=trending").status_code == 200
    assert client.get("/f/general?sort=bogus").status_code == 400


def test_bad_page_numbers_are_client_errors(client, member):
    make_thread(member, make_forum())
    assert client.get("/f/general?page=abc").status_code == 400
    assert client.get("/f/general?page=0").status_code == 400
    assert client.get("/f/general?page=99").status_code == 404
    assert client.get("/f/nope").status_code == 404


def test_private_forum_and_its_threads_are_404_for_members(client_as, member, moderator):
    forum = make_forum("staff-room", private=True)
    thread = make_thread(moderator, forum)
    for path in ("/f/staff-room", f"/t/{thread.id}", "/f/staff-room/new"):
        assert client_as(member).get(path).status_code == 404, path
    assert client_as(moderator).get(f"/t/{thread.id}").status_code == 200


def test_start_a_thread_in_the_browser(client_as, member):
    make_forum()
    client = client_as(member)
    token = csrf_token(client, "/f/general/new")
    response = client.post("/f/general/new", data={
        "title": "My stove is <b>broken</b>", "body": "It **sputters**.", "csrf_token": token})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "My stove is &lt;b&gt;broken&lt;/b&gt;" in page
    assert "<strong>sputters</strong>" in page


def test_new_thread_errors_show_next_to_fields(client_as, member):
    make_forum()
    client = client_as(member)
    response = client.post("/f/general/new", data={"title": "no", "body": "text",
                                                   "csrf_token": csrf_token(client, "/f/general/new")})
    assert response.status_code == 400
    assert 'id="title-error"' in response.get_data(as_text=True)
    assert db.session.query(Thread).count() == 0


def test_preview_renders_without_posting(client_as, member):
    make_forum()
    client = client_as(member)
    response = client.post("/f/general/new", data={
        "title": "Draft title", "body": "_draft_", "action": "preview",
        "csrf_token": csrf_token(client, "/f/general/new")})
    assert response.status_code == 200 and "<em>draft</em>" in response.get_data(as_text=True)
    assert db.session.query(Thread).count() == 0


def test_reply_quote_edit_history_and_delete(client_as, member, moderator):
    thread = make_thread(member, make_forum(), body="Original words")
    first = db.session.query(Post).filter_by(thread_id=thread.id).one()
    client = client_as(moderator)

    page = client.get(f"/t/{thread.id}?quote={first.id}").get_data(as_text=True)
    assert f"[quote=mia post={first.id}]" in page

    token = csrf_token(client, f"/t/{thread.id}")
    response = client.post(f"/t/{thread.id}/reply", data={
        "body": f"[quote=mia post={first.id}]\nOriginal words\n[/quote]\n\nI agree.",
        "csrf_token": token})
    assert response.status_code == 302 and "#post-" in response.headers["Location"]
    reply = db.session.query(Post).filter_by(number=2).one()
    assert f'href="/p/{first.id}"' in reply.html

    client.post(f"/p/{reply.id}/edit", data={"body": "I agree, edited.", "csrf_token": token})
    history = client.get(f"/p/{reply.id}/history").get_data(as_text=True)
    assert "I agree, edited." in history and "I agree." in history

    client.post(f"/p/{reply.id}/delete", data={"csrf_token": token})
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Post removed." in page and "I agree, edited." not in page


def test_locked_thread_shows_a_message_and_refuses_posts(client_as, member, moderator):
    thread = make_thread(member, make_forum())
    forums.update_thread(moderator, thread, locked=True)
    client = client_as(member)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "This thread is locked" in page
    response = client.post(f"/t/{thread.id}/reply", data={
        "body": "let me in", "csrf_token": csrf_token(client, f"/t/{thread.id}")})
    assert response.status_code == 403
    assert thread.reply_count == 0


def test_permalink_goes_to_the_right_page(client, member):
    thread = make_thread(member, make_forum())
    posts = [make_reply(member, thread, f"reply {i}") for i in range(25)]
    response = client.get(f"/p/{posts[-1].id}")
    assert response.headers["Location"] == f"/t/{thread.id}?page=2#post-{posts[-1].id}"


def test_tag_page(client, member, staff):
    forums.create_tag(staff, "tents", "Tents")
    make_thread(member, make_forum(), title="Tent pole snapped", tags=["tents"])
    make_thread(member, make_forum("other"), title="Untagged thread")
    html = client.get("/tags/tents").get_data(as_text=True)
    assert "Tent pole snapped" in html and "Untagged thread" not in html
    filtered = client.get("/f/general?tag=tents").get_data(as_text=True)
    assert "Tent pole snapped" in filtered


def editor_state(client, post_id: int) -> tuple[str, str]:
    """The CSRF token and base revision of the edit form this client opened."""
    html = client.get(f"/p/{post_id}/edit").get_data(as_text=True)
    return (re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1),
            re.search(r'name="base_revision" value="(\d+)"', html).group(1))


def test_the_later_of_two_edits_gets_both_versions_and_keeps_its_text(client_as, member,
                                                                      moderator):
    thread = make_thread(member, make_forum(), body="Original words")
    post = db.session.query(Post).filter_by(thread_id=thread.id).one()
    author, mod = client_as(member), client_as(moderator)
    author_token, author_base = editor_state(author, post.id)
    mod_token, mod_base = editor_state(mod, post.id)
    assert author_base == mod_base == "1"

    saved = mod.post(f"/p/{post.id}/edit", data={
        "body": "Original words, **fixed** by a moderator.", "base_revision": mod_base,
        "csrf_token": mod_token})
    assert saved.status_code == 302
    # A preview keeps the revision the editor started from.
    previewed = author.post(f"/p/{post.id}/edit", data={
        "body": "My own rewrite", "base_revision": author_base, "action": "preview",
        "csrf_token": author_token}).get_data(as_text=True)
    assert 'name="base_revision" value="1"' in previewed

    refused = author.post(f"/p/{post.id}/edit", data={
        "body": "My own rewrite", "base_revision": author_base, "csrf_token": author_token})
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "Someone else saved this post while you were editing it" in html
    assert "<strong>fixed</strong> by a moderator" in html  # theirs, rendered
    assert "Original words, **fixed** by a moderator." in html  # and its source
    assert re.search(r"<textarea[^>]*>\s*My own rewrite</textarea>", html)  # mine, kept
    assert 'name="base_revision" value="2"' in html
    db.session.expire_all()
    assert db.session.get(Post, post.id).body == "Original words, **fixed** by a moderator."

    again = author.post(f"/p/{post.id}/edit", data={
        "body": "My own rewrite", "base_revision": "2", "csrf_token": author_token})
    assert again.status_code == 302
    db.session.expire_all()
    assert (db.session.get(Post, post.id).body, db.session.get(Post, post.id).revision) == \
        ("My own rewrite", 3)


def test_profile_shows_activity_in_visible_forums_only(client, member, moderator):
    make_thread(moderator, make_forum("mods", private=True), title="Secret plans")
    make_thread(moderator, make_forum("open"), title="Public question")
    html = client.get("/u/moe").get_data(as_text=True)
    assert "Public question" in html and "Secret plans" not in html


def count_queries(client, path: str) -> int:
    statements = []
    me = threading.get_ident()

    def record(conn, cursor, statement, *args):
        # Only this request's queries, not those of background threads (broadcasts).
        if threading.get_ident() == me:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


def test_pages_make_a_fixed_number_of_queries(client, staff):
    forums.create_tag(staff, "tents", "Tents")
    forum = make_forum()
    authors = [make_user(f"author{i}") for i in range(3)]

    def grow(n):
        for i in range(n):
            thread = make_thread(authors[i % 3], forum, title=f"Thread number {i}", tags=["tents"])
            for j in range(3):
                make_reply(authors[j], thread, f"reply {j} to @author{i % 3}")
        return thread

    last = grow(2)
    small = {p: count_queries(client, p) for p in ("/", "/f/general", f"/t/{last.id}", "/u/author0")}
    last = grow(12)
    large = {p: count_queries(client, p) for p in ("/", "/f/general", f"/t/{last.id}", "/u/author0")}
    assert [large[p] for p in large] == [small[p] for p in small]
    assert max(large.values()) <= 8, large
