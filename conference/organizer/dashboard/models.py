"""The dashboard's stored snapshot and the tallies that database triggers keep."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from conference.extensions import db


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
