"""A held post enters the thread when it is approved, not when it was written."""

from sqlalchemy import select

from community.extensions import db
from community.models import Post, ReviewItem, ThreadFollow
from community.services import forums, moderation

from ..factories import make_forum, make_thread, make_user


def _premoderated_thread(author):
    forum = make_forum()
    thread = make_thread(author, forum)
    forum.premoderated = True
    db.session.commit()
    return thread


def _item_for(post):
    return db.session.scalar(select(ReviewItem).where(ReviewItem.post_id == post.id))


def test_an_approved_post_comes_after_those_published_while_it_waited(app, moderator):
    thread = _premoderated_thread(moderator)
    newcomer = make_user("nina")
    held = forums.reply(newcomer, thread, "Written first, held for review")
    later = forums.reply(moderator, thread, "Written second, published at once")
    moderation.act_on_item(moderator, _item_for(held), "approve")
    posts = db.session.scalars(select(Post).where(Post.thread_id == thread.id)
                               .order_by(Post.number)).all()
    assert [p.id for p in posts] == [posts[0].id, later.id, held.id]
    assert [p.number for p in posts] == [1, 3, 4]  # numbers never reused: 2 was its place
    times = [p.created_at for p in posts]
    assert times == sorted(times)


def test_a_rejected_post_makes_its_author_follow_nothing(app, moderator):
    thread = _premoderated_thread(moderator)
    newcomer, other = make_user("nina"), make_user("omar")
    rejected = forums.reply(newcomer, thread, "Held, then rejected")
    assert db.session.get(ThreadFollow, (newcomer.id, thread.id)) is None
    moderation.act_on_item(moderator, _item_for(rejected), "reject")
    assert db.session.get(ThreadFollow, (newcomer.id, thread.id)) is None

    approved = forums.reply(other, thread, "Held, then approved")
    moderation.act_on_item(moderator, _item_for(approved), "approve")
    assert db.session.get(ThreadFollow, (other.id, thread.id)).level == "watching"
