"""The organizer's figures about meeting in person: hand counts without HTTP, the "<5" rule with no side
door between figures, and the dashboard and exports that carry them."""
import csv
import io
import json
from datetime import datetime

import pytest

from conference.extensions import db
from conference.meetings.models import Booking, Huddle, HuddleSeat, Meeting, MeetingSpot, MeetingTime, TableBooking
from conference.organizer.dashboard.meeting_stats import MeetingCounts, build_figures, meeting_counts, meeting_figures
from conference.organizer.dashboard import snapshots, stats
from tests.factories import make_attendee, make_conference
from tests.organizer_factories import make_organizer, sign_in_organizer
from tests.test_export_privacy import hidden_parts_pinned, split

NOW = datetime(2026, 7, 9, 18, 0)  # 14:00 at the venue (America/New_York, EDT), on the first day


def slot(conference, starts_at: datetime, minutes: int = 20) -> MeetingTime:
    made = MeetingTime(conference_id=conference.id, starts_at=starts_at, minutes=minutes)
    db.session.add(made)
    db.session.flush()
    return made


def place(conference, name="Networking lounge", capacity=20) -> MeetingSpot:
    made = MeetingSpot(conference_id=conference.id, name=name, capacity=capacity)
    db.session.add(made)
    db.session.flush()
    return made


def meet(asker, invitee, at: MeetingTime, spot: MeetingSpot, state: str = "accepted") -> Meeting:
    """A meeting row as the meeting operations leave it (bookings and a table once accepted)."""
    made = Meeting(conference_id=asker.conference_id, asker_id=asker.id, invitee_id=invitee.id, time_id=at.id,
                   spot_id=spot.id, state=state)
    db.session.add(made)
    db.session.flush()
    if state == "accepted":
        taken = db.session.query(TableBooking).filter_by(spot_id=spot.id, time_id=at.id).count()
        db.session.add_all([Booking(attendee_id=asker.id, time_id=at.id, meeting_id=made.id),
                            Booking(attendee_id=invitee.id, time_id=at.id, meeting_id=made.id),
                            TableBooking(spot_id=spot.id, time_id=at.id, table_no=taken + 1, meeting_id=made.id)])
    db.session.commit()
    return made


def huddle(people, at: MeetingTime, spot: MeetingSpot, cancelled: bool = False) -> Huddle:
    """A huddle hosted by people[0] with everyone in `people` seated."""
    made = Huddle(conference_id=people[0].conference_id, host_id=people[0].id, question="What worked?",
                  time_id=at.id, spot_id=spot.id, size=8, cancelled_at=NOW if cancelled else None)
    db.session.add(made)
    db.session.flush()
    for n, person in enumerate(people, 1):
        db.session.add(HuddleSeat(huddle_id=made.id, seat_no=n, attendee_id=person.id))
    db.session.commit()
    return made


def crowd(conference, **roles):
    return {role: [make_attendee(conference, role=role, name=f"{role} {i}") for i in range(n)]
            for role, n in roles.items()}


@pytest.fixture
def busy(app):
    """12 principals, 6 assistant principals, 2 aspiring principals; three hours of meeting times."""
    conference = make_conference()
    people = crowd(conference, principal=12, assistant_principal=6, aspiring_principal=2)
    p, ap, asp = people["principal"], people["assistant_principal"], people["aspiring_principal"]
    lounge = place(conference)
    ten, ten20 = slot(conference, datetime(2026, 7, 9, 14, 0)), slot(conference, datetime(2026, 7, 9, 14, 20))
    eleven = slot(conference, datetime(2026, 7, 9, 15, 0))
    two = slot(conference, datetime(2026, 7, 9, 18, 0))                       # starts at NOW: not held yet
    for i in range(6):
        meet(p[i], ap[i], ten, lounge)                                        # 6 held, principal × AP
    meet(p[6], p[7], ten20, lounge)                                           # held, principal × principal
    meet(p[8], p[9], ten20, lounge, state="declined")
    meet(p[10], p[11], ten20, lounge, state="cancelled")
    meet(asp[0], p[0], eleven, lounge)                                        # held
    meet(asp[1], p[1], eleven, lounge, state="requested")
    for i in range(5):
        meet(p[i], ap[(i + 1) % 6], two, lounge)                              # accepted, still to come
    huddle([p[10], p[11], ap[0]], eleven, lounge)                            # held, 3 people
    huddle([p[2]], eleven, place(conference, "Hall B café", 8))              # held, alone: met nobody
    huddle([p[3], p[4]], eleven, lounge, cancelled=True)
    return conference, people


