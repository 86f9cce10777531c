"""Places in time and space: which meeting times two people share free, and taking (or freeing) a
person's booking and a spot's table. The database's unique keys decide every race: two people taking
the last table, or one person accepting two meetings at 10:20 at once, leave one row, and the loser
gets a DomainError saying why."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from conference.attendees.models import Attendee
from conference.errors import DomainError
from conference.events.models import Conference, utcnow
from conference.events.operations import local_time
from conference.extensions import db
from conference.meetings.models import Booking, MeetingSpot, MeetingTime, TableBooking


def time_label(conference: Conference, time: MeetingTime) -> str:
    """'Thu 10:20–10:40' on the venue's clock."""
    start, end = local_time(conference, time.starts_at), local_time(conference, time.ends_at)
    return f"{start:%a} {start:%-H:%M}–{end:%-H:%M}"


def upcoming_times(conference: Conference, now: datetime | None = None) -> list[MeetingTime]:
    """The conference's meeting times that have not started yet, soonest first."""
    return list(db.session.scalars(select(MeetingTime).where(
        MeetingTime.conference_id == conference.id, MeetingTime.starts_at > (now or utcnow()))
        .order_by(MeetingTime.starts_at)))


def busy_time_ids(*attendee_ids: int) -> set[int]:
    """The meeting times at which any of these people already has a meeting or a huddle seat."""
    return set(db.session.scalars(select(Booking.time_id).where(Booking.attendee_id.in_(attendee_ids))))


def free_times(conference: Conference, *people: Attendee, now: datetime | None = None) -> list[MeetingTime]:
    """The upcoming meeting times at which all of `people` are free."""
    busy = busy_time_ids(*(person.id for person in people))
    return [time for time in upcoming_times(conference, now) if time.id not in busy]


def tables_taken(spot: MeetingSpot, time: MeetingTime) -> set[int]:
    return set(db.session.scalars(select(TableBooking.table_no).where(
        TableBooking.spot_id == spot.id, TableBooking.time_id == time.id)))


def free_table(spot: MeetingSpot, time: MeetingTime, prefer: int | None = None) -> int | None:
    """A free table of `spot` at `time` (`prefer` if it is free), or None when the spot is full."""
    taken = tables_taken(spot, time)
    if prefer is not None and 1 <= prefer <= spot.capacity and prefer not in taken:
        return prefer
    return next((n for n in range(1, spot.capacity + 1) if n not in taken), None)


def open_spots(conference: Conference) -> list[MeetingSpot]:
    """The spots people can meet at (not retired), by name."""
    return list(db.session.scalars(select(MeetingSpot).where(
        MeetingSpot.conference_id == conference.id, MeetingSpot.retired.is_(False)).order_by(MeetingSpot.name)))


def spot_with_room(conference: Conference, time: MeetingTime) -> tuple[MeetingSpot, int] | None:
    """The first spot (in name order) with a free table at `time`, and that table."""
    counts = dict(db.session.execute(select(TableBooking.spot_id, func.count()).where(
        TableBooking.time_id == time.id).group_by(TableBooking.spot_id)).all())
    for spot in open_spots(conference):
        if counts.get(spot.id, 0) < spot.capacity:
            table = free_table(spot, time)
            if table is not None:
                return spot, table
    return None


def chosen_time(conference: Conference, time_id, now: datetime) -> MeetingTime:
    """The meeting time a person picked: one of the conference's, not started yet."""
    time = db.session.get(MeetingTime, time_id) if isinstance(time_id, int) else None
    if time is None or time.conference_id != conference.id:
        raise DomainError("Choose one of the meeting times listed.", field="time")
    if time.starts_at <= now:
        raise DomainError(f"{time_label(conference, time)} has already started: choose a later time.", field="time")
    return time


def chosen_spot(conference: Conference, spot_id) -> MeetingSpot:
    """The spot a person picked: one of the conference's open spots."""
    spot = db.session.get(MeetingSpot, spot_id) if isinstance(spot_id, int) else None
    if spot is None or spot.conference_id != conference.id or spot.retired:
        raise DomainError("Choose one of the spots listed.", field="spot")
    return spot


def place_at(conference: Conference, spot_id, time: MeetingTime, prefer: int | None = None) -> tuple[MeetingSpot, int]:
    """The picked spot and a free table in it (`prefer` if free), or with no spot picked the first with room."""
    if spot_id is None:
        found = spot_with_room(conference, time)
        if found is None:
            raise DomainError(f"Every spot is full at {time_label(conference, time)}: choose another time.",
                              field="time")
        return found
    spot = chosen_spot(conference, spot_id)
    table = free_table(spot, time, prefer)
    if table is None:
        raise DomainError(f"{spot.name} is full at {time_label(conference, time)}: choose another spot or time.",
                          field="spot")
    return spot, table


def take_table(spot: MeetingSpot, time: MeetingTime, *, prefer: int | None = None, meeting_id: int | None = None,
               huddle_id: int | None = None) -> int:
    """Hold a table of `spot` at `time` for a meeting or a huddle; DomainError when the spot is full."""
    for _ in range(3):  # someone may take the table we picked between our read and our insert
        table = free_table(spot, time, prefer)
        if table is None:
            break
        try:
            with db.session.begin_nested():
                db.session.add(TableBooking(spot_id=spot.id, time_id=time.id, table_no=table,
                                            meeting_id=meeting_id, huddle_id=huddle_id))
            return table
        except IntegrityError:
            prefer = None
    raise DomainError(f"{spot.name} is full at that time: pick another spot.", field="spot")


def book(person: Attendee, time: MeetingTime, *, meeting_id: int | None = None, huddle_id: int | None = None,
         conflict: str | None = None) -> None:
    """Give `person` their place at `time`; DomainError (`conflict`, or a plain one) when they already
    have one, even if it was taken a moment ago by another request."""
    try:
        with db.session.begin_nested():
            db.session.add(Booking(attendee_id=person.id, time_id=time.id, meeting_id=meeting_id,
                                   huddle_id=huddle_id))
    except IntegrityError:
        raise DomainError(conflict or f"{person.name} already has a meeting or a huddle at that time.",
                          field="time") from None


def release(*, meeting_id: int | None = None, huddle_id: int | None = None, attendee_id: int | None = None) -> None:
    """Free the bookings (and, with no `attendee_id`, the table) that a meeting or a huddle holds."""
    bookings = delete(Booking).where(Booking.meeting_id == meeting_id if meeting_id is not None
                                     else Booking.huddle_id == huddle_id)
    if attendee_id is not None:
        db.session.execute(bookings.where(Booking.attendee_id == attendee_id))
        return
    db.session.execute(bookings)
    db.session.execute(delete(TableBooking).where(TableBooking.meeting_id == meeting_id if meeting_id is not None
                                                  else TableBooking.huddle_id == huddle_id))
