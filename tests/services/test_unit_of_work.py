import pytest

from community.errors import Conflict
from community.extensions import db
from community.models import User
from community.realtime import publisher
from community.services.unit import use_case

from ..factories import make_user


@use_case
def _rename_and_announce(user, name, fail=False):
    user.display_name = name
    publisher.publish("user.renamed", {"id": user.id, "name": name}, f"user:{user.id}")
    if fail:
        raise Conflict("changed my mind")


def test_events_are_sent_after_commit(app):
    user = make_user("eve")
    with publisher.capture() as sent:
        _rename_and_announce(user, "Eve")
    assert [(e.name, e.rooms, e.payload) for e in sent] == [
        ("user.renamed", (f"user:{user.id}",), {"id": user.id, "name": "Eve"})]


def test_a_rolled_back_use_case_writes_and_sends_nothing(app):
    user = make_user("eve")
    with publisher.capture() as sent, pytest.raises(Conflict):
        _rename_and_announce(user, "Eve", fail=True)
    assert sent == []
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == ""


def test_payloads_must_be_json(app):
    user = make_user("eve")
    with pytest.raises(TypeError):
        _rename_and_announce(user, object())


def test_nested_use_cases_share_one_transaction(app):
    @use_case
    def outer():
        make_user("first")
        make_user("second!")  # invalid username: the whole outer use case rolls back

    with pytest.raises(Exception):
        outer()
    assert db.session.query(User).count() == 0
