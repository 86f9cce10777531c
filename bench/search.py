"""Search at national-conference scale: the organizer's registrant search and one attendee's contacts search.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<a database it may empty> python bench/search.py [--label TEXT]

Rebuilds the schema, imports 20,000 registrants (a fifth of them with accented names) through the
importer, gives one of them 300 saved contacts with notes, then times through the app (test client,
after one warm-up each): registrant searches and the unfiltered first page, and contacts searches.
Prints medians of REQUESTS requests in Markdown (figures go in docs/benchmarks.md by hand: the
same script runs on the code before a change and after it).
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "sqlite:///" + str(Path(tempfile.gettempdir()) / "pln-bench-search.sqlite3")
ATTENDEES, CONTACTS, REQUESTS = 20_000, 300, 30
GIVEN = ["Ana", "José", "María", "Trần", "An", "Zoë", "Łukasz", "Ingrid", "Siobhán", "Kwame", "Wei", "Ngozi"]
FAMILY = ["Ruiz", "Ñúñez-O'Brien", "Đặng", "Nguyễn", "Müller", "Kowalski", "Ødegaard", "O'Brien", "de la Vega",
          "Washington", "Chen", "Okafor", "Álvarez", "Smith", "Johnson", "Brown"]
REGISTRANT_QUERIES = ["", "nunez", "Ñúñez", "obrien", "school 12", "person1234@"]
CONTACT_QUERIES = ["nunez", "schedule", "dang", "zebra"]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def registrants_csv(rng: random.Random) -> bytes:
    lines = ["First Name,Last Name,E-mail,Role,School,District,State\r\n"]
    for n in range(ATTENDEES):
        accented = n % 5 == 0
        given = rng.choice(GIVEN) if accented else f"Person{n}"
        family = rng.choice(FAMILY) if accented else f"Surname{n % 997}"
        lines.append(f"{given},{family},person{n}@school{n % 500}.example.org,"
                     f"{rng.choice(['Principal', 'AP', 'Teacher'])},School {n % 1500},District {n % 300},VA\r\n")
    return "".join(lines).encode("utf-8-sig")


def median_ms(client, path: str, query: dict) -> float:
    client.get(path, query_string=query)  # warm-up
    samples = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(path, query_string=query, headers={"HX-Request": "true"})
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return ms(statistics.median(samples))


def run(url: str) -> dict:
    from sqlalchemy import select

    from conference import create_app
    from conference.attendees.models import Attendee
    from conference.contacts.models import Connection
    from conference.extensions import db
    from conference.organizer.registrants.importer import import_registrants
    from conference.organizer.access.models import Organizer
    from conference.organizer.settings.operations import create_conference

    instance = Path(tempfile.mkdtemp(prefix="bench-search-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": False,
                      "PUBLIC_BASE_URL": "https://pln.example.org", "MAIL_OUTBOX": str(instance / "outbox"),
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    rng = random.Random(2026)
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.create_all()
        conference = create_conference("bench-search", "Search benchmark")
        db.session.add(Organizer(conference_id=conference.id, email="staff@association.example.org"))
        db.session.commit()
        import_registrants(conference, registrants_csv(rng), max_bytes=50 * 1024 * 1024)
        db.session.commit()
        ids = list(db.session.scalars(select(Attendee.id).where(Attendee.conference_id == conference.id)))
        me = ids[0]
        start = datetime(2026, 7, 9, 12, 0)
        notes = ["Talked master schedule", "Wants to visit in spring", "", "Voxer group, early-career principals",
                 "Habló de horarios y de la planificación", "Send the family-night flyer"]
        db.session.add_all([Connection(conference_id=conference.id, owner_id=me, contact_id=contact,
                                       note=rng.choice(notes), tags="", created_at=start + timedelta(minutes=i),
                                       updated_at=start) for i, contact in enumerate(rng.sample(ids[1:], CONTACTS))])
        db.session.commit()
        if url.startswith("postgres"):
            from sqlalchemy import text
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        slug, organizer_id = conference.slug, db.session.scalar(select(Organizer.id))
        db.session.remove()
    organizer, attendee = app.test_client(), app.test_client()
    with organizer.session_transaction() as session:
        session["organizer_id"] = organizer_id
    with attendee.session_transaction() as session:
        session["attendee_id"] = me
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
               "registrants": {q or "(no query, first page)": median_ms(organizer, f"/organize/{slug}/registrants",
                                                                       {"q": q} if q else {})
                               for q in REGISTRANT_QUERIES},
               "contacts": {q: median_ms(attendee, "/me/contacts", {"q": q}) for q in CONTACT_QUERIES}}
    results["load_average"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    with app.app_context():
        db.engine.dispose()
    return results


def markdown(r: dict, url: str, label: str) -> str:
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    rows = "\n".join(f"| registrants: `{q}` | {v} ms |" for q, v in r["registrants"].items())
    rows += "\n" + "\n".join(f"| contacts ({CONTACTS}): `{q}` | {v} ms |" for q, v in r["contacts"].items())
    return (f"{label} on {database}, {r['machine']} (load average {r['load_average']:.1f}), "
            f"{datetime.now():%Y-%m-%d}: median of {REQUESTS} requests through the app.\n\n"
            f"| search | median |\n|---|---|\n{rows}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", default="Measured", help="what the figures are (e.g. 'Before the change')")
    args = parser.parse_args()
    from conference.config import normalise_database_url
    url = normalise_database_url(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    print(markdown(run(url), url, args.label))


if __name__ == "__main__":
    main()
