import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from community.errors import Conflict, Forbidden, ValidationError
from community.extensions import db
from community.models import (ApiToken, AuditEntry, Forum, Notification, Post, PostRevision,
                              PostState, Role, Thread, ThreadFollow, ThreadVote, User, utcnow)
from community.queries.admin import account_export
from community.realtime import publisher
from community.services import accounts, data_rights, feedback, forums, support

from ..factories import PASSWORD, make_forum, make_reply, make_thread, make_user


@pytest.fixture
def story(member, staff):
    """Mia asks, gets an answer, edits her reply, votes on an idea, is notified, holds a token."""
    forum = make_forum("help", kind="support")
    question = make_thread(member, forum, title="Which stove for winter?",
                           body="Canister or liquid?")
    answer = make_reply(staff, question, "Liquid fuel below freezing.")
    thanks = make_reply(member, question, "Thanks, that helps!")
    forums.edit_post(member, thanks, "Thanks a lot, that helps!")
    support.accept_solution(member, question, answer)
    idea = make_thread(staff, make_forum("ideas", kind="ideas"), title="A winter stove")
    feedback.vote_thread(member, idea, 1)
    db.session.add(Notification(user_id=member.id, kind="reply", message="Stella replied"))
    db.session.commit()
    accounts.issue_token(member, "Backup script", "read")
    return {"forum": forum, "question": question, "answer": answer, "thanks": thanks, "idea": idea}


def test_export_holds_everything_about_the_member_and_no_secrets(member, story):
    data = account_export(member)
    json.dumps(data)  # it is JSON as it is
    assert data["profile"]["username"] == "mia" and data["profile"]["email"] == "mia@example.com"
    assert {p["body"] for p in data["posts"]} == {"Canister or liquid?",
                                                  "Thanks a lot, that helps!"}
    assert [r["body"] for r in data["post_revisions"]] == ["Thanks, that helps!"]
    assert [t["title"] for t in data["threads"]] == ["Which stove for winter?"]
    assert [v["thread_id"] for v in data["votes"]["threads"]] == [story["idea"].id]
    assert "Stella replied" in [n["message"] for n in data["notifications"]]
    assert data["points"]["total"] == member.points
    assert [t["name"] for t in data["api_tokens"]] == ["Backup script"]
    token_hash = db.session.scalar(select(ApiToken.token_hash))
    assert token_hash not in json.dumps(data) and member.password_hash not in json.dumps(data)


def test_anonymise_keeps_content_and_forgets_the_person(member, story):
    thanks_id, uid = story["thanks"].id, member.id
    data_rights.delete_account(member, member, "anonymise", PASSWORD)
    db.session.expire_all()
    user = db.session.get(User, uid)
    assert (user.username, user.display_name, user.bio) == (f"deleted-{uid}", "Deleted user", "")
    assert user.email == f"deleted-{uid}@deleted.invalid"
    assert accounts.authenticate("mia@example.com", PASSWORD) is None
    assert accounts.authenticate(f"deleted-{uid}", PASSWORD) is None
    assert user.is_suspended() and not user.is_active
    assert db.session.get(Post, thanks_id).body == "Thanks a lot, that helps!"
    assert db.session.get(Post, thanks_id).state == PostState.PUBLISHED
    for model in (ApiToken, Notification, ThreadFollow):
        assert db.session.scalars(select(model).where(model.user_id == uid)).all() == []
    # Votes stay counted, anonymously.
    assert db.session.get(Thread, story["idea"].id).score == 1
    assert db.session.scalar(select(ThreadVote.user_id)) == uid
    assert account_export(user)["profile"]["email"] == f"deleted-{uid}@deleted.invalid"
    audit = db.session.scalar(select(AuditEntry))
    assert (audit.action, audit.target_id, json.loads(audit.details)) == \
        ("delete_account", uid, {"mode": "anonymise"})


def test_remove_deletes_the_posts_with_counters_and_live_updates(member, story):
    question, thanks = story["question"], story["thanks"]
    forum_posts = story["forum"].post_count
    with publisher.capture() as sent:
        data_rights.delete_account(member, member, "remove", PASSWORD)
    db.session.expire_all()
    posts = db.session.scalars(select(Post).where(Post.author_id == member.id)).all()
    assert {p.state for p in posts} == {PostState.DELETED}
    assert {p.body for p in posts} == {""} and {p.html for p in posts} == {""}
    assert db.session.scalars(select(PostRevision)).all() == []
    assert db.session.get(Thread, question.id).title == data_rights.REMOVED_TITLE
    assert db.session.get(Thread, question.id).reply_count == 1  # the staff answer stays
    assert db.session.get(Forum, story["forum"].id).post_count == forum_posts - 2
    assert db.session.get(Post, story["answer"].id).body == "Liquid fuel below freezing."
    opener = db.session.scalar(select(Post.id).where(Post.thread_id == question.id,
                                                     Post.number == 1))
    assert {e.payload["post_id"] for e in sent if e.name == "post.removed"} == {opener, thanks.id}


def test_a_wrong_password_or_mode_changes_nothing(member, story):
    with pytest.raises(ValidationError) as err:
        data_rights.delete_account(member, member, "anonymise", "not my password")
    assert "password" in err.value.fields
    with pytest.raises(ValidationError) as err:
        data_rights.delete_account(member, member, "shred", PASSWORD)
    assert "mode" in err.value.fields
    db.session.expire_all()
    assert db.session.get(User, member.id).username == "mia"
    assert db.session.query(ApiToken).count() == 1


def test_the_last_admin_cannot_delete_their_account(admin):
    with pytest.raises(Conflict):
        data_rights.delete_account(admin, admin, "anonymise", PASSWORD)
    assert db.session.get(User, admin.id).role == Role.ADMIN
    make_user("second_admin", role=Role.ADMIN)
    data_rights.delete_account(admin, admin, "anonymise", PASSWORD)
    assert admin.role == Role.MEMBER and admin.username.startswith("deleted-")


def test_only_the_member_or_an_admin_may_delete_an_account(member, staff, admin):
    with pytest.raises(Forbidden):
        data_rights.delete_account(staff, member, "anonymise", PASSWORD)
    data_rights.delete_account(admin, member, "anonymise", PASSWORD)  # the admin's password
    assert data_rights.is_closed(member)
    with pytest.raises(Conflict):
        data_rights.delete_account(admin, member, "remove", PASSWORD)


def test_a_suspended_member_may_still_leave_and_take_their_posts(member, story):
    member.suspended_until = utcnow() + timedelta(days=7)
    member.suspended_reason = "Cooling off."
    db.session.commit()
    data_rights.delete_account(member, member, "remove", PASSWORD)
    db.session.expire_all()
    assert db.session.get(Post, story["thanks"].id).state == PostState.DELETED
    assert data_rights.is_closed(db.session.get(User, member.id))


def test_a_taken_deleted_name_gets_a_suffix(member):
    make_user(f"deleted-{member.id}")
    data_rights.delete_account(member, member, "anonymise", PASSWORD)
    assert member.username.startswith(f"deleted-{member.id}-")
