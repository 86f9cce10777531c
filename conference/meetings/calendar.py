"""My schedule in a phone's calendar: each accepted meeting and each huddle seat as iCalendar, and a
private feed a calendar app subscribes to.

The feed's URL is its own key (no session): only the SHA-256 of its token is stored, as sign-in
tokens are, so the URL can be shown once, when made; a new one replaces it. What the feed shows is
what a signed-out card shows: a person who hid themselves appears without a name or a school.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from icalendar import Event, vDuration
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from conference.attendees.models import Attendee
from conference.calendars import new_calendar, reminder, stamp, with_time_zones
from conference.events.models import Conference, utcnow
from conference.events.operations import local_time
from conference.extensions import db
from conference.meetings.models import CalendarFeed, Huddle, HuddleSeat, Meeting, MeetingTime, TableBooking
from conference.privacy.operations import data_section
from conference.urls import public_url

# My schedule's page: calendars and mail link to it.
REMINDER = timedelta(minutes=-10)
# The feed keeps what has just happened in view (a phone shows yesterday's meetings), not the whole event.
FEED_PAST = timedelta(days=2)
# How often a subscribed calendar should look again (apps may look less often: Google every few hours).
FEED_REFRESH = timedelta(minutes=15)
# secrets.token_urlsafe(32): 43 characters of the URL-safe alphabet. Anything else finds nobody, unread.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class Entry:
    """One meeting or huddle as a calendar shows it."""
    uid: str
    summary: str
    starts_at: datetime          # naive UTC, as stored
    ends_at: datetime
    location: str
    description: str
    cancelled: bool


def schedule_url() -> str:
    """My schedule on the public address (in calendar items and mail, read outside the app)."""
    return public_url("meetings.schedule")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _shown(meeting: Meeting) -> bool:
    """Accepted, or cancelled after it was accepted (a calendar that had it learns it is off)."""
    return meeting.state == "accepted" or (meeting.state == "cancelled" and meeting.answered_at is not None)


def my_meeting(person: Attendee, meeting_id: int) -> Meeting | None:
    """`person`'s accepted (or since cancelled) meeting `meeting_id`; None for anyone not in it."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or person.id not in (meeting.asker_id, meeting.invitee_id) or not _shown(meeting):
        return None
    return meeting


def my_huddle(person: Attendee, huddle_id: int) -> Huddle | None:
    """The huddle `huddle_id` if `person` sits in it; None otherwise."""
    seated = db.session.scalar(select(HuddleSeat.huddle_id).where(
        HuddleSeat.huddle_id == huddle_id, HuddleSeat.attendee_id == person.id))
    return db.session.get(Huddle, huddle_id) if seated is not None else None


def _place(conference: Conference, spot_place: str) -> str:
    return ", ".join(part for part in (spot_place, conference.venue) if part)


def meeting_entry(meeting: Meeting, viewer: Attendee, host: str, schedule_url: str, signed_in: bool = True) -> Entry:
    """`meeting` as `viewer` sees it. Not `signed_in` (the feed, read without a session), it leaves out
    who a person is when they have hidden themselves, as their signed-out card does."""
    other = meeting.invitee if meeting.asker_id == viewer.id else meeting.asker
    table = db.session.scalar(select(TableBooking.table_no).where(TableBooking.meeting_id == meeting.id))
    named = signed_in or not other.hidden
    lines = []
    if named:
        lines.append(", ".join(part for part in (other.role_label, other.school) if part))
        if meeting.message:
            lines.append(f"“{meeting.message}”")
    else:
        lines.append("Who you are meeting is in My schedule.")
    if meeting.state == "cancelled":
        lines.insert(0, "Cancelled" + (f": {meeting.cancel_reason}" if meeting.cancel_reason else "."))
    lines.append(f"My schedule: {schedule_url}")
    return Entry(uid=f"meeting-{meeting.id}@{host}",
                 summary=f"Meet {other.name}" if named else "A 1:1 meeting",
                 starts_at=meeting.time.starts_at, ends_at=meeting.time.ends_at,
                 location=_place(viewer.conference, meeting.spot.place(table if table is not None
                                                                       else meeting.table_no)),
                 description="\n\n".join(line for line in lines if line), cancelled=meeting.state == "cancelled")


def huddle_entry(huddle: Huddle, viewer: Attendee, host: str, schedule_url: str, members: int | None = None) -> Entry:
    """`huddle` as a calendar shows it: its question, where, how many are coming (never who)."""
    if members is None:
        members = db.session.scalar(select(func.count()).select_from(HuddleSeat)
                                    .where(HuddleSeat.huddle_id == huddle.id))
    table = db.session.scalar(select(TableBooking.table_no).where(TableBooking.huddle_id == huddle.id))
    interests = ", ".join(hi.interest.name for hi in huddle.interests)
    lines = [f"Problem-of-practice huddle · {members} of {huddle.size} seats taken"
             + (f" · {interests}" if interests else "")]
    if huddle.cancelled_at is not None:
        lines.insert(0, "Cancelled" + (f": {huddle.cancel_reason}" if huddle.cancel_reason else "."))
    lines.append(f"My schedule: {schedule_url}")
    return Entry(uid=f"huddle-{huddle.id}@{host}", summary=huddle.question,
                 starts_at=huddle.time.starts_at, ends_at=huddle.time.ends_at,
                 location=_place(viewer.conference, huddle.spot.place(table)),
                 description="\n\n".join(lines), cancelled=huddle.cancelled_at is not None)


