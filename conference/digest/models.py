from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from conference.events.models import utcnow
from conference.extensions import db


class DigestDelivery(db.Model):
    """A digest handed to the mail server: one per attendee, ever (re-running sends nothing twice)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), unique=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
