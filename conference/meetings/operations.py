"""Asking to meet: a request for a time and a spot, answered once (accepted, "not this time", or another
time proposed), cancelled by either with a reason; and a person's schedule of meetings and huddles.

Accepting books both people and a table through booking.py, whose unique keys decide every race."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from conference.attendees.models import Attendee
from conference.errors import DomainError
from conference.events.models import utcnow
from conference.events.operations import is_closed, local_time
from conference.extensions import db
from conference.lengths import max_length
from conference.meetings.booking import book, busy_time_ids, chosen_time, place_at, release, take_table, time_label
from conference.meetings.models import Huddle, HuddleSeat, Meeting, MeetingTime, TableBooking
from conference.meetings.notices import notify
from conference.privacy.operations import before_account_deleted, data_section
from conference.security import clean_text

MESSAGE_LIMIT = max_length(Meeting.message)
REASON_LIMIT = max_length(Meeting.cancel_reason)
NOBODY = "Nobody to ask here."
NO_REQUESTS = "This person doesn't take meeting requests."


def _has_joined(person) -> bool:
    """An Attendee, or a card's Person (which knows only whether its profile waits to be claimed)."""
    joined = getattr(person, "has_joined", None)
    return (not person.claimable) if joined is None else bool(joined)


def may_see(asker, invitee) -> bool:
    """Whether `asker` may see `invitee`'s card as someone to meet: the rule of "people to meet"
    (same conference, joined or claimed, not hidden), whether or not either saved the other."""
    return (invitee.id != asker.id and invitee.conference_id == asker.conference_id and not invitee.hidden
            and _has_joined(invitee))


def may_ask(asker, invitee) -> str | None:
    """None when `asker` may ask `invitee` to meet, else why not, in words the asker reads. Hidden,
    requests off and not joined read alike, so the answer tells nothing the card does not."""
    if invitee.id == asker.id:
        return "That's you. Ask someone else to meet."
    if invitee.conference_id != asker.conference_id:
        return "This person is at another conference, so you can't ask them to meet here."
    if invitee.hidden or not _has_joined(invitee) or not getattr(invitee, "meeting_requests", True):
        return NO_REQUESTS
    if is_closed(invitee.conference):
        return f"{invitee.conference.name} has closed, so new meeting requests have ended."
    return None


def person_to_ask(asker: Attendee, attendee_id: int) -> Attendee:
    """The person `asker` opened "Ask to meet" for; anyone they may not see is the same "nobody"."""
    invitee = db.session.get(Attendee, attendee_id)
    if invitee is None or not may_see(asker, invitee):
        raise DomainError(NOBODY, field="person")
    return invitee


def meeting_for(person: Attendee, meeting_id: int) -> Meeting:
    """A meeting `person` asked for or was asked to; anyone else's looks like a missing one."""
    meeting = db.session.scalar(select(Meeting).where(
        Meeting.id == meeting_id, or_(Meeting.asker_id == person.id, Meeting.invitee_id == person.id)))
    if meeting is None:
        raise DomainError("That meeting is not yours.")
    return meeting


def clean_message(text: str | None) -> str:
    """The optional line of a request, on one line, within the column's length."""
    message = " ".join(clean_text(text or "").split())
    if len(message) > MESSAGE_LIMIT:
        raise DomainError(f"The line can be at most {MESSAGE_LIMIT} characters; this one has {len(message)}.",
                          field="message")
    return message


def _check_limits(asker: Attendee, now: datetime) -> None:
    """Against spam, counted in the database: open requests at once, and requests sent in a day."""
    config = current_app.config
    open_limit, day_limit = config["MEETING_OPEN_REQUESTS_LIMIT"], config["MEETING_REQUESTS_PER_DAY"]
    open_requests = db.session.scalar(
        select(func.count()).select_from(Meeting).join(MeetingTime, MeetingTime.id == Meeting.time_id)
        .where(Meeting.asker_id == asker.id, Meeting.state == "requested", MeetingTime.starts_at > now))
    if open_requests >= open_limit:
        raise DomainError(f"You have {open_requests} requests waiting for an answer, the most at once. "
                          "Wait for some answers, or withdraw one in My schedule.", field="limit")
    sent = db.session.scalar(select(func.count()).select_from(Meeting).where(
        Meeting.asker_id == asker.id, Meeting.created_at > now - timedelta(days=1)))
    if sent >= day_limit:
        raise DomainError(f"You have sent {sent} meeting requests in the last day, the most we allow. "
                          "Try again tomorrow.", field="limit")


