"""Badges opened before joining (the phone's own camera opens /c/<code> cold): kept in the session,
saved as contacts once the person joins or signs in on that phone.

Only codes that found a person are kept, at most LIMIT of them, each once. The session is the
phone's: signing in clears it, so the routes read the codes first and save them after.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import redirect, session, url_for
from sqlalchemy import select

from conference.attendees.models import Attendee
from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.contacts.operations import connection_between, save_contact
from conference.extensions import db

KEY, SAVED_KEY = "cold_scans", "saved_from_badges"
LIMIT = 20


@dataclass(frozen=True)
class Waiting:
    """A person whose badge was opened before joining, as the card showed them to a stranger."""

    name: str | None  # None: their card is private to people outside the conference


def remember_cold_scan(code: str) -> None:
    """Keep a (normalised) code whose card was opened signed out."""
    codes = session.get(KEY, [])
    if code not in codes:
        session[KEY] = (codes + [code])[-LIMIT:]


def cold_scans() -> list[str]:
    return list(session.get(KEY, []))[:LIMIT]


def waiting_in(conference_id: int, codes: list[str]) -> list[Waiting]:
    """The people behind `codes` in this conference, in the order they were opened."""
    if not codes:
        return []
    found = {a.badge_code: a for a in db.session.scalars(select(Attendee).where(
        Attendee.conference_id == conference_id, Attendee.badge_code.in_(codes)))}
    return [Waiting(None if found[c].hidden else found[c].name) for c in codes if c in found]


def save_cold_scans(attendee: Attendee, codes: list[str]) -> list[Connection]:
    """Save the people behind `codes` (of the attendee's conference, not themselves) for `attendee`;
    contacts already saved stay as they are. Returns the contacts, in the order the badges were opened."""
    if not codes:
        return []
    people = {a.badge_code: a for a in db.session.scalars(select(Attendee).where(
        Attendee.conference_id == attendee.conference_id, Attendee.badge_code.in_(codes),
        Attendee.id != attendee.id))}
    saved = []
    for code in codes:
        person = people.get(code)
        if person is not None:
            saved.append(connection_between(attendee, person) or save_contact(attendee, person))
    return saved


def carry_cold_scans(attendee: Attendee, codes: list[str]):
    """After joining or signing in (the session already holds the attendee): save the badges opened
    before, and the page that says so; None when there were none."""
    saved = save_cold_scans(attendee, codes)
    db.session.commit()
    if not saved:
        return None
    if len(saved) == 1:
        return redirect(url_for("contacts.card", code=display(saved[0].contact.badge_code), saved="badge"), 303)
    session[SAVED_KEY] = [c.id for c in saved]
    return redirect(url_for("contacts.index", from_badges=1), 303)


def saved_from_badges() -> list[int]:
    """The contacts just saved from badges opened before joining (for the contacts page's group)."""
    return list(session.get(SAVED_KEY, []))
