"""Rate limits on a real Redis: shared between app servers, and pages still served when Redis goes away.

The shared Redis at 127.0.0.1:6379 is used at db TEST_REDIS_DB_LIMITS (5 unless set). Tests that
stop Redis start their own redis-server on a free port and stop only that one.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conference import create_app
from conference.badges.codes import display
from conference.extensions import db
from tests.conftest import test_config
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.test_join import join_form
from tests.test_rate_limits import random_code, tries_until_refused

ROOT = Path(__file__).resolve().parent.parent
SHARED_REDIS = f"redis://127.0.0.1:6379/{os.environ.get('TEST_REDIS_DB_LIMITS', '5')}"
REDIS_SERVER = shutil.which("redis-server")


def redis_client(url: str):
    import redis
    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)


def reachable(url: str) -> bool:
    import redis
    try:
        return bool(redis_client(url).ping())
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own, on a free port, that the test may stop and start again."""

    def __init__(self, tmp_path: Path):
        self.port, self.dir = free_port(), tmp_path
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not reachable(self.url):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        assert not reachable(self.url)


def _redis_server_or_skip() -> None:
    if REDIS_SERVER is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        pytest.skip("redis-server is not installed")


@pytest.fixture
def private_redis(tmp_path):
    _redis_server_or_skip()
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def shared_redis(tmp_path):
    """The shared Redis at this branch's db number, or (where none runs) a private one."""
    if reachable(SHARED_REDIS):
        redis_client(SHARED_REDIS).flushdb()
        yield SHARED_REDIS
        redis_client(SHARED_REDIS).flushdb()
        return
    _redis_server_or_skip()
    server = PrivateRedis(tmp_path)
    server.start()
    yield server.url
    server.stop()