def schedule_entries(person: Attendee, host: str, schedule_url: str, now: datetime | None = None,
                     signed_in: bool = False) -> list[Entry]:
    """`person`'s meetings and huddles from two days ago on, soonest first (the feed's contents)."""
    since = (now or utcnow()) - FEED_PAST
    meetings = db.session.scalars(
        select(Meeting).join(MeetingTime, Meeting.time_id == MeetingTime.id)
        .where(or_(Meeting.asker_id == person.id, Meeting.invitee_id == person.id),
               Meeting.state.in_(("accepted", "cancelled")), MeetingTime.starts_at >= since)
        .options(selectinload(Meeting.asker), selectinload(Meeting.invitee)))
    entries = [meeting_entry(m, person, host, schedule_url, signed_in) for m in meetings if _shown(m)]
    huddles = list(db.session.scalars(
        select(Huddle).join(HuddleSeat, HuddleSeat.huddle_id == Huddle.id)
        .join(MeetingTime, Huddle.time_id == MeetingTime.id)
        .where(HuddleSeat.attendee_id == person.id, MeetingTime.starts_at >= since)))
    if huddles:
        counts = dict(db.session.execute(select(HuddleSeat.huddle_id, func.count()).where(
            HuddleSeat.huddle_id.in_([h.id for h in huddles])).group_by(HuddleSeat.huddle_id)).all())
        entries += [huddle_entry(h, person, host, schedule_url, counts.get(h.id, 0)) for h in huddles]
    return sorted(entries, key=lambda e: (e.starts_at, e.uid))


def to_icalendar(conference: Conference, entries: list[Entry], name: str, now: datetime | None = None,
                 refresh: timedelta | None = None) -> bytes:
    """`entries` as VEVENTs on the venue's clock (with its VTIMEZONE), each reminding 10 minutes before;
    a feed says how often a calendar app should look again (`refresh`)."""
    calendar = new_calendar("Meetings", name)
    calendar.add("method", "PUBLISH")
    if refresh is not None:
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))  # what Outlook reads
    created = stamp(now or utcnow())
    for entry in entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", created)
        event.add("dtstart", local_time(conference, entry.starts_at))
        event.add("dtend", local_time(conference, entry.ends_at))
        event.add("summary", entry.summary)
        event.add("location", entry.location)
        event.add("description", entry.description)
        event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
        # A cancellation is a newer version of the same event: calendars that imported it replace it.
        event.add("sequence", 1 if entry.cancelled else 0)
        if not entry.cancelled:
            event.add_component(reminder(REMINDER, entry.summary))
        calendar.add_component(event)
    if not entries:
        return calendar.to_ical()
    return with_time_zones(calendar, local_time(conference, entries[0].starts_at).date(),
                           local_time(conference, entries[-1].ends_at).date())


def feed_of(person: Attendee) -> CalendarFeed | None:
    """`person`'s calendar feed, if they made one (its URL can't be shown again: only its hash is kept)."""
    return db.session.get(CalendarFeed, person.id)


def make_feed(person: Attendee, now: datetime | None = None) -> str:
    """A new private feed for `person`, replacing (and so ending) the one they had; returns its token."""
    token = secrets.token_urlsafe(32)
    values = dict(token_hash=_hash(token), created_at=now or utcnow())
    feed = feed_of(person)
    if feed is not None:
        feed.token_hash, feed.created_at = values["token_hash"], values["created_at"]
        db.session.flush()
        return token
    try:
        with db.session.begin_nested():
            db.session.add(CalendarFeed(attendee_id=person.id, **values))
    except IntegrityError:  # another tap made one a moment ago: this one replaces it
        db.session.get(CalendarFeed, person.id, populate_existing=True).token_hash = values["token_hash"]
        db.session.flush()
    return token


def feed_urls(token: str) -> dict[str, str]:
    """Where a calendar app subscribes: 'https' (to paste), 'webcal' (opens the phone's calendar), 'google'."""
    https = public_url("meetings.feed", token=token)
    webcal = "webcal://" + https.split("://", 1)[1]
    return {"https": https, "webcal": webcal,
            "google": "https://calendar.google.com/calendar/render?cid=" + quote(webcal, safe="")}


def revoke_feed(person: Attendee) -> bool:
    """End `person`'s feed: its URL finds nothing from now on. False when there was none."""
    feed = feed_of(person)
    if feed is None:
        return False
    db.session.delete(feed)
    db.session.flush()
    return True


def feed_owner(token: str) -> Attendee | None:
    """Whose feed `token` opens, or None (a token of the wrong shape is not looked up).

    The lookup is by the token's hash on a unique index: how long it takes says nothing about
    how close a guess came."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    return db.session.get(Attendee, feed.attendee_id) if feed is not None else None


@data_section("calendar_feed")
def _feed_data(attendee: Attendee) -> dict | None:
    feed = feed_of(attendee)
    return {"made_at": feed.created_at.isoformat(timespec="seconds") + "Z"} if feed is not None else None
