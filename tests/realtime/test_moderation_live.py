"""Moderation over Socket.IO: held content stays out of public rooms, approval publishes it
live, rejection never does, and moderators see the queue change as it happens."""

from community.extensions import db
from community.models import ReviewItem, Role
from community.queries import moderation as qm
from community.services import forums, moderation

from ..factories import make_forum, make_reply, make_thread, make_user
from .test_socket import connect, received


def _payloads(events, name):
    return [e["args"][0] for e in events if e["name"] == name]


def test_held_posts_go_live_only_when_approved(app, member, moderator):
    forum = make_forum()
    thread = make_thread(moderator, forum)
    forum.premoderated = True
    db.session.commit()
    watcher, reviewer = connect(app), connect(app, moderator)
    for room in (f"thread:{thread.id}", "forum:general"):
        assert watcher.emit("subscribe", {"room": room}, callback=True) == {"ok": True}
    assert reviewer.emit("subscribe", {"room": "moderation"}, callback=True) == {"ok": True}
    received(watcher), received(reviewer)

    reply = forums.reply(member, thread, "A reply that waits")
    held_thread = forums.start_thread(member, forum, "A thread that waits", "Its body")
    assert received(watcher) == []
    items = _payloads(received(reviewer), "moderation.item")
    assert [(i["item"]["post"]["id"], i["item"]["status"]) for i in items][0] == (reply.id, "open")
    assert [i["item"]["thread"]["title"] for i in items] == [thread.title, "A thread that waits"]

    moderation.act_on_item(moderator, qm.open_item_for(reply), "approve")
    events = received(watcher)
    assert [e["name"] for e in events] == ["post.created", "thread.updated", "thread.updated"]
    assert events[0]["args"][0]["post"]["id"] == reply.id
    assert events[0]["args"][0]["post"]["html"] == "<p>A reply that waits</p>\n"

    opening = db.session.query(ReviewItem).filter_by(status="open").one()
    moderation.act_on_item(moderator, opening, "reject")
    assert received(watcher) == []  # rejected: never seen
    resolved = [(i["item"]["post"]["id"], i["item"]["resolution"])
                for i in _payloads(received(reviewer), "moderation.item")]
    assert resolved == [(reply.id, "approved"), (opening.post_id, "rejected")]
    db.session.refresh(held_thread)
    assert held_thread.state == "hidden"


def test_a_held_thread_room_is_closed_to_others(app, member):
    forum = make_forum()
    forum.premoderated = True
    db.session.commit()
    thread = forums.start_thread(member, forum, "Waiting thread", "Body")
    assert connect(app).emit("subscribe", {"room": f"thread:{thread.id}"}, callback=True) == \
        {"ok": False, "error": "not_found"}
    assert connect(app, member).emit("subscribe", {"room": f"thread:{thread.id}"},
                                     callback=True) == {"ok": True}


def test_moderators_see_claims_and_each_others_decisions(app, member, moderator):
    forum = make_forum()
    forum.premoderated = True
    db.session.commit()
    forums.start_thread(member, forum, "Needs a look", "Body")
    item = db.session.query(ReviewItem).one()
    other = make_user("mona", Role.MODERATOR)
    first, second = connect(app, moderator), connect(app, other)
    for sock in (first, second):
        sock.emit("subscribe", {"room": "moderation"}, callback=True)
        received(sock)

    moderation.act_on_item(moderator, item, "claim")
    claimed = _payloads(received(second), "moderation.item")
    assert [(i["item"]["id"], i["item"]["claimed_by"]) for i in claimed] == [(item.id, "moe")]
    moderation.act_on_item(moderator, qm.get_item(item.id), "approve")
    done = _payloads(received(second), "moderation.item")
    assert [(i["item"]["status"], i["item"]["resolution"]) for i in done] == [("resolved", "approved")]


def test_a_post_hidden_by_flags_is_removed_live(app, moderator):
    thread = make_thread(moderator, make_forum())
    post = make_reply(make_user("troll"), thread, "Spam spam spam")
    watcher = connect(app)
    watcher.emit("subscribe", {"room": f"thread:{thread.id}"}, callback=True)
    received(watcher)
    for i in range(4):
        moderation.flag_post(make_user(f"flagger{i}"), post, "spam")
    events = received(watcher)
    assert [e["name"] for e in events] == ["post.removed"]
    assert events[0]["args"][0] == {"thread_id": thread.id, "post_id": post.id}
