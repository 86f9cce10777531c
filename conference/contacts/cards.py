"""A badge's card, read in one statement: the hot path of the whole app.

Every scan opens a card, so `card_for` reads the person behind a code, their conference,
interests and channels, the viewer (who they are, their interests), what the viewer saved about
this person and whether this person saved the viewer back, in one round trip, into plain
objects. They answer the same attributes the templates and `match_between` use on the ORM
models, without building ORM objects for a page that changes nothing. The contacts card and the
scanner's card both read it here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import DateTime, and_, bindparam, column, exists, func, select, table

from conference.attendees.models import CHANNELS, ROLES, Attendee, Channel
from conference.contacts.models import Connection
from conference.dialects import json_rows
from conference.events.models import Conference, utcnow
from conference.extensions import db
from conference.interests.models import AttendeeInterest, Interest, InterestsMixin

@dataclass(frozen=True, slots=True)
class Named:
    """An interest as a card names it: its name and its place in the conference's list."""

    name: str
    position: int = 0


@dataclass(frozen=True, slots=True)
class CardConference:
    """What a card needs of a conference: its name and join link, and whether it has closed."""

    name: str
    slug: str
    timezone: str = "UTC"
    closes_on: date | None = None
    retain_until: date | None = None


@dataclass(frozen=True, slots=True)
class InterestRow:
    """One interest on a card's person, like an AttendeeInterest: helps with it, looks for it, or both."""

    interest_id: int
    offers: bool
    seeks: bool
    interest: Named


@dataclass(frozen=True, slots=True)
class ChannelRow:
    """One way to reach a card's person, like a Channel."""

    kind: str
    value: str
    visibility: str

    @property
    def label(self) -> str:
        return CHANNELS[self.kind]


@dataclass(frozen=True)
class Person(InterestsMixin):
    """The attributes of an Attendee that a card shows (or, for the viewer, uses)."""

    id: int
    conference_id: int
    conference: CardConference
    interests: list[InterestRow]
    name: str = ""
    role: str = ""
    school: str = ""
    district: str = ""
    state: str = ""
    hidden: bool = False
    channels: list[ChannelRow] = field(default_factory=list)
    claimable: bool = False  # imported by the organizer, not claimed yet: "Is this you?"
    # Of the viewer: meeting requests waiting for their answer (the count on the tab bar's More).
    meetings_waiting: int | None = None
    meeting_requests: bool = True  # "People can ask me to meet"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)


@dataclass(frozen=True)
class Saved:
    """The viewer's saved contact for this person: the attributes of a Connection a card shows."""

    id: int
    note: str
    tag_list: list[str]

    @property
    def tags(self) -> str:
        return ",".join(self.tag_list)


@dataclass(frozen=True)
class Card:
    code: str                 # the subject's badge code, normalised
    subject: Person
    viewer: Person | None
    connection: Saved | None
    saved_me: bool            # the subject saved the viewer: their "mutual" channels show
    meeting_times: bool = False  # the conference has meeting times ahead: "Ask to meet" can show

    @property
    def same_conference(self) -> bool:
        return self.viewer is not None and self.viewer.conference_id == self.subject.conference_id

    @property
    def own(self) -> bool:
        return self.viewer is not None and self.viewer.id == self.subject.id

    @property
    def visible_channels(self) -> list[ChannelRow]:
        if not self.same_conference:
            return []
        return shown_channels(self.subject.channels, self.own, lambda: self.saved_me)


_ORDER = {kind: position for position, kind in enumerate(CHANNELS)}


def shown_channels(channels, own: bool, saved_me: Callable[[], bool]) -> list:
    """The channels a viewer of the same conference may see, in the order of CHANNELS: all of their
    own; of someone else's, those shared with anyone, and those shared "mutual" once that person
    saved the viewer (`saved_me` is asked only if there is such a channel)."""
    shown, mutual = [], None
    for channel in channels:
        if channel.visibility == "mutual" and not own and mutual is None:
            mutual = saved_me()
        if own or channel.visibility == "anyone" or (channel.visibility == "mutual" and mutual):
            shown.append(channel)
    return sorted(shown, key=lambda c: _ORDER[c.kind])


# Meetings are a package above contacts: the card names the two columns it counts by, not their models.
_meeting = table("meeting", column("invitee_id"), column("time_id"), column("state"))
_meeting_time = table("meeting_time", column("id"), column("conference_id"), column("starts_at", DateTime()))


def _interests_of(person):
    ai, interest = AttendeeInterest.__table__, Interest.__table__
    return (select(json_rows(ai.c.interest_id, ai.c.offers, ai.c.seeks, interest.c.name, interest.c.position))
            .select_from(ai.join(interest, interest.c.id == ai.c.interest_id))
            .where(ai.c.attendee_id == person.c.id).scalar_subquery())


