import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from community.errors import Conflict, Forbidden, NotAuthenticated, ValidationError
from community.extensions import db
from community.models import Poll, PollBallot, PollOption, utcnow
from community.permissions import Anonymous
from community.queries import polls as pq
from community.realtime import publisher
from community.services import forums, polls

from ..factories import make_forum, make_thread, make_user


@pytest.fixture
def thread(member):
    return make_thread(member, make_forum())


def make_poll(author, thread, options=("Red", "Green", "Blue"), **kw):
    return polls.create_poll(author, thread, kw.pop("question", "Which colour?"), list(options),
                             **kw)


def ids(poll) -> list[int]:
    return [o.id for o in poll.options]


def recount(poll) -> tuple[list[int], int]:
    """The counters as they should be, straight from the ballots."""
    per_option = dict(db.session.execute(
        select(PollBallot.option_id, func.count()).where(PollBallot.poll_id == poll.id)
        .group_by(PollBallot.option_id)).all())
    voters = db.session.scalar(select(func.count(func.distinct(PollBallot.user_id)))
                               .where(PollBallot.poll_id == poll.id))
    return [per_option.get(i, 0) for i in ids(poll)], voters


def stored(poll) -> tuple[list[int], int]:
    db.session.expire_all()
    fresh = db.session.get(Poll, poll.id)
    return [o.vote_count for o in fresh.options], fresh.voter_count


def nothing_written() -> bool:
    return (db.session.scalar(select(func.count()).select_from(Poll)) == 0
            and db.session.scalar(select(func.count()).select_from(PollOption)) == 0)


# --- creating ----------------------------------------------------------------------------

def test_create_poll_keeps_options_in_order_and_announces(member, thread):
    closes = utcnow() + timedelta(days=2)
    with publisher.capture() as sent:
        poll = make_poll(member, thread, options=["  Red ", "Green", "Blue"], multiple=True,
                         closes_at=closes, results="always", question="  Which   colour? ")
    db.session.expire_all()
    poll = db.session.get(Poll, poll.id)
    assert poll.question == "Which colour?" and poll.multiple and poll.results == "always"
    assert poll.closes_at == closes and poll.thread_id == thread.id
    assert [(o.label, o.position, o.vote_count) for o in poll.options] == [
        ("Red", 0, 0), ("Green", 1, 0), ("Blue", 2, 0)]
    assert [(e.name, e.rooms) for e in sent] == [("poll.changed", (f"thread:{thread.id}",))]
    assert sent[0].payload == {"thread_id": thread.id, "poll_id": poll.id, "voter_count": 0,
                               "closed": False}


@pytest.mark.parametrize("changes, field", [
    ({"question": ""}, "question"),
    ({"question": "   "}, "question"),
    ({"question": "q" * 201}, "question"),
    ({"question": None}, "question"),
    ({"options": ["Only one"]}, "options"),
    ({"options": []}, "options"),
    ({"options": [f"Option {i}" for i in range(11)]}, "options"),
    ({"options": ["Fine", "  "]}, "options"),
    ({"options": ["Fine", "x" * 121]}, "options"),
    ({"options": ["Yes", "no", "YES"]}, "options"),
    ({"options": ["Yes", 5]}, "options"),
    ({"options": "Yes\nNo"}, "options"),
    ({"multiple": "yes"}, "multiple"),
    ({"closes_at": datetime(2020, 1, 1, tzinfo=UTC)}, "closes_at"),
    ({"closes_at": datetime.now() + timedelta(days=1)}, "closes_at"),  # naive
    ({"closes_at": "2999-01-01T00:00:00Z"}, "closes_at"),
    ({"results": "never"}, "results"),
])
def test_bad_poll_input_writes_nothing(member, thread, changes, field):
    args = {"question": "Which colour?", "options": ["Red", "Green"], "multiple": False,
            "closes_at": None, "results": "after_vote"} | changes
    with publisher.capture() as sent, pytest.raises(ValidationError) as err:
        polls.create_poll(member, thread, **args)
    assert field in err.value.fields
    assert nothing_written() and sent == []


def test_limits_are_inclusive(member, thread):
    poll = make_poll(member, thread, question="q" * 200,
                     options=[f"{i} " + "x" * 117 for i in range(10)])
    assert len(poll.options) == 10 and len(poll.question) == 200


def test_one_poll_per_thread(member, thread):
    make_poll(member, thread)
    with pytest.raises(Conflict):
        make_poll(member, thread, options=["A", "B"])
    assert db.session.scalar(select(func.count()).select_from(Poll)) == 1
    assert db.session.scalar(select(func.count()).select_from(PollOption)) == 3


def test_only_the_author_or_a_moderator_creates(member, moderator, thread):
    with pytest.raises(Forbidden):
        make_poll(make_user("other"), thread)
    with pytest.raises(NotAuthenticated):
        make_poll(Anonymous(), thread)
    assert nothing_written()
    assert make_poll(moderator, thread).thread_id == thread.id


# --- voting ------------------------------------------------------------------------------

