"""Dashboard figures against a hand-counted fixture, the "<5" rule, charts, and the exports parsed back."""
import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest

from conference.events.models import utcnow
from conference.extensions import db
from conference.organizer.dashboard import charts, stats
from conference.organizer.registrants.importer import import_registrants
from tests.factories import make_attendee, make_conference
from tests.organizer_factories import connect, make_organizer, sign_in_organizer

DOCS = Path(__file__).resolve().parent.parent / "docs" / "organizer-exports.md"


@pytest.fixture
def fixture(app):
    """11 registered (2 imported, 1 of them claimed), 11 connections, hand-counted below."""
    conference = make_conference(timezone="America/New_York")
    p = [make_attendee(conference, name=f"Principal {i}", role="principal", state="VA", offers=["Scheduling"],
                       seeks=["Being mentored"] if i <= 4 else ()) for i in range(1, 7)]
    a = [make_attendee(conference, name=f"Aspiring {i}", role="aspiring_principal", state="TX",
                       seeks=["Scheduling", "Being mentored"]) for i in (1, 2)]
    d = make_attendee(conference, name="District 1", role="district_leader", state="MD", offers=["Literacy"])
    import_registrants(conference, b"name,email,role,state\nImported One,i1@x.example.org,Principal,VA\n"
                                   b"Imported Two,i2@x.example.org,Teacher leader,NY\n")
    db.session.commit()
    from conference.attendees.models import Attendee
    i1 = db.session.scalar(db.select(Attendee).where(Attendee.email == "i1@x.example.org"))
    i2 = db.session.scalar(db.select(Attendee).where(Attendee.email == "i2@x.example.org"))
    i2.claimed_at = utcnow()
    db.session.commit()
    ten, eleven, one = datetime(2026, 7, 9, 14, 5), datetime(2026, 7, 9, 15, 10), datetime(2026, 7, 9, 17, 30)
    for owner, contact in ((a[0], p[0]), (a[0], p[1]), (a[0], p[2]), (p[0], a[0]), (a[1], p[0]), (a[1], p[3])):
        connect(owner, contact, ten, note="private note: never in figures")
    for owner, contact in ((p[0], p[1]), (p[1], p[0]), (p[2], p[3])):
        connect(owner, contact, eleven)
    connect(d, p[4], one)
    connect(p[5], i1, one)
    _meetings(conference, p, a)
    return conference


def _meetings(conference, p, a):
    """Five meetings held at 10:00 and five huddles of two, so every meeting figure has rows."""
    from tests.test_meeting_stats import huddle, meet, place, slot
    lounge = place(conference)
    first, second = slot(conference, datetime(2026, 7, 9, 14, 0)), slot(conference, datetime(2026, 7, 9, 14, 20))
    for asker, invitee, at in ((p[0], p[1], first), (p[2], p[3], first), (p[4], p[5], first),
                               (a[0], p[0], second), (a[1], p[1], second)):
        meet(asker, invitee, at, lounge)
    for day in range(5):
        huddle([p[2], p[3]], slot(conference, datetime(2026, 7, 9 + day % 3, 19, 10 * day)), lounge)


def test_overview_matches_hand_counts(fixture):
    o = stats.overview(fixture)
    assert (o.registered, o.imported, o.claimed, o.joined) == (11, 2, 1, 10)
    assert (o.connections, o.savers, o.connected_people) == (11, 7, 10)
    assert o.median_saved == 1.0
    assert o.connected_share == pytest.approx(10 / 11)


def test_connections_per_hour_in_the_venues_time(fixture):
    hours = stats.connections_per_hour(fixture)
    assert [(h.start.strftime("%H:%M"), h.count) for h in hours] == [
        ("10:00", 6), ("11:00", 3), ("12:00", 0), ("13:00", 2)]
    assert hours[0].utc == datetime(2026, 7, 9, 14, 0)


def test_interests_roles_states_and_the_small_cell_rule(fixture):
    figures = {f.name: f for f in stats.interest_figures(fixture)}
    assert (figures["Scheduling"].offered.shown, figures["Scheduling"].sought.shown) == ("6", "<5")
    assert (figures["Being mentored"].offered.shown, figures["Being mentored"].sought.shown) == ("0", "6")
    assert (figures["Literacy"].offered.shown, figures["Literacy"].offered.value) == ("<5", "<5")
    assert figures["Literacy"].offered.plot == 0  # a chart never draws a suppressed length
    assert [f.name for f in stats.most_sought_least_offered(list(figures.values()))] == ["Being mentored"]
    roles = stats.role_matrix(fixture)
    assert roles.cell("aspiring_principal", "principal").shown == "6"
    assert roles.cell("principal", "aspiring_principal").shown == "6"
    assert roles.cell("principal", "principal").shown == "<5"
    assert roles.cell("district_leader", "principal").shown == "<5"
    assert roles.cell("teacher_leader", "principal").shown == "0"
    states = {s.code: s.people.shown for s in stats.state_figures(fixture)}
    assert states == {"VA": "7", "TX": "<5", "MD": "<5", "NY": "<5"}
    assert stats.dashboard(fixture).states_represented == 4


