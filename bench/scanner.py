"""Issue 3 benchmark: the offline-first scanner.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench python bench/scanner.py [--write-docs]

1. Camera start to card: real Chromium (CHROMIUM_PATH, default /usr/bin/chromium) with a fake
   camera filming a badge QR (a Y4M painted from the badge's real link, as in
   tests/browser/test_scanner.py) opens /scan 10 times in fresh browser contexts; the page records
   the time from `scanner.start()` to the card on screen (data-first-card-ms). Median and range.
2. Syncing 100 queued scans in one request on PostgreSQL (BENCH_DATABASE_URL; its tables are
   created if missing and EMPTIED): 10 batches, each from a fresh attendee to 100 different
   people, timed around the request inside the server process (no network). Also the same
   batches sent again (all duplicates).
3. First-visit bytes for /scan, everything the page and its scanner load (HTML, CSS, JS, the
   decoder worker), gzip-compressed as the app serves them; and the same for /me/badge, which
   must not load the scanner.
Prints Markdown; --write-docs also replaces the generated block in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Issue 3: offline-first scanner"
BLOCK_START, BLOCK_END = "<!-- bench/scanner.py: start -->", "<!-- bench/scanner.py: end -->"
TARGET_CARD_MS, TARGET_SYNC_MS, TARGET_KB = 1000, 1000, 90
RUNS = 10


def make_app(database_url: str, instance: Path, **extra):
    from conference import create_app
    from conference.config import normalise_database_url
    app = create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
                      "SECRET_KEY": "bench-secret", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "MAIL_SERVER": "", "MAIL_OUTBOX": str(instance / "outbox"),
                      "PUBLIC_BASE_URL": "https://pln.example.org", "SESSION_COOKIE_SECURE": False, **extra})
    return app


def empty_tables(app) -> None:
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


def session_cookie(app, attendee_id: int) -> str:
    with app.test_request_context():
        return app.session_interface.get_signing_serializer(app).dumps({"attendee_id": attendee_id, "_permanent": True})


# --- 1. camera start to card -----------------------------------------------------------------

def camera_to_card(tmp: Path) -> list[tuple[int, int]]:
    """(camera start → first decode, camera start → card shown) in ms, for RUNS fresh page loads."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from conference.badges.codes import display
    from conference.badges.qr import badge_url
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
    from tests.browser.test_scanner import write_y4m
    from tests.factories import make_attendee, make_conference

    app = make_app(f"sqlite:///{tmp / 'camera.sqlite3'}", tmp)
    empty_tables(app)
    with app.test_request_context():
        conference = make_conference()
        me = make_attendee(conference, name="Ana Ruiz")
        them = make_attendee(conference, name="Bea Chen")
        video = write_y4m(tmp / "badge.y4m", badge_url(them.badge_code))
        me_id, their_name = me.id, them.name
        assert display(them.badge_code)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    timings = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}"])
            for _ in range(RUNS):
                context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                              has_touch=True, permissions=["camera"])
                context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": session_cookie(app, me_id),
                                      "url": base}])
                page = context.new_page()
                page.goto(f"{base}/scan")
                page.locator("#scan-sheet .person-name", has_text=their_name).wait_for(timeout=15000)
                scanner = page.locator("#scanner")
                timings.append((int(scanner.get_attribute("data-first-decode-ms")),
                                int(scanner.get_attribute("data-first-card-ms"))))
                context.close()
            browser.close()
    finally:
        server.shutdown()
    return timings


# --- 2. syncing 100 scans ----------------------------------------------------------------------

def sync_timings(database_url: str, tmp: Path) -> tuple[list[float], list[float]]:
    from tests.factories import make_attendee, make_conference

    app = make_app(database_url, tmp)
    empty_tables(app)
    with app.app_context():
        conference = make_conference()
        people = [make_attendee(conference) for _ in range(100)]
        owners = [make_attendee(conference) for _ in range(RUNS)]
        links = [f"https://pln.example.org/c/{p.badge_code}" for p in people]
        owner_ids = [o.id for o in owners]
    client = app.test_client()
    first, again = [], []
    for owner_id in owner_ids:
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], session_cookie(app, owner_id), domain="localhost")
        batch = {"attendee": owner_id, "scans": [{"uuid": str(uuid.uuid4()), "text": link, "note": f"Talked about {n}",
                                                  "scanned_at": int(time.time() * 1000)} for n, link in enumerate(links)]}
        for times, status in ((first, "saved"), (again, "duplicate")):
            start = time.perf_counter()
            response = client.post("/scan/sync", json=batch)
            times.append((time.perf_counter() - start) * 1000)
            results = response.get_json()["results"]
            assert response.status_code == 200 and {r["status"] for r in results} == {status}, results[:2]
    empty_tables(app)
    return first, again


