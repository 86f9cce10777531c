"""Configuration read from the environment, with safe defaults for a laptop."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from limits import parse_many


def normalise_database_url(url: str) -> str:
    """Point postgres URLs at psycopg 3, whatever spelling the host gave us."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def development_secret_key(instance_path: str) -> str:
    """A key generated once into the instance folder, so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


# Without these a production server would quietly make its own key, database or outbox: sessions
# from one server failing on another, data in a private SQLite file, sign-in mail in a folder.
PRODUCTION_NEEDS = ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL", "MAIL_SERVER")


class ConfigError(RuntimeError):
    """The environment is not fit to start in; the message names what to set."""


def check_production(env: Mapping[str, str]) -> None:
    """With APP_ENV=production, refuse to start unless every PRODUCTION_NEEDS variable is set."""
    if (env.get("APP_ENV") or "").strip().lower() != "production":
        return
    missing = [name for name in PRODUCTION_NEEDS if not (env.get(name) or "").strip()]
    if missing:
        raise ConfigError(f"APP_ENV=production needs {', '.join(missing)}: set "
                          f"{'it' if len(missing) == 1 else 'them'} in the environment (see docs/deploy.md).")


def engine_options(database_url: str, env: Mapping[str, str]) -> dict:
    """SQLAlchemy's pool: per process, DATABASE_POOL_SIZE connections kept open and up to
    DATABASE_MAX_OVERFLOW more at busy moments (docs/deploy.md sums them against PostgreSQL's
    max_connections). Recycling old connections instead of pinging before each request saves a
    round trip per request; DATABASE_POOL_PRE_PING=true pings anyway (a proxy that drops idle links)."""
    options: dict = {"pool_recycle": 1800}
    if not database_url.startswith("sqlite"):  # SQLite's in-memory pools take no sizes
        threads = int(env.get("GUNICORN_THREADS") or 4)  # a request holds one connection at a time
        options["pool_size"] = int(env.get("DATABASE_POOL_SIZE") or threads)
        options["max_overflow"] = int(env.get("DATABASE_MAX_OVERFLOW") or 2)
    if _flag(env.get("DATABASE_POOL_PRE_PING")):
        options["pool_pre_ping"] = True
    return options


def _flag(value: str | None) -> bool | None:
    """'true'/'false' (any case) from the environment; None when unset or blank."""
    if value is None or not value.strip():
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


def _limit_strings(env) -> dict:
    """RATELIMIT_* variables holding a limit ("3000 per 10 minutes; 30000 per day"), which override
    conference/ratelimits.py's defaults of the same name."""
    found = {}
    for name, value in env.items():
        if name.startswith("RATELIMIT_"):
            try:
                parse_many(value)
            except ValueError:
                continue
            found[name] = value
    return found


def from_environment(instance_path: str) -> dict:
    """Settings for create_app: environment first, defaults for development after."""
    env = os.environ
    check_production(env)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'pln.sqlite3'}"
    ratelimit_uri = env.get("RATELIMIT_STORAGE_URI") or "local://"
    return {
        "APP_ENV": (env.get("APP_ENV") or "development").strip().lower(),
        "SECRET_KEY": env.get("SECRET_KEY") or development_secret_key(instance_path),
        # Keys of before a rotation: sessions they signed stay valid while the new key takes over.
        "SECRET_KEY_FALLBACKS": [key.strip() for key in env.get("SECRET_KEY_FALLBACKS", "").split(",") if key.strip()],
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url, env),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "").rstrip("/"),
        # More host names requests may carry besides PUBLIC_BASE_URL's (comma-separated): conference/urls.py.
        "TRUSTED_HOSTS": env.get("TRUSTED_HOSTS", ""),
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(env.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "true").lower() != "false",
        "MAIL_FROM": env.get("MAIL_FROM", "PLN Connect <no-reply@localhost>"),
        "MAIL_OUTBOX": env.get("MAIL_OUTBOX") or str(Path(instance_path) / "outbox"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # None: decided in security.init_app (Secure when PUBLIC_BASE_URL is https, outside debug and tests).
        "SESSION_COOKIE_SECURE": _flag(env.get("SESSION_COOKIE_SECURE")),
        # How many proxies (load balancer, nginx) sit in front and set X-Forwarded-For/-Proto.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0") or 0),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=400),
        # The cookie is set when the session changes (sign-in, a new CSRF token), not re-signed
        # on every page: 400 days from sign-in is what browsers keep a cookie at most anyway.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SIGN_IN_LINK_MINUTES": 15,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 100_000,   # one multipart text field
        "MAX_FORM_PARTS": 500,
        # Rate limits (conference/ratelimits.py): in memory per process unless a shared store is given.
        **_limit_strings(env),
        "RATELIMIT_ENABLED": _flag(env.get("RATELIMIT_ENABLED")) is not False,
        "RATELIMIT_STORAGE_URI": ratelimit_uri,  # local:// is conference/ratestore.py
        # A Redis that is down or stops answering costs a request at most this long; then the limits
        # count in memory in each process (a warning in the log) until it answers again.
        "RATELIMIT_STORAGE_OPTIONS": ({"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
                                      if ratelimit_uri.startswith("redis") else {}),
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STRATEGY": "moving-window",  # exact: counts the requests of the last minute/hour/day
        # Retry-After is set on refusals only (conference/errors.py): the X-RateLimit-* headers would
        # read the store once more on every limited request.
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_KEY_PREFIX": "pln",
        # Background work (conference/tasks.py): Huey's SQLite file in the instance folder unless redis://...
        "TASK_QUEUE_URL": env.get("TASK_QUEUE_URL", ""),
        # Run tasks at once in the enqueuing process (None: only under TESTING).
        "TASKS_IMMEDIATE": _flag(env.get("TASKS_IMMEDIATE")),
        # Meeting mail (conference/meetings/mail.py): at most one mail per person every this many minutes.
        "MEETING_MAIL_MINUTES": int(env.get("MEETING_MAIL_MINUTES", "5") or 5),
        "WTF_CSRF_TIME_LIMIT": None,
        # Asking to meet (conference/meetings/operations.py): against spam, counted in the database.
        "MEETING_OPEN_REQUESTS_LIMIT": int(env.get("MEETING_OPEN_REQUESTS_LIMIT", "10")),  # unanswered, per asker
        "MEETING_REQUESTS_PER_DAY": int(env.get("MEETING_REQUESTS_PER_DAY", "30")),  # sent in any 24 hours
        "COMPRESS_MIMETYPES": [
            "text/html", "text/css", "text/javascript", "application/javascript",
            "application/json", "image/svg+xml", "text/csv", "text/vcard",
        ],
        "COMPRESS_ALGORITHM": ["gzip"],
        # Static files are streamed responses, which Flask-Compress compresses only with these.
        "COMPRESS_ALGORITHM_STREAMING": ["gzip"],
        "COMPRESS_MIN_SIZE": 500,
        "SEND_FILE_MAX_AGE_DEFAULT": timedelta(days=365),
        # Problem-of-practice huddles (conference/meetings/huddles.py): how many may wait for a seat of a
        # full huddle, and how many people who can help are told of a new one (a popular interest spams nobody).
        "HUDDLE_WAITING_LIST": int(env.get("HUDDLE_WAITING_LIST", "5") or 5),
        "HUDDLE_INVITES": int(env.get("HUDDLE_INVITES", "40") or 40),
    }
