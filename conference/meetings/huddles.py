"""Problem-of-practice huddles: a host's question, a small table of peers who can help, a short waiting
list, and afterwards contacts swapped and a circle made.

The database keeps the rules under concurrency: a huddle's seats are numbered 1..size and each number is
a row that can exist once (`HuddleSeat`), so two people taking the last seat at the same moment leave one
seated and the other on the waiting list (or told it is full); each seat holds the person's `Booking` for
that time, so nobody is in a huddle and a meeting at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, case, delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, selectinload

from conference.attendees.models import Attendee
from conference.circles.models import Circle
from conference.circles.operations import NAME_LIMIT, add_members, create_circle
from conference.contacts.models import Connection
from conference.contacts.operations import connection_between, save_contact
from conference.errors import DomainError
from conference.events.models import utcnow
from conference.events.operations import ensure_open, local_today
from conference.extensions import db
from conference.interests.models import AttendeeInterest, Interest
from conference.lengths import max_length
from conference.meetings import booking
from conference.meetings.models import (HUDDLE_SIZES, Booking, Huddle, HuddleInterest, HuddleSeat, HuddleWaiting,
                                        MeetingTime, TableBooking)
from conference.meetings.notices import notify
from conference.privacy.operations import before_account_deleted, data_section
from conference.security import clean_text

QUESTION_LENGTH = (10, max_length(Huddle.question))
REASON_LIMIT = max_length(Huddle.cancel_reason)
MAX_INTERESTS = 2
DEFAULT_SIZE = 6
# Defaults of the config keys HUDDLE_WAITING_LIST and HUDDLE_INVITES (conference/config.py).
WAITING_LIST = 5
INVITES = 40


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _open(conference, now: datetime | None) -> None:
    ensure_open(conference, local_today(conference, now) if now else None)


# ---- starting one -------------------------------------------------------------------------------

def clean_question(text: str | None) -> str:
    """The question on one line, of QUESTION_LENGTH characters."""
    question = " ".join(clean_text(text or "").split())
    low, high = QUESTION_LENGTH
    if not question:
        raise DomainError("Write the question you want help with, like “Chronic absence in K–2: what actually "
                          "worked?”.", field="question")
    if len(question) < low:
        raise DomainError(f"Say a little more: a question of at least {low} characters helps people see if they "
                          "can help.", field="question")
    if len(question) > high:
        raise DomainError(f"A question can be at most {high} characters; this one has {len(question)}.",
                          field="question")
    return question


def _interests(conference, interest_ids) -> list[Interest]:
    ids = {i for i in (interest_ids or ()) if isinstance(i, int)}
    if not ids:
        raise DomainError("Choose one or two interests, so we can invite people who can help with them.",
                          field="interests")
    if len(ids) > MAX_INTERESTS:
        raise DomainError(f"Choose at most {MAX_INTERESTS} interests: a huddle stays focused.", field="interests")
    found = list(db.session.scalars(select(Interest).where(
        Interest.id.in_(ids), Interest.conference_id == conference.id, Interest.retired.is_(False))
        .order_by(Interest.position, Interest.name)))
    if len(found) != len(ids):
        raise DomainError("One of those interests is not on this conference's list any more. Choose again.",
                          field="interests")
    return found


def _size(size) -> int:
    low, high = HUDDLE_SIZES
    if not isinstance(size, int) or not low <= size <= high:
        raise DomainError(f"A huddle seats {low} to {high} people, you included.", field="size")
    return size


def start_huddle(host: Attendee, question: str, interest_ids, time_id, spot_id=None, size: int = DEFAULT_SIZE,
                 now: datetime | None = None) -> Huddle:
    """Start a huddle: the host takes seat 1 and a table is held at the spot (proposed when none is given)."""
    now = now or utcnow()
    conference = host.conference
    _open(conference, now)
    errors: dict[str, str] = {}
    checked: dict = {}
    for name, check in (("question", lambda: clean_question(question)),
                        ("interests", lambda: _interests(conference, interest_ids)),
                        ("size", lambda: _size(size)),
                        ("time", lambda: booking.chosen_time(conference, time_id, now))):
        try:
            checked[name] = check()
        except DomainError as error:
            errors.setdefault(error.field, error.message)
    time = checked.get("time")
    if time is not None and time.id in booking.busy_time_ids(host.id):
        errors["time"] = "You already have a meeting or a huddle at that time: choose another time."
        time = None
    spot_id = None if spot_id == "" else spot_id
    try:
        spot = (booking.place_at(conference, spot_id, time)[0] if time is not None
                else booking.chosen_spot(conference, spot_id) if spot_id is not None else None)
    except DomainError as error:
        errors.setdefault(error.field, error.message)
    if errors:
        field_name = next(iter(errors))
        raise DomainError(errors[field_name], field=field_name, errors=errors)

    huddle = Huddle(conference_id=conference.id, host_id=host.id, question=checked["question"], time_id=time.id,
                    spot_id=spot.id, size=checked["size"], created_at=now)
    huddle.interests = [HuddleInterest(interest_id=i.id) for i in checked["interests"]]
    db.session.add(huddle)
    db.session.flush()
    booking.take_table(spot, time, huddle_id=huddle.id)
    if _take_seat(huddle, host, now) is None:  # a new huddle has every seat free
        raise DomainError("Could not seat you at your own huddle. Try again.")
    db.session.flush()
    return huddle


# ---- seats and the waiting list -------------------------------------------------------------------

def _seat_of(huddle: Huddle, person: Attendee) -> int | None:
    return db.session.scalar(select(HuddleSeat.seat_no).where(
        HuddleSeat.huddle_id == huddle.id, HuddleSeat.attendee_id == person.id))


def _take_seat(huddle: Huddle, person: Attendee, now: datetime) -> int | None:
    """Seat `person` at the lowest free seat with their booking for the huddle's time; None when every
    seat is taken. The seat's primary key decides a race: the loser reads the seats again."""
    for _ in range(huddle.size + 1):
        taken = set(db.session.scalars(select(HuddleSeat.seat_no).where(HuddleSeat.huddle_id == huddle.id)))
        free = next((n for n in range(1, huddle.size + 1) if n not in taken), None)
        if free is None:
            return None
        try:
            with db.session.begin_nested():
                db.session.add(HuddleSeat(huddle_id=huddle.id, seat_no=free, attendee_id=person.id, joined_at=now))
                db.session.flush()
                booking.book(person, huddle.time, huddle_id=huddle.id,
                             conflict="You already have a meeting or a huddle at that time.")
            return free
        except IntegrityError:
            mine = _seat_of(huddle, person)
            if mine is not None:  # the same person, from two tabs
                return mine
    return None


