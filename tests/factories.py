"""Plain helpers that build real rows through the real operations."""
from __future__ import annotations

import itertools
from datetime import date

from conference.attendees.operations import ProfileInput, join_conference
from conference.events.models import Conference
from conference.extensions import db
from conference.interests.models import Interest
from conference.interests.operations import add_default_interests

_numbers = itertools.count(1)


def make_conference(**overrides) -> Conference:
    n = next(_numbers)
    values = dict(slug=f"conf-{n}", name="Pre-K–8 Principals Conference", starts_on=date(2026, 7, 9),
                  ends_on=date(2026, 7, 11), timezone="America/New_York", venue="National Harbor, MD")
    values.update(overrides)
    conference = Conference(**values)
    db.session.add(conference)
    db.session.flush()
    add_default_interests(conference)
    db.session.commit()
    return conference


def interest(conference: Conference, name: str) -> Interest:
    return db.session.scalar(db.select(Interest).where(Interest.conference_id == conference.id,
                                                      Interest.name == name))


def make_attendee(conference: Conference, offers=(), seeks=(), channels=None, **overrides):
    """Join `conference`; offers/seeks are interest names; channels kind -> (value, shared)."""
    n = next(_numbers)
    values = dict(name=f"Person {n}", email=f"person{n}@school.example.org", role="principal",
                  school=f"School {n}", district="Metro Unified", state="VA", grade_band="elementary")
    values.update(overrides)
    profile = ProfileInput(**values, offers={interest(conference, name).id for name in offers},
                           seeks={interest(conference, name).id for name in seeks},
                           channels=channels or {})
    attendee = join_conference(conference, profile)
    db.session.commit()
    return attendee


def sign_in_as(client, attendee) -> None:
    with client.session_transaction() as session:
        session["attendee_id"] = attendee.id
        session.permanent = True
