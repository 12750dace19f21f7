import pytest

from community.errors import Conflict, Forbidden, NotAuthenticated, ValidationError
from community.extensions import db
from community.models import Forum, Mention, Post, PostRevision, Role, Thread, User
from community.permissions import Anonymous
from community.realtime import publisher
from community.services import forums

from ..factories import make_forum, make_reply, make_thread, make_user


def test_start_thread_counts_and_announces(member):
    forum = make_forum()
    with publisher.capture() as sent:
        thread = make_thread(member, forum, title="  Tent   seams leak  ")
    assert thread.title == "Tent seams leak"
    assert (forum.thread_count, forum.post_count, thread.reply_count) == (1, 1, 0)
    assert forum.last_activity_at == thread.last_activity_at
    sent = [e for e in sent if e.name not in ("badge.awarded", "notification")]
    assert [e.name for e in sent] == ["thread.created"]
    assert sent[0].rooms == ("forum:general",)
    assert sent[0].payload["thread"]["title"] == "Tent seams leak"


def test_reply_updates_counters_and_activity(member, moderator):
    forum = make_forum()
    thread = make_thread(member, forum)
    with publisher.capture() as sent:
        post = make_reply(moderator, thread)
    assert post.number == 2
    assert (thread.reply_count, forum.post_count) == (1, 2)
    assert thread.last_activity_at == post.created_at
    sent = [e for e in sent if e.name not in ("badge.awarded", "notification")]
    assert [e.name for e in sent] == ["post.created", "thread.updated"]
    assert sent[1].rooms == (f"thread:{thread.id}", "forum:general")
    assert sent[0].payload["post"]["html"].startswith("<p>Try seam sealer")


@pytest.mark.parametrize("title, body, field", [
    ("ab", "fine body", "title"),
    ("x" * 201, "fine body", "title"),
    ("A fine title", "   ", "body"),
    ("A fine title", "x" * 50_001, "body"),
])
def test_bad_input_writes_nothing(member, title, body, field):
    forum = make_forum()
    with pytest.raises(ValidationError) as err:
        forums.start_thread(member, forum, title, body)
    assert field in err.value.fields
    assert db.session.query(Thread).count() == 0
    assert db.session.get(Forum, forum.id).thread_count == 0


def test_unicode_is_kept_exactly(member):
    title = "Zelt 🏕️ مرحبا e\u0301te\u0301"
    body = "Ça marche 👍 — שלום — n\u0303"
    thread = make_thread(member, make_forum(), title=title, body=body)
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).title == title
    post = db.session.query(Post).filter_by(thread_id=thread.id).one()
    assert post.body == body and "👍" in post.html and "שלום" in post.html


def test_markdown_is_rendered_and_sanitised_on_write(member):
    thread = make_thread(member, make_forum(), body="**bold** <script>alert(1)</script>")
    post = db.session.query(Post).filter_by(thread_id=thread.id).one()
    assert "<strong>bold</strong>" in post.html and "<script" not in post.html


def test_mentions_link_existing_users_and_are_recorded(member, moderator):
    thread = make_thread(member, make_forum(), body="Thanks @MOE and @nobody_here!")
    post = db.session.query(Post).filter_by(thread_id=thread.id).one()
    assert 'href="/u/moe"' in post.html and "/u/nobody_here" not in post.html
    assert [m.user_id for m in db.session.query(Mention)] == [moderator.id]


def test_quote_links_back_to_the_source(member, moderator):
    from community import text

    thread = make_thread(member, make_forum(), body="Seal the seams from the inside.")
    first = db.session.query(Post).filter_by(thread_id=thread.id).one()
    reply = make_reply(moderator, thread, text.quote_reference("mia", first.id, first.body) + "\n\nAgreed!")
    assert f'href="/p/{first.id}"' in reply.html and "Seal the seams" in reply.html


def test_edit_keeps_revisions(member, moderator):
    thread = make_thread(member, make_forum(), body="first version")
    post = db.session.query(Post).filter_by(thread_id=thread.id).one()
    with publisher.capture() as sent:
        forums.edit_post(member, post, "second version")
        forums.edit_post(moderator, post, "third version")
    assert post.body == "third version" and "third version" in post.html
    assert post.edited_at is not None
    revisions = db.session.query(PostRevision).order_by(PostRevision.id).all()
    assert [(r.body, r.editor_id) for r in revisions] == [
        ("first version", member.id), ("second version", moderator.id)]
    assert [e.name for e in sent] == ["post.updated", "post.updated"]


def opening_post(thread) -> Post:
    return db.session.query(Post).filter_by(thread_id=thread.id, number=1).one()


def test_an_edit_from_a_stale_revision_is_refused_and_changes_nothing(member, moderator):
    post = opening_post(make_thread(member, make_forum(), body="first version"))
    assert post.revision == 1
    with publisher.capture() as sent:
        forums.edit_post(moderator, post, "the moderator's version", base_revision=1)
    assert post.revision == 2
    assert [(e.name, e.payload["post"]["revision"]) for e in sent] == [("post.updated", 2)]
    with publisher.capture() as sent, pytest.raises(forums.EditConflict) as refused:
        forums.edit_post(member, post, "the author's version", base_revision=1)
    assert sent == []
    current = refused.value.current
    assert (current.body, current.revision) == ("the moderator's version", 2)
    assert "moderator" in current.html and refused.value.status == 409
    db.session.expire_all()
    assert [r.body for r in db.session.query(PostRevision)] == ["first version"]
    # Saving again from the version now shown is a deliberate choice: it goes through.
    forums.edit_post(member, post, "the author's version", base_revision=2)
    assert (post.body, post.revision) == ("the author's version", 3)


