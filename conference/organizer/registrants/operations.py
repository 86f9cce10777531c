"""Imported registrants' claims: who has opened a sign-in link to the profile made for them."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from conference.attendees.models import Attendee
from conference.events.models import Conference
from conference.extensions import db


@dataclass(frozen=True)
class Claims:
    imported: int   # registrants the organizer imported
    claimed: int    # of them, those who opened a sign-in link to their profile


def claims_of(conference: Conference) -> Claims:
    """How many imported registrants have claimed their profile."""
    imported, claimed = db.session.execute(
        select(func.count(Attendee.id), func.count(Attendee.claimed_at))
        .where(Attendee.conference_id == conference.id, Attendee.import_batch_id.is_not(None))).one()
    return Claims(imported, claimed)


def unclaimed_ids(conference: Conference, chosen: list[int] | None = None) -> list[int]:
    """Imported registrants of this conference who have not claimed their profile (among `chosen`, if given)."""
    stmt = select(Attendee.id).where(Attendee.conference_id == conference.id, Attendee.import_batch_id.is_not(None),
                                     Attendee.claimed_at.is_(None), Attendee.email.is_not(None))
    if chosen is not None:
        stmt = stmt.where(Attendee.id.in_(chosen[:5000]))
    return list(db.session.scalars(stmt.order_by(Attendee.id)))
