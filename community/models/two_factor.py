"""Two-factor authentication: a member's TOTP secret and their single-use recovery codes."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .user import User


class TwoFactor(Base):
    """A member's TOTP authenticator: pending until a first code confirms it.

    The secret is stored as is: checking a code needs it (unlike a password or a token).
    """

    __tablename__ = "two_factor"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None while the member has not yet confirmed the secret with a first code.
    confirmed_at: Mapped[datetime | None]
    # The last 30-second time step a code was accepted for: that code, and older ones, are spent.
    last_step: Mapped[int] = mapped_column(default=0, server_default="0")
    # Wrong codes since the last success; at the limit every code is refused until locked_until.
    failed_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def is_enabled(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(Base):
    """One single-use recovery code; only its sha256 is kept, as for API tokens."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None]
