"""A badge print job: a PDF being made in the background, and its layouts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from conference.events.models import utcnow
from conference.extensions import db

JOB_STATES = ("queued", "running", "done", "failed")
IN_PROGRESS = ("queued", "running")  # a job waiting for a worker or being made
LAYOUTS = {"sheet": "4 × 3 in inserts, six to a US Letter page", "single": "One 4 × 3 in badge a page (badge printer)"}


class BadgeJob(db.Model):
    """A badge PDF being made in the background; progress lives here so any worker can report it."""

    __table_args__ = (
        CheckConstraint(f"state IN ({', '.join(repr(s) for s in JOB_STATES)})", name="known_state"),
        CheckConstraint(f"layout IN ({', '.join(repr(s) for s in LAYOUTS)})", name="known_layout"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("organizer.id", ondelete="SET NULL"))
    layout: Mapped[str] = mapped_column(String(8), default="sheet")
    description: Mapped[str] = mapped_column(String(200), default="")
    # The chosen attendees' ids in badge order (a JSON list), fixed when the job is made.
    attendee_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(8), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    # The finished PDF (conference/files). The job goes with it (its description may name people) when
    # the PDF expires or someone on it is deleted.
    file_id: Mapped[int | None] = mapped_column(ForeignKey("generated_file.id", ondelete="CASCADE"))
    attempts: Mapped[int] = mapped_column(default=0)   # runs started: a worker that died mid-way is retried
    error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def ids(self) -> list[int]:
        return [int(i) for i in self.attendee_ids or []]

    @property
    def in_progress(self) -> bool:
        """Waiting for a worker or being made."""
        return self.state in IN_PROGRESS

    @property
    def percent(self) -> int:
        return 100 if self.state == "done" else int(100 * self.done / self.total) if self.total else 0

    @property
    def layout_label(self) -> str:
        return LAYOUTS.get(self.layout, self.layout)
