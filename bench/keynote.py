"""The keynote break: open-model load on the deployment shapes of docs/deploy.md.

    python bench/keynote.py [--shapes sqlite,postgres,cluster] [--write-docs]

20,000 attendees and 400,000 connections (bench/seed.py). Locust (bench/keynote_locust.py, a second
process) starts tasks at a fixed rate, whatever the server's answers take; a scan is GET /c/<code>
then the save POST with a note, mixed with badge opens, contacts lists and offline-sync batches
(60/20/15/5). Every request comes through nginx (deploy/nginx/*.conf) from one address, 127.0.0.1,
as behind a venue's Wi-Fi. Each step holds a scan rate for BENCH_STEP_SECONDS; a rate is held when
p95 over all requests is ≤ 100 ms, nothing failed, and the scans done reach 95% of the rate.

Shapes: sqlite (the Procfile's web and worker lines on SQLite, one box), postgres (the same on
PostgreSQL), cluster (two app servers of one worker process each, a worker, PostgreSQL, a private
Redis for limits and queue). CPU is read from /proc for each part, the load generator included.
BENCH_DATABASE_URL names a PostgreSQL database it may drop and rebuild (default: bench_queue).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import free_port, revision  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Production shapes: the keynote break"
BLOCK_START, BLOCK_END = "<!-- bench/keynote.py: start -->", "<!-- bench/keynote.py: end -->"
P95_MS, HELD_SHARE = 100.0, 0.95
ATTENDEES, CONNECTIONS = int(os.environ.get("BENCH_ATTENDEES", "20000")), int(os.environ.get("BENCH_CONNECTIONS",
                                                                                                  "400000"))
SESSIONS = int(os.environ.get("BENCH_SESSIONS", "3000"))
STEP_SECONDS = int(os.environ.get("BENCH_STEP_SECONDS", "30"))
RATES = [int(r) for r in os.environ.get("BENCH_RATES", "100,150,200,250,300,350").split(",")]
PER_USER = 0.5  # tasks a second per simulated phone
PEAK, UTILISATION = 300, 0.6  # scans/s of the largest conference's keynote break; cores kept this busy at most
NGINX = """
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {work}/b; proxy_temp_path {work}/p; fastcgi_temp_path {work}/f;
    uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
    include {deploy}/pln-http.conf;
    upstream pln_app {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
{locations}
    }}
}}
"""


def procfile(kind: str) -> list[str]:
    """A Procfile line's command without its VAR=value assignments (they go in the environment)."""
    line = next(raw for raw in (ROOT / "Procfile").read_text().splitlines() if raw.startswith(kind + ":"))
    return [a for a in shlex.split(line[len(kind) + 1:]) if "=" not in a.split("/")[0]]


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    binary = Path(sys.executable).parent / command[0]
    with log.open("ab") as out:
        return subprocess.Popen([str(binary) if binary.exists() else command[0], *command[1:]], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def cpu_seconds(pids) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def machine_seconds() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


class Shape:
    """One deployment shape, running: its processes by part (app, worker, nginx, redis), its database."""

    def __init__(self, name: str, database_url: str, work: Path):
        self.name, self.work, self.database_url = name, work, database_url
        self.parts: dict[str, list[subprocess.Popen]] = {"app": [], "worker": [], "nginx": [], "redis": []}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": hashlib.sha256(name.encode()).hexdigest(),
                    "DATABASE_URL": database_url, "PUBLIC_BASE_URL": self.base, "MAIL_SERVER": "127.0.0.1",
                    "TRUSTED_PROXIES": "1", "SESSION_COOKIE_SECURE": "false", "FLASK_APP": "app",
                    "TASK_QUEUE_URL": f"sqlite:///{work / 'tasks.sqlite3'}"}
        self.env.pop("FLASK_DEBUG", None)

    def launch(self) -> None:
        servers = 2 if self.name == "cluster" else 1
        if self.name == "cluster":
            redis_port = free_port()
            self.parts["redis"].append(start(["redis-server", "--port", str(redis_port), "--save", "",
                                              "--appendonly", "no"], self.env, self.work / "redis.log"))
            self.env.update(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{redis_port}/1",
                            TASK_QUEUE_URL=f"redis://127.0.0.1:{redis_port}/2", WEB_CONCURRENCY="1")
        ports = [free_port() for _ in range(servers)]
        for n, port in enumerate(ports):
            self.parts["app"].append(start([*procfile("web"), "--bind", f"127.0.0.1:{port}"], self.env,
                                           self.work / f"web-{n}.log"))
        self.parts["worker"].append(start(procfile("worker"), self.env, self.work / "worker.log"))
        deploy = ROOT / "deploy" / "nginx"
        locations = (deploy / "pln-locations.conf").read_text().replace(
            "access_log /var/log/nginx/pln-access.log pln;", "access_log off;")  # as a busy box might; see docs
        (self.work / "nginx.conf").write_text(NGINX.format(
            work=self.work, deploy=deploy, port=self.port, locations=locations,
            servers="\n".join(f"        server 127.0.0.1:{p};" for p in ports)))
        self.parts["nginx"].append(start(["nginx", "-p", str(self.work), "-c", str(self.work / "nginx.conf"),
                                          "-g", "daemon off;"], self.env, self.work / "nginx.log"))
        deadline = time.monotonic() + 90
        while True:
            try:
                if all(requests.get(f"http://127.0.0.1:{p}/healthz", timeout=2).ok for p in ports) and \
                        requests.get(self.base + "/healthz", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.name}: the servers did not answer; see {self.work}")
            time.sleep(0.3)

    def pids(self) -> dict[str, list[int]]:
        out = {part: [pid for p in procs for pid in tree(p.pid)] for part, procs in self.parts.items()}
        out["database"] = self.backends()
        return out

    def backends(self) -> list[int]:
        if not self.database_url.startswith("postgres"):
            return []
        import psycopg
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return [row[0] for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]

    def close(self) -> None:
        for part in ("nginx", "app", "worker", "redis"):
            for process in self.parts[part]:
                stop(process)


