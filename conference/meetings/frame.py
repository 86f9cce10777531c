"""The organizer's frame for meeting in person: the meeting times (breaks and receptions, one by one or
as a run "every 20 minutes from 10:00 to 11:30") and the meeting spots with their capacity.

Times are typed on the venue's clock and stored in UTC. They never overlap within a conference, so a
person's one Booking per time is one thing at a time. A time that holds accepted meetings or huddles
is not removed: people have planned their day around it, and the organizer is told what it holds.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import delete, func, select, update

from conference.errors import DomainError
from conference.events.models import Conference, utcnow
from conference.events.operations import local_time, long_date, zone_of
from conference.extensions import db
from conference.lengths import max_length, too_long
from conference.meetings.booking import time_label
from conference.meetings.models import Booking, Huddle, Meeting, MeetingSpot, MeetingTime, TableBooking
from conference.meetings.notices import notify

MINUTES = (5, 240)
CAPACITY = (1, 500)
RUN_LIMIT = 60  # times one run may add: a day of 5-minute slots from 8:00 to 13:00


def _minutes(minutes: int | None, field: str = "minutes") -> int:
    if minutes is None:
        raise DomainError("Give the length in minutes.", field=field)
    if not MINUTES[0] <= minutes <= MINUTES[1]:
        raise DomainError(f"A meeting time lasts from {MINUTES[0]} to {MINUTES[1]} minutes.", field=field)
    return minutes


def _check_day(conference: Conference, day: date | None, field: str = "day") -> date:
    if day is None:
        raise DomainError("Choose the day.", field=field)
    if conference.starts_on and day < conference.starts_on or conference.ends_on and day > conference.ends_on:
        raise DomainError(f"{long_date(day)} is outside the conference ({conference.dates_label}). "
                          "Change its dates in Settings first.", field=field)
    return day


def to_utc(conference: Conference, day: date, clock: time, field: str = "start") -> datetime:
    """The venue's `day` at `clock` as a naive UTC moment; DomainError for a time the clocks skip."""
    zone = zone_of(conference)
    local = datetime.combine(day, clock.replace(second=0, microsecond=0), tzinfo=zone)
    moment = local.astimezone(timezone.utc)
    # A wall time in the spring-forward gap comes back different after a round trip.
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise DomainError(f"{clock:%H:%M} does not exist on {long_date(day)} in {conference.timezone}: the "
                          "clocks go forward that night. Choose another time.", field=field)
    return moment.replace(tzinfo=None)


def times_of(conference: Conference) -> list[MeetingTime]:
    """Every meeting time of the conference, soonest first."""
    return list(db.session.scalars(select(MeetingTime).where(MeetingTime.conference_id == conference.id)
                                   .order_by(MeetingTime.starts_at)))


def _lock(conference: Conference) -> None:
    """Serialise changes to one conference's times (PostgreSQL), so two organizers adding overlapping
    times at once cannot both pass the overlap check."""
    db.session.execute(select(Conference.id).where(Conference.id == conference.id).with_for_update())


def _clash(existing: list[MeetingTime], start: datetime, minutes: int) -> MeetingTime | None:
    end = start + timedelta(minutes=minutes)
    return next((t for t in existing if t.starts_at < end and t.ends_at > start), None)


def _clash_error(conference: Conference, clash: MeetingTime, field: str) -> DomainError:
    name = f" ({clash.label})" if clash.label else ""
    return DomainError(f"That overlaps {time_label(conference, clash)}{name} on "
                       f"{local_time(conference, clash.starts_at):%B} {local_time(conference, clash.starts_at).day}. "
                       "Meeting times can't overlap: choose another start or a shorter length.", field=field)


def _label(label: str | None) -> str:
    label = " ".join((label or "").split())
    if len(label) > max_length(MeetingTime.label):
        raise DomainError(too_long(MeetingTime.label), field="label")
    return label


def add_time(conference: Conference, day: date | None, start: time | None, minutes: int | None,
             label: str = "") -> MeetingTime:
    """Add one meeting time (the venue's `day` at `start`, lasting `minutes`)."""
    day = _check_day(conference, day)
    if start is None:
        raise DomainError("Give the start time.", field="start")
    minutes, label = _minutes(minutes), _label(label)
    starts_at = to_utc(conference, day, start)
    _lock(conference)
    clash = _clash(times_of(conference), starts_at, minutes)
    if clash is not None:
        raise _clash_error(conference, clash, "start")
    added = MeetingTime(conference_id=conference.id, starts_at=starts_at, minutes=minutes, label=label)
    db.session.add(added)
    db.session.flush()
    return added


