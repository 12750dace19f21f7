"""Keeping the community clean: flags, the review queue, watched words and the audit log."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped
from .forum import Post
from .user import User


class Flag(Timestamped, Base):
    __tablename__ = "flag"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))  # spam, abusive, off_topic, other
    note: Mapped[str] = mapped_column(Text, default="")
    # Flags from members with more trust weigh more.
    weight: Mapped[int] = mapped_column(default=1)
    resolved_at: Mapped[datetime | None]


class ReviewItem(Timestamped, Base):
    """A post waiting for a moderator: held before publishing, or flagged after."""

    __tablename__ = "review_item"
    __table_args__ = (Index("ix_review_item_open", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # pending, flagged
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, resolved
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(16))

    post: Mapped[Post] = relationship()
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])


class WatchedWord(Timestamped, Base):
    __tablename__ = "watched_word"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(100), unique=True)
    action: Mapped[str] = mapped_column(String(8))  # block, hold, replace
    replacement: Mapped[str] = mapped_column(String(100), default="")


class AuditEntry(Timestamped, Base):
    """Every moderator and admin action: who did what to whom, and why."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(16), default="")
    target_id: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    # JSON text with details (old and new values).
    details: Mapped[str] = mapped_column(Text, default="{}")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