def _check_can_change(huddle: Huddle, person: Attendee, now: datetime) -> None:
    if person.conference_id != huddle.conference_id:
        raise DomainError("This huddle is at another conference.")
    if huddle.cancelled_at is not None:
        raise DomainError("This huddle was cancelled by its host.")
    if huddle.time.starts_at <= now:
        raise DomainError("This huddle has already started, so its seats can't change now.")


def join_huddle(huddle: Huddle, person: Attendee, now: datetime | None = None) -> str:
    """Take a free seat ("seated"), or a place on the short waiting list when the huddle is full ("waiting")."""
    now = now or utcnow()
    _check_can_change(huddle, person, now)
    _open(person.conference, now)
    if _seat_of(huddle, person) is not None:
        return "seated"
    if huddle.time_id in booking.busy_time_ids(person.id):
        raise DomainError("You already have a meeting or a huddle at that time.", field="time")
    seat = _take_seat(huddle, person, now)
    if seat is not None:
        db.session.execute(delete(HuddleWaiting).where(HuddleWaiting.huddle_id == huddle.id,
                                                       HuddleWaiting.attendee_id == person.id))
        db.session.expire(huddle, ["seats", "waiting"])
        return "seated"
    # One waiting-list addition at a time per huddle, so the list never grows past its length.
    db.session.execute(select(Huddle.id).where(Huddle.id == huddle.id).with_for_update())
    waiting = list(db.session.scalars(select(HuddleWaiting.attendee_id).where(HuddleWaiting.huddle_id == huddle.id)))
    if person.id in waiting:
        return "waiting"
    if len(waiting) >= _setting("HUDDLE_WAITING_LIST", WAITING_LIST):
        raise DomainError("This huddle is full, and so is its waiting list. Look for another huddle, or start one.")
    try:
        with db.session.begin_nested():
            db.session.add(HuddleWaiting(huddle_id=huddle.id, attendee_id=person.id, joined_at=now))
    except IntegrityError:
        pass  # already on the list, from another tab
    db.session.expire(huddle, ["seats", "waiting"])
    return "waiting"


