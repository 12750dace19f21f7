"""Typed SQLAlchemy models; importing this package registers every table on Base.metadata."""

from .advocacy import Badge, BadgeAward, PointEntry, PointTotal, ScoringRule
from .analytics import MemberActivity  # noqa: F401
from .base import Base, utcnow
from .moderation import AuditEntry, Flag, ReviewItem, WatchedWord
from .notify import ForumFollow, NotificationPreference, OutboxEmail
from .feedback import (CsatRating, IdeaStatus, Notification, NpsResponse, Poll, PollBallot,
                       PollOption, PostVote, StatusChange, ThreadFollow, ThreadVote)
from .integrations import Webhook, WebhookDelivery  # noqa: F401
from .identity import UserIdentity  # noqa: F401
from .forum import (Forum, ForumKind, Mention, Post, PostRevision, PostState, Tag, Thread,
                    ThreadState, ThreadTag)
from .site import Setting
from .two_factor import RecoveryCode, TwoFactor
from .user import ApiToken, LoginSession, PasswordReset, Role, User

__all__ = [
    "AuditEntry", "Badge", "BadgeAward", "Flag", "ForumFollow", "NotificationPreference",
    "OutboxEmail", "PointEntry", "PointTotal", "ReviewItem", "ScoringRule", "WatchedWord",
    "CsatRating", "IdeaStatus", "Notification", "NpsResponse", "Poll", "PollBallot", "PollOption",
    "PostVote", "StatusChange", "ThreadFollow", "ThreadVote",
    "ApiToken", "Base", "Forum", "LoginSession", "ForumKind", "Mention", "PasswordReset", "Post",
    "PostRevision", "PostState", "RecoveryCode", "TwoFactor",
    "Role", "Setting", "Tag", "Thread", "ThreadState", "ThreadTag", "User", "utcnow",
]
