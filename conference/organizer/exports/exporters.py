"""Organizer exports: the dashboard's figures (CSV, JSON), connections per hour (CSV) and an
anonymised network (GraphML). Exporters yield rows or text chunks; routes and the CLI write them.
Fields are documented in docs/organizer-exports.md."""
from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Iterator
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import select

from conference.attendees.models import ROLES, Attendee
from conference.contacts.models import Connection
from conference.dialects import fetch_tuples
from conference.events.models import Conference
from conference.extensions import db
from conference.organizer.dashboard.disclosure import COMPLEMENT, SMALL, group_label, role_groups
from conference.organizer.dashboard.meeting_stats import MeetingFigures
from conference.organizer.dashboard.stats import Dashboard, HourCount

FORMAT = "pln-connect-organizer-figures"
VERSION = 1
# The arrays that each breakdown left out (stats.Dashboard.withheld, MeetingFigures.withheld) empties.
LEFT_OUT = {"roles": ["roles.pairs"], "states": ["states"]}
MEETINGS_LEFT_OUT = {"hours": ["meeting_in_person.per_hour"], "huddle_sizes": ["meeting_in_person.huddle_sizes"],
                     "roles": ["meeting_in_person.roles", "meeting_in_person.role_pairs"]}
WHY_LEFT_OUT = "too few to show without singling one out"


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def figures_json(conference: Conference, board: Dashboard) -> dict:
    """Every dashboard figure; counts of 1–4 in a breakdown are the string "<5", and a breakdown in which
    one could still be worked out is an empty array named in "withheld"."""
    o = board.overview
    return {
        "format": FORMAT,
        "version": VERSION,
        "conference": {"slug": conference.slug, "name": conference.name, "timezone": conference.timezone,
                       "starts_on": _iso(conference.starts_on), "ends_on": _iso(conference.ends_on)},
        "computed_at": board.computed_at.replace(microsecond=0).isoformat() + "Z",
        "suppression": {"threshold": SMALL, "marker": f"<{SMALL}", "complement_marker": COMPLEMENT},
        "overview": {
            "registered": o.registered, "joined": o.joined, "imported": o.imported, "claimed": o.claimed,
            "joined_share": round(o.joined_share, 4), "connections": o.connections,
            "savers": o.savers, "connected_people": o.connected_people,
            "connected_share": round(o.connected_share, 4), "median_contacts_saved": o.median_saved,
            "states_represented": board.states_represented,
        },
        "connections_per_hour": [hour_json(h) for h in board.hours],
        "interests": [{"name": f.name, "retired": f.retired, "offered": f.offered.value, "sought": f.sought.value}
                      for f in board.interests],
        "most_sought_least_offered": [{"name": f.name, "offered": f.offered.value, "sought": f.sought.value}
                                      for f in board.gaps],
        "roles": {
            "roles": [{"key": key, "label": label} for key, label in board.roles.roles],
            "pairs": [{"a": a, "b": b, "connections": count.value} for a, b, count in board.roles.pairs()],
        },
        "states": [{"code": s.code, "name": s.name, "people": s.people.value} for s in board.states],
        "meeting_in_person": meetings_json(board.meetings) if board.meetings else None,
        "withheld": [path for name in board.withheld for path in LEFT_OUT[name]]
                    + [path for name in (board.meetings.withheld if board.meetings else ())
                       for path in MEETINGS_LEFT_OUT[name]],
    }


def meetings_json(m: MeetingFigures) -> dict:
    """Meeting in person: totals exact, breakdowns through the small-numbers rule."""
    return {
        "requested": m.requested, "accepted": m.accepted, "held": m.held, "huddles_held": m.huddles_held,
        "joined": m.joined, "met_someone": m.met, "met_share": round(m.met_share, 4),
        "per_hour": [{"hour_start": h.start.strftime("%Y-%m-%dT%H:%M"),
                      "hour_start_utc": h.utc.strftime("%Y-%m-%dT%H:%MZ"),
                      "requested": h.requested.value, "accepted": h.accepted.value, "held": h.held.value}
                     for h in m.hours],
        "huddle_sizes": [{"people": size, "huddles": count.value} for size, count in m.huddle_sizes],
        "roles": [{"role": key, "joined": share.of.value, "met_someone": share.met.value, "share": share.value}
                  for key, _, share in m.roles],
        "role_pairs": [{"role": a, "met_role": b, "people": m.pair(a, b).met.value, "share": m.pair(a, b).value}
                       for a, _ in m.active_roles for b, _ in m.active_roles],
    }


def hour_json(hour: HourCount) -> dict:
    return {"hour_start": hour.start.strftime("%Y-%m-%dT%H:%M"),
            "hour_start_utc": hour.utc.strftime("%Y-%m-%dT%H:%MZ") if hour.utc else None,
            "connections": hour.count}