def seed_database(shape: Shape) -> dict:
    """Seed, and make the load's data: signed-in sessions (cookie, CSRF token) and every badge code."""
    os.environ.update({k: v for k, v in shape.env.items() if k in ("DATABASE_URL", "SECRET_KEY", "PUBLIC_BASE_URL")})
    from flask import session
    from flask_wtf.csrf import generate_csrf

    from bench.seed import seed
    from conference import create_app
    from conference.badges.codes import display
    from conference.extensions import db
    from conference.config import normalise_database_url
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(shape.database_url),
                      "SECRET_KEY": shape.env["SECRET_KEY"],
                      "SESSION_COOKIE_SECURE": False, "TESTING": False})
    with app.app_context():
        seeded = seed(ATTENDEES, CONNECTIONS)
        db.engine.dispose()
    serializer = app.session_interface.get_signing_serializer(app)
    sessions = []
    for attendee_id, code in seeded.attendees[:SESSIONS]:
        with app.test_request_context("/"):
            session["attendee_id"], session["_permanent"] = attendee_id, True
            token = generate_csrf()
            sessions.append({"cookie": serializer.dumps(dict(session)), "token": token, "code": display(code)})
    return {"cookie_name": app.config["SESSION_COOKIE_NAME"], "public_base": shape.base, "sessions": sessions,
            "codes": [display(code) for _, code in seeded.attendees]}


