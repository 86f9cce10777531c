"""The dashboard's figures: query functions returning plain dataclasses, aggregates only.

A breakdown cell that counts fewer than 5 people (or connections) is never shown exactly, nor can
it be worked out from the cells beside it: `Count` and the rule in disclosure.py carry the number
and hand templates and exports "<5" or "suppressed" instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import case, func, select

from conference.attendees.models import ROLES, Attendee
from conference.attendees.states import state_name
from conference.events.models import Conference, utcnow
from conference.extensions import db
from conference.interests.models import AttendeeInterest, Interest
from conference.organizer.dashboard.meeting_stats import MeetingFigures, meeting_figures
from conference.organizer.dashboard import tallies
from conference.organizer.dashboard.disclosure import (Breakdowns, Count, Withheld, protect, role_groups,
                                                       role_pair_blocks)
from conference.organizer.dashboard.models import AttendeeTally

@dataclass
class Overview:
    registered: int            # every attendee row: imported registrants and people who joined
    joined: int                # joined by themselves, or claimed an imported profile
    imported: int
    claimed: int
    connections: int           # contacts saved (A saving B is one; B saving A back is another)
    savers: int                # people who saved at least one contact
    connected_people: int      # registered people who saved someone or were saved
    median_saved: float        # median contacts saved per joined attendee (zeros included)

    @property
    def joined_share(self) -> float:
        return self.joined / self.registered if self.registered else 0.0

    @property
    def connected_share(self) -> float:
        return self.connected_people / self.registered if self.registered else 0.0


@dataclass
class HourCount:
    start: datetime            # local time at the venue, naive
    count: int
    utc: datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.start:%a} {self.start:%b} {self.start.day}, {self.start:%H}:00"


@dataclass
class InterestFigure:
    name: str
    retired: bool
    offered: Count
    sought: Count

    @property
    def gap(self) -> float:
        """How many more seek it than offer it, at the least the published figures allow."""
        return self.sought.low - self.offered.high


@dataclass
class RoleMatrix:
    roles: list[tuple[str, str]]                    # (key, label), in ROLES order
    cells: dict[tuple[str, str], Count]             # symmetric: (a, b) and (b, a) are the same cell
    people: dict[str, int] = field(default_factory=dict)              # registrants per role (not shown)
    directed: dict[tuple[str, str], int] = field(default_factory=dict)  # (owner's role, contact's role)
    withheld: bool = False     # left out: a pair could be worked out however many more were hidden

    def cell(self, a: str, b: str) -> Count:
        if self.withheld:
            raise Withheld("the role pairs are left out")
        return self.cells.get((a, b), Count(0))

    @property
    def largest(self) -> int:
        return max((c.plot for c in self.cells.values()), default=0)

    def level(self, a: str, b: str) -> int:
        """0 to 5, for the heat map's shading (suppressed cells stay at 0)."""
        value, top = self.cell(a, b).plot, self.largest
        return 0 if not value or not top else max(1, round(5 * value / top))

    def pairs(self) -> list[tuple[str, str, Count]]:
        """Each unordered pair of roles once, largest first (by the published value only); none when withheld."""
        if self.withheld:
            return []
        seen = []
        for i, (a, _) in enumerate(self.roles):
            for b, _ in self.roles[i:]:
                seen.append((a, b, self.cell(a, b)))
        return sorted(seen, key=lambda item: item[2].order)


@dataclass
class StateFigure:
    code: str
    name: str
    people: Count


@dataclass
class Dashboard:
    conference_name: str
    timezone: str
    computed_at: datetime
    overview: Overview
    hours: list[HourCount]
    interests: list[InterestFigure]
    roles: RoleMatrix
    states: list[StateFigure]
    gaps: list[InterestFigure] = field(default_factory=list)
    state_counts: dict[str, int] = field(default_factory=dict)  # registrants per state, "" for none (not shown)
    meetings: MeetingFigures | None = None   # meeting in person (conference/organizer/meeting_stats.py)
    withheld: tuple[str, ...] = ()  # "roles", "states": breakdowns left out whole (disclosure.Breakdowns)

    @property
    def no_state(self) -> int:
        """Registrants who gave no state (not shown; part of the states' total)."""
        return sum(n for code, n in self.state_counts.items() if not code)

    @property
    def states_represented(self) -> int:
        return sum(1 for code, n in self.state_counts.items() if n and code not in ("", "INTL", "DOD"))


