"""Issue 6 benchmark: people to meet at 20,000 attendees, and 2,000 digests.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench python bench/after_event.py [--write-docs]

1. Rebuilds the schema on BENCH_DATABASE_URL (PostgreSQL) and seeds, with COPY:
   a conference of 20,000 attendees (3-7 of the 22 interests each, offered or sought, a few
   popular interests, roles and years in role, 2% hidden, a quarter imported by an organizer and
   60% of those never joined) and 400,000 connections; and a second
   conference of 2,000 attendees with 20 contacts each (with notes) and 2,000 follow-ups.
2. People to meet: for BENCH_PEOPLE random attendees, times the htmx request the contacts page
   makes (GET /me/people?view=compact, 3 suggestions) and the full page (10), in process through
   Flask's test client: server time, from the request to the rendered response. Also the
   ranking query alone, and its EXPLAIN ANALYZE.
3. Digests: `send_digests` for the 2,000-attendee conference, rendering each digest and its vCard
   and handing it to the mail backend: the development outbox (files), and SMTP to a local
   server that accepts everything (one connection per message, as send_mail does).
Prints Markdown; --write-docs also replaces this benchmark's block in docs/benchmarks.md
(--people-only skips step 3 and keeps the digest figures already there, marked as older).
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import random
import socketserver
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench"
DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Issue 6: people to meet and digests"
BLOCK_START, BLOCK_END = "<!-- bench/after_event.py: start -->", "<!-- bench/after_event.py: end -->"
TARGET_MS, TARGET_DIGEST_S = 50.0, 60.0
from conference.network.operations import POOL_PER_INTEREST as POOL  # noqa: E402

BIG, BIG_CONNECTIONS = 20_000, 400_000
# Registrants an organizer imported (issue 12): a quarter of the large conference, 40% of them
# claimed their profile; the rest never joined and are never suggested.
IMPORTED_SHARE, CLAIMED_SHARE = 0.25, 0.4
SMALL, SMALL_CONTACTS = 2_000, 20
ROLE_WEIGHTS = {"principal": 30, "assistant_principal": 18, "aspiring_principal": 12, "teacher_leader": 8,
                "district_leader": 6, "other": 3}
NOTES = ["", "Talked scheduling over coffee.", "Promised to send the master schedule template.",
         "Voxer group for early-career principals?", "Great ideas on family engagement nights."]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def copy_rows(raw, table: str, columns: list[str], rows) -> None:
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def seed(rng: random.Random) -> dict:
    """Both conferences, straight into PostgreSQL with COPY. Returns their ids."""
    from sqlalchemy import select, text

    from conference.events.models import Conference
    from conference.extensions import db
    from conference.interests.models import Interest
    from conference.interests.operations import add_default_interests

    db.drop_all()
    db.create_all()
    big = Conference(slug="national", name="National Principals Conference", starts_on=date(2026, 7, 9),
                     ends_on=date(2026, 7, 11), timezone="America/New_York")
    small = Conference(slug="prek8", name="Pre-K–8 Principals Conference", starts_on=date(2026, 7, 9),
                       ends_on=date(2026, 7, 11), timezone="America/New_York")
    db.session.add_all([big, small])
    db.session.flush()
    from conference.organizer.registrants.models import ImportBatch
    batch = ImportBatch(conference_id=big.id, filename="registrants.csv", created=int(BIG * IMPORTED_SHARE))
    db.session.add(batch)
    db.session.flush()
    add_default_interests(big)
    add_default_interests(small)
    db.session.commit()
    raw = db.session.connection().connection.driver_connection
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    roles, weights = list(ROLE_WEIGHTS), list(ROLE_WEIGHTS.values())
    first_id = {}
    for conference, size in ((big, BIG), (small, SMALL)):
        interests = list(db.session.scalars(select(Interest.id).where(Interest.conference_id == conference.id)
                                            .order_by(Interest.position)))
        # A few interests are far more popular than the rest: the heavy case for overlap.
        popularity = [1 + 6 * (i < 5) for i in range(len(interests))]
        start = db.session.scalar(text("SELECT COALESCE(MAX(id), 0) + 1 FROM attendee"))
        first_id[conference.id] = start
        people, picks = [], []
        for n in range(size):
            role = rng.choices(roles, weights)[0]
            imported = conference is big and rng.random() < IMPORTED_SHARE
            claimed = now if imported and rng.random() < CLAIMED_SHARE else None
            people.append((conference.id, f"{conference.id}X{n:010d}", f"Person {n}", f"p{n}@c{conference.id}.example.org",
                           role, f"School {n % 500}", "Metro Unified", "VA", "elementary",
                           rng.choice([None, 0, 1, 2, 4, 7, 12, 20]), rng.random() < 0.02, now,
                           batch.id if imported else None, claimed))
            chosen = set()
            while len(chosen) < rng.randint(3, 7):
                chosen.add(rng.choices(interests, popularity)[0])
            for interest_id in chosen:
                offers = rng.random() < 0.5
                seeks = not offers or rng.random() < 0.2
                picks.append((start + n, interest_id, offers, seeks))
        copy_rows(raw, "attendee", ["conference_id", "badge_code", "name", "email", "role", "school", "district",
                                    "state", "grade_band", "years_in_role", "hidden", "joined_at", "import_batch_id",
                                    "claimed_at"], people)
        copy_rows(raw, "attendee_interest", ["attendee_id", "interest_id", "offers", "seeks"], picks)
        if conference is small:  # digests show and attach what each contact shared
            channels = []
            for n in range(size):
                channels.append((start + n, "email", f"p{n}@c{conference.id}.example.org", "anyone"))
                channels.append((start + n, "phone", f"+1202555{n % 10000:04d}",
                                 rng.choices(["anyone", "mutual", "nobody"], [5, 2, 3])[0]))
                if rng.random() < 0.6:
                    channels.append((start + n, "x", f"leader{n}", "anyone"))
            copy_rows(raw, "channel", ["attendee_id", "kind", "value", "visibility"], channels)
    db.session.commit()

    def connections(conference_id: int, size: int, total: int):
        start, pairs = first_id[conference_id], set()
        while len(pairs) < total:
            owner, contact = rng.randrange(size), rng.randrange(size)
            if owner != contact:
                pairs.add((owner, contact))
        for owner, contact in pairs:
            yield (conference_id, start + owner, start + contact, rng.choice(NOTES), now, now)

    columns = ["conference_id", "owner_id", "contact_id", "note", "created_at", "updated_at"]
    copy_rows(raw, "connection", columns, connections(big.id, BIG, BIG_CONNECTIONS))
    copy_rows(raw, "connection", columns, connections(small.id, SMALL, SMALL * SMALL_CONTACTS))
    db.session.commit()
    # One follow-up per attendee of the small conference, on their first contact.
    db.session.execute(text(
        "INSERT INTO follow_up (owner_id, connection_id, text, due_on, created_at) "
        "SELECT DISTINCT ON (owner_id) owner_id, id, 'Send our master schedule template', :due, :now "
        "FROM connection WHERE conference_id = :c ORDER BY owner_id, id"),
        {"due": date(2026, 7, 17), "now": now, "c": small.id})
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return {"big": big.id, "small": small.id, "first_big": first_id[big.id]}


def bench_people(app, ids: dict, rng: random.Random, samples: int) -> dict:
    from sqlalchemy import text

    from conference.attendees.models import Attendee
    from conference.extensions import db
    from conference.network.operations import _ranked, conference_facts

    client = app.test_client()
    people = [ids["first_big"] + rng.randrange(BIG) for _ in range(samples)]
    timings = {"compact": [], "full": [], "query": [], "compact_cpu": [], "full_cpu": []}
    for attendee_id in people[:20]:  # warm-up: connection pool, template cache, PostgreSQL buffers
        with client.session_transaction() as session:
            session["attendee_id"] = attendee_id
        client.get("/me/people?view=compact", headers={"HX-Request": "true"})
    for attendee_id in people:
        with client.session_transaction() as session:
            session["attendee_id"] = attendee_id
        for view, path in (("compact", "/me/people?view=compact"), ("full", "/me/people")):
            headers = {"HX-Request": "true"} if view == "compact" else {}
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(path, headers=headers)
            timings[view].append((time.perf_counter() - started) * 1000)
            timings[view + "_cpu"].append((time.process_time() - cpu) * 1000)
            assert response.status_code == 200, response.status_code
    shown = response.text.count('class="suggestion"')
    with app.app_context():
        for attendee_id in people:
            me = db.session.get(Attendee, attendee_id)
            _ = me.interests
            started = time.perf_counter()
            _ranked(me, 10, conference_facts(me.conference_id))
            timings["query"].append((time.perf_counter() - started) * 1000)
            db.session.expunge_all()
        # The plans, for one attendee, by capturing the statements the ranking runs: the
        # candidate pool, then the scoring.
        me = db.session.get(Attendee, people[0])
        facts = conference_facts(me.conference_id)
        statements = []
        from sqlalchemy import event
        listener = lambda conn, cursor, statement, params, context, many: statements.append((statement, params))  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        _ranked(me, 10, facts)
        event.remove(db.engine, "before_cursor_execute", listener)
        raw = db.session.connection().connection.driver_connection
        plans = []
        for statement, params in statements[-2:]:
            with raw.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        counts = db.session.execute(text(
            "SELECT (SELECT count(*) FROM attendee WHERE conference_id = :c), "
            "(SELECT count(*) FROM connection WHERE conference_id = :c), "
            "(SELECT count(*) FROM attendee_interest ai JOIN attendee a ON a.id = ai.attendee_id "
            "WHERE a.conference_id = :c)"), {"c": ids["big"]}).one()
        db.session.remove()
    return {"timings": timings, "plans": plans, "counts": counts, "shown": shown, "samples": samples}


class AcceptingSMTP(socketserver.StreamRequestHandler):
    """A local SMTP server that accepts every message (the mail server's side of the hand-over)."""

    def handle(self):
        w = self.wfile.write
        w(b"220 bench ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line.strip().upper()
            if verb == b"DATA":
                w(b"354 go on\r\n")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                self.server.count += 1
                w(b"250 queued\r\n")
            elif verb == b"QUIT":
                w(b"221 bye\r\n")
                return
            else:
                w(b"250 ok\r\n")


def bench_digests(app, ids: dict) -> dict:
    from sqlalchemy import delete

    from conference.digest.models import DigestDelivery
    from conference.digest.operations import send_digests
    from conference.events.models import Conference
    from conference.extensions import db

    results = {}
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), AcceptingSMTP)
    server.daemon_threads, server.count = True, 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as outbox:
        outbox_config = {"MAIL_SERVER": "", "MAIL_OUTBOX": outbox}
        smtp_config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.server_address[1], "MAIL_USE_TLS": False,
                       "MAIL_USERNAME": ""}
        # The batches run in this process (TASKS_IMMEDIATE): the figures are one worker's.
        runs = {("outbox", 1): outbox_config, ("smtp", 1): smtp_config}
        for (name, workers), config in runs.items():
            app.config.update(config)
            with app.app_context():
                db.session.execute(delete(DigestDelivery))
                db.session.commit()
                conference = db.session.get(Conference, ids["small"])
                started, cpu = time.perf_counter(), time.process_time()
                report = send_digests(conference, today=date(2026, 7, 12))
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                db.session.remove()
            results[(name, workers)] = {"seconds": seconds, "cpu": cpu, "sent": len(report.sent),
                                        "failed": len(report.failed), "load": os.getloadavg()[0]}
            print(f"digests {name} x{workers}: {seconds:.1f} s", file=sys.stderr)
        results["outbox_files"] = len(list(Path(outbox).glob("*.eml")))
        results["outbox_bytes"] = sum(p.stat().st_size for p in Path(outbox).glob("*.eml"))
    results["smtp_received"] = server.count
    server.shutdown()
    return results


