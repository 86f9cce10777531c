from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.attendees.models import Attendee
from conference.events.models import utcnow
from conference.extensions import db


class Connection(db.Model):
    """A contact that `owner` saved: `contact`, with the owner's private note and tags."""

    __table_args__ = (
        UniqueConstraint("owner_id", "contact_id"),
        CheckConstraint("owner_id <> contact_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    # NULL once the contact deleted their account: the owner keeps a "removed attendee" row and their note.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="SET NULL"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # The owner's tags in the order typed, a JSON list in the column "tags"; `tags` is the same as text.
    tag_list: Mapped[list[str]] = mapped_column("tags", JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner: Mapped[Attendee] = relationship(foreign_keys=[owner_id])
    contact: Mapped[Attendee | None] = relationship(foreign_keys=[contact_id])

    @property
    def removed(self) -> bool:
        """The contact deleted their account; only the owner's note and tags are left."""
        return self.contact_id is None

    @property
    def tags(self) -> str:
        """The tags as a person types them, comma-joined: "scheduling,mentor" (set it the same way)."""
        return ",".join(self.tag_list)

    @tags.setter
    def tags(self, text: str) -> None:
        self.tag_list = split_tags(text)


def split_tags(text: str) -> list[str]:
    """'scheduling,mentor' -> ['scheduling', 'mentor']: the stored list behind a comma-joined text."""
    return [tag for tag in (text or "").split(",") if tag]