def _zone(conference: Conference) -> ZoneInfo:
    try:
        return ZoneInfo(conference.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


ConnectionCounts = dict  # (hour in UTC, owner's role, contact's role or "") -> connections (tallies.py)


def overview(conference: Conference) -> Overview:
    joined_case = case((Attendee.has_joined, 1), else_=0)
    registered, imported, claimed, joined = db.session.execute(
        select(func.count(), func.count(Attendee.import_batch_id), func.count(Attendee.claimed_at),
               func.coalesce(func.sum(joined_case), 0))
        .where(Attendee.conference_id == conference.id)).one()
    # Per attendee: contacts saved, and whether anyone saved them; then how many attendees saved each number.
    per = (select(func.sum(AttendeeTally.saved).label("saved"), func.sum(AttendeeTally.saved_by).label("saved_by"))
           .where(AttendeeTally.conference_id == conference.id).group_by(AttendeeTally.attendee_id).subquery())
    saved_counts: dict[int, int] = {}   # contacts saved -> attendees who saved that many
    connected = 0
    for saved, people, linked in db.session.execute(
            select(per.c.saved, func.count(), func.sum(case(((per.c.saved > 0) | (per.c.saved_by > 0), 1), else_=0)))
            .group_by(per.c.saved)):
        connected += int(linked or 0)
        if saved > 0:
            saved_counts[int(saved)] = int(people)
    savers = sum(saved_counts.values())
    saved_counts_with_zeros = {0: max(0, int(joined) - savers), **saved_counts}
    return Overview(registered=registered, joined=int(joined), imported=imported, claimed=claimed,
                    connections=sum(n * people for n, people in saved_counts.items()), savers=savers,
                    connected_people=connected, median_saved=_median(saved_counts_with_zeros))


def _median(counts: dict[int, int]) -> float:
    """The median of a list given as value -> how many times it occurs (0.0 for an empty list)."""
    size = sum(counts.values())
    if not size:
        return 0.0

    def nth(index: int) -> int:
        for value in sorted(counts):
            if index < counts[value]:
                return value
            index -= counts[value]
        raise IndexError(index)

    middle = size // 2
    return float(nth(middle)) if size % 2 else (nth(middle - 1) + nth(middle)) / 2


def connections_per_hour(conference: Conference, fill: bool = True,
                         counts: ConnectionCounts | None = None) -> list[HourCount]:
    """Connections saved in each hour, in the venue's time, from the first hour to the last.

    Hours without any connection between the first and the last are included as 0 when `fill`.
    """
    per_hour: dict[datetime, int] = {}
    for (hour, _, _), n in (tallies.counted_connections(conference.id) if counts is None else counts).items():
        per_hour[hour] = per_hour.get(hour, 0) + n
    per_hour = {hour: n for hour, n in per_hour.items() if n}
    zone = _zone(conference)
    if not per_hour:
        return []
    hours = sorted(per_hour)
    if fill:
        span, moment = [], hours[0]
        while moment <= hours[-1] and len(span) < 24 * 400:
            span.append(moment)
            moment += timedelta(hours=1)
        hours = span

    def local(moment: datetime) -> datetime:
        return moment.replace(tzinfo=timezone.utc).astimezone(zone).replace(tzinfo=None)

    return [HourCount(local(hour), per_hour.get(hour, 0), hour) for hour in hours]


def interest_figures(conference: Conference) -> list[InterestFigure]:
    """People offering and seeking each interest (retired interests too: they stay in past figures)."""
    offered = func.sum(case((AttendeeInterest.offers, 1), else_=0))
    sought = func.sum(case((AttendeeInterest.seeks, 1), else_=0))
    totals = {interest_id: (o or 0, s or 0) for interest_id, o, s in db.session.execute(
        select(AttendeeInterest.interest_id, offered, sought)
        .join(Attendee, Attendee.id == AttendeeInterest.attendee_id)
        .where(Attendee.conference_id == conference.id).group_by(AttendeeInterest.interest_id))}
    interests = db.session.scalars(select(Interest).where(Interest.conference_id == conference.id)
                                   .order_by(Interest.retired, Interest.position, Interest.name))
    figures = []
    for interest in interests:
        o, s = totals.get(interest.id, (0, 0))
        if interest.retired and not (o or s):
            continue
        figures.append(InterestFigure(interest.name, interest.retired, Count(int(o)), Count(int(s))))
    return figures


def _role_counts(conference: Conference, counts: ConnectionCounts | None = None
                 ) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Registrants per role, and connections per (owner's role, contact's role)."""
    directed: dict[tuple[str, str], int] = {}
    for (_, a, b), count in (tallies.counted_connections(conference.id) if counts is None else counts).items():
        if b and count:
            directed[(a, b)] = directed.get((a, b), 0) + count
    people = dict(db.session.execute(select(Attendee.role, func.count()).where(Attendee.conference_id == conference.id)
                                     .group_by(Attendee.role)).all())
    return people, directed


def role_matrix(conference: Conference, counts: ConnectionCounts | None = None) -> RoleMatrix:
    """Connections between each pair of roles, either direction (removed contacts left out)."""
    return build_role_matrix(*_role_counts(conference, counts))


def build_role_matrix(people: dict[str, int], directed: dict[tuple[str, str], int],
                      out: Breakdowns | None = None) -> RoleMatrix:
    """The matrix from registrants per role and directed connections, suppressed by the network
    file's role groups (disclosure.role_groups), so that neither one undoes the other; left out
    (named in `out`) when a pair could still be worked out."""
    order = list(ROLES)
    raw: dict[tuple[str, str], int] = {}
    for (a, b), count in directed.items():
        key = tuple(sorted((a, b), key=order.index))
        raw[key] = raw.get(key, 0) + count
    groups = role_groups(people, directed, order)

    def matrix(protected) -> RoleMatrix:
        cells = {}
        for (a, b), count in protected.items():
            cells[(a, b)] = cells[(b, a)] = count
        return RoleMatrix(roles=list(ROLES.items()), cells=cells, people=dict(people), directed=dict(directed))

    left_out = RoleMatrix(roles=list(ROLES.items()), cells={}, people=dict(people), directed=dict(directed),
                          withheld=True)
    return (out or Breakdowns()).publish("roles", left_out, matrix, protect(
        {key: n for key, n in raw.items() if n}, role_pair_blocks(groups, order)))


def state_figures(conference: Conference) -> list[StateFigure]:
    """Registrants from each state, most first; people who gave no state are left out."""
    return build_states(_state_counts(conference))


def _state_counts(conference: Conference) -> dict[str, int]:
    return dict(db.session.execute(select(Attendee.state, func.count()).where(Attendee.conference_id == conference.id)
                                   .group_by(Attendee.state)).all())


def _by_state(counts: dict[str | None, int]) -> dict[str, int]:
    """Registrants per state code, "" for none given (whether stored as "" or NULL)."""
    merged: dict[str, int] = {}
    for code, n in counts.items():
        merged[code or ""] = merged.get(code or "", 0) + n
    return merged


def build_states(counts: dict[str, int], out: Breakdowns | None = None) -> list[StateFigure]:
    """The states' figures from registrants per state ("" for none given): the states and the
    people without one add up to the registrants, so a small state never stands alone. Nobody
    publishes how many gave no state; none at all (named in `out`) when a state could still be
    worked out."""
    merged = {"": 0, **_by_state(counts)}

    def figures(protected) -> list[StateFigure]:
        shown = [StateFigure(code, state_name(code), protected[code]) for code in merged if code]
        return sorted(shown, key=lambda f: (f.people.order, f.name))

    return (out or Breakdowns()).publish("states", [], figures, protect(merged, [list(merged)], unseen=[""]))


def breakdowns(people: dict[str, int], directed: dict[tuple[str, str], int], state_counts: dict[str, int]) -> dict:
    """The Dashboard's role matrix and states from their raw numbers (as counted, or as a snapshot
    kept them), and the names of those left out: the one place both are built for the dashboard."""
    out = Breakdowns()
    return dict(roles=build_role_matrix(people, directed, out), states=build_states(state_counts, out),
                state_counts=_by_state(state_counts), withheld=tuple(out.withheld))


def most_sought_least_offered(figures: list[InterestFigure], limit: int = 5) -> list[InterestFigure]:
    """Interests more people seek than offer, the widest gap first."""
    wanted = [f for f in figures if f.gap > 0 and not f.retired]
    return sorted(wanted, key=lambda f: (-f.gap, -f.sought.low, f.name))[:limit]


def dashboard(conference: Conference) -> Dashboard:
    """Every figure on the dashboard, in one object."""
    # Connection figures come from the running tallies (tallies.py): hours and roles from one query.
    interests = interest_figures(conference)
    counts = tallies.counted_connections(conference.id)
    people, directed = _role_counts(conference, counts)
    return Dashboard(conference_name=conference.name, timezone=conference.timezone, computed_at=utcnow(),
                     overview=overview(conference), hours=connections_per_hour(conference, counts=counts),
                     interests=interests, gaps=most_sought_least_offered(interests),
                     **breakdowns(people, directed, _state_counts(conference)),
                     meetings=meeting_figures(conference, groups=role_groups(people, directed, list(ROLES))))
