"""Typed SQLAlchemy models; importing this package registers every table on Base.metadata."""

from .base import Base, utcnow
from .feedback import (CsatRating, IdeaStatus, Notification, NpsResponse, Poll, PollBallot,
                       PollOption, PostVote, StatusChange, ThreadFollow, ThreadVote)
from .forum import Forum, ForumKind, Mention, Post, PostRevision, PostState, Tag, Thread, ThreadTag
from .site import Setting
from .user import ApiToken, Role, User

__all__ = [
    "CsatRating", "IdeaStatus", "Notification", "NpsResponse", "Poll", "PollBallot", "PollOption",
    "PostVote", "StatusChange", "ThreadFollow", "ThreadVote",
    "ApiToken", "Base", "Forum", "ForumKind", "Mention", "Post", "PostRevision", "PostState",
    "Role", "Setting", "Tag", "Thread", "ThreadTag", "User", "utcnow",
]
