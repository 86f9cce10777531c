"""The organizer's figures about meeting in person, aggregates only: meetings requested, accepted and
held per hour, huddles held and their sizes, and the share of attendees who met someone in person,
by role and by pair of roles.

`meeting_counts` reads the raw numbers (plain data, kept in the dashboard's snapshot as they are);
`build_figures` turns them into what is shown, through the one small-numbers rule of
conference/organizer/dashboard/disclosure.py. Totals are published, so each breakdown is a block
whose parts are hidden beside a small one until none can be worked out, or which is left out whole
(`MeetingFigures.withheld`) when no hiding can do that. A meeting is held once it was accepted
(and not cancelled) and its time has ended; a huddle is held once its time has ended, not cancelled.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from conference.attendees.models import ROLES, Attendee
from conference.events.models import Conference, utcnow
from conference.events.operations import zone_of
from conference.extensions import db
from conference.meetings.models import Huddle, HuddleSeat, Meeting, MeetingTime
from conference.organizer.dashboard.disclosure import Breakdowns, Count, protect


@dataclass
class MeetingCounts:
    """The raw numbers; never shown as they are."""
    # [venue hour "YYYY-MM-DDTHH:MM", its start in UTC, requested, accepted, held, every time of the hour has ended]
    hours: list[list] = field(default_factory=list)
    huddle_sizes: dict[int, int] = field(default_factory=dict)      # people seated -> huddles held
    joined: dict[str, int] = field(default_factory=dict)            # role -> attendees who joined
    met: dict[str, int] = field(default_factory=dict)               # role -> of them, who met someone
    pairs: list[list] = field(default_factory=list)                 # [role a, role b, a's who met a b]
    # The network file's role groups (disclosure.role_groups): it publishes each group's registrants,
    # so the joined of the roles inside a group are a block too.
    groups: list[list[str]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict) -> MeetingCounts:
        """What `dataclasses.asdict` wrote, back from JSON (whose keys are strings)."""
        return cls(hours=[list(h) for h in data["hours"]],
                   huddle_sizes={int(k): int(v) for k, v in data["huddle_sizes"].items()},
                   joined=dict(data["joined"]), met=dict(data["met"]), pairs=[list(p) for p in data["pairs"]],
                   groups=[list(g) for g in data.get("groups", [])])


@dataclass
class MeetingHour:
    start: datetime            # the venue's clock, naive
    utc: datetime
    requested: Count
    accepted: Count
    held: Count

    @property
    def label(self) -> str:
        return f"{self.start:%a} {self.start:%b} {self.start.day}, {self.start:%H}:00"


@dataclass
class Share:
    """`met` of `of` people (each a Count); the share only when both numbers are published."""
    met: Count
    of: Count

    @property
    def value(self) -> float | str:
        """For CSV and JSON: the share to 4 places, or the marker that hides it."""
        for count in (self.met, self.of):
            if count.suppressed:
                return count.value
        return round(self.met.raw / self.of.raw, 4) if self.of.raw else 0.0

    @property
    def shown(self) -> str:
        value = self.value
        return value if isinstance(value, str) else f"{value:.0%}"


@dataclass
class MeetingFigures:
    requested: int
    accepted: int
    held: int
    hours: list[MeetingHour]
    huddles_held: int
    huddle_sizes: list[tuple[int, Count]]            # (people seated, huddles), every size from 1 to the largest
    joined: int
    met: int
    roles: list[tuple[str, str, Share]]              # (role, label, share of the role's joined who met someone)
    pairs: dict[tuple[str, str], Share]              # (a, b): a's who met a b, of a's joined
    counts: MeetingCounts | None = None              # the raw numbers, for the dashboard's snapshot only
    # A breakdown whose every part is too small to hide one beside another is withheld whole.
    withheld: tuple[str, ...] = ()

    @property
    def met_share(self) -> float:
        return self.met / self.joined if self.joined else 0.0

    def pair(self, a: str, b: str) -> Share:
        joined = {r: s.of for r, _, s in self.roles}
        return self.pairs.get((a, b)) or Share(Count(0), joined.get(a, Count(0)))

    @property
    def active_roles(self) -> list[tuple[str, str]]:
        """The roles anyone joined in, for the table (rows and columns of nobody say nothing)."""
        return [(key, label) for key, label, share in self.roles if share.of.raw]


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def meeting_counts(conference: Conference, now: datetime | None = None,
                   groups: list[tuple[str, ...]] | None = None) -> MeetingCounts:
    """The raw numbers behind the figures, as of `now`; `groups` are the network file's role groups."""
    now = now or utcnow()
    zone = zone_of(conference)
    times = list(db.session.scalars(select(MeetingTime).where(MeetingTime.conference_id == conference.id)))
    ended = {t.id for t in times if t.ends_at <= now}
    hours: dict[datetime, list] = {}
    hour_of = {}
    for t in times:
        # By the hour on the venue's clock (a zone half an hour off UTC still gets whole local hours).
        local = _hour(t.starts_at.replace(tzinfo=timezone.utc).astimezone(zone))
        key = local.replace(tzinfo=None)
        hour_of[t.id] = key
        utc = local.astimezone(timezone.utc).replace(tzinfo=None)
        row = hours.setdefault(key, [key, utc, 0, 0, 0, True])
        row[5] = row[5] and t.id in ended
    for time_id, state, n in db.session.execute(
            select(Meeting.time_id, Meeting.state, func.count()).where(Meeting.conference_id == conference.id)
            .group_by(Meeting.time_id, Meeting.state)):
        if time_id not in hour_of:
            continue
        row = hours[hour_of[time_id]]
        row[2] += n
        if state == "accepted":
            row[3] += n
            if time_id in ended:
                row[4] += n

    # Who met someone of which role: accepted meetings whose time has ended, and huddles held with two
    # people or more (everyone at the table met everyone else there).
    met_roles: dict[int, set[str]] = {}
    role_of: dict[int, str] = {}
    asker, invitee = aliased(Attendee), aliased(Attendee)
    for a, role_a, b, role_b in db.session.execute(
            select(asker.id, asker.role, invitee.id, invitee.role).select_from(Meeting)
            .join(asker, asker.id == Meeting.asker_id).join(invitee, invitee.id == Meeting.invitee_id)
            .where(Meeting.conference_id == conference.id, Meeting.state == "accepted",
                   Meeting.time_id.in_(sorted(ended) or [0]), asker.has_joined, invitee.has_joined)):
        role_of[a], role_of[b] = role_a, role_b
        met_roles.setdefault(a, set()).add(role_b)
        met_roles.setdefault(b, set()).add(role_a)
    seated: dict[int, list[int]] = {}
    for huddle_id, person, role in db.session.execute(
            select(HuddleSeat.huddle_id, Attendee.id, Attendee.role)
            .join(Huddle, Huddle.id == HuddleSeat.huddle_id).join(Attendee, Attendee.id == HuddleSeat.attendee_id)
            .where(Huddle.conference_id == conference.id, Huddle.cancelled_at.is_(None),
                   Huddle.time_id.in_(sorted(ended) or [0]), Attendee.has_joined)):
        seated.setdefault(huddle_id, []).append(person)
        role_of[person] = role
    sizes: dict[int, int] = {}
    for people in seated.values():
        sizes[len(people)] = sizes.get(len(people), 0) + 1
        roles_here: dict[str, int] = {}
        for person in people:
            roles_here[role_of[person]] = roles_here.get(role_of[person], 0) + 1
        for person in people:
            others = {r for r, n in roles_here.items() if n > (1 if r == role_of[person] else 0)}
            if others:
                met_roles.setdefault(person, set()).update(others)

    met: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for person, roles in met_roles.items():
        met[role_of[person]] = met.get(role_of[person], 0) + 1
        for other in roles:
            pairs[(role_of[person], other)] = pairs.get((role_of[person], other), 0) + 1
    joined = dict(db.session.execute(select(Attendee.role, func.count()).where(
        Attendee.conference_id == conference.id, Attendee.has_joined).group_by(Attendee.role)).all())
    return MeetingCounts(
        hours=[[row[0].strftime("%Y-%m-%dT%H:%M"), row[1].strftime("%Y-%m-%dT%H:%M"), *row[2:]]
               for _, row in sorted(hours.items())],
        huddle_sizes=sizes, joined={r: int(n) for r, n in joined.items()}, met=met,
        pairs=[[a, b, n] for (a, b), n in sorted(pairs.items())], groups=[list(g) for g in groups or []])


