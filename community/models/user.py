"""Members, their roles and trust levels, and the API tokens they hold."""

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, utcnow


class Role(enum.StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"
    STAFF = "staff"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class User(Timestamped, Base):
    __tablename__ = "user"
    __table_args__ = (CheckConstraint("trust_level BETWEEN 0 AND 4", name="trust_level_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(30))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(60), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    role: Mapped[str] = mapped_column(
        String(16), default=Role.MEMBER, server_default=Role.MEMBER.value
    )
    trust_level: Mapped[int] = mapped_column(default=0, server_default="0")
    suspended_until: Mapped[datetime | None]
    suspended_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Silenced: may read, vote and flag, but not post, until then.
    silenced_until: Mapped[datetime | None]
    silenced_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    last_seen_at: Mapped[datetime | None]
    # Advocacy: all-time points (also in point_total) and the daily visit streak.
    points: Mapped[int] = mapped_column(default=0, server_default="0")
    visit_streak: Mapped[int] = mapped_column(default=0, server_default="0")
    last_visit_on: Mapped[date | None]
    days_visited: Mapped[int] = mapped_column(default=0, server_default="0")
    # Trust: published posts so far, and whether a moderator fixed the level by hand.
    post_count: Mapped[int] = mapped_column(default=0, server_default="0")
    trust_locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Notifications: email digests (off, daily, weekly) and following what one posts in.
    digest: Mapped[str] = mapped_column(String(8), default="weekly", server_default="weekly")
    auto_follow: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # When the member confirmed their email address; until then no notification emails.
    email_verified_at: Mapped[datetime | None]
    # A new address asked for, until the link emailed to it is used (services.email_verification).
    pending_email: Mapped[str | None] = mapped_column(String(254))

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user")

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def has_role(self, role: Role) -> bool:
        return Role(self.role).rank >= role.rank

    def is_suspended(self, now: datetime | None = None) -> bool:
        return self.suspended_until is not None and self.suspended_until > (now or utcnow())

    def is_silenced(self, now: datetime | None = None) -> bool:
        return self.silenced_until is not None and self.silenced_until > (now or utcnow())

    # Flask-Login protocol
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return not self.is_suspended()

    def get_id(self) -> str:
        return str(self.id)


# Usernames are shown as typed but unique whatever their case.
Index("uq_user_username_lower", func.lower(User.username), unique=True)


class ApiToken(Timestamped, Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # sha256 of the secret: the secret itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(100), default="read write")
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class LoginSession(Base):
    """One signed-in browser: its cookie carries the key, so ending the row ends the session.

    The cookie itself is signed, not stored: without this row a copied cookie would outlive
    logout, a password change or a suspension.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # sha256 of the key in the cookie, as for API tokens.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device: Mapped[str] = mapped_column(String(200), default="")
    # The client address at sign-in (request.remote_addr, so TRUST_PROXY applies).
    address: Mapped[str] = mapped_column(String(45), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class PasswordReset(Base):
    """One emailed "choose a new password" link: single-use, expiring.

    Only the sha256 of the link's token is stored, as for API tokens, so a copy of the
    table opens no account.
    """

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")
