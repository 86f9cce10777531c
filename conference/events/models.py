from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from conference.extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Conference(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    venue: Mapped[str] = mapped_column(String(200), default="")
    joining_open: Mapped[bool] = mapped_column(default=True)
    # After closes_on, joining and saving new contacts are refused; after retain_until the
    # attendees' data is deleted (flask retention-run).
    closes_on: Mapped[date | None]
    retain_until: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def dates_label(self) -> str:
        """'July 9–11, 2026' style, or '' when the dates are not set."""
        if not self.starts_on:
            return ""
        start, end = self.starts_on, self.ends_on or self.starts_on
        if start == end:
            return f"{start:%B} {start.day}, {start.year}"
        if (start.year, start.month) == (end.year, end.month):
            return f"{start:%B} {start.day}–{end.day}, {start.year}"
        return f"{start:%B} {start.day} – {end:%B} {end.day}, {end.year}"
