"""Bulk-seed the benchmark database: one conference, N attendees, M connections, in seconds.

Rows go in through SQLAlchemy core executemany (psycopg batches them), not through HTTP joins;
badge codes come from the app's own generator. The schema is rebuilt with drop_all/create_all.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, text

from conference.attendees.models import CHANNELS, GRADE_BANDS, Attendee, Channel, name_keys
from conference.badges.codes import new_code
from conference.contacts.models import Connection
from conference.demo import DISTRICTS, FIRST, LAST, ROLE_WEIGHTS, SCHOOLS, STATES
from conference.events.models import Conference
from conference.extensions import db
from conference.interests.models import AttendeeInterest, Interest
from conference.interests.operations import add_default_interests

NOTES = ["", "", "Talked scheduling over coffee.", "Promised to send the master schedule template.",
         "Voxer group for early-career principals?", "Great ideas on family engagement nights.",
         "Mentor for aspiring principals; follow up in August."]


@dataclass
class Seeded:
    conference_id: int
    attendees: list[tuple[int, str]]   # (id, badge code)
    connections: int


def _attendee_rows(rng: random.Random, conference_id: int, count: int, start: datetime) -> list[dict]:
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(new_code())
    roles, weights = list(ROLE_WEIGHTS), list(ROLE_WEIGHTS.values())
    rows = []
    for n, code in enumerate(sorted(codes, key=lambda _: rng.random()), start=1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        school, district = rng.choice(SCHOOLS), rng.choice(DISTRICTS)
        rows.append(dict(id=n, conference_id=conference_id, badge_code=code, name=f"{first} {last}",
                         email=f"attendee{n}@bench.example.org", role=rng.choices(roles, weights)[0],
                         school=school, district=district, state=rng.choice(STATES),
                         grade_band=rng.choice(list(GRADE_BANDS)),
                         joined_at=start + timedelta(seconds=rng.randint(0, 3 * 86400)),
                         **name_keys(f"{first} {last}", school, district)))
    return rows


def _profile_rows(rng: random.Random, people: list[dict], interest_ids: list[int]) -> tuple[list[dict], list[dict]]:
    interests, channels = [], []
    for person in people:
        for interest_id in rng.sample(interest_ids, rng.randint(3, 7)):
            offers = rng.random() < 0.55
            seeks = not offers or rng.random() < 0.2
            interests.append(dict(attendee_id=person["id"], interest_id=interest_id, offers=offers, seeks=seeks))
        handle = f"lead{person['id']}_{rng.randint(10, 99)}"
        values = {"email": person["email"], "x": handle, "voxer": handle, "phone": f"+1202555{person['id'] % 10000:04d}",
                  "instagram": handle + ".edu", "linkedin": f"{handle}-{person['id']}", "bluesky": handle + ".bsky.social",
                  "website": f"https://school{person['id']}.example.org/principal"}
        for kind in CHANNELS:
            if kind in ("email", "x") or rng.random() < 0.45:
                visibility = rng.choices(["anyone", "mutual", "nobody"], [6, 2, 2])[0]
                channels.append(dict(attendee_id=person["id"], kind=kind, value=values[kind], visibility=visibility))
    return interests, channels


def _connection_rows(rng: random.Random, conference_id: int, count: int, people: int,
                     start: datetime) -> list[dict]:
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < count:
        owner, contact = rng.randint(1, people), rng.randint(1, people)
        if owner != contact:
            pairs.add((owner, contact))
    rows = []
    for owner, contact in sorted(pairs):
        created = start + timedelta(seconds=rng.randint(0, 3 * 86400))
        rows.append(dict(conference_id=conference_id, owner_id=owner, contact_id=contact, note=rng.choice(NOTES),
                         tags=rng.choice([[], [], ["mentor"], ["scheduling", "follow up"]]), created_at=created,
                         updated_at=created))
    return rows


def seed(attendees: int = 2000, connections: int = 40000, rng_seed: int = 2026) -> Seeded:
    """Rebuild the schema and fill it. Needs an app context on the bench database."""
    rng = random.Random(rng_seed)
    db.drop_all()
    db.create_all()
    conference = Conference(slug="bench-2026", name="Pre-K–8 Principals Conference", starts_on=date(2026, 7, 9),
                            ends_on=date(2026, 7, 11), timezone="America/New_York", venue="National Harbor, MD")
    db.session.add(conference)
    db.session.flush()
    add_default_interests(conference)
    interest_ids = list(db.session.scalars(select(Interest.id).where(Interest.conference_id == conference.id)))
    start = datetime(2026, 7, 9, 8, 0)

    people = _attendee_rows(rng, conference.id, attendees, start)
    interests, channels = _profile_rows(rng, people, interest_ids)
    db.session.execute(insert(Attendee.__table__), people)
    db.session.execute(insert(AttendeeInterest.__table__), interests)
    db.session.execute(insert(Channel.__table__), channels)
    db.session.execute(insert(Connection.__table__), _connection_rows(rng, conference.id, connections,
                                                                      attendees, start))
    # Ids were given explicitly: move PostgreSQL's sequences past them so the app can insert.
    for table in (Attendee.__table__, Channel.__table__, Connection.__table__) if db.engine.name == "postgresql" else ():
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"(SELECT max(id) FROM \"{table.name}\"))"))
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    total = db.session.scalar(select(func.count()).select_from(Connection))
    return Seeded(conference.id, [(p["id"], p["badge_code"]) for p in people], total)