# --- 3. first-visit bytes -------------------------------------------------------------------------

def first_visit_bytes(tmp: Path) -> dict[str, list[tuple[str, int]]]:
    from tests.factories import make_attendee, make_conference

    app = make_app(f"sqlite:///{tmp / 'bytes.sqlite3'}", tmp)
    empty_tables(app)
    with app.app_context():
        me = make_attendee(make_conference())
        me_id = me.id
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], session_cookie(app, me_id), domain="localhost")
    pages = {}
    for path in ("/scan", "/me/badge"):
        html = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert html.status_code == 200 and html.headers.get("Content-Encoding") == "gzip", path
        text = client.get(path).text
        urls = list(dict.fromkeys(re.findall(r'(?:src|href)="(/static/[^"]+)"', text)))
        urls = [u.replace("&amp;", "&") for u in urls if not u.split("?")[0].endswith((".png", ".svg"))]
        worker = "/static/vendor/qr-scanner-1.4.2/qr-scanner-worker.min.js"  # imported by qr-scanner
        if any("qr-scanner.umd" in u for u in urls) and worker not in urls:
            urls.append(worker)
        rows = [(path, len(html.data))]
        for url in urls:
            response = client.get(url, headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200, url
            rows.append((url.split("?")[0], len(response.data)))
        pages[path] = rows
    return pages


# --- report ---------------------------------------------------------------------------------------

def report(camera: list[tuple[int, int]], first: list[float], again: list[float], pages: dict) -> str:
    decode_ms, card_ms = [d for d, _ in camera], [c for _, c in camera]
    scan_kb = sum(n for _, n in pages["/scan"]) / 1024
    badge_rows = pages["/me/badge"]
    lines = [
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; `python bench/scanner.py`.",
        "",
        "| measure | median | range | target |",
        "|---|---|---|---|",
        f"| camera start → card on screen (Chromium, fake camera, {len(card_ms)} runs) | "
        f"{statistics.median(card_ms):.0f} ms | {min(card_ms)}–{max(card_ms)} ms | < {TARGET_CARD_MS} ms |",
        f"| of which camera start → first decode | {statistics.median(decode_ms):.0f} ms | "
        f"{min(decode_ms)}–{max(decode_ms)} ms | |",
        f"| sync 100 new scans in one request, server time, PostgreSQL ({len(first)} runs) | "
        f"{statistics.median(first):.0f} ms | {min(first):.0f}–{max(first):.0f} ms | < {TARGET_SYNC_MS} ms |",
        f"| the same 100 scans sent again (all duplicates) | {statistics.median(again):.0f} ms | "
        f"{min(again):.0f}–{max(again):.0f} ms | saves nothing |",
        f"| first visit to /scan, gzip, scanner included | {scan_kb:.1f} KB | | ≤ {TARGET_KB} KB |",
        f"| first visit to /me/badge, gzip (no scanner) | {sum(n for _, n in badge_rows) / 1024:.1f} KB | | |",
        "",
        "What /scan downloads on a first visit (gzip bytes as served):",
        "",
        "| file | bytes |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {size:,} |" for name, size in pages["/scan"]]
    assert not any("qr-scanner" in name or "scanner.js" in name for name, _ in badge_rows)
    lines += ["", "/me/badge loads no scanner file: " + ", ".join(f"`{n}`" for n, _ in badge_rows[1:]) + "."]
    return "\n".join(lines)


def write_docs(block: str) -> None:
    text = DOCS.read_text() if DOCS.exists() else (
        "# Benchmarks\n\nSpeed and size figures for each issue, measured with the scripts under `bench/`. "
        "Each section says how to run it again.\n")
    generated = f"{BLOCK_START}\n{block}\n{BLOCK_END}"
    if BLOCK_START in text:
        text = re.sub(re.escape(BLOCK_START) + ".*?" + re.escape(BLOCK_END), lambda _: generated, text, flags=re.S)
    elif HEADING in text:
        text = text.replace(HEADING, f"{HEADING}\n\n{generated}", 1)
    else:
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\n{generated}\n"
    DOCS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL")
    if not database_url or not database_url.startswith("postgres"):
        sys.exit("Set BENCH_DATABASE_URL to a PostgreSQL database this benchmark may empty.")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        camera = camera_to_card(tmp_path)
        first, again = sync_timings(database_url, tmp_path)
        pages = first_visit_bytes(tmp_path)
    block = report(camera, first, again, pages)
    print(block)
    if args.write_docs:
        write_docs(block)


if __name__ == "__main__":
    main()
