"""Issue 2 benchmark: the attendee loop under load, against a bare Flask route.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench python bench/run.py [--write-docs]

1. Rebuilds the schema on BENCH_DATABASE_URL and seeds one conference, 2,000 attendees and 40,000
   connections (bench/seed.py).
2. Starts two gunicorns from the Procfile's `web:` line (same workers and threads, bound to
   127.0.0.1 on free ports): the app, and bench/bare_app.py.
3. Signs in BENCH_SESSIONS attendees (a session cookie signed with the app's SECRET_KEY), and for
   each fetches a card page once to get its real CSRF token.
4. Loads each target from a second process with wrk (bench/load.lua), BENCH_CLIENTS connections
   for BENCH_SECONDS: GET /c/<code> of random other attendees, the htmx save POST with a note,
   and the bare route.
5. Measures the bytes a phone downloads on a first visit to /me/badge (HTML + CSS + JS, gzip).
Prints Markdown; --write-docs also replaces the generated block in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import platform
import random
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Issue 2: attendee loop"
BLOCK_START, BLOCK_END = "<!-- bench/run.py: start -->", "<!-- bench/run.py: end -->"
TARGET_RATIO, TARGET_P95_MS, TARGET_KB = 0.5, 50.0, 60.0


# --- servers -------------------------------------------------------------------------------------

def procfile_web_command() -> list[str]:
    """The Procfile's `web:` command, with ${VAR:-default} expanded from the environment."""
    line = next(raw for raw in (ROOT / "Procfile").read_text().splitlines() if raw.startswith("web:"))
    command = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m.group(1), m.group(2)), line[4:])
    return shlex.split(os.path.expandvars(command))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(module: str, port: int) -> list[str]:
    """The Procfile's command for `module` (e.g. app:app), bound to 127.0.0.1:`port`."""
    args = procfile_web_command()
    if args[0] != "gunicorn":
        raise SystemExit(f"Procfile web command is not gunicorn: {args}")
    out = [sys.executable, "-m", "gunicorn"]
    skip = False
    for arg in args[1:]:
        if skip:
            skip = False
            continue
        if arg in ("--bind", "-b"):
            skip = True
            continue
        if arg.startswith("--bind="):
            continue
        out.append(module if arg == "app:app" else arg)
    return out + ["--bind", f"127.0.0.1:{port}"]


class Server:
    def __init__(self, name: str, module: str, env: dict, logdir: Path, ready_path: str):
        self.name, self.port = name, free_port()
        self.command = gunicorn_command(module, self.port)
        self.log = open(logdir / f"{name}.log", "wb")
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"{name} gunicorn exited; see {self.log.name}")
            try:
                if get(self.base + ready_path)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} gunicorn did not answer in 60 s; see {self.log.name}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


# --- plain HTTP, for setup and page weight -------------------------------------------------------

def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request; the body exactly as served (http.client does not decompress)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class AssetLinks(HTMLParser):
    """The stylesheets and scripts a page references (what a browser fetches on a first visit)."""

    def __init__(self):
        super().__init__()
        self.css: list[str] = []
        self.js: list[str] = []
        self.other: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.css.append(a["href"])
        elif tag == "link" and "icon" in (a.get("rel") or "").split() and a.get("href"):
            self.other.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.js.append(a["src"])


def page_weight(base: str, cookie: str) -> list[dict]:
    """Every file of a first visit to /me/badge, with its bytes as served to `Accept-Encoding: gzip`."""
    headers = {"Accept-Encoding": "gzip", "Cookie": f"session={cookie}", "User-Agent": "bench-phone"}
    status, head, body = get(base + "/me/badge", headers)
    if status != 200:
        raise SystemExit(f"/me/badge answered {status}")
    html = gzip.decompress(body) if head.get("content-encoding") == "gzip" else body
    links = AssetLinks()
    links.feed(html.decode())
    rows = [dict(kind="HTML", path="/me/badge", encoding=head.get("content-encoding", "identity"),
                 served=len(body), raw=len(html), counted=True)]
    for kind, paths, counted in (("CSS", links.css, True), ("JS", links.js, True), ("icon", links.other, False)):
        for path in paths:
            status, head, body = get(urljoin(base + "/", path), {"Accept-Encoding": "gzip"})
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
            raw = gzip.decompress(body) if head.get("content-encoding") == "gzip" else body
            rows.append(dict(kind=kind, path=path.split("?")[0], encoding=head.get("content-encoding", "identity"),
                             served=len(body), raw=len(raw), counted=counted))
    return rows


# --- sessions ------------------------------------------------------------------------------------

CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def sign_in_sessions(app, base: str, attendees: list[tuple[int, str]], count: int,
                     rng: random.Random) -> list[dict]:
    """`count` signed-in attendees: a session cookie each, and the CSRF token their card page gave."""
    from conference.badges.codes import display
    serializer = app.session_interface.get_signing_serializer(app)
    index_of = {attendee_id: i + 1 for i, (attendee_id, _) in enumerate(attendees)}
    sessions = []
    for attendee_id, _ in rng.sample(attendees, count):
        cookie = serializer.dumps({"_permanent": True, "attendee_id": attendee_id})
        other = rng.choice([a for a in attendees[:50] if a[0] != attendee_id])
        status, head, body = get(f"{base}/c/{display(other[1])}", {"Cookie": f"session={cookie}"})
        match = CSRF_INPUT.search(body.decode())
        if status != 200 or not match:
            raise SystemExit(f"card page for attendee {attendee_id} answered {status} without a CSRF token")
        renewed = re.search(r"session=([^;]+)", head.get("set-cookie", ""))
        sessions.append(dict(cookie=renewed.group(1) if renewed else cookie, token=match.group(1),
                             index=index_of[attendee_id]))
    return sessions


def lua_data(sessions: list[dict], codes: list[str]) -> str:
    def q(value) -> str:
        return json.dumps(value)  # a JSON string is a valid Lua string literal for these characters
    rows = ",\n".join(f"{{cookie={q(s['cookie'])}, token={q(s['token'])}, index={s['index']}}}" for s in sessions)
    return f"return {{sessions = {{\n{rows}\n}}, codes = {{{', '.join(q(c) for c in codes)}}}}}\n"


# --- load ----------------------------------------------------------------------------------------