def _move_up(huddle: Huddle, now: datetime) -> Attendee | None:
    """Seat the first person on the waiting list who is free at the huddle's time, and tell them."""
    waiting = db.session.scalars(select(HuddleWaiting).where(HuddleWaiting.huddle_id == huddle.id)
                                 .order_by(HuddleWaiting.id).options(selectinload(HuddleWaiting.attendee))).all()
    busy = set(db.session.scalars(select(Booking.attendee_id).where(
        Booking.time_id == huddle.time_id, Booking.attendee_id.in_([w.attendee_id for w in waiting]))))
    for place in waiting:
        if place.attendee_id in busy:
            continue  # booked something else since; keeps their place in case that changes
        try:
            seat = _take_seat(huddle, place.attendee, now)
        except DomainError:
            continue
        if seat is None:
            return None  # someone took the seat first
        person = place.attendee
        db.session.delete(place)
        when = booking.time_label(person.conference, huddle.time)
        notify(person, about=huddle.host, kind="huddle_seat",
               text=f"A seat opened up and it is yours: “{huddle.question}”, {when}, {_place(huddle)}.")
        return person
    return None


def leave_huddle(huddle: Huddle, person: Attendee, now: datetime | None = None) -> None:
    """Give up a seat (its booking is freed and the first free person waiting moves up) or a waiting place."""
    now = now or utcnow()
    _check_can_change(huddle, person, now)
    if huddle.host_id == person.id:
        raise DomainError("You host this huddle: cancel it instead, with a line for the others.")
    seat = _seat_of(huddle, person)
    if seat is None:
        db.session.execute(delete(HuddleWaiting).where(HuddleWaiting.huddle_id == huddle.id,
                                                       HuddleWaiting.attendee_id == person.id))
        db.session.expire(huddle, ["seats", "waiting"])
        return
    db.session.execute(delete(HuddleSeat).where(HuddleSeat.huddle_id == huddle.id,
                                                HuddleSeat.attendee_id == person.id))
    booking.release(huddle_id=huddle.id, attendee_id=person.id)
    _move_up(huddle, now)
    db.session.flush()
    db.session.expire(huddle, ["seats", "waiting"])


def cancel_huddle(huddle: Huddle, by: Attendee, reason: str = "", now: datetime | None = None) -> None:
    """The host calls it off: every seat, booking and the table are freed, and everyone in it is told."""
    now = now or utcnow()
    if huddle.host_id != by.id:
        raise DomainError("Only the host can cancel a huddle.")
    _check_can_change(huddle, by, now)
    reason = " ".join(clean_text(reason or "").split())
    if len(reason) > REASON_LIMIT:
        raise DomainError(f"A reason can be at most {REASON_LIMIT} characters; this one has {len(reason)}.",
                          field="reason")
    _call_off(huddle, now, reason=reason, about=by, why=f": {reason}" if reason else ".")


def _call_off(huddle: Huddle, now: datetime, *, reason: str, about: Attendee | None, why: str) -> None:
    """Cancel the huddle: its bookings, waiting list and table are freed, and everyone in it but the host
    reads "The huddle … is cancelled" and `why`, in a notice about `about`."""
    told = ([s.attendee for s in huddle.seats if s.attendee_id != huddle.host_id]
            + [w.attendee for w in huddle.waiting])
    huddle.cancelled_at = now
    huddle.cancel_reason = reason
    booking.release(huddle_id=huddle.id)
    db.session.execute(delete(HuddleWaiting).where(HuddleWaiting.huddle_id == huddle.id))
    when = booking.time_label(huddle.host.conference, huddle.time)
    for person in told:
        notify(person, about=about, kind="huddle_cancelled",
               text=f"The huddle “{huddle.question}” at {when} is cancelled{why}")
    db.session.flush()
    db.session.expire(huddle, ["seats", "waiting"])


