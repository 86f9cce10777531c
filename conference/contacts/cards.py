"""A badge's card, read in one statement: the hot path of the whole app.

Every scan opens a card, so `card_for` reads the person behind a code, their conference,
interests and channels, the viewer (who they are, their interests), what the viewer saved about
this person and whether this person saved the viewer back, in one round trip, into plain
objects. They answer the same attributes the templates and `match_between` use on the ORM
models, without building ORM objects for a page that changes nothing.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import DateTime, bindparam, text

from conference.attendees.models import CHANNELS, ROLES
from conference.events.models import utcnow
from conference.extensions import db
from conference.interests.models import InterestsMixin

_INTERESTS = """(SELECT {agg}({arr}(ai.interest_id, ai.offers, ai.seeks, i.name, i.position))
       FROM attendee_interest ai JOIN interest i ON i.id = ai.interest_id WHERE ai.attendee_id = {who}.id)"""

_CARD = """
SELECT s.id, s.conference_id, s.name, s.role, s.school, s.district, s.state, s.hidden,
       s.import_batch_id IS NOT NULL AND s.claimed_at IS NULL, s.meeting_requests,
       EXISTS (SELECT 1 FROM meeting_time mt WHERE mt.conference_id = s.conference_id AND mt.starts_at > :now),
       sc.name, sc.slug, sc.timezone, sc.closes_on, sc.retain_until,
       {subject_interests},
       (SELECT {agg}({arr}(ch.kind, ch.value, ch.visibility)) FROM channel ch WHERE ch.attendee_id = s.id),
       v.id, v.conference_id, vc.name, vc.slug,
       {viewer_interests},
       cn.id, cn.note, cn.tags,
       (SELECT count(*) FROM meeting mr JOIN meeting_time mrt ON mrt.id = mr.time_id
        WHERE mr.invitee_id = v.id AND mr.state = 'requested' AND mrt.starts_at > :now),
       EXISTS (SELECT 1 FROM connection m WHERE m.owner_id = s.id AND m.contact_id = v.id)
FROM attendee s
JOIN conference sc ON sc.id = s.conference_id
LEFT JOIN attendee v ON v.id = :viewer AND v.session_version = :version
LEFT JOIN conference vc ON vc.id = v.conference_id
LEFT JOIN connection cn ON cn.owner_id = v.id AND cn.contact_id = s.id
WHERE s.badge_code = :code
"""


@dataclass(frozen=True, slots=True)
class Named:
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
    interest_id: int
    offers: bool
    seeks: bool
    interest: Named


@dataclass(frozen=True, slots=True)
class ChannelRow:
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
    """The viewer's saved contact for this person."""

    id: int
    note: str
    tags: str

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]


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


def _statement(dialect: str):
    if dialect == "postgresql":
        agg, arr = "json_agg", "json_build_array"
    else:  # SQLite's JSON1 functions
        agg, arr = "json_group_array", "json_array"
    interests = _INTERESTS.format(agg=agg, arr=arr, who="{who}")
    return text(_CARD.format(agg=agg, arr=arr, subject_interests=interests.format(who="s"),
                             viewer_interests=interests.format(who="v"))).bindparams(
        bindparam("now", type_=DateTime()))


_statements: dict[str, object] = {}


def _json(value) -> list:
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def _date(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value  # SQLite gives text


def _interests(value) -> list[InterestRow]:
    return [InterestRow(interest_id, bool(offers), bool(seeks), Named(name, position))
            for interest_id, offers, seeks, name, position in _json(value)]


def card_for(code: str, viewer_id: int | None, for_update: bool = False, version: int = 0) -> Card | None:
    """The card behind a (normalised) badge code as `viewer_id` sees it; None if no badge has it.
    A session whose `version` is not the viewer's (signed out everywhere) views it signed out.

    To look (for_update False) it is read outside a transaction, which spares the BEGIN and
    ROLLBACK round trips; to save, inside the session's transaction, on the connection the save uses."""
    dialect = db.engine.dialect.name
    statement = _statements.get(dialect)
    if statement is None:
        statement = _statements[dialect] = _statement(dialect)
    params = {"code": code, "viewer": viewer_id or 0, "version": version, "now": utcnow()}
    if for_update:
        row = db.session.connection().execute(statement, params).first()
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            row = connection.execute(statement, params).first()
    if row is None:
        return None
    (s_id, s_conference_id, name, role, school, district, state, hidden, claimable, meeting_requests,
     meeting_times, c_name, c_slug, c_timezone, closes_on,
     retain_until, s_interests, channels, v_id, v_conference_id, vc_name, vc_slug, v_interests, saved_id, note, tags,
     waiting, saved_me) = row
    event = CardConference(c_name, c_slug, c_timezone, _date(closes_on), _date(retain_until))
    subject = Person(id=s_id, conference_id=s_conference_id, conference=event,
                     interests=_interests(s_interests), name=name, role=role, school=school or "",
                     district=district or "", state=state or "", hidden=bool(hidden),
                     channels=[ChannelRow(*c) for c in _json(channels)], claimable=bool(claimable),
                     meeting_requests=bool(meeting_requests))
    viewer = None if v_id is None else Person(id=v_id, conference_id=v_conference_id,
                                              conference=CardConference(vc_name, vc_slug),
                                              interests=_interests(v_interests), meetings_waiting=waiting or 0)
    return Card(code=code, subject=subject, viewer=viewer, connection=Saved(saved_id, note, tags) if saved_id else None,
                saved_me=bool(saved_me), meeting_times=bool(meeting_times))
