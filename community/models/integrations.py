"""Outgoing webhooks: the endpoints admins register and the log of every delivery to them."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped


class Webhook(Timestamped, Base):
    """An HTTP(S) endpoint told about the events it subscribed to, signed with its secret."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Space-separated event names, e.g. "thread.created post.created".
    events: Mapped[str] = mapped_column(String(300))
    # The HMAC key receivers verify signatures with; shown to admins, never sent.
    secret: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Content of private forums goes out only to webhooks that ask for it.
    include_private: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    @property
    def event_list(self) -> list[str]:
        return self.events.split()


class WebhookDelivery(Timestamped, Base):
    """One event for one webhook: queued in the transaction that caused it, sent by a worker.

    status is "pending" until a 2xx answer ("delivered") or the last attempt ("failed");
    next_attempt_at is when a worker may (re)try it, and doubles as the lease of a worker
    that claimed it, so two processes never send the same delivery at once.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
                      Index("ix_webhook_delivery_hook_created", "webhook_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    # A random id receivers can use to ignore a delivery they have already processed.
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    # The exact JSON body sent (and signed).
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    response_code: Mapped[int | None] = mapped_column(SmallInteger)
    # The start of the receiver's answer, or why the attempt failed.
    response_body: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None]

    webhook: Mapped[Webhook] = relationship()
