"""The card page with the signed-in check, in one process: what the session version costs.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench python bench/card_session.py [--requests 3000]

Seeds 2,000 attendees and 40,000 connections (bench/seed.py, schema rebuilt), signs one client in
(the session cookie the app itself writes), then times GET /c/<code> of random other attendees
through the Flask test client: the whole request (session cookie, card query, template), no
network. Prints the median and p95 of rounds of 100 requests each. Run it on two commits to compare.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conference import create_app  # noqa: E402
from conference.extensions import db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "sqlite:////tmp/pln-card-session.sqlite3")
    from conference.config import normalise_database_url
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url), "RATELIMIT_ENABLED": False,
                      "SECRET_KEY": "bench", "PUBLIC_BASE_URL": "http://127.0.0.1:5000"})
    from bench.seed import seed
    with app.app_context():
        db.drop_all()
        db.create_all()
        seeded = seed()
        db.session.remove()
    rng = random.Random(7)
    viewer_id, _ = seeded.attendees[0]
    codes = [code for _, code in seeded.attendees[1:]]
    client = app.test_client()
    with client.session_transaction() as session:  # as sign_in() writes it (the version is 0 here)
        session["attendee_id"] = viewer_id
        session["session_version"] = 0
    for code in codes[:200]:  # warm up
        assert client.get(f"/c/{code}").status_code == 200
    rounds = []
    for _ in range(args.requests // 100):
        started = time.perf_counter()
        for _ in range(100):
            response = client.get(f"/c/{rng.choice(codes)}")
            assert response.status_code == 200
        rounds.append((time.perf_counter() - started) * 1000 / 100)
    rounds.sort()
    print(f"{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}: GET /c/<code> signed in, {len(rounds) * 100:,} "
          f"requests: median {statistics.median(rounds):.2f} ms, p95 {rounds[int(len(rounds) * 0.95) - 1]:.2f} ms "
          f"(per request, rounds of 100)")


if __name__ == "__main__":
    main()