def step(shape: Shape, rate: int, datafile: Path) -> dict:
    """Hold `rate` scans a second for STEP_SECONDS; latency, failures and CPU by part."""
    tasks = rate / 0.6
    users = max(10, round(tasks / PER_USER))
    prefix = shape.work / f"locust-{rate}"
    env = {**os.environ, "KEYNOTE_DATA": str(datafile), "KEYNOTE_TASKS_PER_USER": str(PER_USER)}
    spawn_seconds = 5
    command = [str(Path(sys.executable).parent / "locust"), "-f", str(ROOT / "bench" / "keynote_locust.py"),
               "--headless", "--host", shape.base, "-u", str(users), "-r", str(users / spawn_seconds),
               "-t", f"{STEP_SECONDS + spawn_seconds}s", "--reset-stats", "--csv", str(prefix), "--only-summary",
               "--stop-timeout", "5"]
    locust = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=(shape.work / "locust.log").open("ab"),
                              start_new_session=True)
    time.sleep(spawn_seconds + 1)  # users spawned; stats were reset
    pids = shape.pids()
    before = {part: cpu_seconds(p) for part, p in pids.items()}
    load_pids = tree(locust.pid)
    before["load"], machine = cpu_seconds(load_pids), machine_seconds()
    started = time.monotonic()
    time.sleep(STEP_SECONDS - 1)
    pids = shape.pids()
    spent = {part: cpu_seconds(p) - before[part] for part, p in pids.items()}
    spent["load"] = cpu_seconds(tree(locust.pid)) - before["load"]
    spent["machine"] = machine_seconds() - machine
    seconds = time.monotonic() - started
    locust.wait(60)
    rows = {row["Name"]: row for row in csv.DictReader(open(f"{prefix}_stats.csv"))}
    total, scan = rows["Aggregated"], rows.get("scan: GET /c/<code>", {})
    failures = int(total["Failure Count"])
    done_scans = int(scan.get("Request Count") or 0) / (STEP_SECONDS + 1)  # stats span the run after the spawn
    result = {
        "rate": rate, "users": users, "scans_per_s": done_scans, "requests": int(total["Request Count"]),
        "failures": failures, "p50": float(total["50%"]), "p95": float(total["95%"]), "p99": float(total["99%"]),
        "scan_get_p95": float(scan.get("95%") or 0), "scan_post_p95": float(rows.get("scan: POST /c/<code>/save",
                                                                                     {}).get("95%") or 0),
        "cpu_ms_per_scan": {part: 1000 * s / max(1.0, done_scans * seconds) for part, s in spent.items()},
        "machine_busy": spent["machine"] / (seconds * (os.cpu_count() or 1)),
    }
    result["held"] = failures == 0 and result["p95"] <= P95_MS and done_scans >= HELD_SHARE * rate
    if failures:
        result["failure_kinds"] = [f"{r['Occurrences']}× {r['Name']}: {r['Error'][:80]}"
                                   for r in csv.DictReader(open(f"{prefix}_failures.csv"))][:3]
    print(f"{shape.name} {rate}/s: {json.dumps({k: v for k, v in result.items() if k != 'cpu_ms_per_scan'})}",
          file=sys.stderr)
    return result


def run_shape(name: str, postgres_url: str) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"keynote-{name}-"))
    url = f"sqlite:///{work / 'pln.sqlite3'}" if name == "sqlite" else postgres_url
    shape = Shape(name, url, work)
    if url.startswith("postgres"):
        reset_postgres(url)
    data = seed_database(shape)
    datafile = work / "keynote.json"
    datafile.write_text(json.dumps(data))
    shape.launch()
    steps = []
    try:
        for rate in RATES:
            steps.append(step(shape, rate, datafile))
            if not steps[-1]["held"]:
                break
    finally:
        shape.close()
    held = [s for s in steps if s["held"]]
    return {"shape": name, "steps": steps, "held": max((s["rate"] for s in held), default=0),
            "at_held": max(held, key=lambda s: s["rate"]) if held else None}


def reset_postgres(url: str) -> None:
    import psycopg
    admin, name = url.rsplit("/", 1)
    with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


LABELS = {"sqlite": "(a) one box, SQLite, the Procfile's settings (2 workers × 4 threads), worker, nginx",
          "postgres": "one box, PostgreSQL, the same settings, worker, nginx",
          "cluster": "(b) two app servers (1 worker × 4 threads each), worker, PostgreSQL, Redis, nginx"}