def test_the_figures_match_hand_counts(busy):
    conference, _ = busy
    m = meeting_figures(conference, now=NOW)
    assert (m.requested, m.accepted, m.held) == (16, 13, 8)
    hours = [(h.start.strftime("%H:%M"), h.requested.raw, h.accepted.raw, h.held.raw) for h in m.hours]
    assert hours == [("10:00", 9, 7, 7), ("11:00", 2, 1, 1), ("14:00", 5, 5, 0)]
    assert m.huddles_held == 2 and m.counts.huddle_sizes == {1: 1, 3: 1}
    # Met someone: p0–p7 (meetings), p10, p11 (huddle), ap0–ap5, asp0: 17 of 20.
    assert (m.joined, m.met) == (20, 17) and m.met_share == pytest.approx(17 / 20)
    roles = {key: (share.met.raw, share.of.raw) for key, _, share in m.roles}
    assert roles["principal"] == (10, 12) and roles["assistant_principal"] == (6, 6)
    assert roles["aspiring_principal"] == (1, 2) and roles["district_leader"] == (0, 0)
    assert m.pair("principal", "assistant_principal").met.raw == 8  # p0–p5, and p10, p11 beside ap0
    assert m.pair("assistant_principal", "principal").met.raw == 6
    assert m.pair("principal", "principal").met.raw == 4            # p6, p7, p10, p11
    assert m.pair("principal", "aspiring_principal").met.raw == 1
    assert m.pair("district_leader", "principal").met.raw == 0


def test_small_cells_read_under_5_and_the_parts_beside_them_are_hidden(busy):
    conference, _ = busy
    m = meeting_figures(conference, now=NOW)
    by_hour = {h.start.strftime("%H:%M"): h for h in m.hours}
    assert by_hour["11:00"].requested.shown == "<5" and by_hour["11:00"].held.shown == "<5"
    # 9 + 2 + 5 = 16 requested: with 11:00 hidden, one more is hidden so neither can be worked out.
    assert [h.requested.shown for h in m.hours].count("suppressed") == 1
    roles = {key: share for key, _, share in m.roles}
    assert roles["aspiring_principal"].of.shown == "<5" and roles["aspiring_principal"].shown == "<5"
    assert roles["assistant_principal"].of.shown == "suppressed" and roles["assistant_principal"].shown == "suppressed"
    assert roles["principal"].shown == "83%"
    assert m.pair("principal", "aspiring_principal").shown == "<5"
    # Two huddles, of 1 and 3: both "<5" beside a total of 2 would give both away, so no sizes at all.
    assert m.huddle_sizes == [] and m.withheld == ("huddle_sizes",)


def test_huddle_sizes_are_shown_once_they_single_out_no_huddle():
    m = build_figures(MeetingCounts(huddle_sizes={3: 6, 4: 2, 5: 7}))
    assert [(n, c.shown) for n, c in m.huddle_sizes] == [(1, "0"), (2, "0"), (3, "suppressed"), (4, "<5"), (5, "7")]
    assert m.huddles_held == 15 and m.withheld == ()


def test_no_hidden_cell_can_be_worked_out_from_the_totals(busy):
    """The attacker of tests/test_export_privacy.py: every published total minus the shown cells."""
    conference, _ = busy
    m = meeting_figures(conference, now=NOW)
    past = [h for h in m.hours if h.held.raw == h.accepted.raw and h.held.raw]
    for column, total in (("requested", m.requested), ("accepted", m.accepted), ("held", m.held)):
        cells = {h.utc: getattr(h, column).value for h in m.hours}
        shown, hidden = split(cells)
        assert not hidden_parts_pinned(total - shown, hidden), column
    for h in past:  # an hour whose times have all ended held what it accepted: one published value
        assert h.held.value == h.accepted.value
    shown, hidden = split({n: c.value for n, c in m.huddle_sizes})
    assert not hidden_parts_pinned(m.huddles_held - shown, hidden)
    for total, part in ((m.joined, "of"), (m.met, "met")):
        shown, hidden = split({key: getattr(share, part).value for key, _, share in m.roles})
        assert not hidden_parts_pinned(total - shown, hidden), part


