from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from conference.events.models import utcnow
from conference.extensions import db


class GeneratedFile(db.Model):
    """A file made for an organizer, with its bytes: any app server reads it, and it expires."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    mimetype: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class GeneratedFilePerson(db.Model):
    """Someone whose name or badge code is in a file: the file goes when they do."""

    file_id: Mapped[int] = mapped_column(ForeignKey("generated_file.id", ondelete="CASCADE"), primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
