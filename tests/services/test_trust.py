"""Trust levels: earned from activity (rising only), set and reset by moderators."""

from datetime import timedelta

import pytest
from flask import current_app

from community.config import DEFAULTS
from community.errors import Forbidden, ValidationError
from community.extensions import db
from community.models import AuditEntry, Role, utcnow
from community.services import feedback, forums, moderation, trust

from ..factories import make_forum, make_reply, make_thread, make_user

NEEDS = trust.thresholds(DEFAULTS)


def activity(days=0, visited=0, posts=0, likes=0, moderated=None):
    return trust.Activity(days_since_joined=days, days_visited=visited, posts=posts,
                          likes_received=likes, days_since_moderated=moderated)


@pytest.mark.parametrize("act, level", [
    (activity(), 0),
    (activity(days=1, visited=2, posts=1), 1),
    (activity(days=1, visited=2, posts=0), 0),
    (activity(days=7, visited=7, posts=5, likes=3), 2),
    (activity(days=7, visited=7, posts=5, likes=3, moderated=10), 1),  # moderated recently
    (activity(days=7, visited=7, posts=5, likes=3, moderated=31), 2),
    (activity(days=30, visited=25, posts=25, likes=20), 3),
    (activity(days=30, visited=25, posts=25, likes=19), 2),
    (activity(days=365, visited=300, posts=500, likes=500), 4),
    # Levels are climbed in order: plenty of likes cannot skip the visits level 1 needs.
    (activity(days=365, visited=1, posts=500, likes=500), 0),
])
def test_earned_level_meets_every_threshold_of_each_level(act, level):
    assert trust.earned_level(act, NEEDS) == level


def test_thresholds_are_configurable(app):
    current_app.config["TRUST_THRESHOLDS"] = {"1": {"posts": 2}}
    needs = trust.thresholds(current_app.config)
    assert needs[1] == {"days_since_joined": 0, "days_visited": 0, "posts": 2,
                        "likes_received": 0, "clean_days": 0}
    assert trust.earned_level(activity(posts=2), needs) == 4  # nothing else is asked


def _established(user, days=40, visited=30):
    user.created_at = utcnow() - timedelta(days=days)
    user.days_visited = visited
    db.session.commit()


def test_publishing_counts_posts_and_raises_the_level(app, member):
    forum = make_forum()
    _established(member)
    thread = make_thread(member, forum)
    db.session.refresh(member)
    assert (member.post_count, member.trust_level) == (1, 1)
    answers = [make_reply(member, thread, f"Answer number {i} with detail") for i in range(4)]
    db.session.refresh(member)
    assert (member.post_count, member.trust_level) == (5, 1)  # level 2 also needs 3 likes
    for i in range(3):
        feedback.vote_post(make_user(f"fan{i}"), answers[i], 1)
    db.session.refresh(member)
    assert (member.post_count, member.trust_level) == (5, 2)
    for post in answers:
        forums.delete_post(member, post)
    db.session.refresh(member)
    # Removing posts lowers the count, never the level.
    assert (member.post_count, member.trust_level) == (1, 2)


def test_a_new_account_earns_nothing_yet(app, member):
    thread = make_thread(member, make_forum())
    make_reply(member, thread, "More detail")
    db.session.refresh(member)
    assert (member.post_count, member.trust_level) == (2, 0)


def test_a_moderator_sets_a_level_by_hand_and_resets_it(app, member, moderator):
    moderation.set_trust_level(moderator, member, 3, "Helpful regular")
    db.session.refresh(member)
    assert (member.trust_level, member.trust_locked) == (3, True)
    # A level set by hand stays, whatever the activity.
    trust.refresh(member)
    assert member.trust_level == 3
    moderation.reset_trust_level(moderator, member)
    db.session.refresh(member)
    assert (member.trust_level, member.trust_locked) == (0, False)  # what a new member earns
    actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == ["set_trust_level", "reset_trust_level"]


def test_trust_tools_respect_roles(app, member, moderator, staff):
    with pytest.raises(Forbidden):
        moderation.set_trust_level(member, moderator, 4)
    with pytest.raises(Forbidden):
        moderation.set_trust_level(moderator, staff, 1)
    with pytest.raises(ValidationError):
        moderation.set_trust_level(moderator, moderator, 4)
    with pytest.raises(ValidationError):
        moderation.set_trust_level(moderator, member, 5)
    db.session.refresh(member)
    assert member.trust_level == 0 and not member.trust_locked


def test_flags_weigh_by_trust_level(app, member, moderator):
    weights = current_app.config["TRUST_FLAG_WEIGHTS"]
    assert trust.flag_weight(member, current_app.config) == weights[0]
    member.trust_level = 3
    assert trust.flag_weight(member, current_app.config) == weights[3]
    assert trust.flag_weight(moderator, current_app.config) == weights[4]
    assert make_user("olga", role=Role.MEMBER).trust_level == 0