@before_account_deleted("huddles")
def _leave_huddles(person: Attendee) -> None:
    """Before `person`'s account goes: the upcoming huddles they host are cancelled (the notice names
    nobody, as it outlives them), and they give up their seats and waiting places in the others."""
    now = utcnow()
    upcoming = (select(Huddle).join(MeetingTime, MeetingTime.id == Huddle.time_id)
                .where(Huddle.cancelled_at.is_(None), MeetingTime.starts_at > now).order_by(Huddle.id))
    for huddle in db.session.scalars(upcoming.where(Huddle.host_id == person.id)).all():
        _call_off(huddle, now, reason="", about=None, why=": the host left PLN Connect.")
    seated = select(HuddleSeat.huddle_id).where(HuddleSeat.attendee_id == person.id)
    waiting = select(HuddleWaiting.huddle_id).where(HuddleWaiting.attendee_id == person.id)
    for huddle in db.session.scalars(upcoming.where(or_(Huddle.id.in_(seated), Huddle.id.in_(waiting)))).all():
        leave_huddle(huddle, person, now)


# ---- invitations ----------------------------------------------------------------------------------

def invitees(huddle: Huddle, limit: int = INVITES) -> list[Attendee]:
    """Who to invite: people of the conference who can help with one of the huddle's interests, who joined,
    are not hidden, take requests, are free at its time and not in it yet; those offering both interests
    first, then those sharing more interests with the host."""
    ai = AttendeeInterest.__table__
    topics = sorted(hi.interest_id for hi in huddle.interests)
    host_interests = set(db.session.scalars(select(ai.c.interest_id).where(ai.c.attendee_id == huddle.host_id))
                         ) if huddle.host_id else set()
    # One pass over the interest rows of these few interests (a range of the interest index each): per
    # person, how many of the huddle's interests they offer and how many interests they share with the host.
    offered = func.sum(case((and_(ai.c.interest_id.in_(topics), ai.c.offers), 1), else_=0))
    shared = func.sum(case((ai.c.interest_id.in_(sorted(host_interests)), 1), else_=0))
    scores = (select(ai.c.attendee_id, offered.label("offered"), shared.label("shared"))
              .where(ai.c.interest_id.in_(sorted(set(topics) | host_interests)))
              .group_by(ai.c.attendee_id).having(offered > 0)
              .subquery("scores"))
    a = Attendee.__table__
    statement = (
        select(Attendee).join(scores, scores.c.attendee_id == a.c.id)
        .where(a.c.conference_id == huddle.conference_id, Attendee.has_joined, a.c.hidden.is_(False),
               a.c.meeting_requests.is_(True), a.c.id != func.coalesce(huddle.host_id, -1),
               ~exists().where(Booking.attendee_id == a.c.id, Booking.time_id == huddle.time_id),
               ~exists().where(HuddleWaiting.huddle_id == huddle.id, HuddleWaiting.attendee_id == a.c.id))
        .order_by(scores.c.offered.desc(), scores.c.shared.desc(), a.c.id).limit(limit)
        .options(lazyload(Attendee.interests), lazyload(Attendee.conference)))
    return list(db.session.scalars(statement))


def invite(huddle: Huddle, now: datetime | None = None) -> int:
    """Tell the best few invitees about the huddle (capped, so a popular interest spams nobody); how many."""
    if huddle.cancelled_at is not None or huddle.host is None:
        return 0
    _open(huddle.host.conference, now)
    if huddle.host.hidden:
        return 0  # nobody hears about a person who hid themselves
    when = booking.time_label(huddle.host.conference, huddle.time)
    topics = " and ".join(hi.interest.name for hi in huddle.interests)
    people = invitees(huddle, limit=_setting("HUDDLE_INVITES", INVITES))
    for person in people:
        notify(person, about=huddle.host, kind="huddle_invite",
               text=f"{huddle.host.name} asks for help with {topics}: “{huddle.question}”, {when}, {_place(huddle)}.")
    return len(people)