@dataclass
class RunInput:
    day: date | None
    first: time | None         # the first start
    until: time | None         # the last time ends by then
    every: int | None          # minutes from one start to the next
    minutes: int | None        # each time's length
    label: str = ""


def add_run(conference: Conference, run: RunInput) -> list[MeetingTime]:
    """Add a run of times ("every 20 minutes from 10:00 to 11:30"); all of them, or none when one clashes."""
    day = _check_day(conference, run.day)
    if run.first is None:
        raise DomainError("Give the first start time.", field="first")
    if run.until is None:
        raise DomainError("Give the time the run ends.", field="until")
    minutes, label = _minutes(run.minutes), _label(run.label)
    every = _minutes(run.every, field="every")
    if every < minutes:
        raise DomainError(f"Starting every {every} minutes, times of {minutes} minutes would overlap: start them "
                          f"at least {minutes} minutes apart.", field="every")
    start = datetime.combine(day, run.first)
    end = datetime.combine(day, run.until)
    if end <= start:
        raise DomainError(f"The run ends before it starts: choose an end after {run.first:%H:%M}.", field="until")
    if start + timedelta(minutes=minutes) > end:
        raise DomainError(f"From {run.first:%H:%M} to {run.until:%H:%M} there is no room for one time of "
                          f"{minutes} minutes.", field="until")
    wall_starts = []
    while start + timedelta(minutes=minutes) <= end:
        wall_starts.append(start)
        start += timedelta(minutes=every)
    if len(wall_starts) > RUN_LIMIT:
        raise DomainError(f"That makes {len(wall_starts)} times; one run adds at most {RUN_LIMIT}.", field="every")
    moments = [to_utc(conference, day, s.time(), field="first") for s in wall_starts]
    _lock(conference)
    existing = times_of(conference)
    for moment in moments:
        clash = _clash(existing, moment, minutes)
        if clash is not None:
            raise _clash_error(conference, clash, "first")
    added = [MeetingTime(conference_id=conference.id, starts_at=m, minutes=minutes, label=label) for m in moments]
    db.session.add_all(added)
    db.session.flush()
    return added


def conference_time(conference: Conference, time_id: int) -> MeetingTime:
    """One of the conference's meeting times; DomainError for any other id."""
    found = db.session.get(MeetingTime, time_id)
    if found is None or found.conference_id != conference.id:
        raise DomainError("That meeting time is not part of this conference.")
    return found


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def remove_time(conference: Conference, time_id: int, now: datetime | None = None) -> MeetingTime:
    """Remove a meeting time that has not begun and holds no accepted meeting or huddle; requests
    still waiting for an answer go with it, and both people hear so."""
    found = conference_time(conference, time_id)
    label = time_label(conference, found)
    if found.starts_at <= (now or utcnow()):
        raise DomainError(f"{label} has already begun: it stays, with the meetings held in it, for the figures.")
    accepted = db.session.scalar(select(func.count()).select_from(Meeting).where(
        Meeting.time_id == found.id, Meeting.state == "accepted"))
    huddles = db.session.scalar(select(func.count()).select_from(Huddle).where(
        Huddle.time_id == found.id, Huddle.cancelled_at.is_(None)))
    if accepted or huddles:
        held = " and ".join(part for part in (accepted and _plural(accepted, "accepted meeting", "accepted meetings"),
                                              huddles and _plural(huddles, "huddle", "huddles")) if part)
        raise DomainError(f"{label} holds {held}: people have planned their day around it, so it stays. "
                          "They can cancel or move them; once it holds none, you can remove it.")
    waiting = db.session.scalars(select(Meeting).where(Meeting.time_id == found.id, Meeting.state == "requested"))
    for meeting in waiting:
        text = f"The organizers removed the meeting time {label}, so the request to meet there is withdrawn."
        notify(meeting.asker, meeting.invitee, "time_removed", text)
        notify(meeting.invitee, meeting.asker, "time_removed", text)
    _delete_time(found)
    return found


