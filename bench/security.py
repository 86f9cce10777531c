"""Issue 5 benchmark: what the hardening costs, and how far it keeps a code-guesser from a badge.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<database> python bench/security.py [--write-docs]

Without BENCH_DATABASE_URL it runs on a temporary SQLite file. On PostgreSQL the tables are
created if missing and EMPTIED.

1. Per-request cost of the security headers and the rate limits (the configured store) on the busiest
   lookup, GET /c/<code> signed in: 1,000 requests in-process with limits off and 1,000 with them
   on, in alternating rounds of 50; medians.
   Also the bytes the security headers add to every response.
2. Enumeration: random codes tried from one signed-in session and from one signed-out address
   until the first 429, and what the daily limits mean against 60-bit codes at a 20,000-person
   conference.
3. Deleting an account that saved 200 people and was saved by 200: median of 10.
Prints Markdown; --write-docs also replaces the generated block in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Issue 5: consent, own-your-data and hardening"
BLOCK_START, BLOCK_END = "<!-- bench/security.py: start -->", "<!-- bench/security.py: end -->"


def make_app(database_url: str, instance: Path, **extra):
    from conference import create_app
    from conference.config import normalise_database_url
    return create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
                       "SECRET_KEY": "bench-secret", "WTF_CSRF_ENABLED": False, "MAIL_SERVER": "",
                       "MAIL_OUTBOX": str(instance / "outbox"), "PUBLIC_BASE_URL": "https://pln.example.org",
                       "SESSION_COOKIE_SECURE": False, **extra})


def reset(app) -> None:
    from sqlalchemy import text
    from conference.extensions import db
    with app.app_context():
        db.create_all()
        tables = list(reversed(db.metadata.sorted_tables))
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                db.session.execute(table.delete())
        db.session.commit()


def signed_in(app, client, attendee_id: int) -> None:
    with client.session_transaction() as session:
        session["attendee_id"] = attendee_id


def random_code() -> str:
    from conference.badges.codes import ALPHABET, display
    return display("".join(secrets.choice(ALPHABET) for _ in range(12)))


def timed_lookups(app, me_id: int, code: str, n: int) -> list[float]:
    client = app.test_client()
    signed_in(app, client, me_id)
    times = []
    with app.app_context():
        for _ in range(n):
            start = time.perf_counter()
            response = client.get(f"/c/{code}")
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code
    return times


def interleaved(app, me_ids: list[int], code: str, rounds: int = 20, per_round: int = 50) -> tuple[float, float]:
    """Medians (ms) with limits off and on, in alternating rounds so that a busy machine hurts both alike;
    each round is a different signed-in attendee, as at a conference. The limiter is one object per
    process, so "off" switches that object off between rounds."""
    from conference.extensions import limiter
    times_off, times_on = [], []
    for n in range(rounds):
        limiter.enabled = False
        times_off += timed_lookups(app, me_ids[n % len(me_ids)], code, per_round)
        limiter.enabled = True
        times_on += timed_lookups(app, me_ids[n % len(me_ids)], code, per_round)
    return statistics.median(times_off) * 1000, statistics.median(times_on) * 1000


def header_bytes(app) -> int:
    from conference.security import HEADERS
    return sum(len(name) + 2 + len(value) + 2 for name, value in HEADERS.items())


def tries_until_429(client, limit: int = 1000) -> int:
    for attempt in range(1, limit + 1):
        if client.get(f"/c/{random_code()}").status_code == 429:
            return attempt
    return limit + 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp())
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{instance / 'bench.sqlite3'}"
    from conference.badges.codes import display
    from conference.contacts.models import Connection
    from conference.extensions import db
    from conference.privacy.operations import delete_account
    from tests.factories import make_attendee, make_conference

    off = make_app(url, instance, RATELIMIT_ENABLED=False)
    reset(off)
    with off.app_context():
        conference = make_conference()
        them = make_attendee(conference)
        me_ids = [make_attendee(conference).id for _ in range(20)]
        code = display(them.badge_code)
    on = make_app(url, instance, RATELIMIT_ENABLED=True)
    median_off, median_on = interleaved(on, me_ids, code)
    with on.app_context():
        me = make_attendee(conference)
        client = on.test_client()
        signed_in(on, client, me.id)
        from conference.ratelimits import DEFAULTS
        session_tries = tries_until_429(client)
    anonymous = make_app(url, instance, RATELIMIT_ENABLED=True)
    with anonymous.app_context():
        phone_tries = tries_until_429(anonymous.test_client())
        venue = anonymous.test_client(use_cookies=False)
        venue.environ_base["REMOTE_ADDR"] = "198.51.100.30"  # an address of its own
        address_tries = tries_until_429(venue)
    extra = header_bytes(on)

    deletions = []
    with off.app_context():
        for _ in range(10):
            person = make_attendee(conference)
            others = [make_attendee(conference) for _ in range(200)]
            db.session.add_all([Connection(conference_id=conference.id, owner_id=person.id, contact_id=o.id, note="n")
                                for o in others])
            db.session.add_all([Connection(conference_id=conference.id, owner_id=o.id, contact_id=person.id, note="m")
                                for o in others])
            db.session.commit()
            start = time.perf_counter()
            delete_account(person)
            db.session.commit()
            deletions.append((time.perf_counter() - start) * 1000)
    reset(off)

    per_day = 200  # RATELIMIT_BADGE_MISSES: 200 per day per attendee
    attendees = 20_000
    expected_tries = 2 ** 60 / attendees
    years = expected_tries / per_day / 365
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    lines = [
        HEADING, "", BLOCK_START,
        f"Command: `python bench/security.py` ({database}; in-process test client, {os.cpu_count()} cores, "
        "other helpers' tests running at the same time).", "",
        "| measure | result |", "|---|---|",
        f"| GET /c/<code> signed in, median of 1,000 (20 attendees), limits off | {median_off:.2f} ms |",
        f"| same, limits on (the 3 badge-miss windows in the `{on.config['RATELIMIT_STORAGE_URI']}` store), rounds "
        f"interleaved with the above | {median_on:.2f} ms ({median_on - median_off:+.2f} ms) |",
        f"| security headers added to every response | {extra} bytes (before compression) |",
        f"| random codes from one signed-in session until 429 | {session_tries} |",
        f"| random codes from one signed-out phone (keeping its cookie) until 429 | {phone_tries} |",
        f"| random codes from one signed-out address, a new phone (no cookie) each time, until 429 | {address_tries} |",
        f"| a guesser at {per_day} misses a day vs 60-bit codes at a {attendees:,}-person conference | "
        f"~{years:.1e} years to expect one hit |",
        f"| delete an account with 200 contacts and 200 savers, median of 10 | "
        f"{statistics.median(deletions):.0f} ms (range {min(deletions):.0f}–{max(deletions):.0f}) |",
        "", "Limits (conference/ratelimits.py): " + "; ".join(f"`{k}` {v}" for k, v in DEFAULTS.items()) + ".",
        BLOCK_END, "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write_docs:
        existing = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n\n"
        if BLOCK_START in existing:
            head, rest = existing.split(BLOCK_START, 1)
            tail = rest.split(BLOCK_END, 1)[1]
            block = text.split(BLOCK_START, 1)[1].split(BLOCK_END, 1)[0]
            DOCS.write_text(head + BLOCK_START + block + BLOCK_END + tail)
        else:
            DOCS.write_text(existing.rstrip("\n") + "\n\n" + text)


if __name__ == "__main__":
    main()