# ---- reading them -----------------------------------------------------------------------------------

def table_of(huddle: Huddle) -> int | None:
    """The table number the huddle holds at its spot (None once cancelled)."""
    return db.session.scalar(select(TableBooking.table_no).where(TableBooking.huddle_id == huddle.id))


def _place(huddle: Huddle, table: int | None = None) -> str:
    return huddle.spot.place(table if table is not None else table_of(huddle))


def huddle_for(viewer: Attendee, huddle_id: int) -> Huddle:
    """A huddle of the viewer's conference; one of another conference looks like a missing one."""
    huddle = db.session.get(Huddle, huddle_id)
    if huddle is None or huddle.conference_id != viewer.conference_id:
        raise DomainError("That huddle is not at your conference.")
    return huddle


def host_name(huddle: Huddle, viewer: Attendee, seated: bool = False) -> str:
    """The host's name, except a hidden host's to people not at the table."""
    host = huddle.host
    if host is None:
        return "a former attendee"
    if host.hidden and not seated and host.id != viewer.id:
        return "a fellow attendee"
    return host.name


@dataclass
class HuddleItem:
    """One huddle as a list shows it."""

    id: int
    question: str
    when: str
    place: str
    interests: list[str]
    size: int
    taken: int
    status: str | None            # "host", "seated", "waiting" or None
    cancelled: bool = False
    host: str = ""

    @property
    def seats_left(self) -> int:
        return max(self.size - self.taken, 0)


@dataclass
class HuddleLists:
    """A person's huddles: mine (hosting, seated or waiting), invited to (I can help), what I seek,
    others of the conference (all upcoming), and mine that have ended (to swap contacts, make a circle)."""

    mine: list[HuddleItem] = field(default_factory=list)
    invited: list[HuddleItem] = field(default_factory=list)
    seeking: list[HuddleItem] = field(default_factory=list)
    others: list[HuddleItem] = field(default_factory=list)
    past: list[HuddleItem] = field(default_factory=list)
    others_pages: Pagination | None = None   # which page of the others this is, and whether more follow


