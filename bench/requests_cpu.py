"""CPU per request for the keynote mix's pages, one request at a time, in-process.

    python bench/requests_cpu.py [--database URL] [--seed] [--requests 200]

What a scan and its share of the mix cost the app itself, without HTTP, nginx or a load generator:
a card (GET /c/<code>), a save (the htmx POST with a note), the badge (/me/badge), the contacts
list (/me/contacts) and an offline-sync batch of 5 scans, each for a random signed-in attendee of
the 20,000-attendee conference (bench/seed.py). The figure is CPU time (time.process_time) of the
Flask test client's whole request, median and p90 over --requests requests, after 20 to warm up.
--seed (re)builds the database first (BENCH_ATTENDEES, BENCH_CONNECTIONS; default 20,000 and
400,000). Run it in two checkouts against the same seeded database to compare revisions.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.seed import seed  # noqa: E402
from conference import create_app  # noqa: E402
from conference.attendees.models import Attendee  # noqa: E402
from conference.badges.codes import display  # noqa: E402
from conference.config import normalise_database_url  # noqa: E402
from conference.extensions import db  # noqa: E402
from tests.factories import sign_in_as  # noqa: E402

MIX = {"card": 60, "save": 60, "badge": 20, "contacts": 15, "sync of 5": 5}  # per 60 scans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", "sqlite:///" + str(
        ROOT / "instance" / "bench-requests.sqlite3")))
    parser.add_argument("--seed", action="store_true")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--limits", action="store_true", help="with the rate limits on (local:// store), as shipped")
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(args.database), "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": args.limits, "TASKS_IMMEDIATE": True, "MAIL_SERVER": "",
                      "PUBLIC_BASE_URL": "http://127.0.0.1:5000", "SERVER_NAME": None})
    with app.app_context():
        if args.seed:
            seed(int(os.environ.get("BENCH_ATTENDEES", "20000")), int(os.environ.get("BENCH_CONNECTIONS", "400000")))
        people = list(db.session.execute(select(Attendee.id, Attendee.badge_code)))
        db.session.remove()
    rng = random.Random(7)
    client = app.test_client()

    def as_someone() -> str:
        me, _ = rng.choice(people)
        with app.app_context():
            sign_in_as(client, db.session.get(Attendee, me))
            db.session.remove()
        return rng.choice(people)[1]

    # Each returns the request to time; signing in (a test-client session write) stays outside it.
    def card():
        code = as_someone()
        return lambda: client.get(f"/c/{display(code)}")

    def save():
        code = as_someone()
        return lambda: client.post(f"/c/{display(code)}/save", data={"note": "Talked scheduling over coffee."},
                                   headers={"HX-Request": "true"})

    def badge():
        as_someone()
        return lambda: client.get("/me/badge")

    def contacts():
        as_someone()
        return lambda: client.get("/me/contacts")

    def sync():
        as_someone()
        scans = [{"uuid": str(uuid.UUID(int=rng.getrandbits(128))), "text": rng.choice(people)[1],
                  "note": "From the hall", "scanned_at": "2026-07-09T10:00:00Z"} for _ in range(5)]
        return lambda: client.post("/scan/sync", json={"scans": scans})

    print(f"{len(people):,} attendees on {re.sub(r'//[^/@]*@', '//', args.database).split('://')[0]}; "
          f"{args.requests} requests each after 20 to warm up; rate limits {'on' if args.limits else 'off'}; "
          "CPU ms per request")
    print("| request | median | p90 | status |")
    print("|---|---:|---:|---|")
    for name, request in (("card", card), ("save", save), ("badge", badge), ("contacts", contacts),
                          ("sync of 5", sync)):
        samples, statuses = [], set()
        for index in range(args.requests + 20):
            send = request()
            started = time.process_time()
            response = send()
            spent = time.process_time() - started
            statuses.add(response.status_code)
            if index >= 20:
                samples.append(spent * 1000)
        samples.sort()
        print(f"| {name} | {statistics.median(samples):.1f} | {samples[int(len(samples) * 0.9)]:.1f} | "
              f"{','.join(map(str, sorted(statuses)))} |", flush=True)


if __name__ == "__main__":
    main()