def _delete_time(found: MeetingTime) -> None:
    """The time and what refers to it (SQLite keeps no foreign keys, so no cascade is left to it)."""
    meeting_ids = select(Meeting.id).where(Meeting.time_id == found.id)
    db.session.execute(update(Meeting).where(Meeting.replaces_id.in_(meeting_ids)).values(replaces_id=None))
    for model in (Booking, TableBooking, Meeting):
        db.session.execute(delete(model).where(model.time_id == found.id))
    for huddle in db.session.scalars(select(Huddle).where(Huddle.time_id == found.id)):
        db.session.delete(huddle)
    db.session.flush()
    db.session.delete(found)
    db.session.flush()


def times_by_day(conference: Conference) -> list[tuple[date, list[MeetingTime]]]:
    """The times grouped by their day on the venue's clock."""
    days: dict[date, list[MeetingTime]] = {}
    for item in times_of(conference):
        days.setdefault(local_time(conference, item.starts_at).date(), []).append(item)
    return list(days.items())


def spots_of(conference: Conference) -> list[MeetingSpot]:
    """The conference's spots, in use first, by name."""
    return list(db.session.scalars(select(MeetingSpot).where(MeetingSpot.conference_id == conference.id)
                                   .order_by(MeetingSpot.retired, MeetingSpot.name)))


def conference_spot(conference: Conference, spot_id: int) -> MeetingSpot:
    """One of the conference's spots; DomainError for any other id."""
    found = db.session.get(MeetingSpot, spot_id)
    if found is None or found.conference_id != conference.id:
        raise DomainError("That spot is not part of this conference.")
    return found


def _spot_name(conference: Conference, name: str | None, spot_id: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Name the spot, e.g. “Networking lounge”.", field="name")
    if len(name) > max_length(MeetingSpot.name):
        raise DomainError(too_long(MeetingSpot.name), field="name")
    same = db.session.scalar(select(MeetingSpot).where(MeetingSpot.conference_id == conference.id,
                                                       func.lower(MeetingSpot.name) == name.lower(),
                                                       MeetingSpot.id != (spot_id or 0)))
    if same is not None:
        retired = " (retired: restore it instead)" if same.retired else ""
        raise DomainError(f"There is already a spot called “{same.name}”{retired}.", field="name")
    return name


def _capacity(capacity: int | None) -> int:
    if capacity is None:
        raise DomainError("Give how many meetings fit at once (tables).", field="capacity")
    if not CAPACITY[0] <= capacity <= CAPACITY[1]:
        raise DomainError(f"A spot holds from {CAPACITY[0]} to {CAPACITY[1]} meetings at once.", field="capacity")
    return capacity


def add_spot(conference: Conference, name: str | None, capacity: int | None) -> MeetingSpot:
    """Add a spot: `capacity` meetings or huddles fit there at once, one per numbered table."""
    spot = MeetingSpot(conference_id=conference.id, name=_spot_name(conference, name), capacity=_capacity(capacity))
    db.session.add(spot)
    db.session.flush()
    return spot


def edit_spot(conference: Conference, spot_id: int, name: str | None, capacity: int | None,
              now: datetime | None = None) -> MeetingSpot:
    """Rename a spot or change its capacity (never below a table booked at a time still to come)."""
    spot = conference_spot(conference, spot_id)
    name, capacity = _spot_name(conference, name, spot.id), _capacity(capacity)
    highest = db.session.scalar(select(func.max(TableBooking.table_no)).join(
        MeetingTime, MeetingTime.id == TableBooking.time_id).where(
        TableBooking.spot_id == spot.id, MeetingTime.starts_at > (now or utcnow())))
    if highest and capacity < highest:
        raise DomainError(f"Table {highest} is booked at a time still to come, so the capacity can't go below "
                          f"{highest}.", field="capacity")
    spot.name, spot.capacity = name, capacity
    db.session.flush()
    return spot


def set_spot_retired(conference: Conference, spot_id: int, retired: bool) -> MeetingSpot:
    """Retire a spot (no new meetings or huddles there; those booked keep it), or bring it back."""
    spot = conference_spot(conference, spot_id)
    if not retired:
        _spot_name(conference, spot.name, spot.id)
    spot.retired = retired
    db.session.flush()
    return spot
