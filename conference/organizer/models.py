"""Organizers of one conference, their registrant imports and badge print jobs."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.events.models import Conference, utcnow
from conference.extensions import db

JOB_STATES = ("queued", "running", "done", "failed")
IN_PROGRESS = ("queued", "running")  # a job waiting for a worker or being made
LAYOUTS = {"sheet": "4 × 3 in inserts, six to a US Letter page", "single": "One 4 × 3 in badge a page (badge printer)"}


class Organizer(db.Model):
    """Association staff who run one conference. Rights are per conference, matched by email."""

    __table_args__ = (UniqueConstraint("conference_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("organizer.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conference: Mapped[Conference] = relationship(lazy="joined")


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


class DashboardSnapshot(db.Model):
    """The dashboard's figures as last computed, shared by every app worker: screens polling every few
    seconds are served from here, and at most one worker recomputes it at a time."""

    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), primary_key=True)
    computed_at: Mapped[datetime]
    refreshing_since: Mapped[datetime | None]
    figures: Mapped[dict] = mapped_column(JSON)  # a stats.Dashboard, as snapshots.encode writes it


class ConnectionTally(db.Model):
    """Connections counted by the hour they were saved and the two people's roles (tallies.py).

    Database triggers on `connection` and `attendee` add a row of +1 or -1 (or ±k when a role
    changes) with every change, so saving never waits on a shared counter; a key's current count is
    the sum of its rows, and `tallies.fold` merges them now and then."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    hour: Mapped[datetime]                               # UTC, truncated to the hour
    owner_role: Mapped[str] = mapped_column(String(32))
    contact_role: Mapped[str] = mapped_column(String(32))  # "" once the contact deleted their account
    n: Mapped[int]


class AttendeeTally(db.Model):
    """Contacts each attendee saved and people who saved them, kept like ConnectionTally."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    saved: Mapped[int]
    saved_by: Mapped[int]
