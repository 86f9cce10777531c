from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.contacts.models import Connection
from conference.events.models import utcnow
from conference.extensions import db


class Circle(db.Model):
    """A named group of `owner`'s contacts. Only the owner ever sees it."""

    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[CircleMember]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class CircleMember(db.Model):
    """One saved contact in a circle (a member is always one of the owner's connections)."""

    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id", ondelete="CASCADE"), primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id", ondelete="CASCADE"), primary_key=True,
                                               index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    connection: Mapped[Connection] = relationship()
