"""No live secret in any log: mail is logged as sent (address masked), never its body; the access log
writes sign-in tokens as [redacted]."""
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conference import create_app
from conference.auth.operations import issue_sign_in_token
from conference.extensions import db
from conference.gunicorn_logging import redact
from conference.mail import deliver
from tests.conftest import test_config
from tests.factories import make_attendee, make_conference

ROOT = Path(__file__).resolve().parent.parent


def test_a_sign_in_mail_is_logged_as_sent_without_its_link_at_any_level(client, app, outbox, caplog):
    make_attendee(make_conference(), email="ana@school.example.org")
    with caplog.at_level(logging.DEBUG):
        client.post("/signin", data={"email": "ana@school.example.org"})
    body = outbox()[-1].get_body().get_content()
    token = re.search(r"/signin/(\S+)", body).group(1)
    assert token not in caplog.text and "/signin/" not in caplog.text
    assert "ana@school.example.org" not in caplog.text
    sent = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Mail sent to")]
    assert sent == ["Mail sent to a…@school.example.org (development outbox): Your sign-in link for "
                    "Pre-K–8 Principals Conference"]


def test_production_never_writes_mail_into_an_outbox_folder(tmp_path):
    app = create_app(test_config(tmp_path, TESTING=False, APP_ENV="production", MAIL_SERVER=""))
    with app.app_context(), pytest.raises(RuntimeError, match="MAIL_SERVER"):
        deliver("ana@school.example.org", "Your sign-in link", "https://pln.example.org/signin/secret")
    assert not (tmp_path / "outbox").exists()


def test_redact_removes_tokens_from_paths_and_nothing_else():
    assert redact('POST /signin/Ab_c-9?x=1 HTTP/1.1') == 'POST /signin/[redacted]?x=1 HTTP/1.1'
    assert redact("https://pln.example.org/signin/Ab_c-9") == "https://pln.example.org/signin/[redacted]"
    assert redact("GET /signin?next=/me/contacts HTTP/1.1") == "GET /signin?next=/me/contacts HTTP/1.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorns_access_log_holds_no_sign_in_token(tmp_path):
    """A real gunicorn (gunicorn.conf.py, as the Procfile starts it) writing its access log to a file."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    database = f"sqlite:///{tmp_path / 'logs.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database, "SECRET_KEY": "log-test-secret", "PUBLIC_BASE_URL": base,
           "MAIL_OUTBOX": str(tmp_path / "outbox"), "TASKS_IMMEDIATE": "true", "WEB_CONCURRENCY": "1",
           "GUNICORN_THREADS": "2"}
    env.pop("APP_ENV", None)
    app = create_app(test_config(tmp_path, SQLALCHEMY_DATABASE_URI=database))
    with app.app_context():
        db.create_all()
        ana = make_attendee(make_conference(), email="ana@school.example.org")
        token = issue_sign_in_token(ana, 15)
        db.session.commit()
        db.engine.dispose()
    access_log = tmp_path / "access.log"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(access_log), "app:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(300):
            assert server.poll() is None, server.stderr.read().decode()
            try:
                requests.get(base + "/healthz", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.1)
        browser = requests.Session()
        page = browser.get(f"{base}/signin/{token}", timeout=10)
        assert page.status_code == 200 and "Sign in as" in page.text
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
        done = browser.post(f"{base}/signin/{token}", data={"csrf_token": csrf}, timeout=10,
                            headers={"Referer": f"{base}/signin/{token}"})
        assert done.status_code == 200 and done.url == base + "/me/badge"  # signed in, followed the redirect
        for _ in range(50):  # gunicorn writes the line after the response
            if access_log.exists() and access_log.read_text().count("/signin/[redacted]") >= 3:
                break
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(10)
    lines = access_log.read_text()
    assert token not in lines
    assert lines.count("GET /signin/[redacted]") == 1 and lines.count("POST /signin/[redacted]") == 1
    assert "GET /me/badge" in lines
