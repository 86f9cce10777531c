from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from conference.events.models import utcnow
from conference.extensions import db


class RetentionRecord(db.Model):
    """Where a conference is in its retention: told, figures kept, deleted. Outlives the attendees."""

    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), primary_key=True)
    notices_sent_on: Mapped[date | None]      # the first day attendees were told
    # The organizer's aggregate figures, computed just before the attendees' data was deleted.
    figures: Mapped[dict | None] = mapped_column(JSON)
    figures_saved_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]
    attendees_deleted: Mapped[int] = mapped_column(default=0)


class RetentionNotice(db.Model):
    """The one "your data will be deleted" email an attendee was sent."""

    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