def test_dashboard_page_shows_figures_and_suppresses_small_cells(client, fixture):
    sign_in_organizer(client, make_organizer(fixture))
    page = client.get(f"/organize/{fixture.slug}/")
    assert page.status_code == 200
    text = page.text
    assert 'id="dashboard"' in text and 'data-hx-trigger="poll"' in text and 'data-poll="5"' in text
    assert re.search(r'<td class="heat-\d">&lt;5</td>', text)
    assert "private note" not in text and "Principal 1" not in text and "Imported One" not in text
    assert '<svg class="chart"' in text and 'role="img"' in text and "<desc" in text
    assert "the busiest hour was Thu Jul 9, 10:00 with 6" in text
    assert "<script>" not in text
    fragment = client.get(f"/organize/{fixture.slug}/", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="dashboard"') and "<html" not in fragment.text


def test_json_export_has_exactly_the_documented_fields(client, fixture):
    sign_in_organizer(client, make_organizer(fixture))
    response = client.get(f"/organize/{fixture.slug}/figures.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    section = DOCS.read_text().split("## Dashboard figures, JSON")[1].split("\n## ")[0]
    documented = set(re.findall(r"^\| `([a-z_.\[\]]+)` \|", section, re.M))

    def paths(value, prefix=""):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield from paths(inner, f"{prefix}.{key}" if prefix else key)
        elif isinstance(value, list):
            yield prefix + "[]"
            for item in value:
                yield from paths(item, prefix + "[]")
        else:
            yield prefix

    found = set(paths(data))
    assert found - documented == set()  # nothing undocumented
    assert documented - found == set()  # every documented field is there (the fixture fills every array)
    assert data["format"] == "pln-connect-organizer-figures" and data["version"] == 1
    assert data["overview"]["registered"] == 11 and data["overview"]["connections"] == 11
    assert {s["code"]: s["people"] for s in data["states"]} == {"VA": 7, "TX": "<5", "MD": "<5", "NY": "<5"}
    pairs = {(p["a"], p["b"]): p["connections"] for p in data["roles"]["pairs"]}
    assert pairs[("principal", "aspiring_principal")] == 6 and pairs[("principal", "principal")] == "<5"
    assert data["connections_per_hour"][0] == {"hour_start": "2026-07-09T10:00", "hour_start_utc": "2026-07-09T14:00Z",
                                               "connections": 6}
    assert "private note" not in response.text and "Principal 1" not in response.text


def test_csv_exports_parse_back(client, fixture):
    sign_in_organizer(client, make_organizer(fixture))
    figures = client.get(f"/organize/{fixture.slug}/figures.csv")
    assert figures.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(figures.data.decode("utf-8-sig"))))
    assert {"section", "item", "measure", "value"} == set(rows[0])
    lookup = {(r["section"], r["item"], r["measure"]): r["value"] for r in rows}
    assert lookup[("overview", "", "registered")] == "11"
    assert lookup[("interests", "Literacy", "offered")] == "<5"
    assert lookup[("states", "VA", "people")] == "7"
    assert lookup[("roles", "Principal × Aspiring principal", "connections")] == "6"
    hours = client.get(f"/organize/{fixture.slug}/connections-per-hour.csv")
    parsed = list(csv.reader(io.StringIO(hours.data.decode("utf-8-sig"))))
    assert parsed[0] == ["hour_start", "hour_start_utc", "timezone", "connections"]
    assert parsed[1:] == [["2026-07-09T10:00", "2026-07-09T14:00Z", "America/New_York", "6"],
                          ["2026-07-09T11:00", "2026-07-09T15:00Z", "America/New_York", "3"],
                          ["2026-07-09T12:00", "2026-07-09T16:00Z", "America/New_York", "0"],
                          ["2026-07-09T13:00", "2026-07-09T17:00Z", "America/New_York", "2"]]


