"""Helpers for the organizer tests: organizers, signed-in clients, connections with a chosen time."""
from __future__ import annotations

from datetime import datetime

from conference.contacts.models import Connection
from conference.extensions import db
from conference.organizer.access.models import Organizer


def make_organizer(conference, email: str = "staff@association.example.org") -> Organizer:
    organizer = Organizer(conference_id=conference.id, email=email)
    db.session.add(organizer)
    db.session.commit()
    return organizer


def sign_in_organizer(client, organizer) -> None:
    with client.session_transaction() as session:
        session["organizer_id"] = organizer.id
        session.permanent = True


def connect(owner, contact, at: datetime | None = None, note: str = "") -> Connection:
    """A saved contact, straight into the table (the dashboard only reads them)."""
    values = dict(conference_id=owner.conference_id, owner_id=owner.id, contact_id=contact.id, note=note)
    if at is not None:
        values.update(created_at=at, updated_at=at)
    connection = Connection(**values)
    db.session.add(connection)
    db.session.commit()
    return connection
