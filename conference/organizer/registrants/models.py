"""A registrant import, and an uploaded file waiting for its preview's go-ahead."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from conference.events.models import utcnow
from conference.extensions import db


class ImportBatch(db.Model):
    """One registrant import that created or changed rows (a no-op re-import leaves none)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("organizer.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def label(self) -> str:
        return f"Import {self.id}: {self.filename or 'registrants'} ({self.created_at:%b %d, %H:%M} UTC)"


class ImportUpload(db.Model):
    """A registrant file between its preview and the organizer's go-ahead, where every app server
    can read it. Deleted when imported or discarded; a later upload deletes it once expired."""

    id: Mapped[str] = mapped_column(String(32), primary_key=True)   # the unguessable token in its URL
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("organizer.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # The organizer's choices as last previewed: {"columns": {"<index>": "<field or empty>"}, "default_role": ""}
    choices: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