def build_figures(counts: MeetingCounts) -> MeetingFigures:
    """The published figures from the raw numbers, small numbers and the parts beside them hidden."""
    hours = [(datetime.fromisoformat(local), datetime.fromisoformat(utc), req, acc, held, past)
             for local, utc, req, acc, held, past in counts.hours if req]  # hours nobody asked for say nothing
    # An hour whose times have all ended held exactly what it accepted: one cell, so no two ways to hide it.
    held_key = {utc: ("accepted", utc) if past else ("held", utc) for _, utc, _, _, _, past in hours}
    values = {}
    for _, utc, req, acc, held, past in hours:
        values[("requested", utc)], values[("accepted", utc)] = req, acc
        if not past:
            values[("held", utc)] = held
    blocks = [[("requested", h[1]) for h in hours], [("accepted", h[1]) for h in hours],
              [held_key[h[1]] for h in hours]]
    out = Breakdowns()
    shown_hours = out.publish("hours", [], lambda p: [
        MeetingHour(local, utc, p[("requested", utc)], p[("accepted", utc)], p[held_key[utc]])
        for local, utc, *_ in hours], protect(values, blocks))

    largest = max(counts.huddle_sizes, default=0)
    size_block = [list(range(1, largest + 1))]
    sizes = out.publish("huddle_sizes", [], lambda p: list(p.items()),
                        protect({n: counts.huddle_sizes.get(n, 0) for n in size_block[0]}, size_block))

    order = list(ROLES)
    joined_blocks = [order, *(g for g in counts.groups if len(g) > 1)]
    # No sum of the pair cells is published (one person can meet several roles): primary suppression.
    pair_cells = protect({(a, b): n for a, b, n in counts.pairs})

    def by_role(joined, met) -> tuple[list, dict]:
        return ([(r, ROLES[r], Share(met[r], joined[r])) for r in order],
                {key: Share(cell, joined[key[0]]) for key, cell in pair_cells.items()})

    roles, pairs = out.publish("roles", ([], {}), by_role,
                               protect({r: counts.joined.get(r, 0) for r in order}, joined_blocks),
                               protect({r: counts.met.get(r, 0) for r in order}, [order]))
    return MeetingFigures(
        requested=sum(h[2] for h in hours), accepted=sum(h[3] for h in hours), held=sum(h[4] for h in hours),
        hours=shown_hours, huddles_held=sum(counts.huddle_sizes.values()), huddle_sizes=sizes,
        joined=sum(counts.joined.values()), met=sum(counts.met.values()), roles=roles, pairs=pairs,
        counts=counts, withheld=tuple(out.withheld))


def meeting_figures(conference: Conference, now: datetime | None = None,
                    groups: list[tuple[str, ...]] | None = None) -> MeetingFigures:
    """The figures about meeting in person, as of `now` (`groups`: the network file's role groups)."""
    return build_figures(meeting_counts(conference, now, groups))