def test_graphml_is_anonymised_with_fresh_random_ids(client, fixture):
    sign_in_organizer(client, make_organizer(fixture))
    first = client.get(f"/organize/{fixture.slug}/network.graphml")
    second = client.get(f"/organize/{fixture.slug}/network.graphml")
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    graphs = [ET.fromstring(r.data) for r in (first, second)]
    nodes = [g.findall(".//g:node", ns) for g in graphs]
    edges = graphs[0].findall(".//g:edge", ns)
    assert len(nodes[0]) == 11 and len(edges) == 11
    ids = [[n.get("id") for n in found] for found in nodes]
    assert sorted(ids[0]) == sorted(f"n{i}" for i in range(11))
    edge_lists = [sorted((e.get("source"), e.get("target")) for e in g.findall(".//g:edge", ns)) for g in graphs]
    assert edge_lists[0] != edge_lists[1]  # the ids are drawn anew (11! orders: a clash is ~1 in 40 million)
    text = first.data.decode()
    assert "Principal 1" not in text and "@" not in text and "private note" not in text
    data = [{d.get("key"): (d.text or "") for d in n.findall("g:data", ns)} for n in nodes[0]]
    # 7 principals, and 4 others in roles of 1 or 2: too few to stand apart, so one group holds all.
    assert {tuple(d) for d in data} == {("role",)}
    assert {d["role"] for d in data} == {"principal|aspiring_principal|teacher_leader|district_leader"}
    mutual = [e for e in edges if e.find("g:data", ns) is not None and e.find("g:data", ns).text == "true"]
    assert len(mutual) == 4  # two pairs, each edge marked


def test_small_cells_never_show_in_an_empty_or_tiny_conference(client, app):
    conference = make_conference()
    sign_in_organizer(client, make_organizer(conference))
    empty = client.get(f"/organize/{conference.slug}/")
    assert empty.status_code == 200 and "No connections yet" in empty.text
    a, b = make_attendee(conference, state="VT"), make_attendee(conference, state="VT")
    connect(a, b)
    data = json.loads(client.get(f"/organize/{conference.slug}/figures.json").data)
    assert data["states"] == [{"code": "VT", "name": "Vermont", "people": "<5"}]
    assert all(p["connections"] in (0, "<5") for p in data["roles"]["pairs"])


def test_charts_scale_and_summarise():
    assert [charts.nice_top(v) for v in (0, 1, 3, 7, 10, 11, 260, 999)] == [1, 1, 5, 10, 10, 20, 500, 1000]
    hours = [stats.HourCount(datetime(2026, 7, 9, 0) .replace(hour=i % 24, day=9 + i // 24), i) for i in range(200)]
    grouped, size = charts.coarsen(hours)
    assert size == 3 and len(grouped) <= 72 and sum(h.count for h in grouped) == sum(range(200))
    svg = charts.hours_chart(hours)
    assert svg.startswith('<svg class="chart"') and "Connections per 3 hours" in svg
    assert svg.count("<rect") == len(grouped)


def test_polling_screens_share_one_snapshot_of_the_figures(client, app, fixture):
    """With caching on, a poll is served from the stored snapshot; a stale one is refreshed for the next poll."""
    from datetime import timedelta
    from conference.organizer.dashboard.models import DashboardSnapshot
    app.config.update(DASHBOARD_MAX_AGE_SECONDS=60)  # the refresh task runs at once under TESTING
    sign_in_organizer(client, make_organizer(fixture))
    tile = re.compile(r'Connections made</span><strong class="tile-value">([\d,]+)<')
    assert tile.search(client.get(f"/organize/{fixture.slug}/").text).group(1) == "11"
    snapshot = db.session.get(DashboardSnapshot, fixture.id)
    assert snapshot is not None and snapshot.refreshing_since is None
    from conference.attendees.models import Attendee
    people = list(db.session.scalars(db.select(Attendee).where(Attendee.name.like("District%"))))
    others = list(db.session.scalars(db.select(Attendee).where(Attendee.name.like("Aspiring%"))))
    connect(people[0], others[0])
    assert tile.search(client.get(f"/organize/{fixture.slug}/").text).group(1) == "11"  # fresh enough: stored
    db.session.execute(db.update(DashboardSnapshot).values(computed_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    assert tile.search(client.get(f"/organize/{fixture.slug}/").text).group(1) == "11"  # stale, served at once
    assert tile.search(client.get(f"/organize/{fixture.slug}/").text).group(1) == "12"  # refreshed meanwhile
    db.session.execute(db.update(DashboardSnapshot).values(figures={"format": 0}))
    db.session.commit()
    assert tile.search(client.get(f"/organize/{fixture.slug}/").text).group(1) == "12"  # unreadable: recomputed
