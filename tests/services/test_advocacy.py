import random
from datetime import timedelta

import pytest

from community.errors import Conflict, Forbidden, NotFound, ValidationError
from community.extensions import db
from community.models import BadgeAward, PointEntry, PointTotal, User, utcnow
from community.queries import advocacy as qa
from community.realtime import publisher
from community.services import accounts, advocacy, feedback, forums, support

from ..factories import make_forum, make_reply, make_thread, make_user


def ledger(user):
    return [(e.action, e.points) for e in db.session.query(PointEntry)
            .filter_by(user_id=user.id).order_by(PointEntry.id)]


def points(user):
    db.session.refresh(user)
    return user.points


def test_posting_earns_points_and_the_first_post_badge(member):
    thread = make_thread(member, make_forum())
    make_reply(member, thread)
    assert ledger(member) == [("thread_started", 2), ("reply_posted", 1)]
    assert points(member) == 3
    assert [a.badge.slug for a in qa.awards_of(member)] == ["first-post"]


def test_votes_score_once_however_often_they_are_toggled(member):
    idea = make_thread(member, make_forum("ideas", kind="ideas"))
    voter = make_user("voter")
    for _ in range(5):
        feedback.vote_thread(voter, idea, 1)
        feedback.vote_thread(voter, idea, 0)
    feedback.vote_thread(voter, idea, 1)
    assert points(member) == 2 + 1
    entries = [e for e in ledger(member) if e[0] == "idea_vote_received"]
    assert sum(p for _, p in entries) == 1
    # Every undo is a reversing line: the ledger explains every point.
    assert entries == [("idea_vote_received", 1), ("idea_vote_received", -1)] * 5 + [("idea_vote_received", 1)]


def test_votes_from_new_or_suspended_accounts_earn_nothing(app_factory):
    app_factory(POINTS_MIN_VOTER_AGE_HOURS=24)
    author = make_user("author")
    idea = make_thread(author, make_forum("ideas", kind="ideas"))
    newbie = make_user("newbie")
    feedback.vote_thread(newbie, idea, 1)
    veteran = make_user("veteran")
    veteran.created_at = utcnow() - timedelta(days=30)
    suspended = make_user("banned")
    suspended.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    feedback.vote_thread(veteran, idea, 1)
    suspended.suspended_until = utcnow() + timedelta(days=1)
    db.session.commit()
    assert idea.score == 2
    assert [a for a, _ in ledger(author)] == ["thread_started", "idea_vote_received"]


def test_accepted_solution_and_first_response(member, moderator):
    question = make_thread(member, make_forum("help", kind="support"))
    helper = make_user("helper")
    first = make_reply(helper, question, "Try this")
    make_reply(moderator, question, "Or that")
    support.accept_solution(member, question, first)
    assert ledger(helper) == [("reply_posted", 1), ("first_response", 3), ("solution_accepted", 15)]
    assert "first-solution" in {a.badge.slug for a in qa.awards_of(helper)}
    support.unaccept_solution(member, question)
    assert ledger(helper)[-1] == ("solution_accepted", -15)
    assert points(helper) == 4


def test_deleting_a_post_reverses_everything_it_earned(member, moderator):
    thread = make_thread(member, make_forum())
    reply = make_reply(moderator, thread)
    feedback.vote_post(member, reply, 1)
    feedback.vote_post(make_user("fan"), reply, 1)
    assert points(moderator) == 1 + 2
    forums.delete_post(moderator, reply)
    assert points(moderator) == 0
    assert all(p < 0 for a, p in ledger(moderator)[3:])


def test_idea_statuses_earn_points_and_the_shipped_badge(member, staff):
    idea = make_thread(member, make_forum("ideas", kind="ideas"))
    feedback.set_idea_status(staff, idea, "planned")
    feedback.set_idea_status(staff, idea, "shipped")
    assert ("idea_planned", 10) in ledger(member) and ("idea_shipped", 25) in ledger(member)
    assert "idea-shipped" in {a.badge.slug for a in qa.awards_of(member)}