def huddles_for(person: Attendee, now: datetime | None = None, others: int = 20, page: int = 1) -> HuddleLists:
    """The huddles `person` hosts or is in, is invited to, may want, and the other open ones (`others` to
    a page, page `page`, soonest first); upcoming only (and mine that have ended)."""
    now = now or utcnow()
    conference = person.conference
    seated = select(HuddleSeat.huddle_id).where(HuddleSeat.attendee_id == person.id)
    waiting = select(HuddleWaiting.huddle_id).where(HuddleWaiting.attendee_id == person.id)
    base = (select(Huddle).join(MeetingTime, MeetingTime.id == Huddle.time_id)
            .where(Huddle.conference_id == conference.id)
            .options(selectinload(Huddle.interests), lazyload(Huddle.seats), lazyload(Huddle.waiting)))
    upcoming = base.where(MeetingTime.starts_at > now, Huddle.cancelled_at.is_(None))
    mine = list(db.session.scalars(base.where(or_(Huddle.host_id == person.id, Huddle.id.in_(seated),
                                                  Huddle.id.in_(waiting)))
                                   .order_by(MeetingTime.starts_at, Huddle.id).limit(100)))
    mine_ids = {h.id for h in mine}
    offers, seeks = set(person.offers), set(person.seeks)

    def matching(interest_ids: set[int], leave_out: set[int], limit: int = 30) -> list[Huddle]:
        if not interest_ids:
            return []
        return list(db.session.scalars(
            upcoming.where(exists().where(HuddleInterest.huddle_id == Huddle.id,
                                          HuddleInterest.interest_id.in_(interest_ids)),
                           Huddle.id.not_in(leave_out or {-1}))
            .order_by(MeetingTime.starts_at, Huddle.id).limit(limit)))

    invited = matching(offers, mine_ids)
    seeking = matching(seeks, mine_ids | {h.id for h in invited})
    shown = mine_ids | {h.id for h in invited} | {h.id for h in seeking}
    pages = db.paginate(upcoming.where(Huddle.id.not_in(shown or {-1})).order_by(MeetingTime.starts_at, Huddle.id),
                        page=page, per_page=others, error_out=False)
    rest = list(pages.items)
    everything = mine + invited + seeking + rest
    ids = [h.id for h in everything]
    counts = dict(db.session.execute(select(HuddleSeat.huddle_id, func.count()).where(
        HuddleSeat.huddle_id.in_(ids or [-1])).group_by(HuddleSeat.huddle_id)).all())
    tables = dict(db.session.execute(select(TableBooking.huddle_id, TableBooking.table_no).where(
        TableBooking.huddle_id.in_(ids or [-1]))).all())
    my_seats = set(db.session.scalars(seated.where(HuddleSeat.huddle_id.in_(ids or [-1]))))
    my_waits = set(db.session.scalars(waiting.where(HuddleWaiting.huddle_id.in_(ids or [-1]))))
    hosts = {a.id: a for a in db.session.scalars(select(Attendee).where(
        Attendee.id.in_({h.host_id for h in everything if h.host_id} or {-1}))
        .options(lazyload(Attendee.interests), lazyload(Attendee.conference)))}

    def item(huddle: Huddle) -> HuddleItem:
        status = ("host" if huddle.host_id == person.id else "seated" if huddle.id in my_seats
                  else "waiting" if huddle.id in my_waits else None)
        host = hosts.get(huddle.host_id)
        name = ("a former attendee" if host is None else
                "a fellow attendee" if host.hidden and status is None else host.name)
        return HuddleItem(huddle.id, huddle.question, booking.time_label(conference, huddle.time),
                          huddle.spot.place(tables.get(huddle.id)), [hi.interest.name for hi in huddle.interests],
                          huddle.size, counts.get(huddle.id, 0), status, huddle.cancelled_at is not None, name)

    lists = HuddleLists(invited=[item(h) for h in invited], seeking=[item(h) for h in seeking],
                        others=[item(h) for h in rest], others_pages=pages)
    for huddle in mine:
        if huddle.time.ends_at <= now:
            if huddle.cancelled_at is None and (huddle.id in my_seats or huddle.host_id == person.id):
                lists.past.append(item(huddle))
        elif huddle.time.starts_at > now or huddle.cancelled_at is None:
            lists.mine.append(item(huddle))
    lists.past.reverse()  # the latest first
    return lists


@dataclass
class HuddleView:
    """One huddle as its page shows it to `viewer`."""

    huddle: Huddle
    when: str
    place: str
    host: str
    taken: int
    status: str | None                       # "host", "seated", "waiting" or None
    position: int | None                     # on the waiting list
    waiting: int
    started: bool
    ended: bool
    members: list[Attendee] = field(default_factory=list)   # for the host, and for members once it ended
    saved: set[int] = field(default_factory=set)             # members the viewer has saved

    @property
    def seats_left(self) -> int:
        return max(self.huddle.size - self.taken, 0)

    @property
    def cancelled(self) -> bool:
        return self.huddle.cancelled_at is not None

    @property
    def can_join(self) -> bool:
        return not (self.cancelled or self.started or self.status in ("host", "seated"))


def huddle_view(huddle: Huddle, viewer: Attendee, now: datetime | None = None) -> HuddleView:
    """What the huddle's page shows `viewer`: the host sees who is coming; members see each other once it ended."""
    now = now or utcnow()
    seats = db.session.scalars(select(HuddleSeat).where(HuddleSeat.huddle_id == huddle.id)
                               .order_by(HuddleSeat.seat_no).options(selectinload(HuddleSeat.attendee))).all()
    waiting = list(db.session.scalars(select(HuddleWaiting.attendee_id).where(HuddleWaiting.huddle_id == huddle.id)
                                      .order_by(HuddleWaiting.id)))
    members = [s.attendee for s in seats]
    seated = viewer.id in {m.id for m in members}
    status = ("host" if huddle.host_id == viewer.id else "seated" if seated
              else "waiting" if viewer.id in waiting else None)
    ended = huddle.time.ends_at <= now
    view = HuddleView(huddle, booking.time_label(viewer.conference, huddle.time), _place(huddle),
                      host_name(huddle, viewer, seated), len(seats), status,
                      waiting.index(viewer.id) + 1 if viewer.id in waiting else None, len(waiting),
                      huddle.time.starts_at <= now, ended)
    if status == "host" or (seated and ended):
        view.members = [m for m in members if m.id != viewer.id]
        view.saved = set(db.session.scalars(select(Connection.contact_id).where(
            Connection.owner_id == viewer.id, Connection.contact_id.in_([m.id for m in view.members] or [-1]))))
    return view


