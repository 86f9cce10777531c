"""The organizer's exports attacked as a curious reader would: re-identifying GraphML nodes from what
every card shows, undoing "<5" by subtracting one published number from another, and downloading
the network after deletions."""
import csv
import io
import json
import random
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date, timedelta

import pytest

from conference.attendees.models import ROLES, Attendee
from conference.contacts.models import Connection
from conference.extensions import db
from conference.interests.operations import DEFAULT_INTERESTS
from conference.organizer.dashboard.disclosure import Count, Withheld, protect
from conference.retention.operations import keep_figures_and_purge, record_for
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.organizer_factories import connect, make_organizer, sign_in_organizer

NS = {"g": "http://graphml.graphdrawing.org/xmlns"}
ORDER = list(ROLES)


def graph(client, slug):
    """Nodes as {key: value} and edges as (source, target), from a fresh download."""
    response = client.get(f"/organize/{slug}/network.graphml")
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    nodes = {n.get("id"): {d.get("key"): d.text or "" for d in n.findall("g:data", NS)}
             for n in root.findall(".//g:node", NS)}
    edges = [(e.get("source"), e.get("target")) for e in root.findall(".//g:edge", NS)]
    return nodes, edges, response.data.decode()


def seeded_conference(people=150, saves=420, seed=20260709):
    """A conference like the one that was re-identified: varied roles, states and interests."""
    rng = random.Random(seed)
    conference = make_conference()
    roles = ["principal"] * 40 + ["assistant_principal"] * 22 + ["aspiring_principal"] * 12 + \
            ["teacher_leader"] * 12 + ["district_leader"] * 9 + ["other"] * 5
    states = ["VA"] * 30 + ["MD"] * 20 + ["DC"] * 10 + ["TX"] * 8 + ["CA"] * 8 + ["NY"] * 6 + ["PA"] * 5 + \
             ["NC", "GA", "OH", "MI", "WA", "AK", "VT", "HI", "INTL", "DOD", ""]
    attendees = []
    for n in range(people):
        offers = rng.sample(DEFAULT_INTERESTS, rng.randint(0, 3))
        seeks = rng.sample([i for i in DEFAULT_INTERESTS if i not in offers], rng.randint(0, 3))
        attendees.append(make_attendee(conference, name=f"Seeded {n}", role=rng.choice(roles),
                                       state=rng.choice(states), offers=offers, seeks=seeks,
                                       years_in_role=rng.randint(0, 20)))
    pairs = set()
    while len(pairs) < saves:
        owner, contact = rng.sample(attendees, 2)
        pairs.add((owner.id, contact.id))
    db.session.add_all(Connection(conference_id=conference.id, owner_id=o, contact_id=c) for o, c in sorted(pairs))
    db.session.commit()
    return conference, attendees


def card(person: Attendee) -> dict:
    """What anyone who scans this person's badge reads on the card."""
    return {"role": person.role, "state": person.state,
            "offers": {ai.interest.name for ai in person.interests if ai.offers},
            "seeks": {ai.interest.name for ai in person.interests if ai.seeks}}


def could_be(node: dict, seen: dict) -> bool:
    """Whether a node's attributes fit a card, whatever attributes the file carries: a role (or a
    group of roles), a state, interests (a rare one may be left out), or "suppressed"."""
    for key, value in node.items():
        if key == "role" and value != "suppressed" and seen["role"] not in value.split("|"):
            return False
        if key == "state" and value != "suppressed" and value != seen["state"]:
            return False
        if key in ("offers", "seeks") and not {v for v in value.split("; ") if v} <= seen[key]:
            return False
    return True


def test_graphml_nodes_cannot_be_matched_to_the_cards_of_a_realistic_conference(client, app):
    """The attack that named 61 of 79 nodes: every card's role, state and interests against every node."""
    conference, attendees = seeded_conference()
    sign_in_organizer(client, make_organizer(conference))
    nodes, edges, text = graph(client, conference.slug)
    assert len(nodes) == 150 and len(edges) == 420
    cards = [card(person) for person in attendees]
    matches = [sum(could_be(node, seen) for node in nodes.values()) for seen in cards]
    assert min(matches) >= 5, f"{sum(m == 1 for m in matches)} people matched one node"
    classes = Counter(tuple(sorted(node.items())) for node in nodes.values())
    assert min(classes.values()) >= 5  # every equivalence class of the published attributes
    # ... and from a node's side: at least 5 people fit each one.
    assert min(sum(could_be(node, seen) for seen in cards) for node in nodes.values()) >= 5
    assert len(classes) > 1  # a conference this size keeps some roles apart: the file still says something
    assert "Seeded" not in text and "@" not in text and "VA" not in text


