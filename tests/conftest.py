"""A real app on a real database: SQLite in memory by default, PostgreSQL with TEST_DATABASE_URL."""
from __future__ import annotations

import os
import sqlite3
from functools import cache

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import StaticPool

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
    """Remove every row, keeping the schema (each test starts from nothing).

    Only the tables that hold rows are emptied, children first, again while triggers leave rows
    behind; on PostgreSQL the sequences that handed out ids start over, so ids begin at 1 again.
    """
    db.session.remove()
    tables = list(reversed(db.metadata.sorted_tables))
    for _ in range(len(tables)):
        filled = _tables_with_rows(tables)
        if not filled:
            break
        for table in tables:
            if table.name in filled:
                db.session.execute(table.delete())
    else:
        raise AssertionError(f"rows keep coming back in {sorted(filled)}")
    if ON_POSTGRES:
        db.session.execute(text(_RESTART_USED_SEQUENCES), {"tables": [t.name for t in tables]})
    db.session.commit()


def _tables_with_rows(tables) -> set[str]:
    """The names of `tables` that hold at least one row, in one query."""
    query = " UNION ALL ".join(f"SELECT '{t.name}' FROM (SELECT 1 FROM \"{t.name}\" LIMIT 1) AS one"
                               for t in tables)
    return set(db.session.scalars(text(query)))


# The sequences behind the tables' id columns that have handed out a value since they last started.
_RESTART_USED_SEQUENCES = """
SELECT setval(format('%I.%I', s.schemaname, s.sequencename)::regclass, s.start_value, false)
FROM pg_sequences s
JOIN pg_namespace n ON n.nspname = s.schemaname
JOIN pg_class seq ON seq.relname = s.sequencename AND seq.relnamespace = n.oid
JOIN pg_depend d ON d.objid = seq.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class owner_table ON owner_table.oid = d.refobjid
WHERE s.last_value IS NOT NULL AND s.schemaname = current_schema() AND owner_table.relname = ANY(:tables)
"""


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


@cache
def _sqlite_schema() -> sqlite3.Connection:
    """The schema (tables, indexes, triggers) made by create_all once, in a SQLite database in memory."""
    import conference.models  # noqa: F401  (every table)
    built = sqlite3.connect(":memory:")
    engine = create_engine("sqlite://", creator=lambda: built, poolclass=StaticPool)
    db.metadata.create_all(engine)
    schema = sqlite3.connect(":memory:", check_same_thread=False)
    built.backup(schema)
    engine.dispose()
    return schema


def sqlite_database(path: str = ":memory:") -> sqlite3.Connection:
    """A SQLite database at `path` holding the empty schema, copied from the one made once."""
    database = sqlite3.connect(path, check_same_thread=False)
    _sqlite_schema().backup(database)
    return database


def empty_schema() -> dict:
    """Config for an app on the empty schema: the PostgreSQL test database (emptied after each test),
    or, on SQLite, a database in memory of the app's own."""
    return {} if ON_POSTGRES else {"SQLALCHEMY_ENGINE_OPTIONS": {"creator": sqlite_database}}


@pytest.fixture
def app(tmp_path, _schema):
    app = create_app(test_config(tmp_path, **empty_schema()))
    fail_next_syncs(app)
    with app.app_context():
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