def test_held_and_accepted_of_a_past_hour_are_one_cell():
    """Held 3 at 11:00 hidden, accepted 10 at 10:00 shown: held at 10:00 must not be shown beside a
    held total that gives 11:00 away (10:00 held exactly what it accepted)."""
    counts = MeetingCounts(hours=[["2026-07-09T10:00", "2026-07-09T14:00", 10, 10, 10, True],
                                  ["2026-07-09T11:00", "2026-07-09T15:00", 3, 3, 3, True],
                                  ["2026-07-09T14:00", "2026-07-09T18:00", 7, 7, 0, False]])
    m = build_figures(counts)
    assert [h.accepted.shown for h in m.hours] == [h.held.shown for h in m.hours][:2] + ["suppressed"]
    for column, total in (("accepted", m.accepted), ("held", m.held)):
        shown, hidden = split({h.utc: getattr(h, column).value for h in m.hours})
        assert not hidden_parts_pinned(total - shown, hidden), column


def test_a_conference_without_meetings_has_empty_figures(app):
    conference = make_conference()
    make_attendee(conference)
    m = meeting_figures(conference)
    assert (m.requested, m.held, m.huddles_held, m.met, m.joined) == (0, 0, 0, 0, 1)
    assert m.hours == [] and m.huddle_sizes == [] and m.met_share == 0


def test_the_snapshot_keeps_the_raw_numbers_and_suppresses_again(busy):
    conference, _ = busy
    counts = meeting_counts(conference, now=NOW)
    board = stats.dashboard(conference)
    board.meetings = build_figures(counts)
    decoded = snapshots.decode(json.loads(json.dumps(snapshots.encode(board))))
    assert decoded.meetings.counts == counts
    assert decoded.meetings == board.meetings


def test_the_dashboard_and_both_exports_carry_the_figures(client, busy):
    conference, _ = busy  # every time of the fixture has passed by the real clock: all accepted are held
    sign_in_organizer(client, make_organizer(conference))
    page = client.get(f"/organize/{conference.slug}/")
    assert page.status_code == 200 and "Meeting in person" in page.text
    assert "Meetings per hour" in page.text and "Huddles held, by people at the table" in page.text
    assert "Met someone in person" in page.text and "85%" in page.text  # 17 of 20
    data = json.loads(client.get(f"/organize/{conference.slug}/figures.json").data)["meeting_in_person"]
    assert (data["requested"], data["accepted"], data["held"], data["huddles_held"]) == (16, 13, 13, 2)
    assert (data["joined"], data["met_someone"]) == (20, 17)  # at 14:00, people who had met already
    assert data["per_hour"][1] == {"hour_start": "2026-07-09T11:00", "hour_start_utc": "2026-07-09T15:00Z",
                                   "requested": "<5", "accepted": "<5", "held": "<5"}
    roles = {r["role"]: r for r in data["roles"]}
    assert roles["aspiring_principal"]["joined"] == "<5" and roles["principal"]["share"] == round(10 / 12, 4)
    rows = list(csv.DictReader(io.StringIO(client.get(f"/organize/{conference.slug}/figures.csv").data
                                           .decode("utf-8-sig"))))
    meeting_rows = {(r["section"], r["item"], r["measure"]): r["value"] for r in rows
                    if r["section"].startswith(("meeting", "huddle", "met_"))}
    assert meeting_rows[("meeting_in_person", "", "held")] == "13"
    assert meeting_rows[("meetings_per_hour", "2026-07-09T11:00", "requested")] == "<5"
    assert not any(key[0] == "huddle_sizes" for key in meeting_rows)  # withheld: see above
    assert meeting_rows[("met_in_person_by_role", "Aspiring principal", "joined")] == "<5"
    assert ("met_in_person_by_role_pair", "Principal who met assistant principal", "people") in meeting_rows


def test_the_figures_name_nobody(client, busy):
    conference, people = busy
    sign_in_organizer(client, make_organizer(conference))
    for url in ("/", "/figures.json", "/figures.csv"):
        text = client.get(f"/organize/{conference.slug}{url}").get_data(as_text=True)
        assert "principal 0" not in text and "What worked?" not in text and "Networking lounge" not in text


def test_the_dashboard_snapshot_shows_the_same_figures(client, app, busy):
    conference, _ = busy
    sign_in_organizer(client, make_organizer(conference))
    fresh = json.loads(client.get(f"/organize/{conference.slug}/figures.json").data)["meeting_in_person"]
    app.config.update(DASHBOARD_MAX_AGE_SECONDS=60)
    client.get(f"/organize/{conference.slug}/")
    cached = json.loads(client.get(f"/organize/{conference.slug}/figures.json").data)["meeting_in_person"]
    assert cached == fresh


