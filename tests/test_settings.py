"""Production settings: a refused start names what is missing; key rotation; the pool; /healthz; asset hashes."""
from __future__ import annotations

import os
import re

import pytest

from conference import create_app
from conference.config import PRODUCTION_NEEDS, ConfigError, engine_options, from_environment
from tests.conftest import require_redis, test_config
from tests.factories import make_attendee, make_conference, sign_in_as

REDIS_URL = f"redis://127.0.0.1:6379/{os.environ.get('TEST_REDIS_DB', '1')}"
PRODUCTION = {"APP_ENV": "production", "SECRET_KEY": "a-long-random-key", "PUBLIC_BASE_URL": "https://pln.example.org",
              "DATABASE_URL": "postgresql://pln@db.internal/pln", "MAIL_SERVER": "smtp.example.org"}


@pytest.fixture
def environment(monkeypatch):
    """os.environ with none of the production variables set; returns a setter."""
    for name in (*PRODUCTION, "SECRET_KEY_FALLBACKS", "DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW",
                 "DATABASE_POOL_PRE_PING", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)

    def set_environment(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)
    return set_environment


@pytest.mark.parametrize("missing", PRODUCTION_NEEDS)
def test_production_refuses_to_start_without_each_variable(environment, tmp_path, missing):
    environment(**{k: v for k, v in PRODUCTION.items() if k != missing})
    with pytest.raises(ConfigError) as refused:
        create_app()
    assert re.search(rf"\b{missing}\b", str(refused.value))
    assert [name for name in PRODUCTION_NEEDS if re.search(rf"\b{name}\b", str(refused.value))] == [missing]


def test_production_names_every_missing_variable_in_one_message(environment, tmp_path):
    environment(APP_ENV="production", SECRET_KEY="  ")  # blank counts as missing
    with pytest.raises(ConfigError, match="APP_ENV=production needs SECRET_KEY, DATABASE_URL, PUBLIC_BASE_URL, "
                                          "MAIL_SERVER: set them in the environment"):
        from_environment(str(tmp_path))
    assert not (tmp_path / "secret_key").exists()  # nothing was made up in their place


def test_production_starts_with_everything_set_and_development_needs_nothing(environment, tmp_path):
    environment(**PRODUCTION)
    config = from_environment(str(tmp_path))
    assert config["APP_ENV"] == "production" and config["SECRET_KEY"] == "a-long-random-key"
    environment(APP_ENV="development", SECRET_KEY="", DATABASE_URL="", PUBLIC_BASE_URL="", MAIL_SERVER="")
    assert from_environment(str(tmp_path))["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_old_keys_keep_sessions_signed_in_while_the_new_key_takes_over(environment, app, client):
    environment(SECRET_KEY_FALLBACKS="old-one, older-one,")
    assert from_environment(app.instance_path)["SECRET_KEY_FALLBACKS"] == ["old-one", "older-one"]
    me = make_attendee(make_conference())
    app.config["SECRET_KEY"] = "old-one"
    sign_in_as(client, me)
    assert client.get("/me/badge").status_code == 200
    app.config.update(SECRET_KEY="the-new-key", SECRET_KEY_FALLBACKS=["old-one"])
    assert client.get("/me/badge").status_code == 200
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/me/badge").status_code == 302  # signed with a key nobody accepts any more


def test_the_connection_pool_comes_from_the_environment(environment, tmp_path):
    postgres = "postgresql://pln@db.internal/pln"
    assert engine_options(postgres, {}) == {"pool_recycle": 1800, "pool_size": 4, "max_overflow": 2}
    assert engine_options(postgres, {"GUNICORN_THREADS": "8"})["pool_size"] == 8
    assert engine_options(postgres, {"DATABASE_POOL_SIZE": "3", "DATABASE_MAX_OVERFLOW": "0",
                                     "DATABASE_POOL_PRE_PING": "true"}) == {
        "pool_recycle": 1800, "pool_size": 3, "max_overflow": 0, "pool_pre_ping": True}
    assert engine_options("sqlite:///x.sqlite3", {"DATABASE_POOL_SIZE": "3"}) == {"pool_recycle": 1800}
    environment(DATABASE_URL=postgres, DATABASE_POOL_SIZE="3", DATABASE_MAX_OVERFLOW="1")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret"})
    with app.app_context():
        from conference.extensions import db
        assert (db.engine.pool.size(), db.engine.pool._max_overflow) == (3, 1)


def test_healthz_answers_ok_and_nothing_else(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"ok": True}
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers



def test_healthz_checks_the_configured_redis(tmp_path):
    require_redis(REDIS_URL)
    up = create_app(test_config(tmp_path, RATELIMIT_STORAGE_URI=REDIS_URL)).test_client()
    assert up.get("/healthz").status_code == 200
    down = create_app(test_config(tmp_path, TASK_QUEUE_URL="redis://127.0.0.1:1/0"))
    response = down.test_client().get("/healthz")
    assert response.status_code == 503 and response.json == {"ok": False}
    create_app(test_config(tmp_path))  # later tests run tasks on the default queue again


def test_healthz_says_503_when_the_database_does_not_answer(tmp_path):
    app = create_app(test_config(tmp_path, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/none"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json == {"ok": False}
    assert "127.0.0.1:1" not in response.text and "database" not in response.text


def test_a_static_url_is_served_only_with_its_own_hash(client, app):
    page = client.get("/")
    url = re.search(r'href="(/static/app\.css\?v=([0-9a-f]{10}))"', page.text).group(1)
    ours = client.get(url)
    assert ours.status_code == 200
    assert {"public", "immutable", "max-age=31536000"} <= set(ours.headers["Cache-Control"].replace(" ", "").split(","))
    other_release = client.get("/static/app.css?v=0123456789")
    assert other_release.status_code == 404 and other_release.headers["Cache-Control"] == "no-store"
    plain = client.get("/static/app.css")
    assert plain.status_code == 200 and plain.data == ours.data
    assert "no-cache" in plain.headers["Cache-Control"] and "31536000" not in plain.headers["Cache-Control"]
    assert client.get("/static/no-such-file.css?v=0123456789").status_code == 404


def test_the_service_worker_version_follows_the_static_files(tmp_path):
    from conference.assets import build_manifest, release_version
    static = tmp_path / "static"
    static.mkdir()
    (static / "app.css").write_text("body { color: black }")
    app = create_app(test_config(tmp_path))
    app.extensions["assets"] = build_manifest(static)
    before = release_version(app)
    (static / "app.css").write_text("body { color: navy }")
    app.extensions["assets"] = build_manifest(static)
    assert release_version(app) != before
    served = create_app(test_config(tmp_path)).test_client().get("/sw.js").text
    assert f"var VERSION = \"{release_version(create_app(test_config(tmp_path)))}\";" in served
