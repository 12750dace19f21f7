"""The registry of domain events: every event has its reactions, in one order, once."""

import inspect

import pytest

from community import domain_events, events
from community.realtime import revocation
from community.services import (advocacy, analytics, email_verification, moderation, notifications,
                                trust, webhooks)

# points, trust, activity, notifications, audit, webhooks, live
ORDER = [advocacy, trust, analytics, notifications, moderation, webhooks, revocation]
EVENT_TYPES = set(domain_events.DomainEvent.__subclasses__())


def _place(reaction) -> int:
    module = inspect.getmodule(reaction)
    if module.__name__.startswith(moderation.__name__ + "."):
        module = moderation  # a module of the moderation package (its queue, its audit log)
    if module is email_verification:
        module = notifications  # an email to the member: the notifications slot
    return ORDER.index(module)


def test_every_event_type_names_its_reactions():
    assert set(events.REACTIONS) == EVENT_TYPES
    for kind, reactions in events.REACTIONS.items():
        assert reactions, kind
        assert len(set(reactions)) == len(reactions), kind
        for react in reactions:
            # A plain public function of its module, which the registry names.
            module = inspect.getmodule(react)
            assert getattr(module, react.__name__) is react and not react.__name__.startswith("_")


def test_reactions_run_points_trust_activity_notifications_audit_webhooks_live():
    for kind, reactions in events.REACTIONS.items():
        places = [_place(r) for r in reactions]
        assert places == sorted(places), kind


def test_installing_twice_registers_each_reaction_once(app):
    events.init_app(app)
    events.init_app(app)
    for kind in EVENT_TYPES:
        assert domain_events.reactions_to(kind) == events.REACTIONS[kind]


def test_recording_without_the_registry_fails_loudly(monkeypatch):
    monkeypatch.setattr(domain_events, "_reactions", None)
    with pytest.raises(RuntimeError, match="create_app"):
        domain_events.record(domain_events.AccessNarrowed(user_id=1))


def test_recorded_events_can_be_captured(app):
    seen = []

    def react(event):
        seen.append(event)

    domain_events.install(events.REACTIONS | {domain_events.AccessNarrowed: (react,)})
    try:
        with domain_events.capture() as recorded:
            domain_events.record(domain_events.AccessNarrowed(thread_id=7))
    finally:
        events.init_app(app)
    assert recorded == seen == [domain_events.AccessNarrowed(thread_id=7)]
