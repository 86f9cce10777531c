"""Meeting in person at conference scale: free times for two people, /me/meetings, huddle invitations.

    python bench/meetings.py [--database URL] [--reuse] [--keep] [--attendees 20000] [--repeat 300]
    python bench/meetings.py --quick          # small conference on SQLite in a temporary file

1. Seeds (COPY on PostgreSQL, Core executemany on SQLite) one conference whose three days start
   tomorrow: --attendees people (3-7 of the 22 interests each, offered or sought, five interests
   far more popular than the rest, 2% hidden, 5% with requests off), 20 connections per person,
   30 meeting times (3 days x 2 breaks x 5 slots of 20 minutes), 12 spots whose table count covers
   the accepted meetings, 2 meetings per person (60% accepted, each with its two Bookings and a
   TableBooking; the rest requested, declined, countered with a counter-proposal, or cancelled)
   and a huddle per 10 people (sizes 3-8, each seated person booked, full ones with a short
   waiting list), never putting anyone in two things at one time or two meetings at one table.
   One person (the lowest attendee id) gets exactly 20 schedule items: 8 accepted meetings,
   4 huddle seats (one as host), 4 requests waiting for their answer and 4 they asked.
2. Measures, after a warm-up, --repeat times each (wall time and this process's CPU; median, p95):
   (a) booking.free_times(conference, a, b) for random pairs, with all 30 times still ahead;
   (b) GET /me/meetings for the 20-item person through the Flask test client, signed in by the
       session, and operations.schedule_for(person) alone;
   (c) huddles.start_huddle(...) for a new huddle on the two most offered interests, and
       huddles.invitees(huddle) alone (each sample rolled back).
   (b) and (c) say "not on this branch yet" when those functions are missing.
3. On PostgreSQL, prints EXPLAIN ANALYZE of the statements each measured call makes (--explain).
The database is created when missing and dropped at the end unless --keep or --reuse; --reuse
keeps a database seeded at the same scale (moving its meeting times forward when they have passed).
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_meetings"
SLUG = "bench-meetings"
TIMEZONE = "America/New_York"
DAYS, BREAKS, SLOTS, SLOT_MINUTES = 3, ((10, 0, "Morning break"), (15, 0, "Afternoon break")), 5, 20
SPOTS = 12
TARGETS_MS = {"free_times": 20.0, "schedule": 50.0, "invitees": 100.0}
STATE_WEIGHTS = {"accepted": 60, "requested": 20, "declined": 10, "countered": 3, "cancelled": 7}
QUESTIONS = ["Chronic absence in K–2: what actually worked?", "Master schedule with two lunches?",
             "Keeping new teachers past year two", "Family nights people actually come to",
             "Coaching cycles that teachers ask for", "Budget cuts without cutting the arts"]
MESSAGES = ["", "", "Let's compare master schedules", "Coffee and attendance data?", "Ten minutes on MTSS?"]
NOT_YET = "not on this branch yet"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- database ------------------------------------------------------------------------------------

def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database of `url` if it is missing; True when it was created."""
    import psycopg
    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
        return True


