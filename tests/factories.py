"""Helpers that make domain objects through the services, as the app itself would."""

from community.models import Role
from community.services import accounts

PASSWORD = "a long test passphrase"


def make_user(username: str, role: Role = Role.MEMBER, password: str = PASSWORD):
    return accounts.register_user(username, f"{username}@example.com", password, role=role)
