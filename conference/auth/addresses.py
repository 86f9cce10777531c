"""Proven addresses: an email counts as the attendee's once a link sent to it was opened.

Anyone can type any address into the join form, so an unproven address gives its holder nothing
that belongs to the address's owner: an import of that address makes a profile of its own, a join
with an address in use gets a provisional profile and a link to the address, and an email change
waits for the link sent to the new address.
"""
from __future__ import annotations

from sqlalchemy import select

from conference.attendees.models import Attendee
from conference.contacts.models import Connection
from conference.events.models import utcnow
from conference.extensions import db
from conference.privacy.operations import delete_account


def mark_verified(attendee: Attendee) -> None:
    """A link sent to the attendee's address was opened."""
    if attendee.email_verified_at is None:
        attendee.email_verified_at = utcnow()


def holder_of(conference_id: int, email: str) -> Attendee | None:
    """The profile in this conference that holds `email` (normalised), if any."""
    return db.session.scalar(select(Attendee).where(Attendee.conference_id == conference_id,
                                                    Attendee.email == email))


def take_address(attendee: Attendee, email: str) -> bool:
    """Give `attendee` the address a link proved (an email change): False if another profile here holds it."""
    holder = holder_of(attendee.conference_id, email)
    if holder is not None and holder.id != attendee.id:
        return False
    attendee.email = email
    attendee.pending_email = None
    attendee.email_verified_at = utcnow()
    db.session.flush()
    return True


def merge_provisional(provisional: Attendee, into: Attendee) -> list[int]:
    """Move what a provisional profile saved (its contacts and their notes) into the profile whose
    address it joined with, then delete it. Returns the ids of the contacts moved."""
    moved = []
    for connection in db.session.scalars(select(Connection).where(Connection.owner_id == provisional.id)):
        if connection.contact_id in (None, into.id):
            continue
        mine = db.session.scalar(select(Connection).where(Connection.owner_id == into.id,
                                                          Connection.contact_id == connection.contact_id))
        if mine is None:
            db.session.add(Connection(conference_id=into.conference_id, owner_id=into.id,
                                      contact_id=connection.contact_id, note=connection.note,
                                      tag_list=connection.tag_list))
        elif connection.note and connection.note not in mine.note:
            mine.note = f"{mine.note}\n\n{connection.note}".strip()
        moved.append(connection.contact_id)
    db.session.flush()
    delete_account(provisional)
    return moved