def hidden_parts_pinned(total: int, hidden: list) -> bool:
    """The attacker: parts of a known total that are published as "<5" (1 to 4) or "suppressed"
    (5 or more): can any of them be only one number?"""
    if not hidden:
        return False
    low = {"<5": 1, "suppressed": 5}
    high = {"<5": 4, "suppressed": float("inf")}
    for i, marker in enumerate(hidden):
        others = hidden[:i] + hidden[i + 1:]
        least = max(low[marker], total - sum(high[o] for o in others))
        most = min(high[marker], total - sum(low[o] for o in others))
        if least >= most:
            return True
    return False


def split(cells: dict):
    shown = sum(v for v in cells.values() if isinstance(v, int))
    return shown, [v for v in cells.values() if not isinstance(v, int)]


def test_a_small_state_cannot_be_worked_out_from_the_total(client, app):
    """VA 12, MD 6, TX 2 of 20 registered: TX read "<5" while 20 − 12 − 6 gave it away."""
    conference = make_conference()
    for state, n in (("VA", 12), ("MD", 6), ("TX", 2)):
        for _ in range(n):
            make_attendee(conference, state=state)
    sign_in_organizer(client, make_organizer(conference))
    data = json.loads(client.get(f"/organize/{conference.slug}/figures.json").data)
    states = {s["code"]: s["people"] for s in data["states"]}
    assert states == {"VA": 12, "MD": "suppressed", "TX": "<5"}
    shown, hidden = split(states)
    assert not hidden_parts_pinned(data["overview"]["registered"] - shown, hidden)
    rows = list(csv.DictReader(io.StringIO(client.get(f"/organize/{conference.slug}/figures.csv").data
                                           .decode("utf-8-sig"))))
    assert {r["item"]: r["value"] for r in rows if r["section"] == "states"} == {"VA": "12", "MD": "suppressed",
                                                                                 "TX": "<5"}
    page = client.get(f"/organize/{conference.slug}/").text
    assert re.search(r"Maryland</td><td class=\"num\">suppressed<", page)
    assert re.search(r"Texas</td><td class=\"num\">&lt;5<", page)


def test_role_pairs_in_the_figures_cannot_be_worked_out_from_the_graph(client, app):
    """Teacher leaders saved principals 3 times: the figures read "<5", and the graph must not count them."""
    conference = make_conference()
    principals = [make_attendee(conference, role="principal") for _ in range(6)]
    assistants = [make_attendee(conference, role="assistant_principal") for _ in range(6)]
    teachers = [make_attendee(conference, role="teacher_leader") for _ in range(6)]
    for group in (principals, assistants):
        for i in range(6):
            connect(group[i], group[(i + 1) % 6])
    for i in range(6):
        connect(principals[i], assistants[i])
        connect(assistants[i], principals[(i + 2) % 6])
    for i in range(3):
        connect(teachers[i], principals[i])
    sign_in_organizer(client, make_organizer(conference))
    data = json.loads(client.get(f"/organize/{conference.slug}/figures.json").data)
    cells = {tuple(sorted((p["a"], p["b"]), key=ORDER.index)): p["connections"] for p in data["roles"]["pairs"]}
    assert cells[("principal", "teacher_leader")] == "<5"
    assert cells[("principal", "assistant_principal")] == 12 and cells[("assistant_principal",
                                                                         "assistant_principal")] == 6

    nodes, edges, _ = graph(client, conference.slug)
    groups = {node["role"] for node in nodes.values()}
    assert "teacher_leader" not in groups  # 3 edges to principals: too few to show apart
    # The attacker: every pair of groups in the graph is a known total over the figures' cells inside it.
    counted = Counter(tuple(sorted((nodes[s]["role"], nodes[t]["role"]))) for s, t in edges)
    for g in groups:
        for h in groups:
            if g > h:
                continue
            inside = {(a, b): v for (a, b), v in cells.items()
                      if (a in g.split("|") and b in h.split("|")) or (a in h.split("|") and b in g.split("|"))}
            shown, hidden = split(inside)
            assert not hidden_parts_pinned(counted[(g, h)] - shown, hidden), (g, h, inside)
            assert counted[(g, h)] == 0 or counted[(g, h)] >= 5
    shown, hidden = split(cells)
    assert not hidden_parts_pinned(len(edges), hidden)  # nor from the number of edges
    # The stored snapshot the console polls gives the same figures as a fresh computation.
    app.config.update(DASHBOARD_MAX_AGE_SECONDS=60)
    client.get(f"/organize/{conference.slug}/")
    cached = json.loads(client.get(f"/organize/{conference.slug}/figures.json").data)
    assert cached["roles"] == data["roles"] and cached["states"] == data["states"]