# ---- after the huddle ---------------------------------------------------------------------------------

def _after(huddle: Huddle, person: Attendee, now: datetime | None) -> list[Attendee]:
    """The other members, once the huddle has ended, for a member; DomainError otherwise."""
    now = now or utcnow()
    if huddle.cancelled_at is not None:
        raise DomainError("This huddle was cancelled, so there is nobody to swap contacts with.")
    if huddle.time.ends_at > now:
        raise DomainError("You can swap contacts and make a circle once the huddle is over.")
    members = list(db.session.scalars(select(Attendee).join(HuddleSeat, HuddleSeat.attendee_id == Attendee.id)
                                      .where(HuddleSeat.huddle_id == huddle.id).order_by(HuddleSeat.seat_no)))
    if person.id not in {m.id for m in members}:
        raise DomainError("Only the people who sat at this huddle can swap contacts from it.")
    return [m for m in members if m.id != person.id]


def swap_contact(huddle: Huddle, person: Attendee, other: Attendee, now: datetime | None = None) -> Connection:
    """One tap after the huddle: save `other` (who sat at it too) as `person`'s contact; they can save back."""
    others = _after(huddle, person, now)
    if other.id not in {m.id for m in others}:
        raise DomainError("That person did not sit at this huddle.")
    return save_contact(person, other)


def huddle_to_circle(huddle: Huddle, person: Attendee, name: str | None = None,
                     now: datetime | None = None) -> Circle:
    """Turn the huddle into one of `person`'s circles, named after its question: the other members are saved
    as contacts first where they are not yet (a circle holds only saved contacts)."""
    others = _after(huddle, person, now)
    if not others:
        raise DomainError("Nobody else sat at this huddle, so there is no circle to make.")
    circle = create_circle(person, name if name is not None else circle_name(huddle.question))
    connections = {(connection_between(person, other) or save_contact(person, other)).id for other in others}
    add_members(person, circle.id, connections)
    return circle


def circle_name(question: str) -> str:
    if len(question) <= NAME_LIMIT:
        return question
    return question[:NAME_LIMIT - 1].rstrip() + "…"


# ---- what the start form offers ---------------------------------------------------------------------------

def interests_of(conference) -> list[Interest]:
    """The conference's interests a huddle can be about (not retired), in the organizer's order."""
    return list(db.session.scalars(select(Interest).where(
        Interest.conference_id == conference.id, Interest.retired.is_(False)).order_by(Interest.position, Interest.name)))


@data_section("huddles")
def _my_huddles(person: Attendee) -> list[dict]:
    """For the /me/data download: the huddles I host, sit at or wait for (not who else is in them)."""
    seated = select(HuddleSeat.huddle_id).where(HuddleSeat.attendee_id == person.id)
    waiting = select(HuddleWaiting.huddle_id).where(HuddleWaiting.attendee_id == person.id)
    huddles = db.session.scalars(select(Huddle).join(MeetingTime, MeetingTime.id == Huddle.time_id).where(
        or_(Huddle.host_id == person.id, Huddle.id.in_(seated), Huddle.id.in_(waiting)))
        .order_by(MeetingTime.starts_at, Huddle.id))
    seats, waits = set(db.session.scalars(seated)), set(db.session.scalars(waiting))
    return [{"question": h.question, "interests": [hi.interest.name for hi in h.interests],
             "starts_at": h.time.starts_at.isoformat(timespec="seconds") + "Z", "minutes": h.time.minutes,
             "place": _place(h), "size": h.size,
             "me": "host" if h.host_id == person.id else "seated" if h.id in seats else "waiting" if h.id in waits
             else "",
             "cancelled": h.cancelled_at is not None, "cancel_reason": h.cancel_reason}
            for h in huddles]