def test_an_edit_without_a_base_revision_wins_and_keeps_what_it_replaced(member, moderator):
    post = opening_post(make_thread(member, make_forum(), body="first version"))
    forums.edit_post(moderator, post, "second version", base_revision=1)
    forums.edit_post(member, post, "third version")
    assert (post.body, post.revision) == ("third version", 3)
    revisions = db.session.query(PostRevision).order_by(PostRevision.id)
    assert [r.body for r in revisions] == ["first version", "second version"]


def test_saving_the_text_already_saved_is_no_conflict(member, moderator):
    post = opening_post(make_thread(member, make_forum(), body="first version"))
    forums.edit_post(moderator, post, "the same fix", base_revision=1)
    assert forums.edit_post(member, post, "the same fix", base_revision=1).revision == 2


def test_simultaneous_edits_from_the_same_revision_save_exactly_one(app, member):
    import threading

    post_id = opening_post(make_thread(member, make_forum(), body="first version")).id
    editors = [make_user(f"moderator{i}", role=Role.MODERATOR).id for i in range(6)]
    db.session.commit()
    barrier, outcomes = threading.Barrier(len(editors)), []

    def save(editor_id: int) -> None:
        with app.app_context():
            editor, post = db.session.get(User, editor_id), db.session.get(Post, post_id)
            barrier.wait()
            try:
                forums.edit_post(editor, post, f"version by {editor.username}", base_revision=1)
                outcomes.append("saved")
            except forums.EditConflict:
                outcomes.append("conflict")
            except BaseException as exc:  # reported by the assertion below
                outcomes.append(repr(exc))

    workers = [threading.Thread(target=save, args=(i,)) for i in editors]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * (len(editors) - 1) + ["saved"]
    db.session.expire_all()
    post = db.session.get(Post, post_id)
    assert post.revision == 2 and post.body.startswith("version by moderator")
    assert [r.body for r in db.session.query(PostRevision)] == ["first version"]


def test_only_author_or_moderator_may_edit_or_delete(member, moderator, staff):
    thread = make_thread(member, make_forum())
    post = make_reply(member, thread)
    other = make_user("otto")
    with pytest.raises(Forbidden):
        forums.edit_post(other, post, "mine now")
    with pytest.raises(Forbidden):
        forums.delete_post(other, post)
    with pytest.raises(NotAuthenticated):
        forums.edit_post(Anonymous(), post, "anon")
    assert post.body == "Try seam sealer on the inside."


def test_delete_is_soft_and_keeps_counters_right(member, moderator):
    forum = make_forum()
    thread = make_thread(member, forum)
    post = make_reply(moderator, thread)
    with publisher.capture() as sent:
        forums.delete_post(moderator, post)
        forums.delete_post(moderator, post)  # twice changes nothing more
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.state == "deleted" and post.body == "Try seam sealer on the inside."
    assert (post.thread.reply_count, post.thread.forum.post_count) == (0, 1)
    assert [e.name for e in sent] == ["post.removed"]


def test_locked_threads_refuse_replies_except_from_moderators(member, moderator):
    thread = make_thread(member, make_forum())
    forums.update_thread(moderator, thread, locked=True)
    with pytest.raises(Forbidden, match="locked"):
        make_reply(member, thread)
    make_reply(moderator, thread)
    assert thread.reply_count == 1


def test_curating_needs_a_moderator(member, moderator):
    thread = make_thread(member, make_forum())
    with pytest.raises(Forbidden):
        forums.update_thread(member, thread, pinned=True)
    forums.update_thread(member, thread, title="A better title")
    forums.update_thread(moderator, thread, pinned=True)
    assert thread.pinned and thread.title == "A better title"


def test_moving_a_thread_moves_its_counts(member, moderator):
    a, b = make_forum("alpha"), make_forum("beta")
    thread = make_thread(member, a)
    make_reply(member, thread)
    forums.update_thread(moderator, thread, forum=b)
    assert (a.thread_count, a.post_count, b.thread_count, b.post_count) == (0, 0, 1, 2)


def test_private_forum_is_closed_to_members(member, moderator):
    forum = make_forum("staff-room", private=True)
    with pytest.raises(Forbidden):
        make_thread(member, forum)
    make_thread(moderator, forum)


def test_staff_posts_are_official(member, staff):
    thread = make_thread(member, make_forum())
    assert make_reply(staff, thread).official
    assert not make_reply(member, thread).official


def test_tags_come_from_the_curated_list(member, staff):
    forums.create_tag(staff, "tents", "Tents")
    with pytest.raises(Forbidden):
        forums.create_tag(member, "stoves", "Stoves")
    with pytest.raises(ValidationError):
        make_thread(member, make_forum(), tags=["made-up"])
    thread = make_thread(member, make_forum("other"), tags=["tents"])
    assert [t.slug for t in thread.tags] == ["tents"]


def test_forum_slugs_are_unique_and_valid(admin, member):
    forums.create_forum(admin, "help", "Help")
    with pytest.raises(Conflict):
        forums.create_forum(admin, "help", "Help again")
    with pytest.raises(ValidationError):
        forums.create_forum(admin, "Bad Slug!", "Bad")
    with pytest.raises(ValidationError):
        forums.create_forum(admin, "okay", "Okay", kind="chat")
    with pytest.raises(Forbidden):
        forums.create_forum(member, "mine", "Mine")
    assert db.session.query(Forum).count() == 1