def test_single_choice_takes_exactly_one_option(member, thread):
    poll = make_poll(member, thread)
    red, green, _ = ids(poll)
    voter = make_user("val")
    for bad in ([], [red, green], [red, red], ["1"], [True], None, [red + 1000]):
        with pytest.raises(ValidationError) as err:
            polls.cast_ballot(voter, poll, bad)
        assert "option_ids" in err.value.fields, bad
    assert stored(poll) == ([0, 0, 0], 0)
    polls.cast_ballot(voter, poll, [green])
    assert stored(poll) == ([0, 1, 0], 1)


def test_multiple_choice_takes_one_or_more_distinct_options(member, thread):
    poll = make_poll(member, thread, multiple=True)
    red, green, blue = ids(poll)
    voter = make_user("val")
    for bad in ([], [red, red], [red, 99999]):
        with pytest.raises(ValidationError):
            polls.cast_ballot(voter, poll, bad)
    polls.cast_ballot(voter, poll, [red, blue])
    polls.cast_ballot(make_user("wes"), poll, [blue])
    assert stored(poll) == ([1, 0, 2], 2)


def test_changing_a_ballot_moves_the_counts(member, thread):
    poll = make_poll(member, thread, multiple=True)
    red, green, blue = ids(poll)
    voter = make_user("val")
    polls.cast_ballot(voter, poll, [red, green])
    polls.cast_ballot(voter, poll, [green, blue])
    assert stored(poll) == ([0, 1, 1], 1)
    assert set(db.session.scalars(select(PollBallot.option_id))) == {green, blue}


def test_option_ids_from_another_poll_are_refused(member, thread):
    poll = make_poll(member, thread)
    other = make_poll(member, make_thread(member, thread.forum, title="Second thread"))
    voter = make_user("val")
    polls.cast_ballot(voter, poll, [ids(poll)[0]])
    with publisher.capture() as sent, pytest.raises(ValidationError):
        polls.cast_ballot(voter, poll, [ids(other)[1]])
    assert sent == [] and stored(poll) == ([1, 0, 0], 1) and stored(other) == ([0, 0, 0], 0)


def test_counters_equal_a_recount_after_any_sequence(member, thread):
    rng = random.Random(20240611)
    single = make_poll(member, thread)
    multi = make_poll(member, make_thread(member, thread.forum, title="Another one"),
                      options=["A", "B", "C", "D"], multiple=True)
    voters = [make_user(f"voter{i}") for i in range(5)]
    expected: dict[tuple[int, int], set[int]] = {}
    for step in range(120):
        poll, user = rng.choice([single, multi]), rng.choice(voters)
        options = ids(poll)
        action = rng.random()
        if action < 0.2:
            polls.withdraw_ballot(user, poll)
            expected.pop((poll.id, user.id), None)
        elif action < 0.3:
            # An invalid ballot (an option of the other poll) changes nothing.
            other = multi if poll is single else single
            with pytest.raises(ValidationError):
                polls.cast_ballot(user, poll, [ids(other)[0]])
        else:
            size = rng.randint(1, len(options)) if poll.multiple else 1
            chosen = rng.sample(options, size)
            polls.cast_ballot(user, poll, chosen)
            expected[(poll.id, user.id)] = set(chosen)
        for p in (single, multi):
            assert stored(p) == recount(p), step
            want = [sum(o in c for (pid, _), c in expected.items() if pid == p.id) for o in ids(p)]
            assert stored(p)[0] == want, step
            assert stored(p)[1] == sum(1 for pid, _ in expected if pid == p.id)


def test_withdraw_removes_the_ballot(member, thread):
    poll = make_poll(member, thread)
    voter = make_user("val")
    polls.cast_ballot(voter, poll, [ids(poll)[2]])
    with publisher.capture() as sent:
        polls.withdraw_ballot(voter, poll)
        polls.withdraw_ballot(voter, poll)  # nothing left to withdraw: no change, no event
    assert stored(poll) == ([0, 0, 0], 0)
    assert [e.payload["voter_count"] for e in sent] == [0]


def test_events_carry_no_counts_and_only_real_changes(member, thread):
    poll = make_poll(member, thread, results="always")
    voter = make_user("val")
    with publisher.capture() as sent:
        polls.cast_ballot(voter, poll, [ids(poll)[0]])
        polls.cast_ballot(voter, poll, [ids(poll)[0]])  # same ballot again
        with pytest.raises(ValidationError):
            polls.cast_ballot(voter, poll, [])
    assert len(sent) == 1
    assert sent[0].name == "poll.changed" and sent[0].rooms == (f"thread:{thread.id}",)
    assert sent[0].payload == {"thread_id": thread.id, "poll_id": poll.id, "voter_count": 1,
                               "closed": False}
    json.dumps(sent[0].payload)


