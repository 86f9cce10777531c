"""Who organizes what: an email's conferences, a conference's organizers, giving someone rights."""
from __future__ import annotations

from sqlalchemy import select

from conference.attendees.channels import BadChannel, normalise_email
from conference.errors import DomainError
from conference.events.models import Conference
from conference.extensions import db
from conference.organizer.access.models import Organizer


def organizers_for_email(email: str) -> list[Organizer]:
    """Every conference this email organizes, newest first."""
    try:
        email = normalise_email(email or "")
    except BadChannel:
        return []
    return list(db.session.scalars(select(Organizer).where(Organizer.email == email)
                                   .order_by(Organizer.created_at.desc(), Organizer.id.desc())))


def organizer_of(email: str, conference: Conference) -> Organizer | None:
    """The organizer row that gives `email` rights over `conference`, if any."""
    return db.session.scalar(select(Organizer).where(Organizer.conference_id == conference.id,
                                                     Organizer.email == email))


def conferences_of(email: str) -> list[Conference]:
    return [o.conference for o in organizers_for_email(email)]


def create_organizer(conference: Conference, email: str, invited_by: Organizer | None = None) -> Organizer:
    """Give `email` organizer rights over `conference`. Raises DomainError if it has them already."""
    try:
        email = normalise_email(email or "")
    except BadChannel as bad:
        raise DomainError(str(bad), field="email") from None
    if organizer_of(email, conference) is not None:
        raise DomainError(f"{email} is already an organizer of {conference.name}.", field="email")
    organizer = Organizer(conference_id=conference.id, email=email,
                          invited_by_id=invited_by.id if invited_by else None)
    db.session.add(organizer)
    db.session.flush()
    return organizer


def organizers_of(conference: Conference) -> list[Organizer]:
    return list(db.session.scalars(select(Organizer).where(Organizer.conference_id == conference.id)
                                   .order_by(Organizer.created_at, Organizer.id)))
