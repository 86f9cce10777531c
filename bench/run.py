"""Issue 2 benchmark: the attendee loop under load, against a bare Flask route.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench python bench/run.py [--write-docs]

1. Rebuilds the schema on BENCH_DATABASE_URL and seeds one conference, 2,000 attendees and 40,000
   connections (bench/seed.py).
2. Starts three gunicorns from the Procfile's `web:` line (gunicorn.conf.py gives each the same
   workers and threads; bound to 127.0.0.1 on free ports): the app, bench/bare_app.py, and bench/floor_app.py (the cheapest
   signed-in page that reads the database: where ours/bare tops out on this stack).
3. Signs in BENCH_SESSIONS attendees (a session cookie signed with the app's SECRET_KEY), and for
   each fetches a card page once to get its real CSRF token.
4. Loads each target from a second process with wrk (bench/load.lua), BENCH_CLIENTS connections
   for BENCH_SECONDS: GET /c/<code> of random other attendees, the htmx save POST with a note,
   the floor route and the bare route.
5. Measures the bytes a phone downloads on a first visit to /me/badge (HTML + CSS + JS, gzip).
Prints Markdown; --write-docs also replaces the generated block in docs/benchmarks.md.

Old revision against new, in the same run: `--against DIR`, where DIR is a checkout of the older
revision (`git worktree add DIR <rev>`). Its app is served too, from DIR, on a copy of the seeded
database migrated down to that revision's schema (the same people, codes and sessions), and its card
and save are loaded in the same interleaved rounds; a table of old against new follows the report.
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
import statistics
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
MODES = ("card", "save", "floor", "bare")
# Other benchmarks' quick modes (small scale, SQLite in a temporary file): `--quick` runs each of
# them instead of the load test, to check that they still run.
QUICK = [["bench/meetings.py", "--quick"]]


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
    args = [a for a in procfile_web_command() if "=" not in a]  # APP_ENV=production comes from the environment
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


def gunicorn_settings() -> str:
    """What gunicorn.conf.py gives in this environment, e.g. "2 workers × 2 threads (gthread)"."""
    import runpy
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return f"{conf['workers']} workers × {conf['threads']} threads ({conf['worker_class']})"


class Server:
    def __init__(self, name: str, module: str, env: dict, logdir: Path, ready_path: str, cwd: Path = ROOT):
        self.name, self.port = name, free_port()
        self.command = gunicorn_command(module, self.port)
        self.log = open(logdir / f"{name}.log", "wb")
        self.process = subprocess.Popen(self.command, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
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
        self.service_worker: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        rel = (a.get("rel") or "").split()
        if tag == "link" and "stylesheet" in rel and a.get("href"):
            self.css.append(a["href"])
        elif tag == "link" and ("icon" in rel or "manifest" in rel) and a.get("href"):
            self.other.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.js.append(a["src"])
            self.service_worker = self.service_worker or a.get("data-sw")


def page_weight(base: str, cookie: str) -> list[dict]:
    """Every file of a first visit to /me/badge, with its bytes as served to `Accept-Encoding: gzip`."""
    headers = {"Accept-Encoding": "gzip", "Cookie": cookie, "User-Agent": "bench-phone",
               "X-Forwarded-For": "10.255.0.1"}
    status, head, body = get(base + "/me/badge", headers)
    if status != 200:
        raise SystemExit(f"/me/badge answered {status}")
    html = gzip.decompress(body) if head.get("content-encoding") == "gzip" else body
    links = AssetLinks()
    links.feed(html.decode())
    rows = [dict(kind="HTML", path="/me/badge", encoding=head.get("content-encoding", "identity"),
                 served=len(body), raw=len(html), counted=True)]
    fetched = {"/me/badge"}

    def fetch(kind: str, path: str, counted: bool, page: bool = False) -> bytes:
        fetched.add(path)
        status, head, body = get(urljoin(base + "/", path), headers if page else {"Accept-Encoding": "gzip"})
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        raw = gzip.decompress(body) if head.get("content-encoding") == "gzip" else body
        rows.append(dict(kind=kind, path=path.split("?")[0], encoding=head.get("content-encoding", "identity"),
                         served=len(body), raw=len(raw), counted=counted))
        return raw

    for kind, paths, counted in (("CSS", links.css, True), ("JS", links.js, True), ("other", links.other, False)):
        for path in paths:
            fetch(kind, path, counted)
    if links.service_worker:
        # After the page has loaded, the service worker installs and precaches pages and static
        # files in the background: not part of the first render, but bytes the phone downloads.
        worker = fetch("service worker", links.service_worker, False).decode()
        found = {name: re.search(rf"var {name} = (.*?);", worker) for name in ("PAGES", "EXTRA")}
        pages = json.loads(found["PAGES"].group(1)) if found["PAGES"] else []
        wanted = json.loads(found["EXTRA"].group(1)) if found["EXTRA"] else []
        for script in re.findall(r"importScripts\((\"[^\"]+\")\)", worker):
            wanted.append(json.loads(script))
        for page in pages:
            html = fetch("precached page", page, False, page=True).decode()
            wanted += [m.replace("&amp;", "&") for m in re.findall(r'(?:src|href)="(/static/[^"]+)"', html)]
        for path in dict.fromkeys(wanted):
            if path not in fetched:
                fetch("precached", path, False)
    return rows


# --- sessions ------------------------------------------------------------------------------------

CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def sign_in_sessions(app, base: str, attendees: list[tuple[int, str]], count: int,
                     rng: random.Random) -> list[dict]:
    """`count` signed-in attendees: a session cookie each, and the CSRF token their card page gave."""
    from conference.badges.codes import display
    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    index_of = {attendee_id: i + 1 for i, (attendee_id, _) in enumerate(attendees)}
    sessions = []
    for attendee_id, _ in rng.sample(attendees, count):
        cookie = serializer.dumps({"_permanent": True, "attendee_id": attendee_id})
        other = rng.choice([a for a in attendees[:50] if a[0] != attendee_id])
        ip = f"10.{len(sessions) // 250}.{len(sessions) % 250 + 1}.{rng.randint(1, 254)}"
        status, head, body = get(f"{base}/c/{display(other[1])}", {"Cookie": f"{name}={cookie}", "X-Forwarded-For": ip})
        match = CSRF_INPUT.search(body.decode())
        if status != 200 or not match:
            raise SystemExit(f"card page for attendee {attendee_id} answered {status} without a CSRF token")
        renewed = re.search(rf"{re.escape(name)}=([^;]+)", head.get("set-cookie", ""))
        sessions.append(dict(cookie=renewed.group(1) if renewed else cookie, token=match.group(1),
                             index=index_of[attendee_id], ip=ip))
    return sessions


def lua_data(sessions: list[dict], codes: list[str], cookie_name: str) -> str:
    def q(value) -> str:
        return json.dumps(value)  # a JSON string is a valid Lua string literal for these characters
    rows = ",\n".join(f"{{cookie={q(s['cookie'])}, token={q(s['token'])}, index={s['index']}, ip={q(s['ip'])}}}"
                      for s in sessions)
    return (f"return {{cookie_name = {q(cookie_name)}, sessions = {{\n{rows}\n}}, "
            f"codes = {{{', '.join(q(c) for c in codes)}}}}}\n")


# --- load ----------------------------------------------------------------------------------------

class CpuMeter:
    """CPU seconds spent by the server's workers, its PostgreSQL backends, wrk, and the whole machine."""

    def __init__(self, server: "Server | None", database_url: str):
        self.server, self.database_url = server, database_url

    @staticmethod
    def _proc_seconds(pids) -> dict[int, float]:
        out = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return out

    def _workers(self) -> list[int]:
        if self.server is None:
            return []
        master, pids = self.server.process.pid, [self.server.process.pid]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                        pids.append(int(entry.name))
                except OSError:
                    pass
        return pids

    def _backends(self) -> list[int]:
        import psycopg
        with psycopg.connect(self.database_url.replace("+psycopg", ""), autocommit=True) as conn:
            return [row[0] for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]

    @staticmethod
    def _machine() -> float:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")

    def snapshot(self) -> dict:
        import resource
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return dict(app=self._proc_seconds(self._workers()), db=self._proc_seconds(self._backends()),
                    wrk=children.ru_utime + children.ru_stime, machine=self._machine())

    @staticmethod
    def spent(before: dict, after: dict) -> dict:
        def delta(key):
            return sum(seconds - before[key].get(pid, 0.0) for pid, seconds in after[key].items())
        return dict(app=delta("app"), db=delta("db"), wrk=after["wrk"] - before["wrk"],
                    machine=after["machine"] - before["machine"])