def test_closing_blocks_voting(member, moderator, thread):
    poll = make_poll(member, thread)
    voter = make_user("val")
    polls.cast_ballot(voter, poll, [ids(poll)[0]])
    with pytest.raises(Forbidden):
        polls.close_poll(voter, poll)
    with publisher.capture() as sent:
        polls.close_poll(member, poll)
        polls.close_poll(moderator, poll)  # already closed: nothing changes
    assert [e.payload["closed"] for e in sent] == [True]
    assert pq.is_closed(poll)
    for attempt in (lambda: polls.cast_ballot(voter, poll, [ids(poll)[1]]),
                    lambda: polls.cast_ballot(make_user("late"), poll, [ids(poll)[1]]),
                    lambda: polls.withdraw_ballot(voter, poll)):
        with pytest.raises(Conflict):
            attempt()
    assert stored(poll) == ([1, 0, 0], 1)


def test_a_closing_time_in_the_past_blocks_voting(member, thread):
    poll = make_poll(member, thread, closes_at=utcnow() + timedelta(hours=1))
    poll.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(Conflict):
        polls.cast_ballot(make_user("val"), poll, [ids(poll)[0]])
    assert stored(poll) == ([0, 0, 0], 0)


def test_locked_threads_and_unseen_forums_take_no_votes(member, moderator, thread):
    poll = make_poll(member, thread)
    forums.update_thread(moderator, thread, locked=True)
    with pytest.raises(Forbidden):
        polls.cast_ballot(make_user("val"), poll, [ids(poll)[0]])
    private = make_poll(moderator, make_thread(moderator, make_forum("staff", private=True)))
    with pytest.raises(Forbidden):
        polls.cast_ballot(member, private, [ids(private)[0]])
    with pytest.raises(NotAuthenticated):
        polls.cast_ballot(Anonymous(), private, [ids(private)[0]])
    assert stored(poll)[1] == 0 and stored(private)[1] == 0


# --- what each viewer sees ---------------------------------------------------------------

def test_after_vote_hides_counts_until_the_viewer_votes(member, moderator, thread):
    poll = make_poll(member, thread)  # results="after_vote"
    alice, bob = make_user("alice"), make_user("bob")
    polls.cast_ballot(alice, poll, [ids(poll)[0]])
    view = pq.poll_view(bob, poll)
    assert not view.results_visible and view.can_vote and not view.has_voted
    assert [(o.votes, o.percent) for o in view.options] == [(None, None)] * 3
    assert [o.label for o in view.options] == ["Red", "Green", "Blue"]
    assert view.voter_count == 1
    assert not pq.poll_view(Anonymous(), poll).results_visible
    # The author and moderators see results without voting.
    assert pq.poll_view(member, poll).results_visible
    assert pq.poll_view(moderator, poll).results_visible
    polls.cast_ballot(bob, poll, [ids(poll)[1]])
    view = pq.poll_view(bob, poll)
    assert view.results_visible and view.chosen == {ids(poll)[1]}
    assert [(o.votes, o.percent) for o in view.options] == [(1, 50), (1, 50), (0, 0)]
    polls.close_poll(member, poll)
    assert pq.poll_view(make_user("carol"), poll).results_visible


def test_after_close_hides_counts_until_closed(member, moderator, thread):
    poll = make_poll(member, thread, results="after_close", multiple=True)
    alice = make_user("alice")
    polls.cast_ballot(alice, poll, [ids(poll)[0], ids(poll)[2]])
    for viewer in (alice, member, moderator, Anonymous()):
        assert not pq.poll_view(viewer, poll).results_visible
    polls.close_poll(moderator, poll)
    view = pq.poll_view(Anonymous(), poll)
    assert view.results_visible and view.is_closed and not view.can_vote
    assert [(o.votes, o.percent) for o in view.options] == [(1, 100), (0, 0), (1, 100)]


def test_always_shows_counts_to_everyone(member, thread):
    poll = make_poll(member, thread, results="always")
    for name, choice in (("amy", 0), ("ben", 0), ("cal", 1)):
        polls.cast_ballot(make_user(name), poll, [ids(poll)[choice]])
    view = pq.poll_view(Anonymous(), poll)
    assert view.results_visible and not view.can_vote and not view.can_close
    assert [(o.votes, o.percent) for o in view.options] == [(2, 67), (1, 33), (0, 0)]
    assert pq.poll_view(member, poll).can_close


def test_concurrent_ballot_changes_leave_counters_equal_to_a_recount(app, member, thread):
    import threading

    from community.models import User

    poll = make_poll(member, thread)
    poll_id, options = poll.id, ids(poll)
    users = [make_user("alice").id, make_user("bob").id]
    db.session.commit()
    errors: list[BaseException] = []

    def churn(user_id: int, seed: int) -> None:
        rng = random.Random(seed)
        try:
            with app.app_context():
                user, mine = db.session.get(User, user_id), db.session.get(Poll, poll_id)
                for _ in range(15):
                    if rng.random() < 0.2:
                        polls.withdraw_ballot(user, mine)
                    else:
                        polls.cast_ballot(user, mine, [rng.choice(options)])
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    # Two workers per member: the same member changes their ballot from two places at once.
    workers = [threading.Thread(target=churn, args=(uid, seed))
               for seed, uid in enumerate(users + users)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert stored(poll) == recount(poll)
    per_member = db.session.execute(select(PollBallot.user_id, func.count())
                                    .group_by(PollBallot.user_id)).all()
    assert all(n == 1 for _, n in per_member)
