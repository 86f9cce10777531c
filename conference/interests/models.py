from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.extensions import db


class InterestsMixin:
    """offers / seeks / interest_names for anything with `interests` (rows with interest_id,
    offers, seeks and interest.name): an Attendee, or the plain person a card is read into."""

    interests: list

    @property
    def offers(self) -> dict[int, str]:
        return {ai.interest_id: ai.interest.name for ai in self.interests if ai.offers}

    @property
    def seeks(self) -> dict[int, str]:
        return {ai.interest_id: ai.interest.name for ai in self.interests if ai.seeks}

    @property
    def interest_names(self) -> dict[int, str]:
        return {ai.interest_id: ai.interest.name for ai in self.interests}


class Interest(db.Model):
    __table_args__ = (UniqueConstraint("conference_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(default=False)


class AttendeeInterest(db.Model):
    """One interest on one profile: the person can help with it, is looking for it, or both."""

    __table_args__ = (
        CheckConstraint("offers OR seeks", name="offers_or_seeks"),
        # "People to meet" walks each interest's rows in attendee order, reading offers/seeks
        # from the index alone (conference/network/operations.py).
        Index("ix_attendee_interest_match", "interest_id", "attendee_id", "offers", "seeks"),
    )

    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), primary_key=True)
    interest_id: Mapped[int] = mapped_column(ForeignKey("interest.id", ondelete="CASCADE"), primary_key=True, index=True)
    offers: Mapped[bool] = mapped_column(default=False)
    seeks: Mapped[bool] = mapped_column(default=False)

    interest: Mapped[Interest] = relationship(lazy="joined")
