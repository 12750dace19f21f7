"""Engagement analytics: who was active on which day, and the indexes the dashboard reads by.

Every figure is defined in docs/insights.md; queries/analytics.py computes them.
"""

from datetime import date

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base
from .feedback import PostVote, ThreadVote
from .forum import Post, Thread
from .user import User


class MemberActivity(Base):
    """A member was active on a UTC day: visited, posted or voted (one row per member and day).

    Kept by reactions to domain events (services/analytics.py), so daily, weekly and
    monthly active members can be counted for any past day.
    """

    __tablename__ = "member_activity"
    __table_args__ = (Index("ix_member_activity_day", "day", "user_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)


# Per-day counts read a range of created_at; these indexes make that a range scan of an
# index holding every column the count needs, whatever the size of the table. They belong
# to the dashboard, so they are declared here rather than next to each table's model.
Index("ix_post_created_state", Post.created_at, Post.state, Post.thread_id)
Index("ix_thread_created", Thread.created_at)
Index("ix_thread_vote_created", ThreadVote.created_at, ThreadVote.thread_id)
Index("ix_post_vote_created", PostVote.created_at, PostVote.post_id)
Index("ix_user_created", User.created_at)