def test_hours_are_the_venues_even_half_an_hour_off_utc(app):
    conference = make_conference(timezone="Asia/Kolkata")
    people = crowd(conference, principal=20)["principal"]
    lounge = place(conference)
    early, late = slot(conference, datetime(2026, 7, 9, 4, 10)), slot(conference, datetime(2026, 7, 9, 4, 50))
    for i in range(5):
        meet(people[i], people[i + 10], early, lounge, state="requested")
        meet(people[i + 5], people[i + 15], late, lounge, state="requested")
    hours = meeting_figures(conference, now=NOW).hours
    assert [(h.start.strftime("%H:%M"), h.utc.strftime("%H:%M"), h.requested.shown) for h in hours] == [
        ("09:00", "03:30", "5"), ("10:00", "04:30", "5")]


def test_joined_by_role_cannot_be_worked_out_from_the_network_file(client, app):
    """One teacher leader and five district leaders: the network file shows them as one group of 6 nodes,
    so "<5" and "suppressed" beside it would read 1 and 5."""
    from collections import Counter
    from tests.organizer_factories import connect
    from tests.test_export_privacy import graph
    conference = make_conference()
    people = crowd(conference, principal=10, teacher_leader=1, district_leader=5)
    p = people["principal"]
    for i in range(5):
        connect(p[i], p[i + 5])
    sign_in_organizer(client, make_organizer(conference))
    nodes, _, _ = graph(client, conference.slug)
    groups = Counter(node["role"] for node in nodes.values())
    assert groups == {"principal": 10, "teacher_leader|district_leader": 6}
    data = json.loads(client.get(f"/organize/{conference.slug}/figures.json").data)["meeting_in_person"]
    joined = {r["role"]: r["joined"] for r in data["roles"]}
    for group, total in groups.items():
        shown, hidden = split({role: joined[role] for role in group.split("|")} if joined else {})
        assert not joined or not hidden_parts_pinned(total - shown, hidden), group
    shown, hidden = split(joined)
    assert not hidden_parts_pinned(data["joined"] - shown, hidden)
    page = client.get(f"/organize/{conference.slug}/").text
    assert "Too few people yet to show them by role" in page or "suppressed" in page


def test_meeting_breakdowns_that_hiding_cannot_protect_are_left_out_everywhere(client, app):
    """4 principals and 4 assistant principals joined, 4 requests at 10:00 and 4 at 11:00: each breakdown
    would read "<5" twice beside a total of 8, that is 4 and 4."""
    from tests.test_export_privacy import figures, pinned_breakdowns
    conference = make_conference()
    people = crowd(conference, principal=4, assistant_principal=4)
    p, ap = people["principal"], people["assistant_principal"]
    lounge = place(conference)
    ten, eleven = slot(conference, datetime(2026, 7, 9, 14, 0)), slot(conference, datetime(2026, 7, 9, 15, 0))
    for i in range(4):
        meet(p[i], ap[i], ten, lounge, state="requested")
        meet(ap[i], p[(i + 1) % 4], eleven, lounge, state="requested")
    sign_in_organizer(client, make_organizer(conference))
    data, rows, page = figures(client, conference.slug)
    m = data["meeting_in_person"]
    assert (m["requested"], m["joined"]) == (8, 8) and hidden_parts_pinned(8, ["<5", "<5"])
    assert m["per_hour"] == [] and m["roles"] == [] and m["role_pairs"] == []
    assert data["withheld"] == ["meeting_in_person.per_hour", "meeting_in_person.roles",
                                "meeting_in_person.role_pairs"]
    assert not [r for r in rows if r["section"] in ("meetings_per_hour", "met_in_person_by_role",
                                                    "met_in_person_by_role_pair")]
    assert {r["item"] for r in rows if r["section"] == "withheld"} == set(data["withheld"])
    assert "Too few meetings yet to show them by hour without singling one out." in page
    assert "Too few people yet to show them by role without singling one out." in page
    assert pinned_breakdowns(data) == []
    figures_now = build_figures(meeting_counts(conference))
    assert figures_now.withheld == ("hours", "roles") and figures_now.hours == [] and figures_now.roles == []