def _new_request(asker: Attendee, invitee: Attendee, time_id, spot_id, table_no, message: str, now: datetime,
                 replaces: Meeting | None = None) -> Meeting:
    reason = may_ask(asker, invitee)
    if reason:
        raise DomainError(reason, field="person")
    message = clean_message(message)
    conference = invitee.conference
    time = chosen_time(conference, time_id, now)
    if time.id in busy_time_ids(asker.id, invitee.id):
        who = "You already have" if time.id in busy_time_ids(asker.id) else f"{invitee.name} already has"
        raise DomainError(f"{who} a meeting or a huddle at {time_label(conference, time)}. Choose another time.",
                          field="time")
    pending = db.session.scalar(select(Meeting.id).where(
        Meeting.state == "requested", or_(and_(Meeting.asker_id == asker.id, Meeting.invitee_id == invitee.id),
                                          and_(Meeting.asker_id == invitee.id, Meeting.invitee_id == asker.id))))
    if pending is not None:
        raise DomainError(f"There is already a request between you and {invitee.name} waiting for an answer: "
                          "see My schedule.", field="person")
    spot, table = place_at(conference, spot_id, time, table_no)
    meeting = Meeting(conference_id=conference.id, asker_id=asker.id, invitee_id=invitee.id, time_id=time.id,
                      spot_id=spot.id, table_no=table, message=message, created_at=now,
                      replaces_id=replaces.id if replaces else None)
    db.session.add(meeting)
    db.session.flush()
    kind, verb = ("countered", "proposed another time") if replaces else ("requested", "asked to meet")
    notify(invitee, asker, kind, f"{asker.name} {verb}: {time_label(conference, time)}, {spot.place(table)}."
                                 + (f" “{message}”" if message else ""))
    return meeting


def ask_to_meet(asker: Attendee, invitee: Attendee, time_id: int, spot_id: int | None = None,
                table_no: int | None = None, message: str = "", now: datetime | None = None) -> Meeting:
    """Ask `invitee` to meet at one of the conference's meeting times, at a spot (the first with room
    unless one is chosen), with an optional line."""
    now = now or utcnow()
    if may_ask(asker, invitee) is None:
        _check_limits(asker, now)
    return _new_request(asker, invitee, time_id, spot_id, table_no, message, now)


