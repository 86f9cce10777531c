from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from conference.events.models import utcnow
from conference.extensions import db


class Dismissal(db.Model):
    """`owner` does not want `dismissed` suggested again."""

    __table_args__ = (CheckConstraint("owner_id <> dismissed_id", name="not_self"),)

    owner_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), primary_key=True)
    dismissed_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), primary_key=True,
                                              index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