def _card_statement():
    """SELECT the card behind :code as :viewer (signed in with session :version) sees it, at :now."""
    subject, viewer = Attendee.__table__.alias("s"), Attendee.__table__.alias("v")
    event, viewer_event = Conference.__table__.alias("sc"), Conference.__table__.alias("vc")
    saved, theirs, channel = Connection.__table__.alias("cn"), Connection.__table__.alias("m"), Channel.__table__
    now = bindparam("now", type_=DateTime())
    return (select(
        subject.c.id, subject.c.conference_id, subject.c.name, subject.c.role, subject.c.school,
        subject.c.district, subject.c.state, subject.c.hidden, subject.c.meeting_requests,
        and_(subject.c.import_batch_id.is_not(None), subject.c.claimed_at.is_(None)).label("claimable"),
        exists().where(_meeting_time.c.conference_id == subject.c.conference_id,
                       _meeting_time.c.starts_at > now).label("meeting_times"),
        event.c.name.label("conference_name"), event.c.slug.label("conference_slug"),
        event.c.timezone.label("conference_timezone"), event.c.closes_on.label("conference_closes_on"),
        event.c.retain_until.label("conference_retain_until"),
        _interests_of(subject).label("interests"),
        select(json_rows(channel.c.kind, channel.c.value, channel.c.visibility))
        .where(channel.c.attendee_id == subject.c.id).scalar_subquery().label("channels"),
        viewer.c.id.label("viewer_id"), viewer.c.conference_id.label("viewer_conference_id"),
        viewer_event.c.name.label("viewer_conference_name"), viewer_event.c.slug.label("viewer_conference_slug"),
        _interests_of(viewer).label("viewer_interests"),
        saved.c.id.label("saved_id"), saved.c.note.label("saved_note"), saved.c.tags.label("saved_tags"),
        select(func.count()).select_from(_meeting.join(_meeting_time, _meeting_time.c.id == _meeting.c.time_id))
        .where(_meeting.c.invitee_id == viewer.c.id, _meeting.c.state == "requested", _meeting_time.c.starts_at > now)
        .scalar_subquery().label("meetings_waiting"),
        exists().where(theirs.c.owner_id == subject.c.id, theirs.c.contact_id == viewer.c.id).label("saved_me"),
    ).select_from(
        subject.join(event, event.c.id == subject.c.conference_id)
        .outerjoin(viewer, and_(viewer.c.id == bindparam("viewer"), viewer.c.session_version == bindparam("version")))
        .outerjoin(viewer_event, viewer_event.c.id == viewer.c.conference_id)
        .outerjoin(saved, and_(saved.c.owner_id == viewer.c.id, saved.c.contact_id == subject.c.id))
    ).where(subject.c.badge_code == bindparam("code")))


CARD = _card_statement()


def _interests(rows) -> list[InterestRow]:
    return [InterestRow(interest_id, bool(offers), bool(seeks), Named(name, position))
            for interest_id, offers, seeks, name, position in rows or ()]


def card_for(code: str, viewer_id: int | None, for_update: bool = False, version: int = 0) -> Card | None:
    """The card behind a (normalised) badge code as `viewer_id` sees it; None if no badge has it.
    A session whose `version` is not the viewer's (signed out everywhere) views it signed out.

    To look (for_update False) it is read outside a transaction, which spares the BEGIN and
    ROLLBACK round trips; to save, inside the session's transaction, on the connection the save uses."""
    params = {"code": code, "viewer": viewer_id or 0, "version": version, "now": utcnow()}
    if for_update:
        row = db.session.connection().execute(CARD, params).first()
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            row = connection.execute(CARD, params).first()
    if row is None:
        return None
    event = CardConference(row.conference_name, row.conference_slug, row.conference_timezone,
                           row.conference_closes_on, row.conference_retain_until)
    subject = Person(id=row.id, conference_id=row.conference_id, conference=event,
                     interests=_interests(row.interests), name=row.name, role=row.role, school=row.school or "",
                     district=row.district or "", state=row.state or "", hidden=bool(row.hidden),
                     channels=[ChannelRow(*c) for c in row.channels or ()], claimable=bool(row.claimable),
                     meeting_requests=bool(row.meeting_requests))
    viewer = None if row.viewer_id is None else Person(
        id=row.viewer_id, conference_id=row.viewer_conference_id,
        conference=CardConference(row.viewer_conference_name, row.viewer_conference_slug),
        interests=_interests(row.viewer_interests), meetings_waiting=row.meetings_waiting or 0)
    saved = None if row.saved_id is None else Saved(row.saved_id, row.saved_note, row.saved_tags)
    return Card(code=code, subject=subject, viewer=viewer, connection=saved, saved_me=bool(row.saved_me),
                meeting_times=bool(row.meeting_times))
