"""The one after-commit dispatcher: throttled summaries and immediate events go through it too."""

import time

from community.extensions import db
from community.realtime import publisher, rooms
from community.services import feedback
from community.services.unit import use_case

from ..factories import make_forum, make_thread, make_user


def test_the_leaderboard_broadcast_goes_through_the_publisher_once_for_many_commits(app_factory):
    # A window wide enough for the three votes, however slow the machine.
    app_factory(LEADERBOARD_BROADCAST_SECONDS=0.5)
    member = make_user("mia")
    idea = make_thread(member, make_forum("ideas", kind="ideas"))
    voters = [make_user(f"voter{i}") for i in range(3)]
    publisher.dispatcher.flush()
    with publisher.capture() as sent:
        for voter in voters:
            feedback.vote_thread(voter, idea, 1)
        assert publisher.dispatcher.flush()
    changed = [e for e in sent if e.name == "leaderboard.changed"]
    assert len(changed) == 1 and changed[0].rooms == (rooms.LEADERBOARD,)
    [top] = [e for e in changed[0].payload["top"] if e["username"] == member.username]
    assert top["points"] >= 3  # the board as it was after the last of those commits


def test_a_rolled_back_change_of_points_broadcasts_nothing(app, member):
    idea = make_thread(member, make_forum("ideas", kind="ideas"))
    voter = make_user("voter")
    publisher.dispatcher.flush()

    @use_case
    def vote_then_fail():
        feedback.vote_thread(voter, idea, 1)
        raise RuntimeError("changed my mind")

    with publisher.capture() as sent:
        try:
            vote_then_fail()
        except RuntimeError:
            pass
        time.sleep(app.config["LEADERBOARD_BROADCAST_SECONDS"] * 2)
        assert publisher.dispatcher.flush()
    assert [e.name for e in sent] == []
    db.session.rollback()


def test_publish_now_sends_without_a_transaction(app):
    with publisher.capture() as sent:
        publisher.publish_now("typing", {"thread_id": 1, "username": "mia"}, rooms.thread(1),
                              skip_sid="abc")
        assert publisher.dispatcher.flush()
    assert [(e.name, e.rooms, e.skip_sid) for e in sent] == [("typing", ("thread:1",), "abc")]
