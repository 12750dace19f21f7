"""Typed SQLAlchemy models; importing this package registers every table on Base.metadata."""

from .base import Base, utcnow
from .forum import Forum, ForumKind, Mention, Post, PostRevision, PostState, Tag, Thread, ThreadTag
from .site import Setting
from .user import ApiToken, Role, User

__all__ = [
    "ApiToken", "Base", "Forum", "ForumKind", "Mention", "Post", "PostRevision", "PostState",
    "Role", "Setting", "Tag", "Thread", "ThreadTag", "User", "utcnow",
]