def drop_database(url: str) -> None:
    import psycopg
    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def put(table, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`: COPY on PostgreSQL, executemany elsewhere."""
    from sqlalchemy import insert

    from conference.extensions import db
    if not rows:
        return
    if db.engine.name != "postgresql":
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(table), rows[start:start + 5000])
        return
    columns = list(rows[0])
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f'COPY "{table.name}" ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


# --- seeding -------------------------------------------------------------------------------------

class World:
    """What the seeding keeps in memory so that the rows it makes respect the unique keys."""

    def __init__(self, rng: random.Random, times: list[int], tables: list[tuple[int, int]]):
        self.rng, self.times, self.tables = rng, times, tables
        self.busy: set[tuple[int, int]] = set()            # (attendee, time): one Booking each
        self.next_table = {t: 0 for t in times}             # tables fill in spot-name order, like spot_with_room
        self.meetings: list[dict] = []
        self.huddles: list[dict] = []
        self.huddle_interests: list[dict] = []
        self.seats: list[dict] = []
        self.waiting: list[dict] = []
        self.bookings: list[dict] = []
        self.table_bookings: list[dict] = []

    def free(self, time_id: int, *people: int) -> bool:
        return all((p, time_id) not in self.busy for p in people)

    def common_free_time(self, *people: int, tries: int = 12) -> int | None:
        for _ in range(tries):
            t = self.rng.choice(self.times)
            if self.free(t, *people) and self.next_table[t] < len(self.tables):
                return t
        return None

    def hold(self, time_id: int, people: list[int], *, meeting_id: int | None = None,
             huddle_id: int | None = None) -> tuple[int, int]:
        spot_id, table_no = self.tables[self.next_table[time_id]]
        self.next_table[time_id] += 1
        for person in people:
            self.book(person, time_id, meeting_id=meeting_id, huddle_id=huddle_id)
        self.table_bookings.append(dict(id=len(self.table_bookings) + 1, spot_id=spot_id, time_id=time_id,
                                        table_no=table_no, meeting_id=meeting_id, huddle_id=huddle_id))
        return spot_id, table_no

    def book(self, person: int, time_id: int, *, meeting_id: int | None = None, huddle_id: int | None = None):
        self.busy.add((person, time_id))
        self.bookings.append(dict(id=len(self.bookings) + 1, attendee_id=person, time_id=time_id,
                                  meeting_id=meeting_id, huddle_id=huddle_id))

    def meeting(self, conference_id: int, asker: int, invitee: int, time_id: int, state: str, now: datetime,
                replaces_id: int | None = None) -> dict | None:
        """One meeting row (and its bookings and table when accepted); None if it cannot be accepted."""
        rng = self.rng
        meeting_id = len(self.meetings) + 1
        created = now - timedelta(minutes=rng.randint(5, 3 * 24 * 60))
        row = dict(id=meeting_id, conference_id=conference_id, asker_id=asker, invitee_id=invitee,
                   time_id=time_id, spot_id=self.tables[0][0], table_no=None, message=rng.choice(MESSAGES),
                   state=state, replaces_id=replaces_id, created_at=created, answered_at=None,
                   cancelled_at=None, cancelled_by_id=None, cancel_reason="")
        if state == "accepted":
            if not self.free(time_id, asker, invitee) or self.next_table[time_id] >= len(self.tables):
                return None
            row["spot_id"], row["table_no"] = self.hold(time_id, [asker, invitee], meeting_id=meeting_id)
            row["answered_at"] = created + timedelta(minutes=rng.randint(1, 600))
        else:
            row["spot_id"], row["table_no"] = rng.choice(self.tables)
        if state in ("declined", "countered"):
            row["answered_at"] = created + timedelta(minutes=rng.randint(1, 600))
        if state == "cancelled":
            row["cancelled_at"] = created + timedelta(minutes=rng.randint(1, 600))
            row["cancelled_by_id"] = rng.choice([asker, invitee])
            row["cancel_reason"] = rng.choice(["Session ran over", "Flight moved", ""])
        self.meetings.append(row)
        return row

    def huddle(self, conference_id: int, host: int, time_id: int, size: int, interest_ids: list[int],
               members: list[int], waiting: list[int], now: datetime) -> dict:
        huddle_id = len(self.huddles) + 1
        spot_id, _ = self.hold(time_id, [], huddle_id=huddle_id)
        row = dict(id=huddle_id, conference_id=conference_id, host_id=host, question=self.rng.choice(QUESTIONS),
                   time_id=time_id, spot_id=spot_id, size=size,
                   created_at=now - timedelta(minutes=self.rng.randint(5, 3 * 24 * 60)),
                   cancelled_at=None, cancel_reason="")
        self.huddles.append(row)
        self.huddle_interests += [dict(huddle_id=huddle_id, interest_id=i) for i in interest_ids]
        for seat_no, person in enumerate([host] + members, start=1):
            self.seats.append(dict(huddle_id=huddle_id, seat_no=seat_no, attendee_id=person, joined_at=row["created_at"]))
            self.book(person, time_id, huddle_id=huddle_id)
        self.waiting += [dict(huddle_id=huddle_id, attendee_id=p, joined_at=now) for p in waiting]
        return row


def meeting_times(first_day: date) -> list[tuple[datetime, int, str]]:
    """(UTC start, minutes, label) of every meeting time: the venue's breaks, on its clock."""
    zone, out = ZoneInfo(TIMEZONE), []
    for day in range(DAYS):
        for hour, minute, label in BREAKS:
            for slot in range(SLOTS):
                local = datetime.combine(first_day + timedelta(days=day), datetime.min.time()).replace(
                    hour=hour, minute=minute, tzinfo=zone) + timedelta(minutes=slot * SLOT_MINUTES)
                out.append((local.astimezone(timezone.utc).replace(tzinfo=None), SLOT_MINUTES, label))
    return out


def seed(scale: dict, rng: random.Random) -> None:
    """Rebuild the schema and fill it at `scale`. Needs an app context on the bench database."""
    from sqlalchemy import select, text

    from bench.seed import _attendee_rows
    from conference.attendees.models import Attendee
    from conference.contacts.models import Connection
    from conference.events.models import Conference
    from conference.extensions import db
    from conference.interests.models import AttendeeInterest, Interest
    from conference.interests.operations import add_default_interests
    from conference.meetings.models import (Booking, Huddle, HuddleInterest, HuddleSeat, HuddleWaiting, Meeting,
                                            MeetingSpot, MeetingTime, TableBooking)

    n = scale["attendees"]
    db.drop_all()
    db.create_all()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    first_day = date.today() + timedelta(days=1)
    conference = Conference(slug=SLUG, name="National Principals Conference", starts_on=first_day,
                            ends_on=first_day + timedelta(days=DAYS - 1), timezone=TIMEZONE,
                            venue="National Harbor, MD")
    db.session.add(conference)
    db.session.flush()
    add_default_interests(conference)
    interests = list(db.session.scalars(select(Interest.id).where(Interest.conference_id == conference.id)
                                        .order_by(Interest.position)))
    times = [MeetingTime(conference_id=conference.id, starts_at=s, minutes=m, label=label)
             for s, m, label in meeting_times(first_day)]
    db.session.add_all(times)
    # Enough tables for the accepted meetings and the huddles with a quarter to spare.
    held = scale["meetings"] * STATE_WEIGHTS["accepted"] / 100 + scale["huddles"]
    capacity = min(500, max(2, math.ceil(held / len(times) / SPOTS / 0.75)))
    spots = [MeetingSpot(conference_id=conference.id, name=f"Networking lounge {chr(65 + i)}", capacity=capacity)
             for i in range(SPOTS)]
    db.session.add_all(spots)
    db.session.flush()
    time_ids = [t.id for t in times]
    tables = [(s.id, table) for s in spots for table in range(1, capacity + 1)]

    # People, as bench/seed.py makes them, with a few popular interests as in bench/after_event.py.
    people = _attendee_rows(rng, conference.id, n, now - timedelta(days=20))
    popularity = [1 + 6 * (i < 5) for i in range(len(interests))]
    picks, offerers = [], {i: [] for i in interests}
    for person in people:
        person.update(hidden=rng.random() < 0.02, meeting_requests=rng.random() >= 0.05,
                      years_in_role=rng.choice([None, 0, 1, 2, 4, 7, 12, 20]))
        chosen = set()
        target = rng.randint(3, 7)
        while len(chosen) < target:
            chosen.add(rng.choices(interests, popularity)[0])
        for interest_id in chosen:
            offers = rng.random() < 0.5
            seeks = not offers or rng.random() < 0.2
            picks.append(dict(attendee_id=person["id"], interest_id=interest_id, offers=offers, seeks=seeks))
            if offers and not person["hidden"]:
                offerers[interest_id].append(person["id"])
    me = people[0]
    me.update(hidden=False, meeting_requests=True)
    visible = [p["id"] for p in people if not p["hidden"] and p["meeting_requests"]]
    put(Attendee.__table__, people)
    put(AttendeeInterest.__table__, picks)

    pairs: set[tuple[int, int]] = set()
    while len(pairs) < scale["connections"]:
        owner, contact = rng.randint(1, n), rng.randint(1, n)
        if owner != contact:
            pairs.add((owner, contact))
    pair_list = sorted(pairs)
    put(Connection.__table__, [dict(conference_id=conference.id, owner_id=o, contact_id=c, note=rng.choice(
        ["", "", "Talked scheduling over coffee."]), created_at=now, updated_at=now) for o, c in pair_list])
    db.session.commit()

    world = World(rng, time_ids, tables)
    # The person with exactly 20 items, first, at 20 different times.
    mine = rng.sample(time_ids, 20)
    others = iter(rng.sample(visible[1:], 40))
    for k in range(8):  # accepted: 4 asked by them, 4 asked of them
        other = next(others)
        asker, invitee = (me["id"], other) if k < 4 else (other, me["id"])
        world.meeting(conference.id, asker, invitee, mine[k], "accepted", now)
    hosted = offerers[interests[0]]
    members = [p for p in rng.sample(visible[1:], 30) if world.free(mine[8], p)][:3]
    world.huddle(conference.id, me["id"], mine[8], 6, [interests[0], interests[6]], members, [], now)
    for k in range(9, 12):  # seats in other people's huddles, one of them full with a waiting list
        host = next(p for p in rng.sample(hosted, 20) if p != me["id"] and world.free(mine[k], p))
        size = 4 if k == 9 else rng.randint(5, 8)
        taken = [p for p in rng.sample(visible[1:], 40) if p != host and world.free(mine[k], p)][:size - 2]
        waiting = [p for p in rng.sample(visible[1:], 5) if p not in taken and p != host][:2] if k == 9 else []
        world.huddle(conference.id, host, mine[k], size, [interests[rng.randrange(5)]], [me["id"]] + taken,
                     waiting, now)
    for k in range(12, 16):  # waiting for their answer
        world.meeting(conference.id, next(others), me["id"], mine[k], "requested", now)
    for k in range(16, 20):  # they asked, no answer yet
        world.meeting(conference.id, me["id"], next(others), mine[k], "requested", now)
    special = {me["id"]}

    # Everyone else's meetings: mostly between contacts, otherwise anyone visible.
    states, weights = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())
    while len(world.meetings) < scale["meetings"]:
        if rng.random() < 0.7:
            asker, invitee = rng.choice(pair_list)
        else:
            asker, invitee = rng.choice(visible), rng.choice(visible)
        if asker == invitee or asker in special or invitee in special:
            continue
        state = rng.choices(states, weights)[0]
        time_id = (world.common_free_time(asker, invitee) if state == "accepted" else None) or rng.choice(time_ids)
        row = world.meeting(conference.id, asker, invitee, time_id, state, now)
        if row is None:
            world.meeting(conference.id, asker, invitee, time_id, "declined", now)
        elif state == "countered" and len(world.meetings) < scale["meetings"]:
            world.meeting(conference.id, invitee, asker, rng.choice(time_ids), "requested", now, replaces_id=row["id"])

    # Huddles: the host and the seated people offer or seek its interests, all free at its time.
    while len(world.huddles) < scale["huddles"]:
        chosen = list({rng.choices(interests, popularity)[0] for _ in range(rng.randint(1, 2))})
        host = rng.choice(offerers[chosen[0]] or visible)
        time_id = world.common_free_time(host)
        if time_id is None or host in special:
            continue
        size = rng.randint(3, 8)
        pool = offerers[chosen[-1]] or visible
        filled = size if rng.random() < 0.3 else rng.randint(1, size)
        members = []
        for candidate in rng.sample(pool, min(len(pool), 4 * size)):
            if len(members) >= filled - 1:
                break
            if candidate not in special and candidate != host and candidate not in members \
                    and world.free(time_id, candidate):
                members.append(candidate)
        waiting = [p for p in rng.sample(pool, min(len(pool), 3)) if p not in members and p != host
                   and p not in special][:rng.randint(0, 2)] if len(members) + 1 == size else []
        world.huddle(conference.id, host, time_id, size, chosen, members, waiting, now)

    for table, rows in ((Meeting.__table__, world.meetings), (Huddle.__table__, world.huddles),
                        (HuddleInterest.__table__, world.huddle_interests), (HuddleSeat.__table__, world.seats),
                        (HuddleWaiting.__table__, world.waiting), (Booking.__table__, world.bookings),
                        (TableBooking.__table__, world.table_bookings)):
        put(table, rows)
    if db.engine.name == "postgresql":  # ids were given: move the sequences past them
        for table in ("attendee", "meeting", "huddle", "booking", "table_booking"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT COALESCE(max(id), 1) FROM {table}))"))
    db.session.commit()
    if db.engine.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def seeded_scale() -> dict | None:
    """The counts of a database this script seeded, or None."""
    from sqlalchemy import func, inspect, select

    from conference.attendees.models import Attendee
    from conference.contacts.models import Connection
    from conference.events.models import Conference
    from conference.extensions import db
    from conference.meetings.models import Booking, Huddle, HuddleSeat, Meeting
    if not inspect(db.engine).has_table("meeting"):
        return None
    conference = db.session.scalar(select(Conference).where(Conference.slug == SLUG))
    if conference is None:
        return None

    def count(model):
        return db.session.scalar(select(func.count()).select_from(model))
    return dict(attendees=count(Attendee), connections=count(Connection), meetings=count(Meeting),
                huddles=count(Huddle), seats=count(HuddleSeat), bookings=count(Booking),
                accepted=db.session.scalar(select(func.count()).where(Meeting.state == "accepted")))


def move_forward_if_past() -> int:
    """On --reuse: when the first meeting time is less than a day ahead, move the conference and all
    its times forward by whole days, so that everything seeded is upcoming again. Returns the days."""
    from sqlalchemy import func, select, text

    from conference.extensions import db
    from conference.meetings.models import MeetingTime
    first = db.session.scalar(select(func.min(MeetingTime.starts_at)))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if first is None or first > now + timedelta(days=1):
        return 0
    days = (now - first).days + 2
    if db.engine.name == "postgresql":
        db.session.execute(text("UPDATE meeting_time SET starts_at = starts_at + make_interval(days => :d)"), {"d": days})
        db.session.execute(text("UPDATE conference SET starts_on = starts_on + :d, ends_on = ends_on + :d"), {"d": days})
    else:
        for t in db.session.scalars(select(MeetingTime)):
            t.starts_at += timedelta(days=days)
        db.session.execute(text("UPDATE conference SET starts_on = date(starts_on, :m), ends_on = date(ends_on, :m)"),
                           {"m": f"+{days} days"})
    db.session.commit()
    return days


# --- measuring -----------------------------------------------------------------------------------

def timed(samples: dict, key: str, call):
    started, cpu = time.perf_counter(), time.process_time()
    result = call()
    samples.setdefault(key, []).append((time.perf_counter() - started) * 1000)
    samples.setdefault(key + " cpu", []).append((time.process_time() - cpu) * 1000)
    return result


class Statements:
    """The SQL statements run inside a `with` block (to EXPLAIN them afterwards)."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _listen(self, conn, cursor, statement, params, context, many):
        self.seen.append((statement, params))

    def __enter__(self):
        from sqlalchemy import event
        event.listen(self.engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event
        event.remove(self.engine, "before_cursor_execute", self._listen)


def explain(statements: list[tuple[str, object]]) -> list[str]:
    """EXPLAIN ANALYZE of each SELECT, in a transaction rolled back afterwards."""
    from conference.extensions import db
    raw = db.session.connection().connection.driver_connection
    out = []
    for statement, params in statements:
        if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        out.append(re.sub(r"\s+", " ", statement).strip()[:300] + "\n" + plan)
    db.session.rollback()
    return out


def person_with_interests(person_id: int):
    from conference.attendees.models import Attendee
    from conference.extensions import db
    person = db.session.get(Attendee, person_id)
    _ = person.interests
    return person


def bench_free_times(app, rng: random.Random, repeat: int, warmup: int, want_plans: bool) -> dict:
    from sqlalchemy import func, select

    from conference.attendees.models import Attendee
    from conference.events.models import Conference
    from conference.extensions import db
    from conference.meetings import booking
    from conference.meetings.models import MeetingTime

    samples: dict[str, list[float]] = {}
    with app.app_context():
        ids = list(db.session.scalars(select(Attendee.id).order_by(Attendee.id)))
        conference_id = db.session.scalar(select(Conference.id).where(Conference.slug == SLUG))
        before_first = db.session.scalar(select(func.min(MeetingTime.starts_at))) - timedelta(hours=1)
        db.session.remove()
        found = []
        for index in range(warmup + repeat):
            a_id, b_id = rng.sample(ids, 2)
            # As in a request: a fresh session, the conference and both people already loaded.
            conference = db.session.get(Conference, conference_id)
            a, b = db.session.get(Attendee, a_id), db.session.get(Attendee, b_id)
            result = timed(samples, "free_times" if index >= warmup else "warm-up",
                           lambda: booking.free_times(conference, a, b, now=before_first))
            found.append(len(result))
            db.session.remove()
        for index in range(repeat):  # the busiest person (12 bookings) with someone
            conference = db.session.get(Conference, conference_id)
            a, b = db.session.get(Attendee, ids[0]), db.session.get(Attendee, rng.choice(ids[1:]))
            timed(samples, "free_times busy", lambda: booking.free_times(conference, a, b, now=before_first))
            db.session.remove()
        plans = []
        if want_plans and db.engine.name == "postgresql":
            conference = db.session.get(Conference, conference_id)
            a, b = db.session.get(Attendee, ids[0]), db.session.get(Attendee, ids[1])
            with Statements(db.engine) as caught:
                booking.free_times(conference, a, b, now=before_first)
            plans = explain(caught.seen)
        db.session.remove()
    samples.pop("warm-up", None)
    samples.pop("warm-up cpu", None)
    return dict(samples=samples, plans=plans, free=statistics.median(found[warmup:]))


def bench_schedule(app, repeat: int, warmup: int, want_plans: bool) -> dict:
    from sqlalchemy import func, select

    from conference.attendees.models import Attendee
    from conference.extensions import db
    from tests.factories import sign_in_as

    try:
        from conference.meetings.operations import schedule_for
    except ImportError:
        schedule_for = None
    has_route = "meetings.schedule" in app.view_functions
    out: dict = dict(samples={}, plans=[], route=has_route, operation=schedule_for is not None)
    if not has_route and schedule_for is None:
        return out
    with app.app_context():
        me_id = db.session.scalar(select(func.min(Attendee.id)))
        if has_route:
            client = app.test_client()
            sign_in_as(client, db.session.get(Attendee, me_id))
            db.session.remove()
            for index in range(warmup + repeat):
                response = timed(out["samples"], "GET /me/meetings" if index >= warmup else "warm-up",
                                 lambda: client.get("/me/meetings"))
                if response.status_code != 200:
                    raise SystemExit(f"/me/meetings answered {response.status_code}")
            out["bytes"] = len(response.data)
        if schedule_for is not None:
            for index in range(warmup + repeat):
                me = db.session.get(Attendee, me_id)
                items = timed(out["samples"], "schedule_for" if index >= warmup else "warm-up",
                              lambda: schedule_for(me))
                db.session.remove()
            out["items"] = items
            if want_plans and db.engine.name == "postgresql":
                me = db.session.get(Attendee, me_id)
                with Statements(db.engine) as caught:
                    schedule_for(me)
                out["plans"] = explain(caught.seen)
                db.session.remove()
    for key in ("warm-up", "warm-up cpu"):
        out["samples"].pop(key, None)
    return out


def count_items(items) -> str:
    """What schedule_for returned, as counts, whatever its shape (a list, or a mapping of lists)."""
    if isinstance(items, dict):
        return ", ".join(f"{k}: {len(v)}" for k, v in items.items() if hasattr(v, "__len__"))
    if hasattr(items, "__dict__") and not hasattr(items, "__len__"):
        return ", ".join(f"{k}: {len(v)}" for k, v in vars(items).items()
                         if hasattr(v, "__len__") and not isinstance(v, str))
    return f"{len(items)} items" if hasattr(items, "__len__") else type(items).__name__


def bench_invitees(app, rng: random.Random, repeat: int, warmup: int, want_plans: bool) -> dict:
    from sqlalchemy import delete, func, select

    from conference.attendees.models import Attendee
    from conference.errors import DomainError
    from conference.extensions import db
    from conference.interests.models import AttendeeInterest
    from conference.meetings.models import (Booking, Huddle, HuddleInterest, HuddleSeat, HuddleWaiting,
                                            MeetingNotice, MeetingTime, TableBooking)

    try:
        from conference.meetings.huddles import invitees, start_huddle
    except ImportError:
        return dict(samples={}, plans=[], present=False)
    out: dict = dict(samples={}, plans=[], present=True)
    with app.app_context():
        popular = list(db.session.execute(
            select(AttendeeInterest.interest_id, func.count()).where(AttendeeInterest.offers.is_(True))
            .group_by(AttendeeInterest.interest_id).order_by(func.count().desc()).limit(2)))
        out["interests"] = [n for _, n in popular]
        interest_ids = [i for i, _ in popular]
        times = list(db.session.scalars(select(MeetingTime.id).order_by(MeetingTime.starts_at)))
        before_first = db.session.scalar(select(func.min(MeetingTime.starts_at))) - timedelta(hours=1)
        hosts = list(db.session.scalars(select(Attendee.id).where(Attendee.hidden.is_(False),
                                                                  Attendee.meeting_requests.is_(True))))
        last_huddle = db.session.scalar(select(func.max(Huddle.id))) or 0
        last_notice = db.session.scalar(select(func.max(MeetingNotice.id))) or 0
        db.session.remove()
        counts = []
        for index in range(warmup + repeat):
            host = db.session.get(Attendee, rng.choice(hosts))
            busy = set(db.session.scalars(select(Booking.time_id).where(Booking.attendee_id == host.id)))
            time_id = rng.choice([t for t in times if t not in busy])
            label = "start_huddle" if index >= warmup else "warm-up"
            try:
                huddle = timed(out["samples"], label, lambda: start_huddle(
                    host, rng.choice(QUESTIONS), interest_ids, time_id, size=6, now=before_first))
            except DomainError as error:
                raise SystemExit(f"start_huddle refused host {host.id} at time {time_id}: {error}") from None
            found = timed(out["samples"], "invitees" if index >= warmup else "warm-up", lambda: invitees(huddle))
            counts.append(len(found) if hasattr(found, "__len__") else len(list(found)))
            if want_plans and index == warmup + repeat - 1 and db.engine.name == "postgresql":
                with Statements(db.engine) as caught:
                    invitees(huddle)
                out["plans"] = explain(caught.seen)  # while the huddle is still there
            db.session.rollback()
            # start_huddle may commit: remove whatever it left, so every sample starts the same.
            for model in (Booking, TableBooking, HuddleSeat, HuddleInterest, HuddleWaiting):
                db.session.execute(delete(model).where(model.huddle_id > last_huddle))
            db.session.execute(delete(Huddle).where(Huddle.id > last_huddle))
            db.session.execute(delete(MeetingNotice).where(MeetingNotice.id > last_notice))
            db.session.commit()
            db.session.remove()
    for key in ("warm-up", "warm-up cpu"):
        out["samples"].pop(key, None)
    out["invited"] = statistics.median(counts[warmup:]) if counts[warmup:] else 0
    return out


def probe_plans() -> list[str]:
    """Plans of the look-ups the three paths rest on, whatever the final statements: a person's
    meetings either way round, their huddle seats and bookings, and the offerers of two interests
    who are visible, take requests and are free at a time."""
    from sqlalchemy import func, select, text

    from conference.attendees.models import Attendee
    from conference.extensions import db
    from conference.interests.models import AttendeeInterest
    from conference.meetings.models import MeetingTime
    me = db.session.scalar(select(func.min(Attendee.id)))
    first_time = db.session.scalar(select(func.min(MeetingTime.id)))
    popular = [i for i, in db.session.execute(
        select(AttendeeInterest.interest_id).where(AttendeeInterest.offers.is_(True))
        .group_by(AttendeeInterest.interest_id).order_by(func.count().desc()).limit(2))]
    probes = {
        "a person's meetings, either way round, open ones":
            "SELECT m.id FROM meeting m WHERE (m.asker_id = :me OR m.invitee_id = :me) "
            "AND m.state IN ('requested', 'accepted', 'countered')",
        "a person's huddle seats with their huddles":
            "SELECT h.id FROM huddle_seat s JOIN huddle h ON h.id = s.huddle_id WHERE s.attendee_id = :me",
        "a person's bookings":
            "SELECT time_id FROM booking WHERE attendee_id = :me",
        "visible offerers of two interests, taking requests, free at a time, fewest shared first":
            "SELECT a.id FROM attendee_interest ai JOIN attendee a ON a.id = ai.attendee_id "
            "WHERE ai.interest_id IN (:i1, :i2) AND ai.offers AND NOT a.hidden AND a.meeting_requests "
            "AND a.conference_id = (SELECT conference_id FROM attendee WHERE id = :me) "
            "AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.attendee_id = a.id AND b.time_id = :t) "
            "GROUP BY a.id ORDER BY count(*) DESC, a.id LIMIT 200",
    }
    params = dict(me=me, i1=popular[0], i2=popular[-1], t=first_time)
    out = []
    for label, sql in probes.items():
        plan = db.session.execute(text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql), params).scalars().all()
        out.append(f"-- {label}\n{sql}\n" + "\n".join(plan))
    db.session.rollback()
    return out


# --- report --------------------------------------------------------------------------------------

def row(label: str, samples: dict, key: str, target: float | None) -> str:
    values, cpu = samples[key], samples.get(key + " cpu", [])
    p95 = percentile(values, 95)
    verdict = "" if target is None else (f"meets ≤ {target:.0f}" if p95 <= target else f"**misses** ≤ {target:.0f}")
    return (f"| {label} | {len(values)} | {statistics.median(values):.1f} | {p95:.1f} | "
            f"{statistics.median(cpu):.1f} | {percentile(cpu, 95):.1f} | {verdict} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.split("\n")[4:]))
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
                        help=f"PostgreSQL URL, created when missing (default: BENCH_DATABASE_URL or {DEFAULT_URL})")
    parser.add_argument("--attendees", type=int, default=20_000, help="attendees to seed (default 20,000); "
                        "connections are 20, meetings 2 and huddles 0.1 per attendee")
    parser.add_argument("--reuse", action="store_true", help="keep a database already seeded at this scale "
                        "instead of seeding again, and keep it afterwards")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end (for a later --reuse)")
    parser.add_argument("--repeat", type=int, default=300, help="timed samples per measurement (default 300)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed samples before each measurement")
    parser.add_argument("--explain", action=argparse.BooleanOptionalAction, default=True,
                        help="print EXPLAIN ANALYZE of each measured call's statements (PostgreSQL)")
    parser.add_argument("--quick", action="store_true", help="small scale (500 attendees, 30 samples) on SQLite "
                        "in a temporary file: that the script and the paths it measures work")
    parser.add_argument("--only", choices=("free_times", "schedule", "invitees"), action="append",
                        help="measure only this (repeatable)")
    parser.add_argument("--seed", type=int, default=14, help="random seed")
    args = parser.parse_args()

    tmpdir = None
    if args.quick:
        tmpdir = tempfile.mkdtemp(prefix="pln-bench-meetings-")
        args.database = f"sqlite:///{tmpdir}/bench.sqlite3"
        args.attendees = min(args.attendees, 500)
        args.repeat, args.warmup, args.reuse, args.explain = min(args.repeat, 30), 5, False, False
    scale = dict(attendees=args.attendees, connections=20 * args.attendees, meetings=2 * args.attendees,
                 huddles=max(10, args.attendees // 10))
    postgres = args.database.startswith("postgres")
    if postgres:
        ensure_database(args.database)

    import logging

    from conference import create_app
    from conference.config import normalise_database_url
    from conference.extensions import db

    outbox = tempfile.mkdtemp(prefix="pln-bench-outbox-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(args.database), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "TASKS_IMMEDIATE": True,
                      "MAIL_SERVER": "", "MAIL_OUTBOX": outbox, "PUBLIC_BASE_URL": "https://pln.example.org",
                      "SERVER_NAME": None})
    app.logger.setLevel(logging.ERROR)
    rng = random.Random(args.seed)
    loads = [os.getloadavg()]
    try:
        with app.app_context():
            found = seeded_scale() if args.reuse else None
            if found and found["attendees"] == scale["attendees"]:
                moved = move_forward_if_past()
                seeding = f"reused the seeded database{f' (times moved {moved} days forward)' if moved else ''}"
            else:
                started = time.perf_counter()
                seed(scale, rng)
                seeding = f"seeded in {time.perf_counter() - started:.0f} s"
                found = seeded_scale()
            db.session.remove()
        print(f"{seeding}: {found['attendees']:,} attendees, {found['connections']:,} connections, "
              f"{found['meetings']:,} meetings ({found['accepted']:,} accepted), {found['huddles']:,} huddles with "
              f"{found['seats']:,} seats, {found['bookings']:,} bookings", file=sys.stderr, flush=True)
        only = set(args.only or ("free_times", "schedule", "invitees"))
        results = {}
        if "free_times" in only:
            results["free_times"] = bench_free_times(app, rng, args.repeat, args.warmup, args.explain)
            loads.append(os.getloadavg())
        if "schedule" in only:
            results["schedule"] = bench_schedule(app, args.repeat, args.warmup, args.explain)
            loads.append(os.getloadavg())
        if "invitees" in only:
            results["invitees"] = bench_invitees(app, rng, args.repeat, args.warmup, args.explain)
            loads.append(os.getloadavg())
        probes = []
        if args.explain and postgres:
            with app.app_context():
                probes = probe_plans()
                db.session.remove()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        shutil.rmtree(outbox, ignore_errors=True)
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)

    where = "SQLite (temporary file)" if not postgres else "PostgreSQL " + args.database.split("@")[-1]
    lines = [f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs ({platform.machine()}), "
             f"Python {platform.python_version()}, {where}; load average (1 min) "
             f"{' → '.join(f'{load[0]:.1f}' for load in loads)}.",
             f"Data: {found['attendees']:,} attendees, {found['connections']:,} connections, {found['meetings']:,} "
             f"meetings ({found['accepted']:,} accepted), {found['huddles']:,} huddles ({found['seats']:,} seats), "
             f"{found['bookings']:,} bookings, 30 meeting times, {SPOTS} spots.",
             f"Each figure: {args.repeat} samples after {args.warmup} to warm up, in process; wall ms and this "
             "process's CPU ms.", "",
             "| measured | n | p50 ms | p95 ms | CPU p50 | CPU p95 | target (p95) |",
             "|---|---:|---:|---:|---:|---:|---|"]
    notes = []
    if "free_times" in results:
        r = results["free_times"]
        lines.append(row("booking.free_times(conference, a, b), random pairs", r["samples"], "free_times",
                         TARGETS_MS["free_times"]))
        lines.append(row("booking.free_times, the 20-item person and a random other", r["samples"],
                         "free_times busy", TARGETS_MS["free_times"]))
        notes.append(f"free_times found {r['free']:.0f} of 30 times free for the median pair.")
    if "schedule" in results:
        r = results["schedule"]
        if r["route"]:
            lines.append(row("GET /me/meetings, the 20-item person (test client)", r["samples"], "GET /me/meetings",
                             TARGETS_MS["schedule"]))
            notes.append(f"/me/meetings answered {r['bytes']:,} bytes.")
        else:
            lines.append(f"| GET /me/meetings | {NOT_YET} | | | | | |")
        if r["operation"]:
            lines.append(row("operations.schedule_for(person) alone", r["samples"], "schedule_for", None))
            notes.append(f"schedule_for returned {count_items(r['items'])}.")
        else:
            lines.append(f"| operations.schedule_for | {NOT_YET} | | | | | |")
    if "invitees" in results:
        r = results["invitees"]
        if r["present"]:
            lines.append(row("huddles.start_huddle(...), two popular interests", r["samples"], "start_huddle", None))
            lines.append(row("huddles.invitees(new huddle) alone", r["samples"], "invitees", TARGETS_MS["invitees"]))
            notes.append(f"invitees found {r['invited']:.0f} people for the median new huddle (its two interests "
                         f"are offered by {' and '.join(f'{n:,}' for n in r['interests'])} people).")
        else:
            lines.append(f"| huddles.start_huddle / invitees | {NOT_YET} | | | | | |")
    print("\n".join(lines + [""] + notes))
    for key in ("free_times", "schedule", "invitees"):
        for plan in results.get(key, {}).get("plans", []):
            print(f"\n### EXPLAIN ANALYZE, {key}\n```\n{plan}\n```")
    for plan in probes:
        print(f"\n### EXPLAIN ANALYZE, probe\n```\n{plan}\n```")
    if postgres and not (args.keep or args.reuse):
        drop_database(args.database)
        print(f"dropped {args.database.rsplit('/', 1)[1]} (keep it with --keep, or --reuse)", file=sys.stderr)


if __name__ == "__main__":
    main()