def test_scoring_table_is_configurable(member, admin):
    with pytest.raises(Forbidden):
        advocacy.set_scoring(member, {"reply_posted": 5})
    with pytest.raises(ValidationError):
        advocacy.set_scoring(admin, {"reply_posted": "lots"})
    with pytest.raises(ValidationError):
        advocacy.set_scoring(admin, {"made_up": 3})
    advocacy.set_scoring(admin, {"reply_posted": 5})
    make_reply(member, make_thread(admin, make_forum()))
    assert ("reply_posted", 5) in ledger(member)


def test_leaderboard_ranks_with_ties_per_period_and_forum(admin):
    a, b, c = make_user("alpha"), make_user("bravo"), make_user("charlie")
    one, two = make_forum("one"), make_forum("two")
    make_thread(a, one)          # 2
    make_thread(b, one)          # 2
    make_thread(c, two)          # 2
    make_reply(c, make_thread(admin, two))  # +1 -> 3
    board = qa.leaderboard("week")
    # admin started a thread too (2 points): ties share a rank, newest member first.
    assert [(e.rank, e.user.username, e.points) for e in board.entries] == [
        (1, "charlie", 3), (2, "bravo", 2), (2, "alpha", 2), (2, "ada", 2)]
    per_forum = qa.leaderboard("all", forum=one)
    assert {e.user.username for e in per_forum.entries} == {"alpha", "bravo"}
    assert [e.rank for e in per_forum.entries] == [1, 1]
    today = utcnow().date().isoformat()
    custom = qa.leaderboard("custom", start=today, end=today)
    assert custom.entries[0].user.username == "charlie"


@pytest.mark.parametrize("period, start, end", [
    ("year", None, None), ("custom", None, None), ("custom", "2026-02-30", "2026-03-01"),
    ("custom", "2026-03-02", "2026-03-01"), ("custom", "2020-01-01", "2026-01-01"),
])
def test_bad_periods_are_validation_errors(app, period, start, end):
    with pytest.raises(ValidationError):
        qa.leaderboard(period, start=start, end=end)


@pytest.mark.parametrize("limit", ["0", "-5", "101", "many"])
def test_bad_limits(app, limit):
    with pytest.raises(ValidationError):
        qa.check_limit(limit)


def test_custom_badges_are_granted_by_staff_and_revoked_by_admins(app, member, staff, admin):
    with pytest.raises(Forbidden):
        advocacy.create_badge(staff, "helper-of-month", "Helper of the month")
    badge = advocacy.create_badge(admin, "helper-of-month", "Helper of the month", tier="gold")
    with pytest.raises(Conflict):
        advocacy.create_badge(admin, "helper-of-month", "Again")
    with pytest.raises(ValidationError):
        advocacy.create_badge(admin, "bad slug!", "Bad", tier="platinum")
    with pytest.raises(Forbidden):
        advocacy.grant_badge(member, badge, member, "me!")
    app.extensions["presence"].user_connected(member.id, "her-socket")  # online: told live
    with publisher.capture() as sent:
        advocacy.grant_badge(staff, badge, member, "Answered 30 questions in March")
    assert [(e.name, e.rooms) for e in sent] == [("badge.awarded", (f"user:{member.id}", "leaderboard")),
                                                 ("notification", (f"user:{member.id}",))]
    with pytest.raises(Conflict):
        advocacy.grant_badge(staff, badge, member, "again")
    award = qa.get_award(badge, member)
    with pytest.raises(Forbidden):
        advocacy.revoke_badge(staff, award)
    advocacy.revoke_badge(admin, award)
    with pytest.raises(NotFound):
        qa.get_award(badge, member)
    with pytest.raises(NotFound):
        advocacy.get_badge("no-such-badge")


def test_single_badges_are_awarded_once(member):
    forum = make_forum()
    for i in range(3):
        make_thread(member, forum, title=f"Thread number {i}")
    assert db.session.query(BadgeAward).filter_by(user_id=member.id).count() == 1


def test_visit_streaks(member):
    today = utcnow().date()
    for offset in range(7, 0, -1):
        member.last_visit_on = None if offset == 7 else today - timedelta(days=offset + 1)
        db.session.commit()
        accounts._record_visit(member, today - timedelta(days=offset))
    assert member.visit_streak == 7
    assert "streak-7" in {a.badge.slug for a in qa.awards_of(member)}
    assert sum(p for a, p in ledger(member) if a == "daily_visit") == 7


