"""Lighthouse (mobile) on the pages a person uses at the conference; figures into docs/benchmarks.md.

    make lighthouse          (or: python bench/lighthouse.py)

Installs npm `lighthouse@12.2.3` into bench/lighthouse/node_modules (not committed) on first run,
seeds the demo conference into a fresh SQLite file, serves the app with gunicorn on 127.0.0.1, and
runs Lighthouse's default mobile mode (a mid-range phone on slow 4G, simulated) against Chromium
(CHROME_PATH, default /usr/bin/chromium). Signed-in pages get the session cookie through
--extra-headers. Targets (issue 7): performance >= 95, accessibility 100, best practices >= 95.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIGHTHOUSE_DIR = ROOT / "bench" / "lighthouse"
LIGHTHOUSE_CLI = LIGHTHOUSE_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                "--disable-background-networking --disable-component-update --disable-sync "
                '--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"')
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 95}
HEADING = "## Issue 7: Lighthouse on a phone"


def install_lighthouse() -> None:
    if not LIGHTHOUSE_CLI.exists():
        print("installing lighthouse@12.2.3 into bench/lighthouse/node_modules ...", flush=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--save-exact"], cwd=LIGHTHOUSE_DIR, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(env: dict) -> dict:
    """Demo conference in the SQLite file of `env`; returns what the pages need."""
    os.environ.update(env)
    from conference import create_app
    from conference.badges.codes import display
    from conference.contacts.models import Connection
    from conference.demo import seed_demo
    from conference.extensions import db
    from sqlalchemy import func, select

    app = create_app()
    with app.app_context():
        db.create_all()
        conference, people = seed_demo(60)
        db.session.commit()
        counts = dict(db.session.execute(select(Connection.owner_id, func.count()).group_by(Connection.owner_id)).all())
        me = max(people, key=lambda p: counts.get(p.id, 0))
        other = next(p for p in people if p.id != me.id)
        cookie = app.session_interface.get_signing_serializer(app).dumps({"attendee_id": me.id, "_permanent": True})
        rules = {r.endpoint for r in app.url_map.iter_rules()}
        return {"slug": conference.slug, "card": display(other.badge_code), "cookie": cookie,
                "cookie_name": app.config["SESSION_COOKIE_NAME"], "has_scanner": "scanner.index" in rules}


def run_lighthouse(url: str, out: Path, cookie_header: str | None) -> dict:
    cmd = ["node", str(LIGHTHOUSE_CLI), url, "--output=json", f"--output-path={out}", "--quiet",
           "--only-categories=performance,accessibility,best-practices", f"--chrome-flags={CHROME_FLAGS}"]
    if cookie_header:
        cmd.append("--extra-headers=" + json.dumps({"Cookie": cookie_header}))
    env = dict(os.environ, CHROME_PATH=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    for attempt in range(3):  # a busy machine sometimes loses the trace (NO_NAVSTART): try again
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode == 0:
            break
    else:
        raise RuntimeError(f"Lighthouse failed three times on {url}")
    report = json.loads(out.read_text())
    audits, cats = report["audits"], report["categories"]
    failing = [f"{a['id']}" for cat in ("accessibility", "best-practices") for ref in cats[cat]["auditRefs"]
               if ref["weight"] and (a := audits[ref["id"]])["score"] is not None and a["score"] < 1]
    return {
        "performance": round(cats["performance"]["score"] * 100),
        "accessibility": round(cats["accessibility"]["score"] * 100),
        "best-practices": round(cats["best-practices"]["score"] * 100),
        "fcp_ms": audits["first-contentful-paint"]["numericValue"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "bytes": audits["total-byte-weight"]["numericValue"],
        "failing": failing,
        "benchmark_index": report.get("environment", {}).get("benchmarkIndex"),
    }


def write_section(results: list[tuple[str, str, dict]], runs: int) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    lines = [HEADING, "",
             f"`make lighthouse` (bench/lighthouse.py): Lighthouse 12.2.3, mobile mode (simulated mid-range phone, "
             f"slow 4G), Debian Chromium headless, the app under gunicorn on the seeded demo conference (SQLite). "
             f"Median of {runs} run{'s' if runs > 1 else ''} per page. Targets: performance ≥ 95, accessibility 100, "
             f"best practices ≥ 95.", "",
             "| page | path | performance | accessibility | best practices | LCP | TBT | CLS | bytes |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, path_, r in results:
        lines.append(f"| {name} | `{path_}` | {r['performance']} | {r['accessibility']} | {r['best-practices']} | "
                     f"{r['lcp_ms'] / 1000:.1f} s | {r['tbt_ms']:.0f} ms | {r['cls']:.3f} | {r['bytes'] / 1024:.1f} KiB |")
    indexes = sorted(r["benchmark_index"] for _, _, r in results if r.get("benchmark_index"))
    if indexes:
        lines += ["", f"Lighthouse's CPU benchmark index on this machine during the run: {indexes[0]:.0f}–{indexes[-1]:.0f} "
                      f"(a quiet desktop scores about 1,000–2,000; TBT, and so performance, grows as the index falls: "
                      f"the simulated phone is 4 × slower than the machine it runs on)."]
    misses = [f"{name}: {cat} {r[cat]} (target {t})" for name, _, r in results for cat, t in TARGETS.items() if r[cat] < t]
    lines += ["", "All pages meet the targets." if not misses else "Below target: " + "; ".join(misses) + "."]
    audits = sorted({a for _, _, r in results for a in r["failing"]})
    if audits:
        lines.append(f"Accessibility/best-practice audits not passed on some page: {', '.join(audits)}.")
    section = "\n".join(lines) + "\n"
    if HEADING in text:
        start = text.index(HEADING)
        nxt = text.find("\n## ", start + len(HEADING))
        text = text[:start] + section + ("\n" + text[nxt + 1:] if nxt != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)


def median_run(runs: list[dict]) -> dict:
    ordered = sorted(runs, key=lambda r: r["performance"])
    return ordered[len(ordered) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page (the median is reported)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    install_lighthouse()
    work = Path(tempfile.mkdtemp(prefix="pln-lighthouse-"))
    port = free_port()
    env = {"DATABASE_URL": f"sqlite:///{work / 'pln.sqlite3'}", "SECRET_KEY": "lighthouse-" + os.urandom(8).hex(),
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "RATELIMIT_ENABLED": "false",
           "MAIL_OUTBOX": str(work / "outbox")}
    data = seed(env)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:app", "--workers", "2", "--threads", "2",
                               "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
                              cwd=ROOT, env=dict(os.environ, **env))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        cookie = f"{data['cookie_name']}={data['cookie']}"
        pages = [("Join", f"/{data['slug']}/join", None), ("Badge", "/me/badge", cookie),
                 ("Card", f"/c/{data['card']}", cookie), ("Contacts", "/me/contacts", cookie)]
        if data["has_scanner"]:
            pages.append(("Scanner", "/scan", cookie))
        results = []
        for name, path, cookie_header in pages:
            runs = [run_lighthouse(base + path, work / f"{name}-{i}.json", cookie_header) for i in range(args.runs)]
            r = median_run(runs)
            results.append((name, path.replace(data["card"], "<code>"), r))
            print(f"{name:9} perf {r['performance']:3} a11y {r['accessibility']:3} bp {r['best-practices']:3} "
                  f"LCP {r['lcp_ms'] / 1000:.2f}s TBT {r['tbt_ms']:.0f}ms CLS {r['cls']:.3f} "
                  f"{r['bytes'] / 1024:.1f} KiB index {r['benchmark_index']} {' '.join(r['failing'])}", flush=True)
        if not args.no_write:
            write_section(results, args.runs)
            print("written to docs/benchmarks.md")
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    misses = [1 for _, _, r in results for cat, t in TARGETS.items() if r[cat] < t]
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
