"""The advocate programme: the points ledger, period totals, scoring rules and badges."""

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped
from .forum import Thread
from .user import User


class ScoringRule(Base):
    """Points an action is worth, as an admin set it (defaults live in services.advocacy)."""

    __tablename__ = "scoring_rule"

    action: Mapped[str] = mapped_column(String(40), primary_key=True)
    points: Mapped[int]


class PointEntry(Timestamped, Base):
    """One line of the ledger: who earned (or lost) how many points, for what, and where."""

    __tablename__ = "point_entry"
    __table_args__ = (
        Index("ix_point_entry_user_created", "user_id", "created_at"),
        Index("ix_point_entry_created", "created_at"),
        # A subject's net points for a member (scoring and undoing look this up).
        Index("ix_point_entry_key", "user_id", "subject_key", "action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))
    points: Mapped[int]
    # What the points are for, e.g. "post:12" or "vote:thread:3:user:9"; a reversal carries
    # the same key, so the ledger pairs every undo with what it undoes.
    subject_key: Mapped[str] = mapped_column(String(80))
    forum_id: Mapped[int | None] = mapped_column(ForeignKey("forum.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("thread.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="SET NULL"))
    reversal: Mapped[bool] = mapped_column(Boolean, default=False)


class PointTotal(Base):
    """Points per member per period (all time, a week, a month), overall and per forum.

    Kept up to date on every ledger write, so leaderboards read a few indexed rows.
    forum_id 0 means every forum together.
    """

    __tablename__ = "point_total"
    __table_args__ = (
        # The top of one period: read backwards in index order (ties newest member first),
        # no sort.
        Index("ix_point_total_board", "period", "period_start", "forum_id", "points", "user_id"),
        # Custom ranges add up day rows: covered by the index, no table reads.
        Index("ix_point_total_range", "period", "forum_id", "period_start", "user_id", "points"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)  # all, week, month, day
    period_start: Mapped[date] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    points: Mapped[int] = mapped_column(default=0)


class Badge(Timestamped, Base):
    __tablename__ = "badge"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    icon: Mapped[str] = mapped_column(String(16), default="★")
    tier: Mapped[str] = mapped_column(String(8), default="bronze")  # bronze, silver, gold
    repeatable: Mapped[bool] = mapped_column(Boolean, default=False)
    # Built-in badges are awarded by a rule in services.advocacy; custom ones by staff.
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)


class BadgeAward(Timestamped, Base):
    __tablename__ = "badge_award"
    # One award per member and badge, or per member, badge and occasion for repeatable ones.
    __table_args__ = (UniqueConstraint("badge_id", "user_id", "occasion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    badge_id: Mapped[int] = mapped_column(ForeignKey("badge.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    occasion: Mapped[str] = mapped_column(String(40), default="")
    # Never a thread's title or a post's text: those may be private, and an award is shown
    # on public profiles. Awards for a thread store a neutral reason and the thread, whose
    # title is added when shown to someone who may read it (recognition.award_reason).
    reason: Mapped[str] = mapped_column(Text, default="")
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("thread.id", ondelete="SET NULL"))
    awarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]

    badge: Mapped[Badge] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    thread: Mapped["Thread | None"] = relationship()
