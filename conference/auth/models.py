from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.attendees.models import Attendee
from conference.events.models import utcnow
from conference.extensions import db


class SignInToken(db.Model):
    """A one-time sign-in link, for an attendee or an organizer. Only the SHA-256 of the token is stored."""

    __table_args__ = (
        CheckConstraint("(attendee_id IS NULL) <> (organizer_id IS NULL)", name="one_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("organizer.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    next_path: Mapped[str] = mapped_column(String(300), default="")
    # A link that confirms a change of email: opening it makes this the attendee's address.
    new_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    attendee: Mapped[Attendee | None] = relationship()
    organizer: Mapped["Organizer | None"] = relationship()  # noqa: F821  (conference.organizer.access.models)
