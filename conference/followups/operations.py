"""Adding, finishing and listing follow-ups; exporting them as iCalendar."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from icalendar import Event, Todo
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from conference.attendees.models import Attendee
from conference.calendars import new_calendar, reminder, stamp
from conference.contacts.models import Connection
from conference.contacts.operations import owned_connection
from conference.errors import DomainError
from conference.events.models import utcnow
from conference.events.operations import local_today
from conference.extensions import db
from conference.followups.models import FollowUp
from conference.lengths import max_length
from conference.privacy.operations import data_section

TEXT_LIMIT = max_length(FollowUp.text)
# A reminder two years out is a typo more often than a plan.
HORIZON_DAYS = 2 * 366


def parse_due(text: str | None, today: date) -> date | None:
    """'2026-07-17' (what a date picker sends) or '7/17/2026'; blank means no date."""
    text = (text or "").strip()
    if not text:
        return None
    due = None
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
        parts = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
        parts = int(m[3]), int(m[1]), int(m[2])
    else:
        parts = None
    if parts:
        try:
            due = date(*parts)
        except ValueError:
            due = None
    if due is None:
        raise DomainError("Enter the due date like 2026-07-17, or leave it blank.", field="due_on")
    if due < today:
        raise DomainError(f"That date has passed. Choose today ({today:%B} {today.day}) or later.", field="due_on")
    if due > today + timedelta(days=HORIZON_DAYS):
        raise DomainError("Choose a date within the next two years.", field="due_on")
    return due


def clean_text(text: str | None) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise DomainError("Write what you want to do, like “send our master schedule template”.", field="text")
    if len(text) > TEXT_LIMIT:
        raise DomainError(f"Keep it to {TEXT_LIMIT} characters; this one has {len(text)}. "
                          "Put the details in the contact's note.", field="text")
    return text


def add_follow_up(owner: Attendee, connection_id: int, text: str, due: str | None,
                  today: date | None = None) -> FollowUp:
    """A new open follow-up on one of `owner`'s contacts. Raises DomainError for every problem at once."""
    connection = owned_connection(owner, connection_id)
    today = today or local_today(owner.conference)
    errors: dict[str, str] = {}
    cleaned = {}
    for key, check in (("text", lambda: clean_text(text)), ("due_on", lambda: parse_due(due, today))):
        try:
            cleaned[key] = check()
        except DomainError as error:
            errors[key] = error.message
    if errors:
        raise DomainError(next(iter(errors.values())), errors=errors)
    follow_up = FollowUp(owner_id=owner.id, connection_id=connection.id, **cleaned)
    db.session.add(follow_up)
    db.session.flush()
    return follow_up


def owned_follow_up(owner: Attendee, follow_up_id: int) -> FollowUp:
    follow_up = db.session.scalar(select(FollowUp).where(FollowUp.id == follow_up_id,
                                                         FollowUp.owner_id == owner.id))
    if follow_up is None:
        raise DomainError("That follow-up is not in your list.")
    return follow_up


def complete(owner: Attendee, follow_up_id: int, now: datetime | None = None) -> FollowUp:
    """Mark done (again is fine)."""
    follow_up = owned_follow_up(owner, follow_up_id)
    if follow_up.done_at is None:
        follow_up.done_at = now or utcnow()
    db.session.flush()
    return follow_up


def reopen(owner: Attendee, follow_up_id: int) -> FollowUp:
    follow_up = owned_follow_up(owner, follow_up_id)
    follow_up.done_at = None
    db.session.flush()
    return follow_up


def remove(owner: Attendee, follow_up_id: int) -> None:
    db.session.delete(owned_follow_up(owner, follow_up_id))
    db.session.flush()


def _listed(owner: Attendee):
    return (select(FollowUp).where(FollowUp.owner_id == owner.id)
            .options(selectinload(FollowUp.connection).selectinload(Connection.contact)))


