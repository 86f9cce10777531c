"""A conference's settings and its interest list: creating a conference, changing its name, address,
dates and venue, and adding, renaming, retiring and restoring interests."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select

from conference.errors import DomainError
from conference.events.models import Conference
from conference.extensions import db
from conference.interests.models import Interest
from conference.interests.operations import add_default_interests
from conference.lengths import max_length, too_long

# A letter or digit at each end, dashes between; as long as the column holds.
SLUG = re.compile(rf"[a-z0-9](?:[a-z0-9-]{{0,{max_length(Conference.slug) - 2}}}[a-z0-9])?")
# Paths the app already uses at the top level, which a conference slug would shadow.
RESERVED_SLUGS = {"c", "code", "me", "signin", "signout", "organize", "static", "healthz", "join", "api", "admin"}


def create_conference(slug: str, name: str) -> Conference:
    """A new conference with the default interest list, joining open."""
    slug = (slug or "").strip().lower()
    _check_slug(slug, None)
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Give the conference a name.", field="name")
    conference = Conference(slug=slug, name=name[:max_length(Conference.name)])
    db.session.add(conference)
    db.session.flush()
    add_default_interests(conference)
    return conference


def _check_slug(slug: str, conference: Conference | None) -> None:
    if not SLUG.fullmatch(slug or ""):
        raise DomainError("Use lower-case letters, digits and dashes for the web address, like prek8-2026.",
                          field="slug")
    if slug in RESERVED_SLUGS:
        raise DomainError(f"“{slug}” is used by the app itself. Choose another web address.", field="slug")
    taken = db.session.scalar(select(Conference.id).where(Conference.slug == slug))
    if taken and (conference is None or taken != conference.id):
        raise DomainError("Another conference already uses this web address.", field="slug")


@dataclass
class SettingsInput:
    name: str
    slug: str
    starts_on: date | None
    ends_on: date | None
    timezone: str
    venue: str
    joining_open: bool
    closes_on: date | None = None
    retain_until: date | None = None


def update_settings(conference: Conference, settings: SettingsInput) -> Conference:
    """Change a conference's name, address, dates, time zone, venue and whether joining is open."""
    errors: dict[str, str] = {}
    name = " ".join((settings.name or "").split())
    if not name:
        errors["name"] = "Give the conference a name."
    elif len(name) > max_length(Conference.name):
        errors["name"] = too_long(Conference.name)
    slug = (settings.slug or "").strip().lower()
    try:
        _check_slug(slug, conference)
    except DomainError as error:
        errors["slug"] = error.message
    if settings.starts_on and settings.ends_on and settings.ends_on < settings.starts_on:
        errors["ends_on"] = "The last day can't be before the first day."
    if settings.ends_on and not settings.starts_on:
        errors["starts_on"] = "Enter the first day too."
    try:
        ZoneInfo(settings.timezone or "")
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = "Choose a time zone from the list, like America/New_York."
    venue = " ".join((settings.venue or "").split())
    if len(venue) > max_length(Conference.venue):
        errors["venue"] = too_long(Conference.venue)
    if settings.closes_on and settings.starts_on and settings.closes_on < settings.starts_on:
        errors["closes_on"] = "Joining can't close before the conference starts."
    if settings.retain_until and settings.closes_on and settings.retain_until < settings.closes_on:
        errors["retain_until"] = "Keep the data at least until the conference closes."
    if errors:
        raise DomainError(next(iter(errors.values())), errors=errors)
    conference.name, conference.slug, conference.venue = name, slug, venue
    conference.starts_on, conference.ends_on = settings.starts_on, settings.ends_on
    conference.timezone, conference.joining_open = settings.timezone, settings.joining_open
    conference.closes_on, conference.retain_until = settings.closes_on, settings.retain_until
    db.session.flush()
    return conference


def interests_of(conference: Conference) -> list[Interest]:
    """The whole list, retired ones included, in the order attendees see it."""
    return list(db.session.scalars(select(Interest).where(Interest.conference_id == conference.id)
                                   .order_by(Interest.retired, Interest.position, Interest.name)))


def _clean_interest_name(conference: Conference, name: str, interest: Interest | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Type the interest's name.", field="name")
    if len(name) > max_length(Interest.name):
        raise DomainError(f"An interest can be at most {max_length(Interest.name)} characters.", field="name")
    clash = db.session.scalar(select(Interest).where(Interest.conference_id == conference.id,
                                                     func.lower(Interest.name) == name.lower()))
    if clash is not None and clash is not interest:
        state = " (retired: restore it instead)" if clash.retired else ""
        raise DomainError(f"“{clash.name}” is already on the list{state}.", field="name")
    return name


def add_interest(conference: Conference, name: str) -> Interest:
    """Add an interest at the end of the list."""
    name = _clean_interest_name(conference, name, None)
    last = db.session.scalar(select(func.max(Interest.position)).where(Interest.conference_id == conference.id))
    interest = Interest(conference_id=conference.id, name=name, position=(last or 0) + 1)
    db.session.add(interest)
    db.session.flush()
    return interest


def conference_interest(conference: Conference, interest_id: int) -> Interest:
    interest = db.session.get(Interest, interest_id)
    if interest is None or interest.conference_id != conference.id:
        raise DomainError("That interest is not on this conference's list.")
    return interest


def rename_interest(interest: Interest, name: str) -> Interest:
    """Rename an interest everywhere it is shown (profiles keep it: they point at the same row)."""
    interest.name = _clean_interest_name(db.session.get(Conference, interest.conference_id), name, interest)
    db.session.flush()
    return interest


def set_retired(interest: Interest, retired: bool) -> Interest:
    """Retire (or restore) an interest: it stays on profiles and in figures, but new choices don't offer it."""
    interest.retired = retired
    db.session.flush()
    return interest