def _answer(meeting: Meeting, by: Attendee, state: str, now: datetime) -> None:
    """Mark an open request answered, once: a second answer (another tab, a stale page) is refused."""
    if by.id != meeting.invitee_id:
        raise DomainError(f"Only {meeting.invitee.name} can answer this request.", field="meeting")
    if meeting.time.starts_at <= now:
        raise DomainError("That time has passed, so the request can no longer be answered.", field="meeting")
    done = db.session.execute(update(Meeting).where(Meeting.id == meeting.id, Meeting.state == "requested")
                              .values(state=state, answered_at=now).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.refresh(meeting)
        said = {"cancelled": "was withdrawn"}.get(meeting.state, "has already been answered")
        raise DomainError(f"This request {said}.", field="meeting")
    db.session.refresh(meeting)


def accept_meeting(meeting: Meeting, by: Attendee, now: datetime | None = None) -> None:
    """Accept a request: both people booked at its time and a table held (the one proposed if free)."""
    now = now or utcnow()
    conference = meeting.invitee.conference
    if is_closed(conference):
        raise DomainError(f"{conference.name} has closed, so meetings can no longer be accepted.", field="meeting")
    _answer(meeting, by, "accepted", now)
    when = time_label(conference, meeting.time)
    book(meeting.invitee, meeting.time, meeting_id=meeting.id,
         conflict=f"You already have a meeting or a huddle at {when}. Propose another time instead.")
    book(meeting.asker, meeting.time, meeting_id=meeting.id,
         conflict=f"{meeting.asker.name} has something else at {when} now. Propose another time instead.")
    try:
        table = take_table(meeting.spot, meeting.time, prefer=meeting.table_no, meeting_id=meeting.id)
    except DomainError:
        raise DomainError(f"{meeting.spot.name} is full at {when} now. Propose another time instead.",
                          field="meeting") from None
    notify(meeting.asker, meeting.invitee, "accepted",
           f"{meeting.invitee.name} accepted: {when}, {meeting.spot.place(table)}.")


def decline_meeting(meeting: Meeting, by: Attendee, now: datetime | None = None) -> None:
    """Not this time: the asker reads that the person is not available."""
    now = now or utcnow()
    _answer(meeting, by, "declined", now)
    notify(meeting.asker, meeting.invitee, "declined",
           f"{meeting.invitee.name} is not available {time_label(meeting.invitee.conference, meeting.time)}.")


def propose_time(meeting: Meeting, by: Attendee, time_id: int, spot_id: int | None = None, message: str = "",
                 now: datetime | None = None) -> Meeting:
    """Answer a request with another time: a new request the other way round, replacing this one."""
    now = now or utcnow()
    if time_id == meeting.time_id:
        raise DomainError("That is the time you were asked for: accept it instead, or choose another.",
                          field="time")
    _answer(meeting, by, "countered", now)
    return _new_request(by, meeting.asker, time_id, spot_id, None, message, now, replaces=meeting)


def cancel_meeting(meeting: Meeting, by: Attendee, reason: str = "", now: datetime | None = None) -> None:
    """Cancel an accepted meeting (either person) or withdraw a request (its asker), with a line of
    reason the other person is told; the table and both bookings are freed."""
    now = now or utcnow()
    if by.id not in (meeting.asker_id, meeting.invitee_id):
        raise DomainError("That meeting is not yours.", field="meeting")
    reason = " ".join(clean_text(reason or "").split())
    if not reason:
        raise DomainError("Add a line for the other person: why you cancel.", field="reason")
    if len(reason) > REASON_LIMIT:
        raise DomainError(f"The reason can be at most {REASON_LIMIT} characters; this one has {len(reason)}.",
                          field="reason")
    if meeting.time.ends_at <= now:
        raise DomainError("That meeting is over, so there is nothing to cancel.", field="meeting")
    states = ("accepted", "requested") if by.id == meeting.asker_id else ("accepted",)
    if not _call_off(meeting, by, reason, states, now):
        raise DomainError("This meeting was already answered or cancelled: reload My schedule.", field="meeting")
    other = meeting.invitee if by.id == meeting.asker_id else meeting.asker
    notify(other, by, "cancelled",
           f"{by.name} cancelled {time_label(other.conference, meeting.time)}: “{reason}”")


def _call_off(meeting: Meeting, by: Attendee, reason: str, states: tuple[str, ...], now: datetime) -> bool:
    """Mark the meeting cancelled by `by` if it is still in one of `states` (once, whoever else tries at
    the same moment) and free its table and bookings; False when it was not."""
    done = db.session.execute(
        update(Meeting).where(Meeting.id == meeting.id, Meeting.state.in_(states))
        .values(state="cancelled", cancelled_at=now, cancelled_by_id=by.id, cancel_reason=reason)
        .execution_options(synchronize_session=False))
    if done.rowcount == 1:
        release(meeting_id=meeting.id)
    db.session.refresh(meeting)
    return done.rowcount == 1


@before_account_deleted("meetings")
def _call_off_meetings(person: Attendee) -> None:
    """Before `person`'s account goes: their upcoming meetings and open requests are cancelled and the
    other person told, in a notice about nobody (it outlives them), naming them unless they are hidden."""
    now = utcnow()
    meetings = db.session.scalars(
        select(Meeting).join(MeetingTime, MeetingTime.id == Meeting.time_id)
        .where(or_(Meeting.asker_id == person.id, Meeting.invitee_id == person.id),
               Meeting.state.in_(("accepted", "requested")), MeetingTime.starts_at > now)
        .order_by(Meeting.id)).all()
    with_whom, who = ("", "the other person") if person.hidden else (f" with {person.name}", "they")
    for meeting in meetings:
        was = meeting.state
        if not _call_off(meeting, person, "", (was,), now):
            continue
        other = meeting.invitee if meeting.asker_id == person.id else meeting.asker
        when = time_label(other.conference, meeting.time)
        notify(other, None, "cancelled",
               f"Your meeting{with_whom} at {when} is cancelled: {who} left PLN Connect." if was == "accepted" else
               f"The meeting request{with_whom} for {when} is withdrawn: {who} left PLN Connect.")


def waiting_count(person_id: int, now: datetime | None = None) -> int:
    """How many requests wait for this person's answer (one COUNT on the invitee/state index)."""
    return db.session.scalar(
        select(func.count()).select_from(Meeting).join(MeetingTime, MeetingTime.id == Meeting.time_id)
        .where(Meeting.invitee_id == person_id, Meeting.state == "requested",
               MeetingTime.starts_at > (now or utcnow())))


def has_meeting_times(conference_id: int, now: datetime | None = None) -> bool:
    """Whether any meeting time of the conference is still ahead (else there is nothing to ask for)."""
    return db.session.scalar(select(MeetingTime.id).where(
        MeetingTime.conference_id == conference_id, MeetingTime.starts_at > (now or utcnow())).limit(1)) is not None


@dataclass
class Item:
    """A meeting or a huddle seat in a schedule."""

    kind: str                  # "meeting" | "huddle"
    id: int
    time: MeetingTime
    when: str                  # 'Thu 10:20–10:40' on the venue's clock
    place: str
    title: str                 # "Samira Okafor" or the huddle's question
    who: list[Attendee] = field(default_factory=list)
    meeting: Meeting | None = None
    huddle: Huddle | None = None

    @property
    def anchor(self) -> str:
        return f"{self.kind}-{self.id}"


@dataclass
class Asked:
    meeting: Meeting
    when: str
    place: str
    status: str                # what the asker reads: never "declined"


@dataclass
class Schedule:
    today: list[Item]
    upcoming: list[Item]
    waiting_for_me: list[Asked]
    i_asked: list[Asked]
    cancelled: list[Asked]     # accepted meetings the other person cancelled, with their reason
    day: date

    @property
    def empty(self) -> bool:
        return not (self.today or self.upcoming or self.waiting_for_me or self.i_asked or self.cancelled)


_STATUS = {"requested": "Waiting for an answer", "declined": "Not available",
           "countered": "Proposed another time", "cancelled": "Withdrawn"}


def schedule_for(person: Attendee, now: datetime | None = None) -> Schedule:
    """`person`'s meetings and huddles of today and ahead, the requests waiting for their answer and
    the ones they sent, in time order."""
    now = now or utcnow()
    conference = person.conference
    today = local_time(conference, now).date()
    day_start = now - timedelta(days=1)  # whatever today is at the venue, it began less than a day ago
    mine = or_(Meeting.asker_id == person.id, Meeting.invitee_id == person.id)
    meetings = db.session.scalars(
        select(Meeting).join(MeetingTime, MeetingTime.id == Meeting.time_id)
        .where(mine, MeetingTime.starts_at > day_start,
               or_(Meeting.state.in_(("accepted", "requested")),
                   and_(Meeting.asker_id == person.id, Meeting.state.in_(("declined", "countered"))),
                   and_(Meeting.state == "cancelled", Meeting.cancelled_by_id != person.id)))
        .options(selectinload(Meeting.asker), selectinload(Meeting.invitee))
        .order_by(MeetingTime.starts_at, Meeting.id)).all()
    tables = dict(db.session.execute(select(TableBooking.meeting_id, TableBooking.table_no).where(
        TableBooking.meeting_id.in_([m.id for m in meetings if m.state == "accepted"]))).all()) if meetings else {}
    items: list[Item] = []
    waiting, asked, cancelled = [], [], []
    for meeting in meetings:
        other = meeting.invitee if meeting.asker_id == person.id else meeting.asker
        when = time_label(conference, meeting.time)
        if meeting.state == "accepted":
            items.append(Item("meeting", meeting.id, meeting.time, when,
                              meeting.spot.place(tables.get(meeting.id)), other.name, [other], meeting=meeting))
            continue
        if meeting.time.starts_at <= now:
            continue  # a request nobody answered in time is nothing to act on now
        entry = Asked(meeting, when, meeting.spot.place(meeting.table_no), _STATUS.get(meeting.state, ""))
        if meeting.state == "cancelled":
            cancelled.append(entry)
        elif meeting.state == "requested" and meeting.invitee_id == person.id:
            waiting.append(entry)
        elif meeting.asker_id == person.id:
            asked.append(entry)
    seats = db.session.scalars(
        select(Huddle).join(HuddleSeat, HuddleSeat.huddle_id == Huddle.id)
        .join(MeetingTime, MeetingTime.id == Huddle.time_id)
        .where(HuddleSeat.attendee_id == person.id, Huddle.cancelled_at.is_(None), MeetingTime.starts_at > day_start)
        .options(selectinload(Huddle.seats).selectinload(HuddleSeat.attendee))).all()
    huddle_tables = dict(db.session.execute(select(TableBooking.huddle_id, TableBooking.table_no).where(
        TableBooking.huddle_id.in_([h.id for h in seats]))).all()) if seats else {}
    for huddle in seats:
        items.append(Item("huddle", huddle.id, huddle.time, time_label(conference, huddle.time),
                          huddle.spot.place(huddle_tables.get(huddle.id)), huddle.question,
                          [seat.attendee for seat in huddle.seats if seat.attendee_id != person.id], huddle=huddle))
    items.sort(key=lambda item: (item.time.starts_at, item.kind, item.id))
    on_today = [item for item in items if local_time(conference, item.time.starts_at).date() == today]
    ahead = [item for item in items if local_time(conference, item.time.starts_at).date() > today]
    return Schedule(on_today, ahead, waiting, asked, cancelled, today)


@data_section("meetings")
def _my_meetings(person: Attendee) -> list[dict]:
    """For the /me/data download: every meeting I asked for or was asked to, as I see it."""
    meetings = db.session.scalars(select(Meeting).where(or_(Meeting.asker_id == person.id,
                                                            Meeting.invitee_id == person.id)).order_by(Meeting.id))
    rows = []
    for meeting in meetings:
        asked = meeting.asker_id == person.id
        state = "not available" if asked and meeting.state == "declined" else meeting.state
        rows.append({"with": (meeting.invitee if asked else meeting.asker).name, "i_asked": asked,
                     "starts_at": meeting.time.starts_at.isoformat(timespec="minutes") + "Z",
                     "spot": meeting.spot.name, "state": state, "message": meeting.message,
                     "cancel_reason": meeting.cancel_reason})
    return rows
