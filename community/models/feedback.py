"""Votes, idea statuses, follows, accepted solutions, satisfaction (CSAT, NPS) and polls."""

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, utcnow
from .user import User


class IdeaStatus(enum.StrEnum):
    OPEN = "open"
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SHIPPED = "shipped"
    DECLINED = "declined"
    DUPLICATE = "duplicate"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class ThreadVote(Timestamped, Base):
    """One member's vote for a thread (an idea); the thread's score counts them."""

    __tablename__ = "thread_vote"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"),
                                           primary_key=True, index=True)


class PostVote(Timestamped, Base):
    """One member's "helpful" vote on a post; the post's score counts them."""

    __tablename__ = "post_vote"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)


class StatusChange(Timestamped, Base):
    """An idea's status history: who moved it, from what, to what, and the public note."""

    __tablename__ = "status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    # The official update post carrying the note, shown in the thread.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="SET NULL"))

    actor: Mapped[User] = relationship()


class ThreadFollow(Timestamped, Base):
    __tablename__ = "thread_follow"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"),
                                           primary_key=True, index=True)
    # watching: every post; tracking: mentions and status changes; muted: nothing.
    level: Mapped[str] = mapped_column(String(10), default="watching")


class Notification(Timestamped, Base):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    # A short, already-rendered plain-text line ("Sam marked your idea Planned: …").
    message: Mapped[str] = mapped_column(Text, default="")
    read_at: Mapped[datetime | None]
    # Unread notifications with the same key are shown as one ("3 new replies in …").
    group_key: Mapped[str] = mapped_column(String(80), default="", server_default="")
    count: Mapped[int] = mapped_column(default=1, server_default="1")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class CsatRating(Base):
    """The asker's satisfaction with the help on a solved support thread (1–5), once per thread."""

    __tablename__ = "csat_rating"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NpsResponse(Timestamped, Base):
    """How likely a member is to recommend the brand (0–10), at most once per 90 days."""

    __tablename__ = "nps_response"
    __table_args__ = (
        CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
        Index("ix_nps_response_user_created", "user_id", "created_at"),
        Index("ix_nps_response_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")


class Poll(Timestamped, Base):
    __tablename__ = "poll"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), unique=True)
    question: Mapped[str] = mapped_column(String(200))
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    closes_at: Mapped[datetime | None]
    # "always", "after_vote" or "after_close": when members may see the results.
    results: Mapped[str] = mapped_column(String(12), default="after_vote")
    voter_count: Mapped[int] = mapped_column(default=0)

    thread: Mapped["Thread"] = relationship()  # noqa: F821  (models.forum)
    options: Mapped[list["PollOption"]] = relationship(order_by="PollOption.position",
                                                       back_populates="poll")


class PollOption(Base):
    __tablename__ = "poll_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    position: Mapped[int]
    vote_count: Mapped[int] = mapped_column(default=0)

    poll: Mapped[Poll] = relationship(back_populates="options")


class PollBallot(Timestamped, Base):
    """One member's choice of one option (several rows for a multiple-choice poll)."""

    __tablename__ = "poll_ballot"

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("poll_option.id", ondelete="CASCADE"),
                                           primary_key=True)