def test_interests_follow_one_rule_in_every_export(client, app):
    """Literacy offered by 2 and sought by 3: "<5" twice, and no export lists it anywhere else."""
    conference = make_conference()
    for n in range(8):
        make_attendee(conference, offers=["Literacy"] if n < 2 else ["Math"],
                      seeks=["Literacy"] if 2 <= n < 5 else ())
    sign_in_organizer(client, make_organizer(conference))
    data = json.loads(client.get(f"/organize/{conference.slug}/figures.json").data)
    literacy = next(i for i in data["interests"] if i["name"] == "Literacy")
    assert (literacy["offered"], literacy["sought"]) == ("<5", "<5")
    _, _, text = graph(client, conference.slug)
    assert "Literacy" not in text and "Math" not in text


def test_the_suppression_rule_hides_a_second_part_only_when_needed():
    assert {k: c.shown for k, c in protect({"a": 12, "b": 6, "c": 2}, [["a", "b", "c"]]).items()} == {
        "a": "12", "b": "suppressed", "c": "<5"}
    assert {k: c.shown for k, c in protect({"a": 12, "b": 3, "c": 2}, [["a", "b", "c"]]).items()} == {
        "a": "12", "b": "<5", "c": "<5"}  # 5 between two cells of 1 to 4: (1, 4), (2, 3), (3, 2) or (4, 1)
    assert protect({"a": 12, "b": 1, "c": 1}, [["a", "b", "c"]])["a"].shown == "suppressed"  # 2 = 1 + 1 exactly
    assert protect({"a": 2}, [])["a"] == Count(2)  # no known total: "<5" alone is enough


def test_a_block_that_hiding_cannot_protect_cannot_be_read():
    protected = protect({"a": 4, "b": 4, "c": 0}, [["a", "b", "c"]])  # 8 = 4 + 4 exactly
    assert protected.withheld == (("a", "b", "c"),)
    for read in (lambda: protected["a"], lambda: protected.get("a", Count(0)), lambda: dict(protected)):
        with pytest.raises(Withheld):
            read()
    # A part nobody publishes could be anything from 0 up: then "<5" twice gives nothing away.
    assert {k: c.shown for k, c in protect({"a": 4, "b": 4, "c": 0}, [["a", "b", "c"]], unseen=["c"]).items()} == {
        "a": "<5", "b": "<5", "c": "0"}
    assert protect({"a": 1, "c": 0}, [["a", "c"]], unseen=["c"]).withheld  # 1 registered, "<5": it is 1


def test_graphml_after_an_account_deletion_hidden_attendees_and_a_retention_run(client, app):
    conference = make_conference(closes_on=date.today() + timedelta(days=30), retain_until=date.today() + timedelta(days=60))
    people = [make_attendee(conference, name=f"Member {n}", role="principal") for n in range(8)]
    quiet = make_attendee(conference, name="Quiet One", role="principal", hidden=True)
    for owner in people:
        for contact in people[:3] + [quiet]:
            if owner is not contact:
                connect(owner, contact)
    organizer = make_organizer(conference)

    leaver = make_attendee(conference, name="Leaving Soon", role="principal")
    for owner in people:
        connect(owner, leaver)
    sign_in_as(client, leaver)
    assert client.post("/me/delete", data={"confirm": "y"}).status_code == 303
    assert db.session.scalar(db.select(db.func.count()).select_from(Connection)
                             .where(Connection.contact_id.is_(None))) == 8  # the savers keep a removed row

    sign_in_organizer(client, organizer)
    for _ in range(2):  # and a later download still works
        nodes, edges, text = graph(client, conference.slug)
        assert len(nodes) == 9 and len(edges) == 8 * 3 - 3 + 8
        assert text.rstrip().endswith("</graphml>")
        assert "Quiet One" not in text and "Leaving Soon" not in text

    conference = db.session.merge(conference)
    record_for(conference)
    assert keep_figures_and_purge(conference) == 9
    nodes, edges, text = graph(client, conference.slug)
    assert nodes == {} and edges == [] and text.rstrip().endswith("</graphml>")


def figures(client, slug) -> tuple[dict, list[dict], str]:
    """What an organizer can publish: the JSON figures, the CSV rows and the dashboard page."""
    data = json.loads(client.get(f"/organize/{slug}/figures.json").data)
    rows = list(csv.DictReader(io.StringIO(client.get(f"/organize/{slug}/figures.csv").data.decode("utf-8-sig"))))
    return data, rows, client.get(f"/organize/{slug}/").text