def figures_rows(conference: Conference, board: Dashboard) -> Iterator[list]:
    """The figures as one long table: section, item, measure, value."""
    data = figures_json(conference, board)
    yield ["section", "item", "measure", "value"]
    for key, value in data["overview"].items():
        yield ["overview", "", key, value]
    for hour in data["connections_per_hour"]:
        yield ["connections_per_hour", hour["hour_start"], "connections", hour["connections"]]
    for interest in data["interests"]:
        name = interest["name"] + (" (retired)" if interest["retired"] else "")
        yield ["interests", name, "offered", interest["offered"]]
        yield ["interests", name, "sought", interest["sought"]]
    for rank, interest in enumerate(data["most_sought_least_offered"], 1):
        yield ["most_sought_least_offered", interest["name"], "rank", rank]
    labels = dict(board.roles.roles)
    for pair in data["roles"]["pairs"]:
        yield ["roles", f"{labels[pair['a']]} × {labels[pair['b']]}", "connections", pair["connections"]]
    for state in data["states"]:
        yield ["states", state["code"], "people", state["people"]]
    meetings = data["meeting_in_person"]
    if meetings:
        for key in ("requested", "accepted", "held", "huddles_held", "joined", "met_someone", "met_share"):
            yield ["meeting_in_person", "", key, meetings[key]]
        for hour in meetings["per_hour"]:
            for key in ("requested", "accepted", "held"):
                yield ["meetings_per_hour", hour["hour_start"], key, hour[key]]
        for size in meetings["huddle_sizes"]:
            yield ["huddle_sizes", f"{size['people']} people", "huddles", size["huddles"]]
        for role in meetings["roles"]:
            for key in ("joined", "met_someone", "share"):
                yield ["met_in_person_by_role", labels[role["role"]], key, role[key]]
        for pair in meetings["role_pairs"]:
            item = f"{labels[pair['role']]} who met {labels[pair['met_role']].lower()}"
            yield ["met_in_person_by_role_pair", item, "people", pair["people"]]
            yield ["met_in_person_by_role_pair", item, "share", pair["share"]]
    for path in data["withheld"]:
        yield ["withheld", path, "reason", WHY_LEFT_OUT]


def hours_rows(conference: Conference, hours: list[HourCount]) -> Iterator[list]:
    yield ["hour_start", "hour_start_utc", "timezone", "connections"]
    for hour in hours:
        item = hour_json(hour)
        yield [item["hour_start"], item["hour_start_utc"], conference.timezone, item["connections"]]


def graphml(conference: Conference) -> Iterator[str]:
    """The network of saves as GraphML: one node per registrant under a random id made for this
    export only, one directed edge per saved contact who still has an account. A node carries one
    attribute, its role group (disclosure.role_groups): every group holds at least 5 people, so every
    node looks like at least 4 others, and edges between groups are 0 or at least 5 each way.

    Every query runs before this returns, so the text can stream after the request's database work."""
    return _graphml_text(conference.slug, *_network(conference))


def _network(conference: Conference) -> tuple[list[tuple], list[tuple]]:
    """Nodes (id, role group) and edges (owner, contact) between registrants of this conference."""
    people = fetch_tuples(select(Attendee.id, Attendee.role).where(Attendee.conference_id == conference.id))
    # A contact who deleted their account (contact_id NULL) is no node, so no edge either (and the
    # check below keeps out anyone who is not a registrant here, without a join over every connection).
    edges = fetch_tuples(select(Connection.owner_id, Connection.contact_id)
                    .where(Connection.conference_id == conference.id, Connection.contact_id.is_not(None)))
    role_of = dict(people)
    edges = [(owner, target) for owner, target in edges if owner in role_of and target in role_of]
    order = list(ROLES)
    directed = Counter((role_of[owner], role_of[target]) for owner, target in edges)
    groups = role_groups(Counter(role_of.values()), directed, order)
    label = {role: group_label(group) for group in groups for role in group}
    return [(attendee_id, label[role]) for attendee_id, role in people], edges


def _graphml_text(slug: str, people: list[tuple], edges: list[tuple]) -> Iterator[str]:
    # Random ids: a fresh random permutation of 0..n-1 for every export (never the attendee's id).
    order = list(range(len(people)))
    secrets.SystemRandom().shuffle(order)
    random_ids = {person[0]: number for person, number in zip(people, order)}
    yield ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
           'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
           '  <key id="role" for="node" attr.name="role" attr.type="string"/>\n'
           '  <key id="mutual" for="edge" attr.name="mutual" attr.type="boolean"><default>false</default></key>\n'
           f'  <graph id={quoteattr(slug)} edgedefault="directed">\n')
    chunk: list[str] = []
    for number, role in sorted((random_ids[p[0]], p[1]) for p in people):
        chunk.append(f'    <node id="n{number}"><data key="role">{escape(role)}</data></node>\n')
        if len(chunk) >= 2000:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)
        chunk = []
    label = {attendee_id: f"n{number}" for attendee_id, number in random_ids.items()}
    pairs = set(edges)
    # Shuffled, so the order of edges says nothing about when they were made.
    edges = list(edges)
    random.Random(secrets.randbits(64)).shuffle(edges)
    plain = '    <edge source="%s" target="%s"/>\n'
    mutual = '    <edge source="%s" target="%s"><data key="mutual">true</data></edge>\n'
    for start in range(0, len(edges), 20_000):
        yield "".join([(mutual if (contact, owner) in pairs else plain) % (label[owner], label[contact])
                       for owner, contact in edges[start:start + 20_000]])
    chunk.append("  </graph>\n</graphml>\n")
    yield "".join(chunk)
