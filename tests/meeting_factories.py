"""Meeting rows for tests: the organizer's times and spots, an accepted meeting, a huddle with its seats.

Bookings and tables go through conference/meetings/booking.py (book, take_table, release), as the
operations that accept a meeting or seat a person do.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from conference.attendees.models import Attendee
from conference.events.models import Conference, utcnow
from conference.extensions import db
from conference.meetings.booking import book, release, take_table
from conference.meetings.models import Huddle, HuddleInterest, HuddleSeat, Meeting, MeetingSpot, MeetingTime
from tests.factories import interest


def make_time(conference: Conference, starts_at: datetime | None = None, minutes: int = 20,
              label: str = "Morning break") -> MeetingTime:
    """A meeting time (tomorrow at this hour unless given, whole minutes, naive UTC)."""
    starts_at = starts_at or (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    time = MeetingTime(conference_id=conference.id, starts_at=starts_at, minutes=minutes, label=label)
    db.session.add(time)
    db.session.commit()
    return time


def make_spot(conference: Conference, name: str = "Networking lounge", capacity: int = 20) -> MeetingSpot:
    spot = MeetingSpot(conference_id=conference.id, name=name, capacity=capacity)
    db.session.add(spot)
    db.session.commit()
    return spot


def accepted_meeting(asker: Attendee, invitee: Attendee, time: MeetingTime, spot: MeetingSpot,
                     table: int | None = None, message: str = "") -> Meeting:
    """A request `invitee` has accepted: both booked at `time`, a table of `spot` held."""
    meeting = Meeting(conference_id=asker.conference_id, asker_id=asker.id, invitee_id=invitee.id, time_id=time.id,
                      spot_id=spot.id, table_no=table, message=message, state="accepted", answered_at=utcnow())
    db.session.add(meeting)
    db.session.flush()
    book(asker, time, meeting_id=meeting.id)
    book(invitee, time, meeting_id=meeting.id)
    take_table(spot, time, prefer=table, meeting_id=meeting.id)
    db.session.commit()
    return meeting


def requested_meeting(asker: Attendee, invitee: Attendee, time: MeetingTime, spot: MeetingSpot) -> Meeting:
    """A request not answered yet: nothing booked."""
    meeting = Meeting(conference_id=asker.conference_id, asker_id=asker.id, invitee_id=invitee.id, time_id=time.id,
                      spot_id=spot.id, table_no=1)
    db.session.add(meeting)
    db.session.commit()
    return meeting


def cancel_meeting(meeting: Meeting, by: Attendee, reason: str = "") -> Meeting:
    """Cancelled by one of the two: its bookings and table freed."""
    meeting.state, meeting.cancelled_at, meeting.cancelled_by_id = "cancelled", utcnow(), by.id
    meeting.cancel_reason = reason
    release(meeting_id=meeting.id)
    db.session.commit()
    return meeting


def make_huddle(host: Attendee, time: MeetingTime, spot: MeetingSpot, question: str, members=(), size: int = 6,
                interests=()) -> Huddle:
    """A huddle with the host in seat 1 and `members` in the next seats, each booked at `time`."""
    huddle = Huddle(conference_id=host.conference_id, host_id=host.id, question=question, time_id=time.id,
                    spot_id=spot.id, size=size)
    db.session.add(huddle)
    db.session.flush()
    for name in interests:
        db.session.add(HuddleInterest(huddle_id=huddle.id, interest_id=interest(host.conference, name).id))
    take_table(spot, time, huddle_id=huddle.id)
    for seat_no, person in enumerate([host, *members], start=1):
        db.session.add(HuddleSeat(huddle_id=huddle.id, seat_no=seat_no, attendee_id=person.id))
        book(person, time, huddle_id=huddle.id)
    db.session.commit()
    return huddle
