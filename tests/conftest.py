"""A real app on a real database: SQLite in memory by default, PostgreSQL with TEST_DATABASE_URL."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from conference import create_app
from conference.config import normalise_database_url
from conference.extensions import db
from tests.faults import fail_next_syncs

DATABASE_URL = normalise_database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
ON_POSTGRES = DATABASE_URL.startswith("postgresql")


def test_config(tmp_path, **extra) -> dict:
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": DATABASE_URL, "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False, "MAIL_SERVER": "", "MAIL_OUTBOX": str(tmp_path / "outbox"),
            "PUBLIC_BASE_URL": "https://pln.example.org",
            "RATELIMIT_ENABLED": False,  # tests/test_rate_limits.py turns them on
            **extra}


test_config.__test__ = False  # a helper, not a test, wherever it is imported


def require_redis(url: str) -> None:
    """Skip a test that needs the Redis at `url` when it does not answer; under CI, fail instead."""
    import redis
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"no Redis answers at {url}: CI runs every Redis test")
        pytest.skip(f"no Redis at {url}")


def empty_database() -> None:
    """Remove every row, keeping the schema (each test starts from nothing)."""
    db.session.remove()
    tables = list(reversed(db.metadata.sorted_tables))
    if ON_POSTGRES:
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(scope="session")
def _schema(tmp_path_factory):
    """On PostgreSQL, build the schema once per run from the models."""
    if ON_POSTGRES:
        app = create_app(test_config(tmp_path_factory.mktemp("schema")))
        with app.app_context():
            db.drop_all()
            db.create_all()
            db.session.remove()
            db.engine.dispose()
    yield


@pytest.fixture
def app(tmp_path, _schema):
    app = create_app(test_config(tmp_path))
    fail_next_syncs(app)
    with app.app_context():
        if not ON_POSTGRES:
            db.create_all()
        yield app
        empty_database()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def outbox(app):
    from conference.mail import outbox_messages
    return lambda: outbox_messages(app.config["MAIL_OUTBOX"])