def test_profile_completion_earns_welcome(member):
    accounts.update_profile(member, member, "Mia", "Hiker")
    assert "welcome" in {a.badge.slug for a in qa.awards_of(member)}


def test_month_end_top10(member):
    make_thread(member, make_forum())
    awards = advocacy.award_month_top10(utcnow().date())
    assert [a.user_id for a in awards] == [member.id]
    assert advocacy.award_month_top10(utcnow().date()) == []  # once per month


def test_month_end_refuses_a_month_that_has_not_ended(app, member):
    make_thread(member, make_forum())  # points this month
    this_month = utcnow().date().replace(day=1)
    with pytest.raises(ValidationError):
        advocacy.award_month_end(this_month)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["advocacy", "month-end", "--month", f"{this_month:%Y-%m}"])
    assert result.exit_code != 0 and "has not ended yet" in result.output
    result = runner.invoke(args=["advocacy", "month-end"])  # last month: nobody earned points
    assert result.exit_code == 0 and result.output.startswith("Awarded 0 ")
    assert "top10-month" not in {a.badge.slug for a in qa.awards_of(member)}

    # On the 1st of next month, this month has ended: its top 10 is awarded.
    following = (this_month + timedelta(days=32)).replace(day=1)
    first = utcnow().replace(year=following.year, month=following.month, day=1)
    assert [a.user_id for a in advocacy.award_month_end(now=first)] == [member.id]


def test_recompute_matches_the_live_counters_after_random_actions(staff, admin):
    rng = random.Random(7)
    people = [make_user(f"person{i}") for i in range(6)]
    forum, ideas, help_ = make_forum(), make_forum("ideas", kind="ideas"), make_forum("help", kind="support")
    threads, posts = [], []
    for step in range(120):
        actor = rng.choice(people)
        roll = rng.random()
        try:
            if roll < 0.15 or not threads:
                threads.append(make_thread(actor, rng.choice([forum, ideas, help_]), title=f"Topic {step}"))
            elif roll < 0.35:
                posts.append(make_reply(actor, rng.choice(threads), f"reply {step}"))
            elif roll < 0.6:
                feedback.vote_thread(actor, rng.choice(threads), rng.choice([0, 1]))
            elif roll < 0.8 and posts:
                feedback.vote_post(actor, rng.choice(posts), rng.choice([0, 1]))
            elif roll < 0.88 and posts:
                post = rng.choice(posts)
                support.accept_solution(post.thread.author, post.thread, post)
            elif roll < 0.94 and posts:
                post = rng.choice(posts)
                forums.delete_post(post.author, post)
            else:
                idea = rng.choice([t for t in threads if t.forum_id == ideas.id] or threads)
                feedback.set_idea_status(staff, idea, rng.choice(["planned", "shipped", "declined"]))
        except (Forbidden, ValidationError, Conflict):
            db.session.rollback()
    live = {(t.user_id, t.period, t.period_start, t.forum_id): t.points
            for t in db.session.query(PointTotal)}
    user_points = {u.id: u.points for u in db.session.query(User)}
    result = advocacy.recompute_totals()
    assert result["differences"] == 0
    db.session.expire_all()
    assert {(t.user_id, t.period, t.period_start, t.forum_id): t.points
            for t in db.session.query(PointTotal)} == live
    assert {u.id: u.points for u in db.session.query(User)} == user_points
    ledger_sum = {}
    for e in db.session.query(PointEntry):
        ledger_sum[e.user_id] = ledger_sum.get(e.user_id, 0) + e.points
    assert all(user_points.get(uid, 0) == pts for uid, pts in ledger_sum.items())


def test_recompute_repairs_tampered_totals(member):
    make_thread(member, make_forum())
    db.session.query(PointTotal).filter_by(user_id=member.id, period="all").update({"points": 999})
    db.session.commit()
    assert advocacy.recompute_totals()["differences"] > 0
    assert advocacy.recompute_totals()["differences"] == 0


def test_rank_titles(member):
    assert advocacy.rank_for(0) == "Newcomer" and advocacy.rank_for(50) == "Contributor"
    assert advocacy.rank_for(1000) == "Champion"
