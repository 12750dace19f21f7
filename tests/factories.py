"""Helpers that make domain objects through the services, as the app itself would."""

from community.models import Role
from community.services import accounts

PASSWORD = "a long test passphrase"


def make_user(username: str, role: Role = Role.MEMBER, password: str = PASSWORD):
    return accounts.register_user(username, f"{username}@example.com", password, role=role,
                                  verified=True)


def make_forum(slug: str = "general", kind: str = "discussion", private: bool = False, **kw):
    from community.services import forums

    return forums.create_forum(_admin(), slug, kw.pop("name", slug.title()), kind=kind,
                               private=private, **kw)


def make_thread(author, forum, title: str = "How do I waterproof my tent?",
                body: str = "The seams leak in heavy rain.", tags=()):
    from community.services import forums

    return forums.start_thread(author, forum, title, body, tags)


def make_reply(author, thread, body: str = "Try seam sealer on the inside."):
    from community.services import forums

    return forums.reply(author, thread, body)


def _admin():
    """An admin to create fixtures with (made once per test)."""
    user = accounts.find_user("fixture_admin")
    return user or make_user("fixture_admin", role=Role.ADMIN)
