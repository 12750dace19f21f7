"""Forums, threads, posts, their revisions, mentions and tags."""

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, utcnow
from .user import User


class ForumKind(enum.StrEnum):
    DISCUSSION = "discussion"
    SUPPORT = "support"
    IDEAS = "ideas"


class PostState(enum.StrEnum):
    PUBLISHED = "published"
    PENDING = "pending"
    HIDDEN = "hidden"
    DELETED = "deleted"


class ThreadState(enum.StrEnum):
    PUBLISHED = "published"
    PENDING = "pending"  # its opening post waits for review
    HIDDEN = "hidden"    # hidden, rejected, emptied or merged into another thread


class Forum(Timestamped, Base):
    __tablename__ = "forum"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default=ForumKind.DISCUSSION)
    position: Mapped[int] = mapped_column(default=0)
    # Private forums are seen by moderators, staff and admins only.
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    thread_count: Mapped[int] = mapped_column(default=0)
    post_count: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime | None]
    # Every post waits for a moderator before anyone else sees it.
    premoderated: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Tag(Base):
    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")


class ThreadTag(Base):
    __tablename__ = "thread_tag"

    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True,
                                        index=True)


class Thread(Timestamped, Base):
    __tablename__ = "thread"
    __table_args__ = (
        Index("ix_thread_forum_latest", "forum_id", "pinned", "last_activity_at"),
        Index("ix_thread_forum_top", "forum_id", "pinned", "score"),
        Index("ix_thread_forum_hot", "forum_id", "pinned", "hot"),
        Index("ix_thread_forum_status_score", "forum_id", "status", "score"),
        # The newest thread of a forum, whatever is pinned (the home page).
        Index("ix_thread_forum_activity", "forum_id", "last_activity_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Published replies, not counting the opening post.
    reply_count: Mapped[int] = mapped_column(default=0)
    score: Mapped[int] = mapped_column(default=0)
    # Trending rank, stored so sorting never computes it (see services/ranking.py).
    hot: Mapped[float] = mapped_column(default=0.0)
    # Numbers the next post; posts keep their number whatever happens to others.
    last_post_number: Mapped[int] = mapped_column(default=0)
    # Ideas forums: the idea's public status; a merged duplicate points at the survivor.
    status: Mapped[str | None] = mapped_column(String(16))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("thread.id"))
    # Support forums: the accepted answer (at most one post per thread has is_solution).
    solved: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # A ThreadState: who may see it (community.visibility); changed by services.lifecycle.
    state: Mapped[str] = mapped_column(String(16), default=ThreadState.PUBLISHED,
                                       server_default="published")

    forum: Mapped[Forum] = relationship()
    author: Mapped[User] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary="thread_tag", order_by=Tag.name)


class Post(Timestamped, Base):
    __tablename__ = "post"
    __table_args__ = (
        UniqueConstraint("thread_id", "number"),
        Index("ix_post_author_created", "author_id", "created_at"),
        # The database guards "one accepted solution per thread".
        Index("uq_post_one_solution", "thread_id", unique=True,
              sqlite_where=text("is_solution"), postgresql_where=text("is_solution")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    number: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    # Rendered and sanitised once, on write; pages show this as it is.
    html: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=PostState.PUBLISHED)
    # Written by staff: shown as the brand's official answer.
    official: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[int] = mapped_column(default=0)
    edited_at: Mapped[datetime | None]
    # Counts the body's versions: an editor sends back the one it started from, so a save
    # made on a stale copy is refused instead of overwriting (services.forums.edit_post).
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    is_solution: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    thread: Mapped[Thread] = relationship()
    author: Mapped[User] = relationship()


class PostRevision(Base):
    __tablename__ = "post_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # The body as it was before this edit.
    body: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)

    editor: Mapped[User] = relationship()


class Mention(Base):
    __tablename__ = "mention"

    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
