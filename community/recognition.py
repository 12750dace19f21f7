"""The advocate programme's rules that reads and writes share: ranks, badge tiers, scoring
periods and why a badge was awarded.

Pure functions over models (and community.visibility), below both services.advocacy, which
writes points and awards, and the queries and serializers that show them.
"""

from datetime import date, timedelta

from . import visibility
from .models import BadgeAward

RANKS = [(0, "Newcomer"), (50, "Contributor"), (250, "Expert"), (1000, "Champion")]
TIER_ORDER = {"gold": 0, "silver": 1, "bronze": 2}
BADGE_TIERS = tuple(TIER_ORDER)
# Rule awards about a thread: the reason stored (neutral: an award is shown on public pages,
# and the thread may be private, held or hidden, or become so later) and the reason shown
# to whoever may read the thread, with its title (see award_reason).
THREAD_REASONS = {
    "first-solution": ("Gave a first accepted solution.", "Solved “{title}”."),
    "idea-shipped": ("Suggested an idea the brand shipped.", "“{title}” shipped."),
}


def rank_for(points: int) -> str:
    """The rank title a member with `points` holds."""
    return [name for floor, name in RANKS if points >= floor][-1]


def period_starts(day: date) -> dict[str, date]:
    """The first day of each period containing `day` (weeks start on Monday)."""
    return {"day": day, "week": day - timedelta(days=day.weekday()),
            "month": day.replace(day=1), "all": date(2000, 1, 1)}


def award_reason(award: BadgeAward, viewer=None, *, private_forums: bool = False) -> str:
    """Why the member got the award, as `viewer` may read it (without one: as everyone may).

    An award about a thread names it (its title, as it is now) only for whoever may read
    the thread; everyone else reads the neutral reason stored. `private_forums`: for
    webhooks that asked for private content.
    """
    titled = THREAD_REASONS.get(award.badge.slug, ("", ""))[1]
    thread = award.thread
    if thread is None or not titled or award.awarded_by_id is not None:
        return award.reason
    readable = visibility.may_read(viewer, thread) if viewer is not None \
        else visibility.is_public(thread, private_forums=private_forums)
    return titled.format(title=thread.title) if readable else award.reason