def wrk(base: str, mode: str, datafile: Path, seconds: int, clients: int, threads: int,
        meter: CpuMeter | None = None) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s",
               "-s", str(ROOT / "bench" / "load.lua"), base, "--", mode, str(datafile)]
    before = meter.snapshot() if meter else None
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(raw for raw in out.splitlines() if raw.startswith("BENCH_RESULT "))
    result = json.loads(line[len("BENCH_RESULT "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["command"] = " ".join(command)
    if meter:
        spent = CpuMeter.spent(before, meter.snapshot())
        spent["other"] = max(spent["machine"] - spent["app"] - spent["db"] - spent["wrk"], 0.0)
        # CPU milliseconds per request, and how busy the machine was (of all its cores)
        result["cpu_ms"] = {k: v * 1000 / max(result["requests"], 1) for k, v in spent.items()}
        result["busy"] = spent["machine"] / (result["duration_us"] / 1e6) / (os.cpu_count() or 1)
    return result


def median_run(runs: list[dict]) -> dict:
    """Each figure's median over the rounds; response counts summed."""
    def median(key):
        values = sorted(r[key] for r in runs)
        middle = len(values) // 2
        return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    statuses: dict[str, int] = {}
    for r in runs:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    return dict(rps=median("rps"), p50_us=median("p50_us"), p95_us=median("p95_us"), p99_us=median("p99_us"),
                statuses=statuses, socket_errors=sum(r["socket_errors"] for r in runs),
                rounds=[round(r["rps"]) for r in runs],
                cpu_ms={k: sorted(r["cpu_ms"][k] for r in runs)[len(runs) // 2] for k in runs[0]["cpu_ms"]},
                busy=sorted(r["busy"] for r in runs)[len(runs) // 2])


# --- profile ------------------------------------------------------------------------------------

def profile(server: Server, mode: str, datafile: Path, seconds: int, clients: int, threads: int,
            outdir: Path) -> None:
    """Sample every gunicorn worker with py-spy while wrk loads `mode`: where the Python CPU goes.

    --gil keeps only samples of threads holding the GIL, so waiting (for PostgreSQL, for the other
    thread, for a core) is left out and the shares are shares of the app's CPU time."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    outdir.mkdir(parents=True, exist_ok=True)
    folded = outdir / f"{mode}.folded"
    sampler = subprocess.Popen([spy, "record", "--pid", str(server.process.pid), "--subprocesses", "--gil", "--nonblocking",
                                "--rate", "250", "--duration", str(seconds), "--format", "raw", "-o", str(folded)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wrk(server.base, mode, datafile, seconds, clients, threads)
    sampler.wait(timeout=seconds + 60)
    summary = summarise_folded(folded)
    (outdir / f"{mode}-summary.txt").write_text(summary)
    print(f"\nprofile of {mode} (py-spy, all workers):\n{summary}", flush=True)


GROUPS = [("database driver (psycopg)", "psycopg/"), ("SQLAlchemy", "sqlalchemy/"),
          ("templates (Jinja2)", "jinja2/"), ("templates (Jinja2)", "templates/"),
          ("WTForms / Flask-WTF / CSRF", "wtforms/"), ("WTForms / Flask-WTF / CSRF", "flask_wtf/"),
          ("templates (Jinja2)", "markupsafe/"), ("rate limits (Flask-Limiter)", "flask_limiter/"),
          ("rate limits (Flask-Limiter)", "site-packages/limits/"),
          ("sessions (itsdangerous)", "itsdangerous/"), ("gzip (Flask-Compress)", "flask_compress/"),
          ("gzip (Flask-Compress)", "gzip.py"), ("phone formatting (phonenumbers)", "phonenumbers/"),
          ("gunicorn", "gunicorn/"), ("Werkzeug", "werkzeug/"), ("Flask", "flask/"),
          ("our code (conference/)", "conference/")]


def summarise_folded(path: Path, top: int = 15) -> str:
    """Where samples land: by library (innermost known frame) and the busiest leaf functions."""
    groups: dict[str, int] = {}
    leaves: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        leaves[frames[-1]] = leaves.get(frames[-1], 0) + n
        group = "other (Python, stdlib)"
        for frame in reversed(frames):
            found = next((name for name, marker in GROUPS if marker in frame), None)
            if found:
                group = found
                break
        groups[group] = groups.get(group, 0) + n
    if not total:
        return "no samples\n"
    lines = [f"{total:,} samples; by innermost library:"]
    lines += [f"  {n / total:6.1%}  {name}" for name, n in sorted(groups.items(), key=lambda kv: -kv[1])]
    lines.append("busiest functions (self time):")
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in sorted(leaves.items(), key=lambda kv: -kv[1])[:top]]
    return "\n".join(lines) + "\n"


# --- report --------------------------------------------------------------------------------------

def revision(checkout: Path | None = None) -> str:
    """Which code was measured: BENCH_REVISION, or git's description of the working tree (or of `checkout`)."""
    if os.environ.get("BENCH_REVISION") and checkout is None:
        return os.environ["BENCH_REVISION"]
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], cwd=checkout or ROOT, capture_output=True,
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
    return (f"{os.cpu_count()} CPUs ({cpu or platform.machine()}), shared with other jobs, so noisy: "
            f"load average before the run {load}; "
            f"Python {platform.python_version()}, {database_url.split('@')[-1].split('/')[0]} PostgreSQL "
            f"on the same machine; load generator (wrk) on the same machine too")


def markdown(results: dict, weight: list[dict], meta: dict) -> str:
    bare = results["bare"]
    lines = [f"Run {meta['date']} on revision `{meta['revision']}`: `{meta['command']}`", "",
             f"Machine: {meta['machine']}.", "",
             f"Servers: `{meta['gunicorn']}` (the Procfile's `web:` line, bound to 127.0.0.1), with "
             f"gunicorn.conf.py: {meta['workers']}. "
             f"Data: 1 conference, {meta['attendees']:,} attendees, {meta['connections']:,} connections. "
             f"Load: wrk, {meta['clients']} connections, no think time, {meta['rounds']} interleaved rounds of "
             f"{meta['seconds']} s per target after a {meta['warmup']} s warm-up each; every request is signed "
             f"in as one of {meta['sessions']} attendees picked at random. Figures are medians over the rounds "
             f"(requests/s of each round in brackets).", "",
             "| target | requests/s | p50 ms | p95 ms | p99 ms | ours/bare (rps) | responses |",
             "|---|---:|---:|---:|---:|---:|---|"]
    labels = {"card": "GET /c/<code> (card of a random other attendee)",
              "save": "POST /c/<code>/save (htmx, note + tags)",
              "floor": "GET /floor/<code> (the floor: session + one SELECT + a tiny template)",
              "bare": "GET /bare (bare Flask route)"}
    for mode in MODES:
        r = results[mode]
        ratio = "—" if mode == "bare" else f"{r['rps'] / bare['rps']:.2f}"
        statuses = ", ".join(f"{n:,}× {s}" for s, n in sorted(r["statuses"].items()))
        if r["socket_errors"]:
            statuses += f", {r['socket_errors']} socket errors"
        lines.append(f"| {labels[mode]} | {r['rps']:,.0f} ({', '.join(map(str, r['rounds']))}) | {r['p50_us'] / 1000:.1f} | {r['p95_us'] / 1000:.1f} | "
                     f"{r['p99_us'] / 1000:.1f} | {ratio} | {statuses} |")
    lines += ["", f"The same targets with one client and no think time ({meta['solo_seconds']} s each): the time a "
              "request takes when it does not queue behind others.", "",
              "| target | requests/s | p50 ms | p95 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    for mode in MODES:
        r = results[mode]["solo"]
        lines.append(f"| {mode} | {r['rps']:,.0f} | {r['p50_us'] / 1000:.1f} | {r['p95_us'] / 1000:.1f} | "
                     f"{r['p99_us'] / 1000:.1f} |")
    lines += ["", "Where the CPU went, in CPU milliseconds per request (median over the rounds; from /proc: the "
              "server's gunicorn processes, the PostgreSQL backends of the bench database, wrk, and everything "
              "else on the machine, e.g. other people's jobs):", "",
              "| target | app (gunicorn) | PostgreSQL | wrk | other | machine busy | bare/ours by CPU cost |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    bare_cost = bare["cpu_ms"]["app"] + bare["cpu_ms"]["db"]
    for mode in MODES:
        c = results[mode]["cpu_ms"]
        cost_ratio = "—" if mode == "bare" else f"{bare_cost / max(c['app'] + c['db'], 1e-9):.2f}"
        lines.append(f"| {mode} | {c['app']:.2f} | {c['db']:.2f} | {c['wrk']:.2f} | {c['other']:.2f} | "
                     f"{results[mode]['busy']:.0%} | {cost_ratio} |")
    lines += ["", "The last column is the ratio the same code would reach on a machine to itself (app + PostgreSQL "
              "CPU per request of the bare route over ours); it moves much less with other people's load than "
              "requests/s do."]
    total = sum(row["served"] for row in weight if row["counted"])
    lines += ["", "First visit to `/me/badge` on a phone (`Accept-Encoding: gzip`, body bytes as served):", "",
              "| file | type | encoding | bytes served | bytes uncompressed |", "|---|---|---|---:|---:|"]
    for row in weight:
        note = "" if row["counted"] else " (not counted)"
        lines.append(f"| `{row['path']}`{note} | {row['kind']} | {row['encoding']} | {row['served']:,} | {row['raw']:,} |")
    lines.append(f"| **total HTML + CSS + JS** | | | **{total:,} ({total / 1024:.1f} KB)** | "
                 f"{sum(r['raw'] for r in weight if r['counted']):,} |")
    later = [row for row in weight if not row["counted"]]
    if later:
        lines.append(f"| everything else on a first visit (marked not counted: icons, manifest; the service worker "
                     f"and what it precaches in the background) | | | {sum(r['served'] for r in later):,} | "
                     f"{sum(r['raw'] for r in later):,} |")
        lines.append(f"| all bytes of a first visit | | | {sum(r['served'] for r in weight):,} "
                     f"({sum(r['served'] for r in weight) / 1024:.1f} KB) | {sum(r['raw'] for r in weight):,} |")
    checks = []
    for mode in ("card", "save"):
        r = results[mode]
        ratio = r["rps"] / bare["rps"]
        checks.append(f"{mode}: ratio {ratio:.2f} {'meets' if ratio >= TARGET_RATIO else 'misses'} ≥ {TARGET_RATIO}, "
                      f"p95 {r['p95_us'] / 1000:.1f} ms {'meets' if r['p95_us'] / 1000 <= TARGET_P95_MS else 'misses'} "
                      f"≤ {TARGET_P95_MS:.0f} ms")
    floor_ratio = results["floor"]["rps"] / bare["rps"]
    checks.append(f"the floor route (session + one SELECT + a tiny template, nothing else) reaches ratio "
                  f"{floor_ratio:.2f} and p95 {results['floor']['p95_us'] / 1000:.1f} ms")
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


# --- an older revision, on the same data ---------------------------------------------------------

def older_head(checkout: Path) -> str:
    """The newest of our migrations that the older checkout also has: its schema's revision."""
    from alembic.script import ScriptDirectory
    theirs = {path.stem.split("_", 1)[0] for path in (checkout / "migrations" / "versions").glob("*.py")}
    script = ScriptDirectory(str(ROOT / "migrations"))
    for revision_ in script.walk_revisions():
        if revision_.revision in theirs:
            return revision_.revision
    raise SystemExit(f"{checkout} shares no migration with this revision")


def copy_for_older(app, database_url: str, checkout: Path) -> str:
    """A copy of the seeded bench database, migrated down to the older checkout's schema."""
    import psycopg
    from flask_migrate import downgrade, stamp
    from conference.extensions import db
    name = database_url.rsplit("/", 1)[1].split("?")[0]
    copy = f"{name}_against"
    with app.app_context():
        stamp(directory=str(ROOT / "migrations"))
        db.session.remove()
        db.engine.dispose()
    with psycopg.connect(database_url.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres",
                         autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    copy_url = database_url.rsplit("/", 1)[0] + "/" + copy
    from conference import create_app
    from conference.config import normalise_database_url
    older = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(copy_url)})
    with older.app_context():
        downgrade(directory=str(ROOT / "migrations"), revision=older_head(checkout))
        db.session.remove()
        db.engine.dispose()
    return copy_url


def against_table(results: dict, runs: dict[str, list[dict]], older: str) -> str:
    """Old against new: medians of the rounds, the median of each round's own new/old ratio (the two
    ran a minute apart, so a noisy minute moves both), and the CPU the app and PostgreSQL spent per
    request (which other people's jobs on the machine move far less than throughput)."""
    lines = [f"Old revision ({older}) against this one, same run, medians of the rounds:", "",
             "| target | old req/s | new req/s | new/old (median of rounds) | old p95 ms | new p95 ms "
             "| old CPU ms/req (app + db) | new CPU ms/req | new/old CPU |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for mode in ("card", "save"):
        olds, news = runs[f"{mode} (old)"], runs[mode]
        old, new = results[f"{mode} (old)"], results[mode]
        paired = statistics.median(n["rps"] / o["rps"] for o, n in zip(olds, news))
        cpu_old = statistics.median(r["cpu_ms"]["app"] + r["cpu_ms"]["db"] for r in olds)
        cpu_new = statistics.median(r["cpu_ms"]["app"] + r["cpu_ms"]["db"] for r in news)
        lines.append(f"| {mode} | {old['rps']:.0f} | {new['rps']:.0f} | {paired:.2f} | "
                     f"{old['p95_us'] / 1000:.1f} | {new['p95_us'] / 1000:.1f} | {cpu_old:.2f} | {cpu_new:.2f} | "
                     f"{cpu_new / cpu_old:.2f} |")
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-docs", action="store_true", help="update our section of docs/benchmarks.md")
    parser.add_argument("--profile", metavar="DIR", help="afterwards, profile card and save under load with "
                        "py-spy (pip install py-spy) and write folded stacks and a summary into DIR")
    parser.add_argument("--keep", action="store_true", help="keep the log folder (printed at the end)")
    parser.add_argument("--against", metavar="DIR", type=Path, help="also load a checkout of an older "
                        "revision (git worktree add DIR REV) in the same rounds, on the same data")
    parser.add_argument("--quick", action="store_true", help="run the other benchmarks' quick modes "
                        f"({', '.join(' '.join(c) for c in QUICK)}) instead")
    args = parser.parse_args()
    if args.quick:
        for command in QUICK:
            print(f"$ {' '.join(command)}", flush=True)
            subprocess.run([sys.executable, *command], cwd=ROOT, check=True)
        return
    if not shutil.which("wrk"):
        raise SystemExit("bench needs wrk (Debian/Ubuntu: apt-get install wrk)")
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    seconds = int(os.environ.get("BENCH_SECONDS", "20"))
    warmup = int(os.environ.get("BENCH_WARMUP", "5"))
    clients = int(os.environ.get("BENCH_CLIENTS", "32"))
    threads = int(os.environ.get("BENCH_WRK_THREADS", "2"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    solo_seconds = int(os.environ.get("BENCH_SOLO_SECONDS", "10"))
    n_sessions = int(os.environ.get("BENCH_SESSIONS", "256"))
    attendees_n = int(os.environ.get("BENCH_ATTENDEES", "2000"))
    connections_n = int(os.environ.get("BENCH_CONNECTIONS", "40000"))
    machine = machine_notes(database_url)
    secret_key = secrets.token_hex(32)
    rng = random.Random(7)

    # The servers' environment; this process builds its app from the same, so cookies and keys match.
    # TRUSTED_PROXIES=1: as behind a load balancer; each simulated phone sends its own X-Forwarded-For,
    # so the app's per-IP rate limits (left on, their cost counts) see many addresses, not 127.0.0.1.
    os.environ.update({"DATABASE_URL": database_url, "SECRET_KEY": secret_key, "TRUSTED_PROXIES": "1",
                       "PUBLIC_BASE_URL": "https://pln.example.org", "MAIL_SERVER": "127.0.0.1"})
    os.environ.pop("FLASK_DEBUG", None)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    from conference import create_app
    from conference.badges.codes import display
    from conference.config import normalise_database_url
    from conference.extensions import db
    from bench.seed import seed

    app = create_app()
    started = time.monotonic()
    with app.app_context():
        seeded = seed(attendees_n, connections_n)
        db.session.remove()
        db.engine.dispose()
    print(f"seeded {len(seeded.attendees):,} attendees and {seeded.connections:,} connections "
          f"in {time.monotonic() - started:.1f} s", flush=True)

    older_url = copy_for_older(app, database_url, args.against.resolve()) if args.against else None

    logdir = Path(tempfile.mkdtemp(prefix="pln-bench-"))
    servers: list[Server] = []
    try:
        ours = Server("app", "app:app", env, logdir, "/healthz")
        servers.append(ours)
        bare = Server("bare", "bench.bare_app:app", env, logdir, "/bare")
        servers.append(bare)
        floor = Server("floor", "bench.floor_app:app", env, logdir, f"/floor/{display(seeded.attendees[0][1])}")
        servers.append(floor)
        print(f"app on {ours.base}, bare on {bare.base}: {' '.join(ours.command[1:])}", flush=True)
        if older_url:
            old = Server("old", "app:app", {**env, "DATABASE_URL": older_url, "PYTHONPATH": str(args.against.resolve())},
                         logdir, "/healthz", cwd=args.against.resolve())
            servers.append(old)
            print(f"old revision ({revision(args.against)}) on {old.base}, database {older_url}", flush=True)

        sessions = sign_in_sessions(app, ours.base, seeded.attendees, n_sessions, rng)
        datafile = logdir / "data.lua"
        datafile.write_text(lua_data(sessions, [display(code) for _, code in seeded.attendees],
                                     app.config["SESSION_COOKIE_NAME"]))

        targets = [("card", "card", ours), ("save", "save", ours), ("floor", "floor", floor), ("bare", "bare", bare)]
        if older_url:
            targets[2:2] = [("card (old)", "card", old), ("save (old)", "save", old)]
        runs: dict[str, list[dict]] = {label: [] for label, _, _ in targets}
        for _, mode, server in targets:
            wrk(server.base, mode, datafile, warmup, clients, threads)
        meters = {server.name: CpuMeter(server, normalise_database_url(older_url if server.name == "old" else database_url))
                  for server in servers}
        for round_ in range(1, rounds + 1):
            for label, mode, server in targets:  # interleaved, so a noisy minute hurts all alike
                r = wrk(server.base, mode, datafile, seconds, clients, threads, meters[server.name])
                runs[label].append(r)
                print(f"round {round_} {label}: {r['rps']:.0f} req/s, p50 {r['p50_us'] / 1000:.1f} ms, "
                      f"p95 {r['p95_us'] / 1000:.1f} ms, statuses {r['statuses']}, CPU ms/request "
                      + ", ".join(f"{k} {v:.2f}" for k, v in r["cpu_ms"].items()) + f", machine busy {r['busy']:.0%}",
                      flush=True)
        results = {label: median_run(found) for label, found in runs.items()}
        for label, mode, server in targets:  # one client: the latency of a request that waits for nobody
            r = wrk(server.base, mode, datafile, solo_seconds, 1, 1, meters[server.name])
            results[label]["solo"] = r
            print(f"one client {label}: {r['rps']:.0f} req/s, p50 {r['p50_us'] / 1000:.1f} ms, "
                  f"p95 {r['p95_us'] / 1000:.1f} ms, statuses {r['statuses']}", flush=True)
        if args.profile:
            for mode in ("card", "save"):
                profile(ours, mode, datafile, seconds, clients, threads, Path(args.profile))

        weight_cookie = app.config["SESSION_COOKIE_NAME"] + "=" + app.session_interface.get_signing_serializer(
            app).dumps({"_permanent": True, "attendee_id": seeded.attendees[0][0]})
        weight = page_weight(ours.base, weight_cookie)
    finally:
        for server in servers:
            server.stop()

    meta = dict(revision=revision(), date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), machine=machine,
                command="BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<db> python bench/run.py",
                gunicorn="gunicorn " + " ".join(ours.command[3:]).replace(f":{ours.port}", ":<port>"),
                workers=gunicorn_settings(),
                attendees=len(seeded.attendees), connections=seeded.connections, clients=clients, seconds=seconds,
                warmup=warmup, sessions=n_sessions, rounds=rounds, solo_seconds=solo_seconds)
    report = markdown(results, weight, meta)
    print()
    print(report)
    if older_url:
        print()
        print(against_table(results, runs, revision(args.against)))
    if args.write_docs:
        write_docs(report)
        print(f"updated {DOCS.relative_to(ROOT)}")
    if args.keep:
        print(f"logs and wrk data in {logdir}")
    else:
        shutil.rmtree(logdir, ignore_errors=True)


if __name__ == "__main__":
    main()