def pinned_breakdowns(data: dict) -> list[str]:
    """The attacker over a whole figures file: each breakdown beside the exact total it adds up to."""
    m = data["meeting_in_person"] or {}
    blocks = [("roles.pairs", data["overview"]["connections"],
               {(p["a"], p["b"]): p["connections"] for p in data["roles"]["pairs"]})]
    if m:
        blocks += [(f"per_hour.{column}", m[column], {h["hour_start"]: h[column] for h in m["per_hour"]})
                   for column in ("requested", "accepted", "held")]
        blocks += [("huddle_sizes", m["huddles_held"], {s["people"]: s["huddles"] for s in m["huddle_sizes"]}),
                   ("roles.joined", m["joined"], {r["role"]: r["joined"] for r in m["roles"]}),
                   ("roles.met_someone", m["met_someone"], {r["role"]: r["met_someone"] for r in m["roles"]})]
    pinned = []
    for name, total, cells in blocks:
        shown, hidden = split(cells)
        if hidden_parts_pinned(total - shown, hidden):
            pinned.append(name)
    return pinned


def test_role_pairs_that_hiding_cannot_protect_are_left_out_everywhere(client, app):
    """4 connections among principals and 4 among assistant principals, 8 in all: both cells read "<5",
    and beside 8 connections (and 8 edges in the network file) that reads 4 and 4."""
    conference = make_conference()
    principals = [make_attendee(conference, role="principal") for _ in range(10)]
    assistants = [make_attendee(conference, role="assistant_principal") for _ in range(10)]
    for group in (principals, assistants):
        for i in range(4):
            connect(group[i], group[i + 5])
    sign_in_organizer(client, make_organizer(conference))
    data, rows, page = figures(client, conference.slug)
    assert data["overview"]["connections"] == 8 and hidden_parts_pinned(8, ["<5", "<5"])
    assert data["roles"]["pairs"] == [] and data["withheld"] == ["roles.pairs"]
    assert not [r for r in rows if r["section"] == "roles"]
    assert [(r["item"], r["measure"], r["value"]) for r in rows if r["section"] == "withheld"] == [
        ("roles.pairs", "reason", "too few to show without singling one out")]
    assert "Too few connections yet to show them by pair of roles without singling one out." in page
    assert 'class="heatmap"' not in page
    assert pinned_breakdowns(data) == []
    _, edges, _ = graph(client, conference.slug)
    assert len(edges) == 8
    # The stored snapshot the console polls leaves them out by the same rule.
    app.config.update(DASHBOARD_MAX_AGE_SECONDS=60)
    client.get(f"/organize/{conference.slug}/")
    cached, _, page = figures(client, conference.slug)
    assert cached["roles"] == data["roles"] and cached["withheld"] == ["roles.pairs"]
    assert "Too few connections yet to show them by pair of roles" in page


def test_a_lone_registrants_state_is_left_out_everywhere(client, app):
    """One registrant, from Vermont: "<5" beside 1 registered would name the state."""
    conference = make_conference()
    make_attendee(conference, state="VT")
    sign_in_organizer(client, make_organizer(conference))
    data, rows, page = figures(client, conference.slug)
    assert data["overview"]["registered"] == 1 and data["states"] == [] and "states" in data["withheld"]
    assert not [r for r in rows if r["section"] == "states"]
    assert ("withheld", "states") in {(r["section"], r["item"]) for r in rows}
    assert "Too few registrants yet to show them by state without singling one out." in page
    assert "Vermont" not in page and "VT" not in json.dumps(data["states"])
    assert data["overview"]["states_represented"] == 1  # a count of states, not of people


def test_small_states_beside_registrants_without_a_state_give_nobody_away(client, app):
    """California 4 and New York 4 of 8 registered: nobody is told how many gave no state, and 4, 3 and
    one without a state publish the very same figures, so neither state can be worked out."""
    published = []
    for states in (["CA"] * 4 + ["NY"] * 4, ["CA"] * 4 + ["NY"] * 3 + [""]):
        conference = make_conference()
        for state in states:
            make_attendee(conference, state=state)
        sign_in_organizer(client, make_organizer(conference))
        data, rows, page = figures(client, conference.slug)
        assert data["states"] == [{"code": "CA", "name": "California", "people": "<5"},
                                  {"code": "NY", "name": "New York", "people": "<5"}]
        assert data["withheld"] == [] and pinned_breakdowns(data) == []
        published.append((data["overview"], data["states"], [r for r in rows if r["section"] == "states"]))
    assert published[0] == published[1]
