"""Issue 4 benchmark: the organizer console at national-conference scale.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench python bench/organizer.py [--write-docs]

1. Rebuilds the schema on BENCH_DATABASE_URL and seeds one conference with 20,000 attendees
   (3 to 6 interests each) and 400,000 connections spread over three conference days.
2. Dashboard: the full page (queries + charts + template) through the app, 20 requests after one
   warm-up: p50 and p95 server time; and each figure's query on its own.
3. Exports: figures CSV and JSON, connections per hour CSV, anonymised GraphML, each fully read.
4. Import: a 20,000-row CSV (with interests) into a new conference, then the same file again.
5. Badges: a 2,000-badge PDF (sheets of six) through the background job's code path.
Prints Markdown; --write-docs also replaces the generated block in docs/benchmarks.md.
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

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench"
DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Issue 4: organizer console"
BLOCK_START, BLOCK_END = "<!-- bench/organizer.py: start -->", "<!-- bench/organizer.py: end -->"
ATTENDEES, CONNECTIONS, IMPORT_ROWS, BADGES, REQUESTS = 20_000, 400_000, 20_000, 2_000, 20
TARGETS = {"dashboard_p95_ms": 300, "export_s": 2, "import_s": 15, "badges_s": 60}
ROLES = ["principal"] * 30 + ["assistant_principal"] * 18 + ["aspiring_principal"] * 12 + \
        ["teacher_leader"] * 8 + ["district_leader"] * 6 + ["other"] * 3
STATES = ["VA", "MD", "TX", "CA", "NY", "IL", "FL", "OH", "WA", "GA", "NC", "MN", "AZ", "PA", "VT", "INTL"]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def seed(rng: random.Random):
    """One conference, ATTENDEES people, CONNECTIONS saves; bulk inserts through SQLAlchemy Core."""
    from sqlalchemy import select, text

    from conference.attendees.models import Attendee, name_keys
    from conference.badges.operations import fresh_codes
    from conference.contacts.models import Connection
    from conference.dialects import bulk_insert
    from conference.extensions import db
    from conference.interests.models import AttendeeInterest
    from conference.organizer.access.models import Organizer
    from conference.organizer.settings.operations import create_conference, interests_of

    conference = create_conference("bench-national", "National Pre-K–8 Principals Conference")
    conference.timezone = "America/New_York"
    db.session.add(Organizer(conference_id=conference.id, email="staff@association.example.org"))
    db.session.commit()
    interest_ids = [i.id for i in interests_of(conference)]
    start = datetime(2026, 7, 9, 12, 0)
    codes = fresh_codes(ATTENDEES)
    rows = [dict(conference_id=conference.id, badge_code=codes[n], name=f"Person {n:05d} Surname{n % 997}",
                 email=f"person{n}@school{n % 500}.example.org", role=rng.choice(ROLES), school=f"School {n % 1500}",
                 district=f"District {n % 300}", state=rng.choice(STATES), joined_at=start,
                 **name_keys(f"Person {n:05d} Surname{n % 997}", f"School {n % 1500}", f"District {n % 300}"))
            for n in range(ATTENDEES)]
    bulk_insert(Attendee, rows)
    ids = list(db.session.scalars(select(Attendee.id).where(Attendee.conference_id == conference.id)))
    links = []
    for attendee_id in ids:
        for interest_id in rng.sample(interest_ids, rng.randint(3, 6)):
            offers = rng.random() < 0.5
            links.append(dict(attendee_id=attendee_id, interest_id=interest_id, offers=offers,
                              seeks=not offers or rng.random() < 0.2))
    bulk_insert(AttendeeInterest, links)
    db.session.commit()
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < CONNECTIONS:
        a, b = rng.choice(ids), rng.choice(ids)
        if a != b:
            pairs.add((a, b))
            if rng.random() < 0.3:
                pairs.add((b, a))  # saved back
    # Three days, 8:00 to 18:00 local, busiest just after the keynotes.
    hours = [start + timedelta(days=d, hours=h) for d in range(3) for h in range(10)]
    weights = [5 if h.hour in (14, 19) else 2 for h in hours]
    batch = []
    for owner, contact in list(pairs)[:CONNECTIONS]:
        moment = rng.choices(hours, weights)[0] + timedelta(seconds=rng.randrange(3600))
        batch.append(dict(conference_id=conference.id, owner_id=owner, contact_id=contact, note="", tags="[]",
                          created_at=moment, updated_at=moment))
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:  # counted once afterwards by tallies.rebuild rather than row by row
        db.session.execute(text("ALTER TABLE connection DISABLE TRIGGER tally_connection"))
    bulk_insert(Connection, batch)
    if postgres:
        db.session.execute(text("ALTER TABLE connection ENABLE TRIGGER tally_connection"))
    db.session.commit()
    db.session.execute(select(1))
    return conference


def progress(label: str, value) -> None:
    print(f"{label}: {value}", file=sys.stderr, flush=True)


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def run(url: str, reuse: bool = False) -> dict:
    from sqlalchemy import text

    from conference import create_app
    from conference.extensions import db
    from conference.organizer.dashboard import stats, tallies
    from conference.organizer.printing import badges_pdf
    from conference.organizer.printing.jobs import CODE_SLOT, badge_data, choose_attendees
    from conference.organizer.registrants.importer import import_registrants, preview_import
    from conference.organizer.settings.operations import create_conference

    instance = Path(tempfile.mkdtemp(prefix="bench-organizer-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": False,
                      "PUBLIC_BASE_URL": "https://pln.example.org", "MAIL_OUTBOX": str(instance / "outbox"),
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    rng = random.Random(2026)
    results: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}
    with app.app_context():
        from conference.attendees.operations import conference_by_slug
        conference = conference_by_slug("bench-national") if reuse else None
        if conference is None:
            db.session.remove()
            db.drop_all()
            db.create_all()
            seconds, conference = timed(lambda: seed(rng))
            results["seed_s"] = round(seconds, 1)
        else:
            results["seed_s"] = "reused"
            db.create_all()  # tables added since the seeding
            from conference.events.models import Conference
            old = db.session.scalar(db.select(Conference).where(Conference.slug == "bench-import"))
            if old is not None:
                db.session.delete(old)
                db.session.commit()
        progress("seed_s", results["seed_s"])
        # The dashboard's tallies (kept by triggers as connections change), counted once for the seeded rows.
        seconds, _ = timed(lambda: tallies.rebuild(conference.id))
        db.session.commit()
        results["rebuild_s"] = round(seconds, 1)
        db.session.execute(text("ANALYZE")) if url.startswith("postgres") else None
        db.session.commit()
        slug, conference_id = conference.slug, conference.id
        from conference.organizer.access.models import Organizer
        organizer_id = db.session.scalar(db.select(Organizer.id))

        # Each figure's queries on their own (one run each, after a warm-up of the whole board).
        stats.dashboard(conference)
        parts = {}
        for name, call in (("overview", stats.overview), ("connections_per_hour", stats.connections_per_hour),
                           ("interests", stats.interest_figures), ("roles", stats.role_matrix),
                           ("states", stats.state_figures)):
            parts[name] = ms(timed(lambda: call(conference))[0])
        results["parts_ms"] = parts
        # A yardstick for how busy the machine was: PostgreSQL counting the 400,000 connections.
        counts = [timed(lambda: db.session.execute(text("SELECT count(*) FROM connection")).scalar())[0]
                  for _ in range(3)]
        results["count_ms"] = ms(statistics.median(counts))
        progress("parts_ms", results["parts_ms"])
        db.session.remove()

    client = app.test_client()
    with client.session_transaction() as session:
        session["organizer_id"] = organizer_id
    app.config["DASHBOARD_MAX_AGE_SECONDS"] = 0  # every request computes every figure
    client.get(f"/organize/{slug}/")  # warm-up
    samples = []
    for _ in range(REQUESTS):
        seconds, response = timed(lambda: client.get(f"/organize/{slug}/"))
        assert response.status_code == 200
        samples.append(seconds)
    # As deployed: figures from the shared snapshot, recomputed in the background when over 5 s old.
    # Polls arrive every 0.5 s (ten screens polling every 5 s), so several refreshes happen meanwhile.
    app.config["DASHBOARD_MAX_AGE_SECONDS"] = 5
    client.get(f"/organize/{slug}/")
    polled = []
    for _ in range(REQUESTS):
        time.sleep(0.5)
        seconds, response = timed(lambda: client.get(f"/organize/{slug}/", headers={"HX-Request": "true"}))
        assert response.status_code == 200
        polled.append(seconds)
    results["dashboard"] = {"p50_ms": ms(statistics.median(samples)), "p95_ms": ms(percentile(samples, 95)),
                            "max_ms": ms(max(samples)), "polled_p50_ms": ms(statistics.median(polled)),
                            "polled_p95_ms": ms(percentile(polled, 95))}
    progress("dashboard", results["dashboard"])
    exports = {}
    for name, path in (("figures.csv", "figures.csv"), ("figures.json", "figures.json"),
                       ("connections-per-hour.csv", "connections-per-hour.csv"), ("network.graphml", "network.graphml")):
        def fetch():
            response = client.get(f"/organize/{slug}/{path}")
            body = response.get_data()
            assert response.status_code == 200
            return len(body)
        runs = [timed(fetch) for _ in range(3)]
        exports[name] = {"median_s": round(statistics.median(r[0] for r in runs), 2),
                         "size_kb": round(runs[0][1] / 1024)}
    results["exports"] = exports
    progress("exports", results["exports"])

    with app.app_context():
        header = "First Name,Last Name,E-mail,Role,School,District,State,Interests\r\n"
        names = ["Literacy", "Math", "Scheduling", "Being mentored", "Equity", "Leader well-being"]
        lines = [f"Reg{n},Surname{n % 811},reg{n}@district{n % 400}.example.org,{rng.choice(['Principal', 'AP', 'Teacher'])},"
                 f"School {n % 900},District {n % 200},{rng.choice(STATES[:-1])},"
                 f"{';'.join(rng.sample(names, 2))}\r\n" for n in range(IMPORT_ROWS)]
        data = (header + "".join(lines)).encode("utf-8-sig")
        target = create_conference("bench-import", "Import target")
        db.session.commit()

        def do_import():
            result = import_registrants(target, data, filename="registrants.csv", max_bytes=50 * 1024 * 1024)
            db.session.commit()
            return result

        preview_s, _ = timed(lambda: preview_import(target, data, max_bytes=50 * 1024 * 1024))
        first_s, first = timed(do_import)
        again_s, again = timed(do_import)
        results["import"] = {"rows": IMPORT_ROWS, "size_kb": round(len(data) / 1024), "first_s": round(first_s, 2),
                             "created": first.created, "again_s": round(again_s, 2), "again_unchanged": again.unchanged,
                             "preview_s": round(preview_s, 2)}
        progress("import", results["import"])

        national = db.session.get(type(target), conference_id)
        ids, _ = choose_attendees(national, "all")
        ids = ids[:BADGES]
        out = instance / "badges.pdf"

        def make_pdf():
            badges = badge_data(national, ids,
                                f"https://pln.example.org/c/{CODE_SLOT}")
            return badges_pdf.write_badges(badges, out, "sheet", progress=lambda done: None)

        pdf_s, count = timed(make_pdf)
        results["badges"] = {"count": count, "seconds": round(pdf_s, 1), "per_badge_ms": ms(pdf_s / count),
                             "pages": -(-count // 6), "size_mb": round(out.stat().st_size / 1_048_576, 1)}
        progress("badges", results["badges"])
        db.session.remove()  # the data stays for a look; the next run (or the tests) rebuild the schema
        db.engine.dispose()
    results["load_average"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return results


def markdown(r: dict, url: str) -> str:
    d, imp, b = r["dashboard"], r["import"], r["badges"]
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    ok = lambda passed: "within target" if passed else "**over target**"  # noqa: E731
    export_rows = "\n".join(f"| {name} | {v['median_s']} s | {v['size_kb']:,} KB | {ok(v['median_s'] <= TARGETS['export_s'])} |"
                            for name, v in r["exports"].items())
    parts = ", ".join(f"{k} {v} ms" for k, v in r["parts_ms"].items())
    seeding = "seeded by an earlier run" if r["seed_s"] == "reused" else f"seeding: {r['seed_s']} s"
    return f"""{BLOCK_START}
