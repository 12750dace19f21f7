from datetime import timedelta

import pytest

from community import permissions
from community.errors import Forbidden, NotAuthenticated
from community.models import utcnow
from community.permissions import Anonymous


@pytest.mark.parametrize("action, allowed", [
    ("moderate", {"moe", "stella", "ada"}),
    ("act_as_staff", {"stella", "ada"}),
    ("administer", {"ada"}),
    ("set_role", {"ada"}),
])
def test_role_ladder(member, moderator, staff, admin, action, allowed):
    people = [member, moderator, staff, admin]
    assert {u.username for u in people if permissions.can(u, action)} == allowed
    assert not permissions.can(Anonymous(), action)


def test_require_explains_why(member, admin):
    with pytest.raises(NotAuthenticated):
        permissions.require(Anonymous(), "moderate")
    with pytest.raises(Forbidden, match="not allowed"):
        permissions.require(member, "moderate")
    admin.suspended_until = utcnow() + timedelta(days=1)
    with pytest.raises(Forbidden, match="suspended"):
        permissions.require(admin, "administer")


def test_members_edit_only_their_own_profile(member, moderator, admin):
    assert permissions.can(member, "edit_profile", member)
    assert not permissions.can(member, "edit_profile", moderator)
    assert permissions.can(admin, "edit_profile", member)
