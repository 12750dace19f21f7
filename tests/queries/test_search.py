import pytest
from sqlalchemy import select, text

from community import permissions
from community.errors import ValidationError
from community.extensions import db
from community.models import Post, PostState, Role
from community.permissions import Anonymous
from community.queries.search import MAX_QUERY, is_search_object, search, similar_threads
from community.services import forums

from ..conftest import _empty_tables
from ..factories import make_forum, make_reply, make_thread, make_user

HOSTILE = ['"', "*", "AND OR NOT", "NEAR(", "'); DROP TABLE post; --", "tent*", '"tent',
           "title:tent", "-tent", "tent -", "(tent", "tent)", "^tent", "tent + seams", "{tent}",
           "NEAR(tent seams, 2)", "tent OR", "OR tent", "a:b:c", "\\", "%", "_", "\x00tent",
           "\ud800", "テント 防水", "café", "Zelt wasserdicht ü", "🏕️⛺", "\u202etent",
           "tent\u0301", "1.5", "foo@example.com", "x" * MAX_QUERY, " ".join(["tent"] * 40)]


def titles(page) -> list[str]:
    return [hit.thread.title for hit in page.items]


def check_sqlite_index() -> None:
    """On SQLite, FTS5 checks its index against the post and thread tables."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO post_fts(post_fts) VALUES ('integrity-check')"))


# --- matching and ranking ------------------------------------------------------------------

def test_a_title_match_ranks_above_a_body_only_match(member):
    forum = make_forum()
    titled = make_thread(member, forum, title="Waterproof jacket review", body="Nice colours.")
    # Newer and saying it twice: would win on recency or on body relevance alone.
    body_only = make_thread(member, forum, title="Camping stove question",
                            body="Is the stove waterproof? Really waterproof?")
    found = search(Anonymous(), "waterproof")
    assert titles(found) == ["Waterproof jacket review", "Camping stove question"]
    assert found.total == 2 and found.pages == 1
    assert found.items[0].post_id is None  # only its title matched
    assert found.items[0].url == f"/t/{titled.id}"
    opening = db.session.scalars(select(Post.id).where(Post.thread_id == body_only.id)).one()
    assert found.items[1].post_id == opening
    assert found.items[1].url == f"/p/{opening}"
    assert found.items[0].score > found.items[1].score


def test_stemming_finds_other_forms_of_a_word(member):
    make_thread(member, make_forum(), title="Tent question", body="Is this fabric waterproof?")
    assert titles(search(Anonymous(), "waterproofing")) == ["Tent question"]
    assert titles(search(Anonymous(), "Fabrics")) == ["Tent question"]


def test_every_word_must_match_and_stop_words_are_ignored(member):
    forum = make_forum()
    make_thread(member, forum, title="Stove fuel", body="Which fuel burns cleanest?")
    make_thread(member, forum, title="Stove repair", body="The valve sticks.")
    assert titles(search(Anonymous(), "stove fuel")) == ["Stove fuel"]
    assert titles(search(Anonymous(), "the stove and the valve")) == ["Stove repair"]
    assert search(Anonymous(), "the and of").total == 0


def test_one_hit_per_thread_pointing_at_the_best_post(member):
    thread = make_thread(member, make_forum(), title="Trip report", body="We hiked to the lake.")
    make_reply(member, thread, body="Saw a heron.")
    best = make_reply(member, thread, body="Heron, heron, heron! Herons everywhere.")
    found = search(Anonymous(), "heron")
    assert found.total == 1 and len(found.items) == 1
    assert found.items[0].post_id == best.id


def test_the_forum_is_loaded_with_the_thread(member):
    make_thread(member, make_forum("gear", name="Gear talk"), title="Backpack straps")
    hit = search(Anonymous(), "backpack").items[0]
    assert "forum" in hit.thread.__dict__  # eager-loaded: no lazy load when rendering
    assert hit.thread.forum.name == "Gear talk"


# --- snippets --------------------------------------------------------------------------------

def test_snippets_mark_the_matched_words_and_escape_everything_else(member):
    make_thread(member, make_forum(), title="Seams question",
                body="Before <script>alert('x')</script> I sealed the **waterproofed** seams & "
                     "<b>hoped</b>.")
    hit = search(Anonymous(), "waterproof seam").items[0]
    snippet = str(hit.snippet_html)
    assert "<mark>waterproofed</mark>" in snippet and "<mark>seams</mark>" in snippet
    assert "<script" not in snippet and "&lt;script&gt;" in snippet
    assert "<b>" not in snippet and "&lt;b&gt;hoped&lt;/b&gt;" in snippet
    assert "&amp;" in snippet and "**" not in snippet  # Markdown is reduced to its text
    assert str(hit.title_html) == "<mark>Seams</mark> question"


def test_titles_with_markup_are_escaped_in_title_html(member):
    make_thread(member, make_forum(), title="<img src=x onerror=alert(1)> tent",
                body="Plain body.")
    hit = search(Anonymous(), "tent").items[0]
    assert str(hit.title_html) == "&lt;img src=x onerror=alert(1)&gt; <mark>tent</mark>"
    assert str(hit.snippet_html) == "Plain body."


def test_a_long_post_is_cut_around_the_first_match(member):
    words = " ".join(f"word{i}" for i in range(300))
    make_thread(member, make_forum(), title="Long one", body=f"{words} zeppelin {words}")
    snippet = str(search(Anonymous(), "zeppelin").items[0].snippet_html)
    assert "<mark>zeppelin</mark>" in snippet
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert len(snippet) < 400


def test_markers_typed_by_the_author_cannot_inject_markup(member):
    make_thread(member, make_forum(), title="Odd bytes", body="\x02<i>\x03 zeppelin \x02x")
    snippet = str(search(Anonymous(), "zeppelin").items[0].snippet_html)
    assert "<i>" not in snippet and "&lt;i&gt;" in snippet


# --- who sees what -------------------------------------------------------------------------

def test_private_forums_never_leak(member, moderator, staff, admin):
    make_thread(member, make_forum(), title="Public roadmap talk")
    make_thread(admin, make_forum("team", private=True), title="Secret roadmap plans",
                body="Roadmap details.")
    for viewer in (Anonymous(), member):
        assert titles(search(viewer, "roadmap")) == ["Public roadmap talk"]
        assert search(viewer, "secret").total == 0
        assert [t.title for t in similar_threads(viewer, "secret roadmap")] == [
            "Public roadmap talk"]
    for viewer in (moderator, staff, admin):
        assert "Secret roadmap plans" in titles(search(viewer, "roadmap"))
        similar = [t.title for t in similar_threads(viewer, "secret plans")]
        assert similar == ["Secret roadmap plans"]


@pytest.mark.parametrize("role", [None, *Role])
def test_visibility_agrees_with_the_permission_rules(app, role):
    author = make_user("author", role=Role.ADMIN)
    private = make_forum("team", private=True)
    make_thread(author, private, title="Quarterly zeppelin numbers")
    viewer = Anonymous() if role is None else make_user("viewer", role=role)
    expected = permissions.can(viewer, "view_forum", private)
    assert (search(viewer, "zeppelin").total == 1) is expected
    assert bool(similar_threads(viewer, "zeppelin numbers")) is expected


@pytest.mark.parametrize("state", [PostState.PENDING, PostState.HIDDEN])
def test_unpublished_posts_are_not_found(member, moderator, state):
    thread = make_thread(member, make_forum(), title="Trip report", body="We hiked.")
    post = make_reply(member, thread, body="A zeppelin flew over.")
    post.state = state
    db.session.commit()
    for viewer in (Anonymous(), member, moderator):
        assert search(viewer, "zeppelin").total == 0
    post.state = PostState.PUBLISHED
    db.session.commit()
    assert search(Anonymous(), "zeppelin").total == 1


def test_deleted_posts_are_not_found(member):
    thread = make_thread(member, make_forum(), title="Trip report", body="We hiked.")
    post = make_reply(member, thread, body="A zeppelin flew over.")
    assert search(Anonymous(), "zeppelin").total == 1
    forums.delete_post(member, post)
    assert search(Anonymous(), "zeppelin").total == 0
    check_sqlite_index()


def test_a_thread_held_for_review_is_not_found_by_its_title(member):
    thread = make_thread(member, make_forum(), title="Zeppelin tours", body="Any good ones?")
    opening = db.session.scalars(select(Post).where(Post.thread_id == thread.id)).one()
    opening.state = PostState.PENDING
    db.session.commit()
    assert search(Anonymous(), "zeppelin").total == 0
    assert similar_threads(Anonymous(), "zeppelin tours") == []


# --- keeping the index current --------------------------------------------------------------

def test_edits_are_reindexed(member):
    thread = make_thread(member, make_forum(), title="Trip report", body="We saw a zeppelin.")
    post = make_reply(member, thread, body="Then a blimp appeared.")
    forums.edit_post(member, post, "Then a hot-air balloon appeared.")
    assert search(Anonymous(), "blimp").total == 0
    hit = search(Anonymous(), "balloon").items[0]
    assert hit.post_id == post.id and "<mark>balloon</mark>" in str(hit.snippet_html)
    assert search(Anonymous(), "zeppelin").total == 1  # the other post is untouched
    check_sqlite_index()


def test_retitled_threads_are_reindexed(member):
    thread = make_thread(member, make_forum(), title="Zeppelin sightings", body="Any?")
    forums.update_thread(member, thread, title="Balloon sightings")
    assert search(Anonymous(), "zeppelin").total == 0
    assert titles(search(Anonymous(), "balloon")) == ["Balloon sightings"]
    assert [t.title for t in similar_threads(Anonymous(), "balloon rides")] == ["Balloon sightings"]
    check_sqlite_index()


def test_emptying_the_tables_empties_the_index(member):
    """The test fixtures empty tables between tests; the FTS index must follow."""
    thread = make_thread(member, make_forum(), title="Zeppelin sightings", body="Zeppelins!")
    make_reply(member, thread, body="Another zeppelin.")
    db.session.remove()
    _empty_tables()
    check_sqlite_index()
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM post_fts")) == 0
    # Ids start again from 1: a stale index would match the new rows with the old words.
    make_thread(make_user("sam"), make_forum(), title="Kayak", body="Paddles.")
    assert search(Anonymous(), "zeppelin").total == 0
    assert titles(search(Anonymous(), "kayak paddles")) == ["Kayak"]


# --- input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_never_fail(member, q):
    make_thread(member, make_forum(), title="Tent seams", body="Waterproof tent seams, 1.5 kg.")
    found = search(Anonymous(), q)
    assert found.page == 1 and found.total == len(found.items)
    similar_threads(Anonymous(), q)


def test_operators_are_words_not_syntax(member):
    make_thread(member, make_forum(), title="Tent seams", body="Waterproof seams.")
    assert titles(search(Anonymous(), 'tent* "seams')) == ["Tent seams"]
    assert titles(search(Anonymous(), "tent -seams")) == ["Tent seams"]  # not an exclusion
    assert titles(search(Anonymous(), "tent OR kayak")) == []  # not a disjunction


@pytest.mark.parametrize("q", ["", "   ", "\n\t", None])
def test_empty_queries_find_nothing(member, q):
    make_thread(member, make_forum())
    found = search(Anonymous(), q)
    assert found.items == [] and found.total == 0 and found.pages == 1


def test_too_long_queries_are_a_validation_error(app):
    search(Anonymous(), "x" * MAX_QUERY)
    for q in ("x" * (MAX_QUERY + 1), "tent " * 2000):
        with pytest.raises(ValidationError) as caught:
            search(Anonymous(), q)
        assert "q" in caught.value.fields


def test_unicode_is_searchable(member):
    forum = make_forum()
    make_thread(member, forum, title="Café stoves", body="Der Schlafsack ist wärmer.")
    assert titles(search(Anonymous(), "café")) == ["Café stoves"]
    assert titles(search(Anonymous(), "wärmer")) == ["Café stoves"]


# --- pages -----------------------------------------------------------------------------------

def test_pages(member):
    forum = make_forum()
    for i in range(25):
        make_thread(member, forum, title=f"Zeppelin number {i}", body="Hello.")
    pages = [search(Anonymous(), "zeppelin", page=n, per_page=10) for n in (1, 2, 3)]
    assert [p.total for p in pages] == [25, 25, 25] and pages[0].pages == 3
    assert [len(p.items) for p in pages] == [10, 10, 5]
    ids = [hit.thread.id for p in pages for hit in p.items]
    assert len(set(ids)) == 25
    assert pages[0].has_next and not pages[2].has_next
    beyond = search(Anonymous(), "zeppelin", page=4, per_page=10)
    assert beyond.items == [] and beyond.total == 25
    assert len(search(Anonymous(), "zeppelin", per_page=0).items) == 1
    assert len(search(Anonymous(), "zeppelin", per_page=500).items) == 25
    assert search(Anonymous(), "zeppelin", per_page=500).per_page == 50
    # Ties break by recent activity: the newest thread first.
    assert pages[0].items[0].thread.title == "Zeppelin number 24"


# --- similar threads ------------------------------------------------------------------------

def test_similar_threads_match_any_significant_word_ranked(member):
    forum = make_forum()
    make_thread(member, forum, title="Tent waterproofing tips")
    make_thread(member, forum, title="Best tent pegs")
    make_thread(member, forum, title="Stove fuel")
    found = [t.title for t in similar_threads(Anonymous(), "How do I waterproof a tent?")]
    assert found[0] == "Tent waterproofing tips"
    assert set(found) == {"Tent waterproofing tips", "Best tent pegs"}
    assert [t.title for t in similar_threads(Anonymous(), "tent", limit=1)] != []
    assert len(similar_threads(Anonymous(), "tent", limit=1)) == 1


def test_similar_threads_ignore_stop_words_and_short_words(member):
    make_thread(member, make_forum(), title="How do I go up the hill")
    assert similar_threads(Anonymous(), "how do I go up") == []
    assert similar_threads(Anonymous(), "") == []


def test_search_objects_are_named_in_one_place():
    assert is_search_object("post_fts") and is_search_object("post_fts_data")
    assert is_search_object("ix_post_body_search")
    assert not is_search_object("post") and not is_search_object("post_revision")
