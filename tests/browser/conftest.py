"""Real Chromium against the real app served from a thread on 127.0.0.1.

Chromium is Debian's (/usr/bin/chromium, or CHROMIUM_PATH). Without it these tests skip on a
person's machine, and fail in CI (CI=true), where .ci/run installs it.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from conference import create_app
from conference.extensions import db
from tests.conftest import ON_POSTGRES, DATABASE_URL, empty_database, sqlite_database, test_config
from tests.faults import fail_next_syncs

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
PHONE = {"width": 390, "height": 844}


def chromium_or_skip() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"Chromium not found at {CHROMIUM}: CI must install it (apt-get install chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped")


class LiveServer:
    """The app on a real port, in a thread; `url` is its base URL."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)


def make_live_app(tmp_path, **extra):
    """An app for a live server: a SQLite file (threads share it) or the PostgreSQL test database."""
    if ON_POSTGRES:
        url = DATABASE_URL
    else:
        path = tmp_path / "browser.sqlite3"
        sqlite_database(str(path)).close()
        url = f"sqlite:///{path}"
    app = create_app(test_config(tmp_path, SQLALCHEMY_DATABASE_URI=url, **extra))
    fail_next_syncs(app)
    return app


@pytest.fixture
def live_app(tmp_path, _schema):
    app = make_live_app(tmp_path)
    yield app
    with app.app_context():
        empty_database()
        db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture(scope="module")
def site(tmp_path_factory, _schema):
    """One live server over the catalogue's data (tests/pages.py), shared by a module's checks."""
    from tests.pages import build_world
    app = make_live_app(tmp_path_factory.mktemp("site"))
    with app.app_context():
        world = build_world()
    with LiveServer(app) as server:
        yield app, world, server
    with app.app_context():
        empty_database()
        db.engine.dispose()


@pytest.fixture(scope="session")
def playwright_instance():
    chromium_or_skip()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def phone(browser, tmp_path):
    """A fresh phone-sized browser context; downloads allowed."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  accept_downloads=True)
    yield context
    context.close()