def open_follow_ups(owner: Attendee) -> list[FollowUp]:
    """Open follow-ups, soonest due first; those without a date after them, oldest first."""
    return list(db.session.scalars(
        _listed(owner).where(FollowUp.done_at.is_(None))
        .order_by(FollowUp.due_on.is_(None), FollowUp.due_on, FollowUp.created_at, FollowUp.id)))


def done_follow_ups(owner: Attendee, limit: int = 20) -> list[FollowUp]:
    """Recently done, newest first."""
    return list(db.session.scalars(
        _listed(owner).where(FollowUp.done_at.is_not(None)).order_by(FollowUp.done_at.desc()).limit(limit)))


def follow_ups_on(owner: Attendee, connection_id: int) -> list[FollowUp]:
    """One contact's follow-ups: open ones by due date, then done ones."""
    connection = owned_connection(owner, connection_id)
    return list(db.session.scalars(
        _listed(owner).where(FollowUp.connection_id == connection.id)
        .order_by(FollowUp.done_at.is_not(None), FollowUp.due_on.is_(None), FollowUp.due_on, FollowUp.id)))


def contact_name(follow_up: FollowUp) -> str:
    contact = follow_up.connection.contact
    return contact.name if contact is not None else "a removed attendee"


def to_icalendar(owner: Attendee, follow_ups: list[FollowUp], as_events: bool = False,
                 host: str = "pln-connect", now: datetime | None = None) -> bytes:
    """Open follow-ups as VTODOs (task apps), or as all-day events with a 9:00 reminder (calendars).

    UIDs stay the same across downloads, so importing again updates instead of duplicating.
    Events need a date: follow-ups without one are left out of that file.
    """
    calendar = new_calendar("Follow-ups", f"Follow-ups · {owner.conference.name}")
    created = stamp(now or utcnow())
    for follow_up in follow_ups:
        name = contact_name(follow_up)
        contact = follow_up.connection.contact
        details = [f"Follow-up with {name}" + (f" ({contact.role_label}, {contact.school})"
                                                 if contact is not None and contact.school else "")]
        if follow_up.connection.note:
            details.append("Your note: " + follow_up.connection.note)
        details.append(f"Met at {owner.conference.name}")
        if as_events:
            if follow_up.due_on is None:
                continue
            item = Event()
            item.add("dtstart", follow_up.due_on)
            item.add("dtend", follow_up.due_on + timedelta(days=1))
            item.add("transp", "TRANSPARENT")
            item.add_component(reminder(timedelta(hours=9), follow_up.text))  # 9:00 on the day (from the all-day start)
        else:
            item = Todo()
            item.add("status", "NEEDS-ACTION")
            if follow_up.due_on:
                item.add("due", follow_up.due_on)
        item.add("uid", f"follow-up-{follow_up.id}@{host}")
        item.add("dtstamp", created)
        item.add("created", stamp(follow_up.created_at))
        item.add("summary", f"{follow_up.text} — {name}")
        item.add("description", "\n\n".join(details))
        calendar.add_component(item)
    return calendar.to_ical()


def due_label(due: date | None, today: date) -> str:
    """'Overdue · Jul 10', 'Today', 'Tomorrow', 'Fri, Jul 17'."""
    if due is None:
        return "No date"
    if due < today:
        return f"Overdue · {due:%b} {due.day}"
    if due == today:
        return "Today"
    if due == today + timedelta(days=1):
        return "Tomorrow"
    if due.year != today.year:
        return f"{due:%a}, {due:%b} {due.day}, {due.year}"
    return f"{due:%a}, {due:%b} {due.day}"



@data_section("follow_ups")
def _my_follow_ups(owner: Attendee) -> list[dict]:
    """For the /me/data download."""
    rows = db.session.scalars(_listed(owner).order_by(FollowUp.created_at, FollowUp.id))
    return [{"text": f.text, "contact": contact_name(f), "due_on": f.due_on.isoformat() if f.due_on else None,
             "done_at": f.done_at.isoformat(timespec="seconds") + "Z" if f.done_at else None,
             "created_at": f.created_at.isoformat(timespec="seconds") + "Z"} for f in rows]