def plan_summary(plan: str) -> str:
    """The plan without per-node noise, and one interest window instead of all of them."""
    kept, windows = [], 0
    skip_indent = None
    for line in plan.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if skip_indent is not None:
            if indent > skip_indent:
                continue
            skip_indent = None
        if stripped.startswith(("Buffers:", "Sort Key:", "Join Filter:", "Heap Blocks:", "Batches:")):
            continue
        if stripped.startswith("->  Limit") and "Append" in "".join(kept[-3:]) or (windows and stripped.startswith("->  Limit")):
            windows += 1
            if windows > 1:
                skip_indent = indent
                continue
        kept.append(line if len(line) <= 160 else line[:157] + "...")
    if windows > 1:
        at = next((n for n, line in enumerate(kept) if line.startswith("Planning")), len(kept))
        kept.insert(at, f"  ({windows - 1} more interest windows like the first, each a Limit over the same index)")
    return "\n".join(kept)


def markdown(people: dict, digests: dict | None, url: str, seconds_seeding: float, loads: tuple) -> str:
    t = people["timings"]
    rows = []
    for key, label in (("compact", "contacts page's lazy block, htmx (3 suggestions)"),
                       ("full", "People to meet page, whole page (10)"),
                       ("query", "ranking alone: its 3 statements (10)")):
        cpu = (f"{statistics.median(t[key + '_cpu']):.1f} | {percentile(t[key + '_cpu'], 95):.1f}"
               if key + "_cpu" in t else "– | –")
        rows.append(f"| {label} | {statistics.median(t[key]):.1f} | {percentile(t[key], 95):.1f} | {cpu} |")
    attendees, connections, interest_rows = people["counts"]
    worst_p95 = max(percentile(t["compact"], 95), percentile(t["full"], 95))
    host = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    return f"""{HEADING}

{BLOCK_START}
Measured {datetime.now(timezone.utc):%Y-%m-%d} on {host}; PostgreSQL on the same machine.
Command: `BENCH_DATABASE_URL=postgresql://…/bench python bench/after_event.py --write-docs{"" if digests else " --people-only"}`
(seeding took {seconds_seeding:.0f} s). **Load average during the run: {loads[0]:.1f} at the start,
{loads[1]:.1f} at the end, on {os.cpu_count()} CPUs** (other work shared the machine): wall times
are inflated by that much waiting; the CPU columns show this process's own work.

**People to meet**: {attendees:,} attendees, {connections:,} connections, {interest_rows:,} interest
rows in one conference; {people['samples']} random attendees, server time per request in process
(Flask test client: session, queries, rendering), after a warm-up. Target: at most {TARGET_MS:.0f} ms.

| request | p50 ms | p95 ms | Python CPU p50 ms | CPU p95 ms |
|---|---:|---:|---:|---:|
{chr(10).join(rows)}

{"Within" if worst_p95 <= TARGET_MS else "Over"} the target at p95 in wall time ({worst_p95:.1f} ms) under this load.

How it stays small: candidates come from each of the attendee's interests (and the mentoring
ones), {POOL} people on either side of a point in the conference fixed per viewer, read in
attendee order from the index `ix_attendee_interest_match (interest_id, attendee_id, offers,
seeks)`; only that pool (a few hundred to a few thousand people, not the {interest_rows:,} interest rows) is
scored (complementary offer/seek above shared interests, plus the mentoring fit from role and
years in role), with self, hidden, saved, saved-me and dismissed people removed by anti-joins
before `LIMIT`. A conference where no interest has more than {2 * POOL} people is ranked in full.
A request makes three statements for the ranking: the conference's span of attendee ids and its
mentoring interests; the pool; and the scoring, which takes the pool as one array parameter,
reads each candidate and their interest rows by primary key, and returns the winners with their
interests for the reasons. (With the pool inside the scoring statement, PostgreSQL expected
thousands of candidates and hash-joined a scan of every attendee and interest row.) The
statements are built once per shape with the viewer's figures as parameters. The plans for one
attendee, the pool then the scoring:

```
{chr(10).join(plan_summary(plan) + chr(10) for plan in people['plans']).rstrip()}
```

{digests_markdown(digests) if digests else kept_digests()}
{BLOCK_END}
"""


