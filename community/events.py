"""What follows from what: every domain event and its reactions, in the order they run.

A service records an event (community.domain_events.record) once it has made a change; the
reactions listed here run there and then, in this order, inside the service's unit of work,
so their writes commit or roll back with the change. The order is the same for every event:
points, trust, activity, notifications, audit, webhooks, live. A reaction may itself record
an event (points record RankReached and BadgeAwarded), whose reactions then run at once,
nested. Socket.IO events, whoever records them, go out through realtime.publisher only
after the commit.

create_app() installs this table (init_app); nothing else registers a reaction.
"""

from flask import Flask

from . import domain_events
from .domain_events import (AccessNarrowed, BadgeAwarded, IdeaStatusChanged, MemberJoined,
                            MembersMentioned, MemberVisited, ModerationAction, PostDeleted,
                            PostEdited, PostHeld, PostPublished, PostRemoved, PostRestored,
                            PostVoted, ProfileUpdated, RankReached, Reaction, SolutionChanged,
                            ThreadCurated, ThreadStarted, ThreadVoted)
from .realtime import revocation
from .services import advocacy, analytics, email_verification, notifications, trust, webhooks
from .services.moderation import audit, queue

REACTIONS: dict[type[domain_events.DomainEvent], tuple[Reaction, ...]] = {
    ThreadStarted: (
        advocacy.score_thread_started,
        trust.count_post_added,
        analytics.note_post_activity,
        notifications.notify_new_thread,
        webhooks.announce_thread,
    ),
    PostPublished: (
        advocacy.score_post_published,
        trust.count_post_added,
        analytics.note_post_activity,
        notifications.notify_new_post,
        webhooks.announce_post,
    ),
    PostRemoved: (
        advocacy.unscore_removed_post,
        trust.count_post_removed,
    ),
    PostRestored: (
        advocacy.rescore_restored_post,
        trust.count_post_added,
    ),
    PostHeld: (
        queue.queue_held_post,
    ),
    PostEdited: (
        audit.audit_post_edit,
    ),
    PostDeleted: (
        queue.settle_deleted_post,
        audit.audit_post_deletion,
    ),
    ThreadCurated: (
        audit.audit_curation,
    ),
    MembersMentioned: (
        notifications.notify_mentioned,
    ),
    ThreadVoted: (
        advocacy.score_thread_vote,
        trust.refresh_voted_author,
        analytics.note_vote_activity,
    ),
    PostVoted: (
        advocacy.score_post_vote,
        trust.refresh_voted_author,
        analytics.note_vote_activity,
    ),
    SolutionChanged: (
        advocacy.score_solution,
        notifications.notify_solution,
        audit.audit_solution_by_staff,
        webhooks.announce_solution,
    ),
    IdeaStatusChanged: (
        advocacy.score_idea_status,
        notifications.notify_idea_status,
        audit.audit_idea_status,
        webhooks.announce_idea_status,
    ),
    MemberVisited: (
        advocacy.score_visit,
        trust.refresh_visitor,
        analytics.note_visit,
    ),
    BadgeAwarded: (
        notifications.notify_badge,
        audit.audit_badge_grant,
        webhooks.announce_badge,
    ),
    RankReached: (
        notifications.notify_rank,
    ),
    MemberJoined: (
        email_verification.confirm_new_member,
        webhooks.announce_member,
    ),
    ProfileUpdated: (
        advocacy.award_complete_profile,
    ),
    ModerationAction: (
        notifications.notify_moderation,
    ),
    AccessNarrowed: (
        revocation.recheck_after_commit,
    ),
}


def init_app(app: Flask) -> None:
    """Install the reactions above (create_app does it; doing it again changes nothing)."""
    domain_events.install(REACTIONS)
