"""The cluster shape of docs/deploy.md, for real: two app servers (gunicorn) from two copies of the
repository with their own instance folders, one worker, nginx on loopback with deploy/nginx's files,
the local PostgreSQL (a database of its own) and a private Redis started here, so it can be stopped.

`make test-cluster` runs it (CI does, once); plain `make test` skips it. Redis db numbers:
CLUSTER_REDIS_DB_LIMITS (1) and CLUSTER_REDIS_DB_QUEUE (2) on the private server.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from conference.config import normalise_database_url
from conference.ratelimits import DEFAULTS
from tests.test_digest import FakeSMTPHandler

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get("CLUSTER_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "test_cluster_queue"
LIMITS_DB = os.environ.get("CLUSTER_REDIS_DB_LIMITS", "1")
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")  # a badge code as a person reads it
QUEUE_DB = os.environ.get("CLUSTER_REDIS_DB_QUEUE", "2")

pytestmark = pytest.mark.skipif(not os.environ.get("CLUSTER_TEST"), reason="the cluster test: make test-cluster")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, seconds: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = check()
        except (requests.RequestException, OSError):
            found = None
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"gave up waiting for {what}")


def copy_checkout(destination: Path) -> Path:
    """The repository's files (as committed or being edited) in a folder of their own, without instance/."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


class Process:
    """A child process with its output in a log file; started again with the same command."""

    def __init__(self, name: str, command: list[str], cwd: Path, env: dict, logs: Path):
        self.name, self.command, self.cwd, self.env, self.log = name, command, cwd, env, logs / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Process":
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def kill(self) -> None:
        """SIGKILL to the whole process group: nothing gets to finish what it was doing."""
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