SERVER = """
import json, os, sys
from werkzeug.serving import make_server
from conference import create_app
app = create_app(json.loads(os.environ["APP_OVERRIDES"]))
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


class AppServer:
    """create_app() in a process of its own, served on a free port: one of several app servers."""

    def __init__(self, overrides: dict, log: Path | None = None):
        env = {**os.environ, "APP_OVERRIDES": json.dumps(overrides), "PYTHONPATH": str(ROOT)}
        self.log = log
        self.process = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=open(log, "wb") if log else subprocess.DEVNULL, text=True)
        self.port = int(self.process.stdout.readline())

    def request(self, method: str, path: str, cookie: str | None = None, form: dict | None = None,
                body: dict | None = None) -> int:
        """The status of one request (redirects are not followed)."""
        import http.client
        from urllib.parse import urlencode
        headers = {"Cookie": cookie} if cookie else {}
        data = None
        if form is not None:
            data, headers["Content-Type"] = urlencode(form, doseq=True), "application/x-www-form-urlencoded"
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body), "application/json"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=data, headers=headers)
            return connection.getresponse().status
        finally:
            connection.close()

    def get(self, path: str, cookie: str | None = None) -> int:
        return self.request("GET", path, cookie)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def cluster_settings(tmp_path: Path, storage: str, **extra) -> tuple[dict, dict]:
    """Settings for app servers on one SQLite file with a conference in it, and what the test needs of it."""
    settings = test_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'cluster.sqlite3'}",
                           RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=storage, **extra)
    app = create_app({**settings, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        conference = make_conference()
        me, them = make_attendee(conference), make_attendee(conference)
        serializer = app.session_interface.get_signing_serializer(app)
        facts = dict(slug=conference.slug, code=display(them.badge_code), email=me.email,
                     cookie=f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps({'attendee_id': me.id})}",
                     join=join_form(conference, email="new@school.example.org"))
        db.engine.dispose()
    return settings, facts


def test_two_app_servers_on_one_redis_share_the_limits(tmp_path, shared_redis):
    """Two servers, each its own process built with create_app on the same Redis db: a guesser
    sent to either by the load balancer is stopped after the one budget, not after two."""
    settings, facts = cluster_settings(tmp_path, shared_redis, RATELIMIT_BADGE_MISSES_PER_IP="6 per minute")
    card, signed_in = f"/c/{facts['code']}", facts["cookie"]
    servers = [AppServer(settings), AppServer(settings)]
    try:
        a, b = servers
        # Signed in: ten misses a minute for the person, wherever they land.
        for n in range(10):
            assert (a if n % 2 else b).get(f"/c/{random_code()}", signed_in) == 404
        assert a.get(card, signed_in) == 429 and b.get(card, signed_in) == 429
        # Signed out without cookies (every request a new phone): six misses a minute for the address.
        for n in range(6):
            assert (a if n % 2 else b).get(f"/c/{random_code()}") == 404
        assert a.get(f"/c/{random_code()}") == 429 and b.get(card) == 429
        assert any(b"LIMITER/pln/" in key for key in redis_client(shared_redis).keys())
    finally:
        for server in servers:
            server.stop()


def test_redis_unreachable_at_start_up_still_serves_every_page(tmp_path):
    """A server started while its Redis is down serves every limited route, and says so in its log."""
    settings, facts = cluster_settings(tmp_path, f"redis://127.0.0.1:{free_port()}/0")
    server = AppServer(settings, log=tmp_path / "server.log")
    try:
        code, cookie = facts["code"], facts["cookie"]
        answers = {
            "card, cold": server.get(f"/c/{code}"),
            "card": server.get(f"/c/{code}", cookie),
            "card, a typo": server.get(f"/c/{random_code()}", cookie),
            "typed code": server.get(f"/code?code={code}", cookie),
            "save from the card": server.request("POST", f"/c/{code}/save", cookie, form={"note": "met"}),
            "scanner card": server.get(f"/scan/card?code={code}", cookie),
            "scanner save": server.request("POST", "/scan/save", cookie, form={"code": code, "uuid": str(uuid.uuid4())}),
            "sync": server.request("POST", "/scan/sync", cookie, body={"scans": [
                {"uuid": str(uuid.uuid4()), "text": code, "note": ""},
                {"uuid": str(uuid.uuid4()), "text": random_code(), "note": ""}]}),
            "sign-in page": server.get("/signin"),
            "sign-in request": server.request("POST", "/signin", form={"email": facts["email"]}),
            "join": server.request("POST", f"/{facts['slug']}/join", form=facts["join"]),
        }
        assert answers == EVERY_ROUTE_ANSWERS
    finally:
        server.stop()
    assert "Rate limit storage unreachable" in (tmp_path / "server.log").read_text()


def test_redis_stopped_mid_test_pages_still_answer_and_limits_count_in_memory(tmp_path, _schema, private_redis,
                                                                            caplog):
    app = create_app(test_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=private_redis.url))
    with app.app_context():
        _create_tables()
        conference = make_conference()
        me = make_attendee(conference)
        guesser = app.test_client()
        sign_in_as(guesser, me)
        for _ in range(3):
            assert guesser.get(f"/c/{random_code()}").status_code == 404
        assert redis_client(private_redis.url).keys("*LIMITER/pln/attendee:*badge-misses*")

        private_redis.stop()
        with caplog.at_level(logging.WARNING, logger="flask-limiter"):
            _every_limited_route_answers(app, conference)
            # Counted in this process's memory meanwhile: a guesser is still stopped.
            assert tries_until_refused(lambda _: guesser.get(f"/c/{random_code()}")) == 11
        assert "falling back to in-memory storage" in caplog.text

        private_redis.start()  # back again (empty): after a short wait the limits count in Redis once more
        phones = app.test_client(use_cookies=False)  # signed-out typos, counted for the address
        deadline = time.monotonic() + 40
        while not redis_client(private_redis.url).keys("*LIMITER/pln/ip:*"):
            assert time.monotonic() < deadline, "the limits never went back to Redis"
            assert phones.get(f"/c/{random_code()}").status_code == 404
            time.sleep(0.25)
        _empty()


def _create_tables() -> None:
    from tests.conftest import ON_POSTGRES
    if not ON_POSTGRES:
        db.create_all()


def _empty() -> None:
    from tests.conftest import empty_database
    empty_database()
    db.engine.dispose()


EVERY_ROUTE_ANSWERS = {"card, cold": 200, "card": 200, "card, a typo": 404, "typed code": 303,
                       "save from the card": 303, "scanner card": 200, "scanner save": 303, "sync": 200,
                       "sign-in page": 200, "sign-in request": 200, "join": 303}


def _every_limited_route_answers(app, conference) -> None:
    """Every route with a limit, signed in and out, answers as it would with the limits' store up."""
    them, me = make_attendee(conference), make_attendee(conference)
    code = display(them.badge_code)
    cold, signed_in = app.test_client(), app.test_client()
    sign_in_as(signed_in, me)
    answers = {
        "card, cold": cold.get(f"/c/{code}").status_code,
        "card": signed_in.get(f"/c/{code}").status_code,
        "card, a typo": signed_in.get(f"/c/{random_code()}").status_code,
        "typed code": signed_in.get("/code", query_string={"code": code}).status_code,
        "save from the card": signed_in.post(f"/c/{code}/save", data={"note": "met"}).status_code,
        "scanner card": signed_in.get("/scan/card", query_string={"code": code}).status_code,
        "scanner save": signed_in.post("/scan/save", data={"code": code, "uuid": str(uuid.uuid4())}).status_code,
        "sync": signed_in.post("/scan/sync", json={"scans": [
            {"uuid": str(uuid.uuid4()), "text": code, "note": ""},
            {"uuid": str(uuid.uuid4()), "text": random_code(), "note": ""}]}).status_code,
        "sign-in page": cold.get("/signin").status_code,
        "sign-in request": cold.post("/signin", data={"email": me.email}).status_code,
        "join": cold.post(f"/{conference.slug}/join",
                          data=join_form(conference, email=f"{uuid.uuid4().hex}@school.example.org")).status_code,
    }
    assert answers == EVERY_ROUTE_ANSWERS