Measured {datetime.now():%Y-%m-%d} on {database}, {r['machine']} (load average {r['load_average']:.1f} while it ran:
other work shared the machine), with `bench/organizer.py`: {ATTENDEES:,} attendees, {CONNECTIONS:,}
connections over three days ({seeding}; counting the dashboard's tallies afresh with
`tallies.rebuild`: {r['rebuild_s']} s).

| measure | result | target | |
|---|---|---|---|
| dashboard, full page computed on every request, {REQUESTS} requests | p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms (max {d['max_ms']} ms) | p95 ≤ {TARGETS['dashboard_p95_ms']} ms | {ok(d['p95_ms'] <= TARGETS['dashboard_p95_ms'])} |
| dashboard as deployed: htmx polls served from the shared snapshot (≤ 5 s old, refreshed in the background), {REQUESTS} polls 0.5 s apart | p50 {d['polled_p50_ms']} ms, p95 {d['polled_p95_ms']} ms | p95 ≤ {TARGETS['dashboard_p95_ms']} ms | {ok(d['polled_p95_ms'] <= TARGETS['dashboard_p95_ms'])} |
| import {imp['rows']:,} CSV rows ({imp['size_kb']:,} KB, with interests) | {imp['first_s']} s ({imp['created']:,} created) | ≤ {TARGETS['import_s']} s | {ok(imp['first_s'] <= TARGETS['import_s'])} |
| its preview before that (columns and every row checked, nothing written) | {imp['preview_s']} s | | |
| the same file again (no-op) | {imp['again_s']} s ({imp['again_unchanged']:,} unchanged) | | |
| badge PDF, {b['count']:,} badges, sheets of six | {b['seconds']} s ({b['per_badge_ms']} ms a badge; {b['pages']} pages, {b['size_mb']} MB) | ≤ {TARGETS['badges_s']} s | {ok(b['seconds'] <= TARGETS['badges_s'])} |

Dashboard queries on their own (one run each): {parts}. As a yardstick of how busy the machine
was, PostgreSQL's own `SELECT count(*) FROM connection` (400,000 rows) took {r['count_ms']} ms then.

| export as deployed (median of 3, body fully read; figures come from the dashboard's snapshot) | time | size | ≤ {TARGETS['export_s']} s |
|---|---|---|---|
{export_rows}
{BLOCK_END}"""


def write_docs(block: str) -> None:
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if BLOCK_START in text:
        before, rest = text.split(BLOCK_START, 1)
        text = before + block + rest.split(BLOCK_END, 1)[1]
    elif HEADING in text:
        text = text.replace(HEADING, HEADING + "\n\n" + block, 1)
    else:
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\n{block}\n"
    DOCS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write-docs", action="store_true", help="replace the block in docs/benchmarks.md")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded bench conference")
    args = parser.parse_args()
    from conference.config import normalise_database_url
    url = normalise_database_url(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    results = run(url, reuse=args.reuse)
    block = markdown(results, url)
    print(block)
    if args.write_docs:
        write_docs(block)


if __name__ == "__main__":
    main()