NGINX_CONF = """
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {work}/nginx-body; proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fastcgi; uwsgi_temp_path {work}/nginx-uwsgi; scgi_temp_path {work}/nginx-scgi;
    include {deploy}/pln-http.conf;
    upstream pln_app {{
        server 127.0.0.1:{a} max_fails=0;
        server 127.0.0.1:{b} max_fails=0;
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        add_header X-Upstream $upstream_addr always;   # which server answered (this test only)
{locations}
    }}
}}
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    work = tmp_path_factory.mktemp("cluster")
    logs = work / "logs"
    logs.mkdir()
    processes: list[Process] = []
    admin = create_engine(normalise_database_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeSMTPHandler)
    smtp.daemon_threads, smtp.received, smtp.refuse = True, [], None
    threading.Thread(target=smtp.serve_forever, daemon=True).start()
    redis_port, nginx_port, ports = free_port(), free_port(), {"a": free_port(), "b": free_port()}
    redis = Process("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], work, dict(os.environ), logs)
    processes.append(redis.start())
    base = f"http://127.0.0.1:{nginx_port}"
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "PUBLIC_BASE_URL": base,
           "DATABASE_URL": ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE,
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.server_address[1]), "MAIL_USE_TLS": "false",
           "SESSION_COOKIE_SECURE": "false", "TRUSTED_PROXIES": "1",
           "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}/{LIMITS_DB}",
           "TASK_QUEUE_URL": f"redis://127.0.0.1:{redis_port}/{QUEUE_DB}",
           "BADGE_JOB_STALLED_SECONDS": "3", "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "4", "FLASK_APP": "app"}
    env.pop("CI", None)
    bin_dir = Path(sys.executable).parent
    checkouts = {name: copy_checkout(work / name) for name in ("a", "b")}
    release = subprocess.run([str(bin_dir / "flask"), "db", "upgrade"], cwd=checkouts["a"], env=env,
                             capture_output=True, text=True)
    assert release.returncode == 0, release.stderr
    seeded = subprocess.run([str(bin_dir / "flask"), "seed-demo", "--count", "400"], cwd=checkouts["a"], env=env,
                            capture_output=True, text=True)
    assert seeded.returncode == 0, seeded.stderr
    links = re.findall(rf"{re.escape(base)}(/signin/\S+)", seeded.stdout)
    servers = {}
    for name, checkout in checkouts.items():
        servers[name] = Process(f"web-{name}", [str(bin_dir / "gunicorn"), "app:app", "-b",
                                                f"127.0.0.1:{ports[name]}"], checkout, env, logs)
        processes.append(servers[name].start())
    worker = Process("worker", [str(bin_dir / "flask"), "worker", "--workers", "2"], checkouts["a"], env, logs)
    processes.append(worker.start())
    deploy = ROOT / "deploy" / "nginx"
    locations = (deploy / "pln-locations.conf").read_text().replace("/var/log/nginx/pln-access.log",
                                                                    str(work / "access.log"))
    (work / "nginx.conf").write_text(NGINX_CONF.format(work=work, deploy=deploy, port=nginx_port, locations=locations,
                                                       **ports))
    nginx = Process("nginx", ["nginx", "-p", str(work), "-c", str(work / "nginx.conf"), "-g", "daemon off;"],
                    work, dict(os.environ), logs)
    processes.append(nginx.start())
    for name in ports:
        wait_for(lambda: requests.get(f"http://127.0.0.1:{ports[name]}/healthz", timeout=2).ok, 60,
                 f"server {name}")
    wait_for(lambda: requests.get(base + "/healthz", timeout=2).ok, 30, "nginx")
    yield {"base": base, "links": links, "servers": servers, "worker": worker, "redis": redis, "work": work,
           "ports": ports, "checkouts": checkouts, "env": env, "smtp": smtp}
    for process in reversed(processes):
        process.stop()
    smtp.shutdown()
    admin.dispose()


def upstream(response: requests.Response, cluster) -> str:
    port = int(response.headers["X-Upstream"].rsplit(":", 1)[1].split(",")[0])
    return {v: k for k, v in cluster["ports"].items()}[port]


def csrf(page: requests.Response) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def sign_in(cluster, link: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(cluster["base"] + link, timeout=10)
    assert page.status_code == 200, page.text[:500]
    done = browser.post(cluster["base"] + link, data={"csrf_token": csrf(page)}, timeout=10)
    assert done.status_code == 200 and done.history and done.history[0].status_code == 303, done.text[:500]
    return browser


def test_signed_in_on_one_server_and_used_on_the_other(cluster):
    browser = sign_in(cluster, cluster["links"][0])
    answered = set()
    for _ in range(4):
        badge = browser.get(cluster["base"] + "/me/badge", timeout=10)
        assert badge.status_code == 200 and not badge.history and CODE.search(badge.text)
        answered.add(upstream(badge, cluster))
    assert answered == {"a", "b"}
    log = (cluster["work"] / "access.log").read_text()
    token = cluster["links"][0].rsplit("/", 1)[1]
    assert token not in log and "/signin/[token]" in log


def test_a_rate_limit_counted_on_one_server_applies_on_the_other(cluster):
    """Codes that find nobody, per signed-in attendee, counted in Redis by both servers."""
    browser = sign_in(cluster, cluster["links"][1])
    allowed = int(DEFAULTS["RATELIMIT_BADGE_MISSES"].split()[0])
    answered, statuses = set(), []
    for n in range(allowed + 2):
        response = browser.get(f"{cluster['base']}/c/ZZZZ-ZZZZ-ZZ{n:02d}", timeout=10)
        statuses.append(response.status_code)
        answered.add(upstream(response, cluster))
    assert answered == {"a", "b"}
    assert 429 in statuses and statuses.index(429) == allowed, statuses  # counted once, not once per server


def organizer(cluster) -> tuple[requests.Session, str]:
    if "organizer" not in cluster:
        browser = sign_in(cluster, cluster["links"][-1])
        slug = re.search(r'href="/organize/([^/"]+)/', browser.get(cluster["base"] + "/organize/", timeout=10).text
                         ).group(1)
        cluster["organizer"] = (browser, slug)
    return cluster["organizer"]


def start_badges(cluster) -> str:
    browser, slug = organizer(cluster)
    page = browser.get(f"{cluster['base']}/organize/{slug}/badges", timeout=10)
    made = browser.post(f"{cluster['base']}/organize/{slug}/badges", allow_redirects=False, timeout=10,
                        data={"csrf_token": csrf(page), "which": "all", "layout": "sheet"})
    assert made.status_code == 303, made.text[:500]
    return cluster["base"] + made.headers["Location"]


def job_state(cluster, job_url: str) -> str:
    browser, _ = organizer(cluster)
    page = browser.get(job_url, timeout=10).text
    if "badges are ready" in page:
        return "done"
    if "Making this PDF failed" in page:
        return "failed"
    made = re.search(r"Making badges: ([\d,]+) of", page)
    return f"running {made.group(1)}" if made else "waiting"


def test_a_badge_pdf_started_on_one_server_downloads_from_the_other(cluster):
    job_url = start_badges(cluster)
    wait_for(lambda: job_state(cluster, job_url) == "done", 120, "the badge PDF")
    browser, _ = organizer(cluster)
    answered = set()
    for _ in range(2):
        pdf = browser.get(job_url + ".pdf", timeout=30)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        answered.add(upstream(pdf, cluster))
    assert answered == {"a", "b"}


def test_a_web_server_killed_mid_job_and_restarted_the_job_still_finishes(cluster):
    job_url = start_badges(cluster)
    wait_for(lambda: job_state(cluster, job_url).startswith("running"), 60, "the job to start")
    server = cluster["servers"]["a"]
    server.kill()
    server.start()
    wait_for(lambda: requests.get(f"http://127.0.0.1:{cluster['ports']['a']}/healthz", timeout=2).ok, 60,
             "server a again")
    wait_for(lambda: job_state(cluster, job_url) == "done", 120, "the job to finish")


def test_a_worker_killed_mid_job_has_the_job_started_again(cluster):
    job_url = start_badges(cluster)
    wait_for(lambda: job_state(cluster, job_url).startswith("running"), 60, "the job to start", every=0.05)
    worker = cluster["worker"]
    worker.kill()  # the row says running; nobody is making it
    assert job_state(cluster, job_url) != "done"
    worker.start()
    # The worker's minute task sees the job stalled (BADGE_JOB_STALLED_SECONDS) and starts it again.
    assert wait_for(lambda: job_state(cluster, job_url) in ("done", "failed") and job_state(cluster, job_url),
                    150, "the job to be started again", every=1) == "done"


def test_a_release_change_on_one_server_never_mixes_asset_bytes(cluster):
    old_page = wait_for(lambda: (r := requests.get(cluster["base"] + "/", timeout=10)).ok
                        and upstream(r, cluster) == "a" and r, 10, "a page from server a", every=0)
    old_css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', old_page.text).group(1)
    old_bytes = requests.get(cluster["base"] + old_css, timeout=10).content
    css = cluster["checkouts"]["b"] / "static" / "app.css"
    css.write_text(css.read_text() + "\n/* the next release */\n")
    server = cluster["servers"]["b"]
    server.stop()
    server.start()
    wait_for(lambda: requests.get(f"http://127.0.0.1:{cluster['ports']['b']}/healthz", timeout=2).ok, 60,
             "server b on the new release")
    new_page = wait_for(lambda: (r := requests.get(cluster["base"] + "/", timeout=10)).ok
                        and upstream(r, cluster) == "b" and r, 10, "a page from server b", every=0)
    new_css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', new_page.text).group(1)
    assert new_css != old_css
    for url, expected in ((new_css, css.read_bytes()), (old_css, old_bytes)):
        for _ in range(6):  # round robin: each server is asked first three times
            response = requests.get(cluster["base"] + url, timeout=10)
            assert response.status_code == 200 and response.content == expected, url
            assert "immutable" in response.headers["Cache-Control"]
    workers = {re.search(r"var VERSION = (.+);", requests.get(cluster["base"] + "/sw.js", timeout=10).text).group(1)
               for _ in range(4)}
    assert len(workers) == 2  # each release hands out its own service worker, with its own version


def test_with_redis_stopped_pages_still_answer(cluster):
    """Last: it stops the private Redis (limits fail open; the queue waits for it to come back)."""
    browser = sign_in(cluster, cluster["links"][2])
    code = CODE.search(browser.get(cluster["base"] + "/me/badge", timeout=10).text).group(0)
    email = browser.get(cluster["base"] + "/me/data.json", timeout=10).json()["profile"]["email"]
    cluster["redis"].stop()
    received = len(cluster["smtp"].received)
    for _ in range(2):  # both servers
        for path in ("/", "/me/badge", "/me/contacts", f"/c/{code}", "/signin", "/scan"):
            response = browser.get(cluster["base"] + path, timeout=15)
            assert response.status_code == 200, (path, response.status_code, upstream(response, cluster))
        page = browser.get(cluster["base"] + "/signin", timeout=15)
        sent = browser.post(cluster["base"] + "/signin", data={"csrf_token": csrf(page), "email": email},
                            timeout=15)
        assert sent.status_code == 200, sent.status_code
    assert len(cluster["smtp"].received) == received + 2  # with the queue down, sent at once
    assert requests.get(cluster["base"] + "/healthz", timeout=10).status_code == 503