def digests_markdown(digests: dict) -> str:
    digest_rows = []
    labels = {"outbox": "development outbox (files)", "smtp": "SMTP to a local server, a connection per message"}
    for key, r in digests.items():
        if not isinstance(key, tuple):
            continue
        name, workers = key
        cpu = f"{r['cpu']:.1f}" if workers == 1 else "in the workers"
        digest_rows.append(f"| {labels[name]} | {workers} | {r['sent']:,} | {r['seconds']:.1f} | "
                           f"{r['seconds'] / max(1, r['sent']) * 1000:.1f} ms | {cpu} | {r['load']:.1f} |")
    best = min(r["seconds"] for k, r in digests.items() if isinstance(k, tuple))
    single = digests[("outbox", 1)]
    cpu_ms = single["cpu"] / max(1, single["sent"]) * 1000
    return f"""**Digests**: {SMALL:,} attendees with {SMALL_CONTACTS} contacts each (notes, shared channels, some
shared only with people saved back) and an open follow-up; each digest rendered with its vCard
attachment of all contacts and handed to the mail backend, each recorded in `digest_delivery`
(`flask send-digests` hands them to the worker in batches of 100; each worker thread or process
takes a batch). Target: at most
{TARGET_DIGEST_S:.0f} s.

| mail backend | workers | digests | seconds | per digest | CPU s | load |
|---|---:|---:|---:|---:|---:|---:|
{chr(10).join(digest_rows)}

{"Within" if best <= TARGET_DIGEST_S else "Over"} the target at best ({best:.1f} s) under this load;
{digests['outbox_bytes'] / max(1, digests['outbox_files']) / 1024:.1f} KB per message. One process spends
{cpu_ms:.0f} ms of CPU per digest, so on a free CPU one process needs about {cpu_ms * SMALL / 1000:.0f} s for
{SMALL:,} digests, and `--workers N` divides that by the free CPUs (about {cpu_ms * SMALL / 2000:.0f} s with two).
About half of a digest's CPU is its vCard (vobject, about 0.8 ms per contact), a tenth the
per-contact look-up of channels shared only with people saved back; a real mail server's latency
adds to the SMTP row (send_mail opens one connection per message)."""


