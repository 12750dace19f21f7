"""Typed SQLAlchemy models; importing this package registers every table on Base.metadata."""

from .base import Base, utcnow
from .site import Setting
from .user import ApiToken, Role, User

__all__ = ["ApiToken", "Base", "Role", "Setting", "User", "utcnow"]
