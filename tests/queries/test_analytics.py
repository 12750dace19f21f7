"""The insights figures against a hand-built community whose right answers are worked out below."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from community.errors import ValidationError
from community.extensions import db
from community.models import (Badge, BadgeAward, MemberActivity, NpsResponse, PointEntry, Post,
                              PostVote, Role, StatusChange, ThreadVote, utcnow)
from community.queries import analytics as qa
from community.services import accounts, feedback, support

from ..factories import make_forum, make_reply, make_thread, make_user

MARCH = ("2026-03-01", "2026-03-07")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def person(name: str, joined: str, role: Role = Role.MEMBER):
    """A member who joined at `joined` and whose posts need no review (trust level 2)."""
    user = make_user(name, role=role)
    user.created_at, user.trust_level, user.trust_locked = at(joined), 2, True
    db.session.commit()
    return user


def thread_at(author, forum, when: str, title: str):
    thread = make_thread(author, forum, title, f"{title}: here is everything I tried so far.")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    assert opening.state == "published"
    thread.created_at = opening.created_at = at(when)
    db.session.commit()
    return thread


def reply_at(author, thread, when: str, body: str):
    post = make_reply(author, thread, body)
    assert post.state == "published"
    post.created_at = at(when)
    db.session.commit()
    return post


def vote_at(voter, thread, when: str) -> None:
    feedback.vote_thread(voter, thread, 1)
    db.session.execute(update(ThreadVote).where(ThreadVote.user_id == voter.id,
                                                ThreadVote.thread_id == thread.id)
                       .values(created_at=at(when)))
    db.session.commit()


def status_at(staff, thread, status: str, when: str) -> None:
    change = feedback.set_idea_status(staff, thread, status, "")
    db.session.execute(update(StatusChange).where(StatusChange.id == change.id)
                       .values(created_at=at(when)))
    db.session.commit()


def rate_at(asker, thread, score: int, comment: str, when: str) -> None:
    rating, _ = support.rate_thread(asker, thread, score, comment)
    rating.created_at = rating.updated_at = at(when)
    db.session.commit()


@dataclass
class Community:
    alice: object
    bob: object
    carol: object
    dave: object
    sam: object
    help: object
    ideas: object
    general: object
    questions: list
    idea_threads: list


def known_community() -> Community:
    """March 2026 in a small community; every expected figure is derived in the tests' comments.

    Members: alice joined 20 Feb, dave (moderator) and sam (staff) 1 Jan, bob 2 Mar, carol
    3 Mar. Support questions in `help`, ideas in `ideas`, one trip report in `general`.
    """
    alice = person("alice", "2026-02-20T10:00")
    dave = person("dave", "2026-01-01T00:00", Role.MODERATOR)
    sam = person("sam", "2026-01-01T00:00", Role.STAFF)
    bob = person("bob", "2026-03-02T09:00")
    carol = person("carol", "2026-03-03T12:00")
    help_, ideas, general = (make_forum("help", kind="support"), make_forum("ideas", kind="ideas"),
                             make_forum("general"))

    # Q1: community reply after 30 min, staff after 2 h; bob's reply solves it; rated 5.
    q1 = thread_at(alice, help_, "2026-03-02T10:00", "Tent zip is stuck")
    q1_bob = reply_at(bob, q1, "2026-03-02T10:30", "Rub a candle along the teeth of the zip.")
    reply_at(sam, q1, "2026-03-02T12:00", "Official: we also replace sliders under warranty.")
    support.accept_solution(alice, q1, q1_bob)
    rate_at(alice, q1, 5, "Bob saved my trip", "2026-03-02T13:00")
    # Q2: the asker's own follow-up does not count; staff answers after 4 h and solves it.
    q2 = thread_at(bob, help_, "2026-03-03T09:00", "Stove will not light")
    reply_at(bob, q2, "2026-03-03T09:10", "More detail: it clicks but there is no flame.")
    q2_sam = reply_at(sam, q2, "2026-03-03T13:00", "Official: clean the jet with the needle tool.")
    support.accept_solution(bob, q2, q2_sam)
    rate_at(bob, q2, 3, "", "2026-03-04T09:00")
    # Q3: nobody answers. Q4: a moderator (community) answers after 6 h; not solved.
    q3 = thread_at(carol, help_, "2026-03-04T08:00", "Warranty for a torn strap")
    q4 = thread_at(alice, help_, "2026-03-05T00:00", "Which sleeping pad for winter")
    reply_at(dave, q4, "2026-03-05T06:00", "Look for an R-value of five or more.")
    # alice marks bob's answer helpful.
    feedback.vote_post(alice, q1_bob, 1)
    db.session.execute(update(PostVote).values(created_at=at("2026-03-02T11:00")))
    db.session.commit()

    trip = thread_at(alice, general, "2026-03-01T23:30", "Three days on the coast path")
    reply_at(bob, trip, "2026-03-02T00:30", "Lovely photos, which campsite was that?")

    # Ideas: i1 posted in February, planned then shipped on 6 Mar (24 days); i3 shipped after
    # 2.5 days; i2 under review.
    i1 = thread_at(alice, ideas, "2026-02-10T08:00", "A lighter tent")
    i2 = thread_at(bob, ideas, "2026-03-03T15:00", "Bring back orange packs")
    i3 = thread_at(carol, ideas, "2026-03-04T10:00", "A titanium windscreen")
    vote_at(sam, i1, "2026-02-11T09:00")
    vote_at(bob, i1, "2026-03-02T10:00")
    vote_at(carol, i1, "2026-03-03T11:00")
    vote_at(alice, i2, "2026-03-04T09:00")
    vote_at(carol, i2, "2026-03-04T10:00")
    vote_at(dave, i2, "2026-03-05T10:00")
    vote_at(alice, i3, "2026-03-06T10:00")
    status_at(sam, i1, "planned", "2026-03-03T08:00")
    status_at(sam, i1, "shipped", "2026-03-06T08:00")
    status_at(sam, i2, "under_review", "2026-03-04T08:00")
    status_at(sam, i3, "shipped", "2026-03-06T22:00")

    # NPS: 10, 10, 9 promoters; 8, 7 passives; 6, 2 detractors. The two zeros fall just
    # outside the range (its end is exclusive).
    for user, score, when, comment in [
            (alice, 10, "2026-03-01T10:00", "Great community"), (bob, 10, "2026-03-02T10:00", ""),
            (carol, 9, "2026-03-03T10:00", ""), (dave, 8, "2026-03-04T10:00", ""),
            (sam, 7, "2026-03-05T10:00", ""), (alice, 6, "2026-03-06T10:00", ""),
            (bob, 2, "2026-03-07T23:59", "Too slow"), (carol, 0, "2026-03-08T00:00", "late"),
            (dave, 0, "2026-02-28T23:59:59", "early")]:
        db.session.add(NpsResponse(user_id=user.id, score=score, comment=comment,
                                   created_at=at(when)))

    # Points: alice 10 + 5, dave 15 (general), bob 12 - 4, sam 7; carol's are after the range.
    for user, points, when, forum in [
            (alice, 10, "2026-03-02T12:00", help_), (alice, 5, "2026-03-03T12:00", ideas),
            (bob, 12, "2026-03-02T12:00", help_), (bob, -4, "2026-03-04T12:00", help_),
            (carol, 20, "2026-03-09T12:00", help_), (dave, 15, "2026-03-05T12:00", general),
            (sam, 7, "2026-03-06T12:00", help_)]:
        db.session.add(PointEntry(user_id=user.id, action="test", points=points,
                                  subject_key=f"test:{user.id}:{when}", forum_id=forum.id,
                                  reversal=points < 0, created_at=at(when)))

    helper = Badge(slug="analytics-helper", name="Helper", description="", icon="★",
                   tier="bronze", repeatable=False, builtin=False)
    thinker = Badge(slug="analytics-thinker", name="Thinker", description="", icon="★",
                    tier="bronze", repeatable=False, builtin=False)
    db.session.add_all([helper, thinker])
    db.session.flush()
    for badge, user, when, revoked in [
            (helper, alice, "2026-03-02T12:00", False), (helper, bob, "2026-03-03T12:00", False),
            (thinker, carol, "2026-03-04T12:00", False), (helper, dave, "2026-03-05T12:00", True),
            (thinker, alice, "2026-03-10T12:00", False)]:
        db.session.add(BadgeAward(badge_id=badge.id, user_id=user.id, occasion="", reason="",
                                  created_at=at(when), revoked_at=at(when) if revoked else None))

    # Activity (the receivers record "now" for everything above, so March is written here).
    for user, days in [(alice, ["03-01", "03-02", "03-05"]), (bob, ["03-02", "03-03"]),
                       (carol, ["03-03", "03-04", "03-06"]), (dave, ["02-25"]), (sam, ["01-15"])]:
        for day in days:
            db.session.add(MemberActivity(user_id=user.id, day=date.fromisoformat(f"2026-{day}")))
    db.session.commit()
    return Community(alice, bob, carol, dave, sam, help_, ideas, general, [q1, q2, q3, q4],
                     [i1, i2, i3])


def march(forum=None, tz=None) -> qa.Range:
    return qa.parse_range(*MARCH, tz, forum=forum)


# --- the range ---------------------------------------------------------------------------

def test_default_range_is_the_30_days_up_to_today(app):
    rng = qa.parse_range(today=date(2026, 3, 31))
    assert (rng.first, rng.last, rng.day_count) == (date(2026, 3, 2), date(2026, 3, 31), 30)
    assert rng.start == at("2026-03-02T00:00") and rng.end == at("2026-04-01T00:00")
    only_from = qa.parse_range("2026-03-25", today=date(2026, 3, 31))
    assert (only_from.first, only_from.last) == (date(2026, 3, 25), date(2026, 3, 31))


def test_days_start_at_local_midnight_and_the_end_is_exclusive(app):
    paris = qa.parse_range("2026-03-02", "2026-03-02", "Europe/Paris")
    assert paris.start == at("2026-03-01T23:00") and paris.end == at("2026-03-02T23:00")
    kolkata = qa.parse_range("2026-03-02", "2026-03-02", "Asia/Kolkata")
    assert kolkata.start == at("2026-03-01T18:30")
    # Daylight saving time: the day clocks go forward has 23 hours, the day they go back 25.
    spring = qa.parse_range("2026-03-29", "2026-03-29", "Europe/Paris")
    assert (spring.end - spring.start).total_seconds() == 23 * 3600
    autumn = qa.parse_range("2026-11-01", "2026-11-01", "America/New_York")
    assert (autumn.end - autumn.start).total_seconds() == 25 * 3600


@pytest.mark.parametrize("raw_from, raw_to, tz, field", [
    ("2026-03-08", "2026-03-07", None, "from"),          # ends before it starts
    ("2026-02-30", "2026-03-07", None, "from"),          # no such day
    ("2026/03/01", "2026-03-07", None, "from"),
    ("20260301", "2026-03-07", None, "from"),            # ISO, but not YYYY-MM-DD
    ("yesterday", "2026-03-07", None, "from"),
    ("2026-03-01", "2026-13-01", None, "to"),
    ("0001-01-01", "0001-01-02", None, "from"),          # out of the years handled
    ("2025-03-01", "2026-03-02", None, "to"),            # 366 days is the most: this is 367
    ("2024-01-01", "2026-01-01", None, "to"),            # two years
    ("2026-03-01", "2026-03-07", "Mars/Olympus_Mons", "tz"),
    ("2026-03-01", "2026-03-07", "../../etc/passwd", "tz"),
])
def test_bad_ranges_are_refused_with_the_field_named(app, raw_from, raw_to, tz, field):
    with pytest.raises(ValidationError) as refused:
        qa.parse_range(raw_from, raw_to, tz)
    assert field in refused.value.fields


def test_the_longest_range_is_366_days(app):
    rng = qa.parse_range("2025-03-02", "2026-03-02")
    assert rng.day_count == 366 and rng.period_days == 7
    assert qa.parse_range("2026-03-01", "2026-03-31").period_days == 1


# --- participation, with the edges of days and time zones -----------------------------------

@pytest.fixture
def timed_posts(app):
    """Posts (UTC): 1 at 23:30 on 1 Mar, 2 at 03:00 and 4 at 20:00 on 2 Mar, 8 at 02:00 on 3 Mar."""
    writer = person("walter", "2026-01-01T00:00")
    reader = person("rita", "2026-01-01T00:00")
    thread = thread_at(writer, make_forum("general"), "2026-03-01T23:30", "Timed thread")
    n = 0
    for when, count in [("2026-03-02T03:00", 2), ("2026-03-02T20:00", 4), ("2026-03-03T02:00", 8)]:
        for _ in range(count):
            n += 1
            reply_at(reader if n % 2 else writer, thread, when, f"Reply number {n} with words.")
    return thread


@pytest.mark.parametrize("tz, posts_on_2_march", [
    ("UTC", 6),                 # [2 Mar 00:00Z, 3 Mar 00:00Z): 2 + 4
    ("Europe/Paris", 7),        # [1 Mar 23:00Z, 2 Mar 23:00Z): 1 + 2 + 4
    ("Asia/Kolkata", 3),        # [1 Mar 18:30Z, 2 Mar 18:30Z): 1 + 2
    ("America/New_York", 12),   # [2 Mar 05:00Z, 3 Mar 05:00Z): 4 + 8
])
def test_posts_fall_on_the_day_of_the_time_zone_asked(timed_posts, tz, posts_on_2_march):
    p = qa.participation(qa.parse_range("2026-03-02", "2026-03-02", tz))
    assert p.posts == [posts_on_2_march]


def test_a_series_spreads_posts_over_local_days(timed_posts):
    p = qa.participation(qa.parse_range("2026-03-01", "2026-03-03", "America/New_York"))
    assert p.days == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
    assert p.posts == [3, 12, 0]
    assert p.threads == [1, 0, 0]


def test_the_first_instant_of_a_day_is_in_it_and_the_next_midnight_is_not(app):
    writer, reader = person("walter", "2026-01-01T00:00"), person("rita", "2026-01-01T00:00")
    thread = thread_at(writer, make_forum("general"), "2026-03-01T23:59:59.999999", "Edges")
    reply_at(reader, thread, "2026-03-02T00:00:00", "Exactly at midnight, the first instant.")
    reply_at(writer, thread, "2026-03-02T23:59:59.999999", "The very last instant of the day.")
    reply_at(reader, thread, "2026-03-03T00:00:00", "Midnight again: the next day already.")
    assert qa.participation(qa.parse_range("2026-03-02", "2026-03-02")).posts == [2]
    assert qa.participation(qa.parse_range("2026-03-01", "2026-03-03")).posts == [1, 2, 1]


def test_daylight_saving_day_has_23_hours_of_posts(app):
    # New York springs forward on 8 Mar 2026: that day runs 05:00Z to 04:00Z next day.
    writer, reader = person("walter", "2026-01-01T00:00"), person("rita", "2026-01-01T00:00")
    thread = thread_at(writer, make_forum("general"), "2026-03-09T03:30", "Late evening, EDT")
    reply_at(reader, thread, "2026-03-09T04:30", "Half past midnight, EDT.")
    p = qa.participation(qa.parse_range("2026-03-08", "2026-03-09", "America/New_York"))
    assert p.posts == [1, 1]


def test_participation_of_the_known_community(app):
    known_community()
    p = qa.participation(march())
    assert p.days[0] == date(2026, 3, 1) and len(p.days) == 7
    # Threads: trip (1st); Q1 (2nd); Q2, i2 (3rd); Q3, i3 (4th); Q4 (5th). i1 is February's.
    assert p.threads == [1, 1, 2, 2, 1, 0, 0]
    # Posts: openings as above, plus replies: Q1 x2 and the trip reply (2nd), Q2 x2 (3rd),
    # Q4 x1 (5th). Status updates and other service posts are dated now, outside March.
    assert p.posts == [1, 4, 4, 2, 2, 0, 0]
    # Votes: i1 bob (2nd), carol (3rd); i2 alice, carol (4th), dave (5th); i3 alice (6th);
    # and alice's helpful vote on bob's answer (2nd). sam's February vote is outside.
    assert p.votes == [0, 2, 1, 2, 1, 1, 0]
    # alice, dave and sam were members before 1 Mar; bob joined on the 2nd, carol the 3rd.
    assert p.new_members == [0, 1, 1, 0, 0, 0, 0]
    assert p.members == [3, 4, 5, 5, 5, 5, 5] and p.members_total == 5


def test_daily_weekly_and_monthly_active_members(app):
    known_community()
    p = qa.participation(march())
    # alice 1, 2, 5 Mar; bob 2, 3; carol 3, 4, 6; dave 25 Feb; sam 15 Jan.
    assert p.dau == [1, 2, 2, 1, 1, 1, 0]
    # 7 days up to each day: dave's 25 Feb counts up to 3 Mar.
    assert p.wau == [2, 3, 4, 3, 3, 3, 3]
    # 30 days up to each day: sam's 15 Jan never does.
    assert p.mau == [2, 3, 4, 4, 4, 4, 4]
    assert p.active == 3


def test_one_forum_counts_only_its_threads_posts_and_votes(app):
    c = known_community()
    p = qa.participation(march(c.help))
    assert p.threads == [0, 1, 1, 1, 1, 0, 0]
    assert p.posts == [0, 3, 3, 1, 2, 0, 0]
    assert p.votes == [0, 1, 0, 0, 0, 0, 0]
    assert p.members_total == 5  # members are the whole community's


# --- support health ----------------------------------------------------------------------

def test_support_health_of_the_known_community(app):
    c = known_community()
    s = qa.support_health(march())
    assert s.questions == 4 and s.solved == 2 and s.solved_rate == 0.5
    assert s.asked == [0, 1, 1, 1, 1, 0, 0] and s.solved_per_day == [0, 1, 1, 0, 0, 0, 0]
    # First replies by others: Q1 30 min, Q2 4 h (the asker's own 10 min follow-up does not
    # count), Q4 6 h. Median of 1800, 14400, 21600.
    assert s.answered_count == 3 and s.median_first_reply == 14400
    # First staff replies: Q1 2 h, Q2 4 h; the moderator's answer to Q4 is not staff's.
    assert s.staff_answered_count == 2 and s.median_first_staff_reply == 10800
    assert s.unanswered_count == 1 and [t.id for t in s.unanswered] == [c.questions[2].id]


def test_answers_by_the_community_and_by_staff(app):
    known_community()
    a = qa.answer_share(march())
    # bob (Q1) and dave (Q4) vs sam twice; bob's own follow-up on his question is left out.
    assert (a.community_replies, a.staff_replies, a.community_share) == (2, 2, 0.5)
    assert (a.community_solutions, a.staff_solutions, a.community_solution_share) == (1, 1, 0.5)


def test_a_narrower_range_leaves_out_questions_asked_outside_it(app):
    known_community()
    s = qa.support_health(qa.parse_range("2026-03-04", "2026-03-05"))
    assert s.questions == 2 and s.solved == 0 and s.solved_rate == 0.0
    assert s.median_first_reply == 21600 and s.median_first_staff_reply is None
    assert s.unanswered_count == 1


# --- satisfaction ------------------------------------------------------------------------

def test_nps_of_known_scores():
    assert qa.nps_groups([10, 10, 9, 8, 7, 6, 2]).score == pytest.approx(100 / 7)
    assert qa.nps_groups([9, 10]).score == 100
    assert qa.nps_groups([0, 6]).score == -100
    assert qa.nps_groups([7, 8]).score == 0
    groups = qa.nps_groups([10, 9, 8, 7, 6, 5, 0])
    assert (groups.promoters, groups.passives, groups.detractors) == (2, 2, 3)
    assert groups.score == pytest.approx(100 * (2 - 3) / 7)
    assert qa.nps_groups([]).score is None


def test_satisfaction_of_the_known_community(app):
    c = known_community()
    sat = qa.satisfaction(march())
    nps = sat.nps.total
    assert (nps.promoters, nps.passives, nps.detractors) == (3, 2, 2)
    assert nps.score == pytest.approx(100 * (3 - 2) / 7)
    assert [g.responses for g in sat.nps.per_period] == [1, 1, 1, 1, 1, 1, 1]
    assert [g.score for g in sat.nps.per_period] == [100, 100, 100, 0, 0, -100, -100]
    assert sat.nps.distribution[0] == 0  # both zeros fall outside
    assert sat.csat.distribution == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}
    assert sat.csat.average == 4.0 and sat.csat.satisfied_rate == 0.5
    assert sat.csat.period_averages == [None, 5.0, None, 3.0, None, None, None]
    assert [(m.survey, m.score, m.comment) for m in sat.comments] == [
        ("nps", 2, "Too slow"), ("csat", 5, "Bob saved my trip"), ("nps", 10, "Great community")]
    assert sat.comments[1].thread.id == c.questions[0].id


def test_csat_for_one_forum_and_nps_for_everyone(app):
    c = known_community()
    sat = qa.satisfaction(march(c.general))
    assert sat.csat.responses == 0 and sat.csat.average is None
    assert sat.nps.total.responses == 7


def test_long_ranges_group_satisfaction_by_7_days(app):
    known_community()
    rng = qa.parse_range("2026-02-01", "2026-03-31")
    sat = qa.satisfaction(rng)
    assert rng.period_days == 7 and len(rng.periods) == 9
    assert rng.periods[4] == (date(2026, 3, 1), date(2026, 3, 7))
    # 1-7 Mar: the seven answers in the range; 22-28 Feb: the early zero; 8-14 Mar: the late one.
    assert [g.responses for g in sat.nps.per_period] == [0, 0, 0, 1, 7, 1, 0, 0, 0]
    assert sum(sat.csat.per_period[4].values()) == 2


# --- ideas -------------------------------------------------------------------------------

def test_ideas_of_the_known_community(app):
    c = known_community()
    i1, i2, i3 = c.idea_threads
    ideas = qa.ideas(march())
    # Votes cast in the range: i2 3, i1 2 (sam's February vote is outside), i3 1.
    assert [(t.thread.id, t.votes, t.thread.score) for t in ideas.top] == [
        (i2.id, 3, 3), (i1.id, 2, 3), (i3.id, 1, 1)]
    # Posted in the range: i2 (under review) and i3 (shipped); i1 was posted in February.
    assert ideas.by_status == {"open": 0, "under_review": 1, "planned": 0, "in_progress": 0,
                               "shipped": 1, "declined": 0, "duplicate": 0}
    assert [(s.thread.id, s.days) for s in ideas.shipped] == [(i1.id, 24.0), (i3.id, 2.5)]
    assert ideas.median_days_to_ship == 13.25


# --- advocates ---------------------------------------------------------------------------

def test_top_advocates_sum_the_ledger_in_the_range(app):
    c = known_community()
    adv = qa.advocates(march())
    # alice 10 + 5 and dave 15 tie (alice, the older account, first); bob 12 - 4; sam 7.
    assert [(a.user.username, a.points) for a in adv.top] == [
        ("alice", 15), ("dave", 15), ("bob", 8), ("sam", 7)]
    # Badges: helper to alice and bob, thinker to carol; dave's was revoked, alice's
    # thinker came after the range.
    assert [(b.name, n) for b, n in adv.badges] == [("Helper", 2), ("Thinker", 1)]
    assert adv.badges_awarded == 3
    help_only = qa.advocates(march(c.help))
    assert [(a.user.username, a.points) for a in help_only.top] == [
        ("alice", 10), ("bob", 8), ("sam", 7)]


# --- empty ranges ------------------------------------------------------------------------

def test_an_empty_range_gives_zeros_not_errors(app):
    known_community()
    d = qa.Dashboard(qa.parse_range("2025-06-01", "2025-06-30", "Europe/Paris"))
    p = d.participation
    assert p.posts == p.threads == p.votes == p.new_members == p.dau == [0] * 30
    assert p.members_total == 0 and p.active == 0
    s = d.support
    assert (s.questions, s.solved_rate, s.median_first_reply) == (0, None, None)
    assert d.support.unanswered == []
    assert d.satisfaction.csat.responses == 0 and d.satisfaction.csat.average is None
    assert d.satisfaction.nps.total.score is None and d.satisfaction.comments == []
    assert d.ideas.top == [] and sum(d.ideas.by_status.values()) == 0
    assert d.ideas.median_days_to_ship is None
    assert d.advocates.top == [] and d.advocates.badges_awarded == 0
    assert d.advocates.answers.community_share is None


def test_an_empty_community_gives_zeros(app):
    d = qa.Dashboard(qa.parse_range())
    assert sum(d.participation.posts) == 0 and d.participation.members_total == 0
    assert d.support.questions == 0 and d.satisfaction.nps.total.responses == 0


# --- member activity, as the receivers record it --------------------------------------------

def _activity(user) -> set[date]:
    return set(db.session.scalars(select(MemberActivity.day)
                                  .where(MemberActivity.user_id == user.id)))


def test_visits_posts_and_votes_mark_members_active_once_a_day(app):
    today = utcnow().date()
    author, voter = person("walter", "2026-01-01T00:00"), person("vera", "2026-01-01T00:00")
    assert _activity(author) == set()
    thread = make_thread(author, make_forum("ideas", kind="ideas"), "An idea worth voting on")
    assert _activity(author) == {today}
    make_reply(author, thread, "A second post the same day adds no second row.")
    assert len(db.session.scalars(select(MemberActivity)
                                  .where(MemberActivity.user_id == author.id)).all()) == 1

    feedback.vote_thread(voter, thread, 1)
    assert _activity(voter) == {today}

    db.session.execute(MemberActivity.__table__.delete())
    db.session.commit()
    feedback.vote_thread(voter, thread, 0)  # taking a vote back is not activity
    assert _activity(voter) == set()

    visitor = person("visitor", "2026-01-01T00:00")
    accounts.note_visit(visitor)
    assert _activity(visitor) == {today}


def test_a_post_held_for_review_counts_the_day_it_was_written(app):
    author = person("walter", "2026-01-01T00:00")
    thread = thread_at(author, make_forum("general"), "2026-03-01T10:00", "Old thread")
    post = reply_at(author, thread, "2026-03-02T10:00", "Written on the second of March.")
    db.session.execute(MemberActivity.__table__.delete())
    db.session.commit()
    from community.domain_events import PostPublished, record

    record(PostPublished(post))  # as approving it from the queue would
    assert _activity(author) == {date(2026, 3, 2)}

