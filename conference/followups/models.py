from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.contacts.models import Connection
from conference.events.models import utcnow
from conference.extensions import db


class FollowUp(db.Model):
    """Something `owner` means to do about one of their contacts, maybe by a date."""

    __table_args__ = (Index("ix_follow_up_owner_open", "owner_id", "done_at", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date | None]
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    connection: Mapped[Connection] = relationship()

    @property
    def done(self) -> bool:
        return self.done_at is not None