def markdown(results: list[dict], meta: dict) -> str:
    lines = [f"Run {meta['when']} on revision `{meta['revision']}`: `python bench/keynote.py --write-docs`.", "",
             f"Machine: {meta['machine']}. {meta['others']}", "",
             f"Data: 1 conference, {ATTENDEES:,} attendees, {CONNECTIONS:,} connections; {SESSIONS:,} of them "
             f"signed in as phones. Load: locust ({PER_USER} tasks/s per phone, constant throughput, from a second "
             f"process on the same 2 cores), mix 60 scans (GET card + save POST with a note) / 20 badge opens / "
             f"15 contacts lists / 5 offline-sync batches of 5 scans; every request from 127.0.0.1 through nginx. "
             f"Steps of {STEP_SECONDS} s; a step is held when p95 over all requests ≤ {P95_MS:.0f} ms, no request "
             f"failed and ≥ {HELD_SHARE:.0%} of the scans were done. The rate limits as shipped (sized for a venue "
             f"behind one address).", "",
             "| shape | highest scan rate held | p95 there (ms) | first step not held |", "|---|---:|---:|---|"]
    for r in results:
        failed = next((s for s in r["steps"] if not s["held"]), None)
        why = "—" if failed is None else (f"{failed['rate']}/s: p95 {failed['p95']:.0f} ms, "
                                          f"{failed['scans_per_s']:.0f} scans/s done, {failed['failures']} failures")
        p95 = f"{r['at_held']['p95']:.0f}" if r["at_held"] else "—"
        lines.append(f"| {LABELS[r['shape']]} | {r['held']}/s | {p95} | {why} |")
    lines += ["", "Every step (scans/s asked → done; latency over all requests; CPU ms per scan done, each part):", "",
              "| shape | asked | done | p50 | p95 | p99 | scan GET p95 | save p95 | failures | app | worker | "
              "database | Redis | nginx | locust | machine busy |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        for s in r["steps"]:
            c = s["cpu_ms_per_scan"]
            lines.append(f"| {r['shape']} | {s['rate']} | {s['scans_per_s']:.0f} | {s['p50']:.0f} | {s['p95']:.0f} | "
                         f"{s['p99']:.0f} | {s['scan_get_p95']:.0f} | {s['scan_post_p95']:.0f} | {s['failures']} | "
                         f"{c['app']:.2f} | {c['worker']:.2f} | {c['database']:.2f} | {c['redis']:.2f} | "
                         f"{c['nginx']:.2f} | {c['load']:.2f} | {s['machine_busy']:.0%} |")
    lines += ["", f"Cores for a {PEAK}-scans/s peak (20,000 people, the whole hall within about a minute) at "
              f"{UTILISATION:.0%} busy, from each shape's CPU per scan at its highest step held (or its first step "
              "when none was held):", "", "| shape | app | worker | database | Redis | nginx | load generator (not "
              "needed in production) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        base = r["at_held"] or r["steps"][0]
        c = base["cpu_ms_per_scan"]
        cores = {part: c[part] * PEAK / 1000 / UTILISATION for part in c}
        lines.append(f"| {r['shape']} (at {base['rate']}/s) | {cores['app']:.1f} | {cores['worker']:.1f} | "
                     f"{cores['database']:.1f} | {cores['redis']:.1f} | {cores['nginx']:.1f} | {cores['load']:.1f} |")
    return "\n".join(lines)


def write_docs(block: str) -> None:
    text = DOCS.read_text()
    wrapped = f"{BLOCK_START}\n{block}\n{BLOCK_END}"
    if BLOCK_START in text:
        text = re.sub(re.escape(BLOCK_START) + ".*?" + re.escape(BLOCK_END), lambda _: wrapped, text, flags=re.S)
    else:
        text = text.rstrip() + f"\n\n{HEADING}\n\n{wrapped}\n"  # the prose goes between them by hand
    DOCS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default="sqlite,postgres,cluster")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    postgres_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_queue")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    others = subprocess.run(["sh", "-c", "ps -eo pcpu,comm --sort=-pcpu | head -6 | tail -5"], capture_output=True,
                            text=True).stdout.split("\n")
    meta = {"when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "revision": revision(),
            "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load average before the run {load}",
            "others": "Busiest other processes when it started: "
                      + "; ".join(" ".join(o.split()) for o in others if o.strip()) + "."}
    results = [run_shape(name, postgres_url) for name in args.shapes.split(",")]
    block = markdown(results, meta)
    print(block)
    if args.write_docs:
        write_docs(block)


if __name__ == "__main__":
    main()
