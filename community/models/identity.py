"""Accounts at outside identity providers (OpenID Connect) linked to members."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .user import User


class UserIdentity(Base):
    """One provider account (`provider`, its `subject`) that signs a member in."""

    __tablename__ = "user_identity"
    # A provider account belongs to one member at most.
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The provider's name in OIDC_PROVIDERS, and the `sub` claim it gives this account.
    provider: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