def kept_digests() -> str:
    """With --people-only: the digests part of the block already in the docs, said to be older."""
    current = DOCS.read_text() if DOCS.exists() else ""
    if BLOCK_START not in current or "**Digests**" not in current.split(BLOCK_START, 1)[1]:
        return "**Digests**: not measured in this run (`--people-only`)."
    block = current.split(BLOCK_START, 1)[1].split(BLOCK_END, 1)[0]
    measured = block.split("Measured ", 1)[1].split(" ", 1)[0] if "Measured " in block else "an earlier run"
    kept = "**Digests**" + block.split("**Digests**", 1)[1].rstrip("\n")
    if "(From the run of" not in kept:
        kept += f"\n(From the run of {measured}: this run measured people to meet only, with `--people-only`.)"
    return kept


def write_docs(section: str) -> None:
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    current = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if BLOCK_START in current and BLOCK_END in current:
        head, rest = current.split(HEADING, 1) if HEADING in current else current.split(BLOCK_START, 1)
        tail = rest.split(BLOCK_END, 1)[1].lstrip("\n")
        updated = head.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n" + ("\n" + tail if tail else "")
    else:
        updated = current.rstrip("\n") + "\n\n" + section
    DOCS.write_text(updated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--people", type=int, default=int(os.environ.get("BENCH_PEOPLE", "300")))
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--people-only", action="store_true",
                        help="skip the digests; --write-docs keeps the digest figures already in the docs")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("This benchmark needs PostgreSQL: set BENCH_DATABASE_URL.")

    import logging

    from conference import create_app
    from conference.config import normalise_database_url
    from conference.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "TASKS_IMMEDIATE": True,
                      "PUBLIC_BASE_URL": "https://pln.example.org"})
    app.logger.setLevel(logging.ERROR)  # the outbox logs every message body
    rng = random.Random(args.seed)
    load_start = os.getloadavg()[0]
    started = time.perf_counter()
    with app.app_context():
        ids = seed(rng)
        db.session.remove()
    seeding = time.perf_counter() - started
    print(f"seeded in {seeding:.0f} s", file=sys.stderr)
    people = bench_people(app, ids, rng, args.people)
    digests = None if args.people_only else bench_digests(app, ids)
    section = markdown(people, digests, url, seeding, (load_start, os.getloadavg()[0]))
    print(section)
    if args.write_docs:
        write_docs(section)


if __name__ == "__main__":
    main()