def wrk(base: str, mode: str, datafile: Path, seconds: int, clients: int, threads: int) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s",
               "-s", str(ROOT / "bench" / "load.lua"), base, "--", mode, str(datafile)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(raw for raw in out.splitlines() if raw.startswith("BENCH_RESULT "))
    result = json.loads(line[len("BENCH_RESULT "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["command"] = " ".join(command)
    return result


# --- report --------------------------------------------------------------------------------------

def revision() -> str:
    """Which code was measured: BENCH_REVISION, or git's description of the working tree."""
    if os.environ.get("BENCH_REVISION"):
        return os.environ["BENCH_REVISION"]
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine_notes(database_url: str) -> str:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} CPUs ({cpu or platform.machine()}), load average before the run {load}; "
            f"Python {platform.python_version()}, {database_url.split('@')[-1].split('/')[0]} PostgreSQL "
            f"on the same machine; load generator (wrk) on the same machine too")


def markdown(results: dict, weight: list[dict], meta: dict) -> str:
    bare = results["bare"]
    lines = [f"Run {meta['date']} on revision `{meta['revision']}`: `{meta['command']}`", "",
             f"Machine: {meta['machine']}.", "",
             f"Servers: `{meta['gunicorn']}` (the Procfile's `web:` line, bound to 127.0.0.1). "
             f"Data: 1 conference, {meta['attendees']:,} attendees, {meta['connections']:,} connections. "
             f"Load: wrk, {meta['clients']} connections, {meta['seconds']} s per target after a "
             f"{meta['warmup']} s warm-up, each request signed in as one of {meta['sessions']} attendees "
             f"picked at random.", "",
             "| target | requests/s | p50 ms | p95 ms | p99 ms | ours/bare (rps) | responses |",
             "|---|---:|---:|---:|---:|---:|---|"]
    labels = {"card": "GET /c/<code> (card of a random other attendee)",
              "save": "POST /c/<code>/save (htmx, note + tags)", "bare": "GET /bare (bare Flask route)"}
    for mode in ("card", "save", "bare"):
        r = results[mode]
        ratio = "—" if mode == "bare" else f"{r['rps'] / bare['rps']:.2f}"
        statuses = ", ".join(f"{n:,}× {s}" for s, n in sorted(r["statuses"].items()))
        if r["socket_errors"]:
            statuses += f", {r['socket_errors']} socket errors"
        lines.append(f"| {labels[mode]} | {r['rps']:,.0f} | {r['p50_us'] / 1000:.1f} | {r['p95_us'] / 1000:.1f} | "
                     f"{r['p99_us'] / 1000:.1f} | {ratio} | {statuses} |")
    total = sum(row["served"] for row in weight if row["counted"])
    lines += ["", "First visit to `/me/badge` on a phone (`Accept-Encoding: gzip`, body bytes as served):", "",
              "| file | type | encoding | bytes served | bytes uncompressed |", "|---|---|---|---:|---:|"]
    for row in weight:
        note = "" if row["counted"] else " (not counted)"
        lines.append(f"| `{row['path']}`{note} | {row['kind']} | {row['encoding']} | {row['served']:,} | {row['raw']:,} |")
    lines.append(f"| **total HTML + CSS + JS** | | | **{total:,} ({total / 1024:.1f} KB)** | "
                 f"{sum(r['raw'] for r in weight if r['counted']):,} |")
    checks = []
    for mode in ("card", "save"):
        r = results[mode]
        ratio = r["rps"] / bare["rps"]
        checks.append(f"{mode}: ratio {ratio:.2f} {'meets' if ratio >= TARGET_RATIO else 'misses'} ≥ {TARGET_RATIO}, "
                      f"p95 {r['p95_us'] / 1000:.1f} ms {'meets' if r['p95_us'] / 1000 <= TARGET_P95_MS else 'misses'} "
                      f"≤ {TARGET_P95_MS:.0f} ms")
    checks.append(f"page weight {total / 1024:.1f} KB {'meets' if total / 1024 <= TARGET_KB else 'misses'} "
                  f"≤ {TARGET_KB:.0f} KB")
    lines += ["", "Targets: " + "; ".join(checks) + "."]
    return "\n".join(lines) + "\n"


def write_docs(block: str) -> None:
    """Put `block` between the markers in our section of docs/benchmarks.md (other sections untouched)."""
    generated = f"{BLOCK_START}\n{block}{BLOCK_END}"
    if not DOCS.exists():
        DOCS.parent.mkdir(parents=True, exist_ok=True)
        DOCS.write_text("# Benchmarks\n\nSpeed and size figures for each issue, measured with the scripts under "
                        "`bench/`. Each section says how to run it again.\n")
    text = DOCS.read_text()
    if HEADING not in text:
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\n{generated}\n"
    elif BLOCK_START in text and BLOCK_END in text:
        before, rest = text.split(BLOCK_START, 1)
        text = before + generated + rest.split(BLOCK_END, 1)[1]
    else:
        head, tail = text.split(HEADING, 1)
        text = head + HEADING + "\n\n" + generated + "\n" + tail
    DOCS.write_text(text)


# --- main ----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-docs", action="store_true", help="update our section of docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the log folder (printed at the end)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench needs wrk (Debian/Ubuntu: apt-get install wrk)")
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    seconds = int(os.environ.get("BENCH_SECONDS", "25"))
    warmup = int(os.environ.get("BENCH_WARMUP", "5"))
    clients = int(os.environ.get("BENCH_CLIENTS", "32"))
    threads = int(os.environ.get("BENCH_WRK_THREADS", "2"))
    n_sessions = int(os.environ.get("BENCH_SESSIONS", "256"))
    attendees_n = int(os.environ.get("BENCH_ATTENDEES", "2000"))
    connections_n = int(os.environ.get("BENCH_CONNECTIONS", "40000"))
    machine = machine_notes(database_url)
    secret_key = secrets.token_hex(32)
    rng = random.Random(7)

    from conference import create_app
    from conference.badges.codes import display
    from conference.config import normalise_database_url
    from conference.extensions import db
    from bench.seed import seed

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url), "SECRET_KEY": secret_key})
    started = time.monotonic()
    with app.app_context():
        seeded = seed(attendees_n, connections_n)
        db.session.remove()
        db.engine.dispose()
    print(f"seeded {len(seeded.attendees):,} attendees and {seeded.connections:,} connections "
          f"in {time.monotonic() - started:.1f} s", flush=True)

    logdir = Path(tempfile.mkdtemp(prefix="pln-bench-"))
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secret_key,
           "PYTHONPATH": str(ROOT), "PUBLIC_BASE_URL": "https://pln.example.org"}
    env.pop("FLASK_DEBUG", None)
    servers: list[Server] = []
    try:
        ours = Server("app", "app:app", env, logdir, "/healthz")
        servers.append(ours)
        bare = Server("bare", "bench.bare_app:app", env, logdir, "/bare")
        servers.append(bare)
        print(f"app on {ours.base}, bare on {bare.base}: {' '.join(ours.command[1:])}", flush=True)

        sessions = sign_in_sessions(app, ours.base, seeded.attendees, n_sessions, rng)
        datafile = logdir / "data.lua"
        datafile.write_text(lua_data(sessions, [display(code) for _, code in seeded.attendees]))

        results = {}
        for mode, server in (("card", ours), ("save", ours), ("bare", bare)):
            wrk(server.base, mode, datafile, warmup, clients, threads)
            results[mode] = wrk(server.base, mode, datafile, seconds, clients, threads)
            r = results[mode]
            print(f"{mode}: {r['rps']:.0f} req/s, p50 {r['p50_us'] / 1000:.1f} ms, p95 {r['p95_us'] / 1000:.1f} ms, "
                  f"statuses {r['statuses']}", flush=True)

        weight_cookie = app.session_interface.get_signing_serializer(app).dumps(
            {"_permanent": True, "attendee_id": seeded.attendees[0][0]})
        weight = page_weight(ours.base, weight_cookie)
    finally:
        for server in servers:
            server.stop()

    meta = dict(revision=revision(), date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), machine=machine,
                command="BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<db> python bench/run.py",
                gunicorn="gunicorn " + " ".join(ours.command[3:]).replace(f":{ours.port}", ":<port>"),
                attendees=len(seeded.attendees), connections=seeded.connections, clients=clients, seconds=seconds,
                warmup=warmup, sessions=n_sessions)
    report = markdown(results, weight, meta)
    print()
    print(report)
    if args.write_docs:
        write_docs(report)
        print(f"updated {DOCS.relative_to(ROOT)}")
    if args.keep:
        print(f"logs and wrk data in {logdir}")
    else:
        shutil.rmtree(logdir, ignore_errors=True)


if __name__ == "__main__":
    main()
