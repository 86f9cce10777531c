"""Configuration read from the environment, with safe defaults for a laptop."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


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


def _flag(value: str | None) -> bool | None:
    """'true'/'false' (any case) from the environment; None when unset or blank."""
    if value is None or not value.strip():
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


def from_environment(instance_path: str) -> dict:
    """Settings for create_app: environment first, defaults for development after."""
    env = os.environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'pln.sqlite3'}"
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or development_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        # Recycling old connections instead of pinging before each request saves a round trip per request.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800},
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "").rstrip("/"),
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
        "RATELIMIT_ENABLED": _flag(env.get("RATELIMIT_ENABLED")) is not False,
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or "local://",  # conference/ratestore.py
        "RATELIMIT_STRATEGY": "moving-window",  # exact: counts the requests of the last minute/hour/day
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": "pln",
        # Background work (conference/tasks.py): Huey's SQLite file in the instance folder unless redis://...
        "TASK_QUEUE_URL": env.get("TASK_QUEUE_URL", ""),
        # Run tasks at once in the enqueuing process (None: only under TESTING).
        "TASKS_IMMEDIATE": _flag(env.get("TASKS_IMMEDIATE")),
        "WTF_CSRF_TIME_LIMIT": None,
        "COMPRESS_MIMETYPES": [
            "text/html", "text/css", "text/javascript", "application/javascript",
            "application/json", "image/svg+xml", "text/csv", "text/vcard",
        ],
        "COMPRESS_ALGORITHM": ["gzip"],
        # Static files are streamed responses, which Flask-Compress compresses only with these.
        "COMPRESS_ALGORITHM_STREAMING": ["gzip"],
        "COMPRESS_MIN_SIZE": 500,
        "SEND_FILE_MAX_AGE_DEFAULT": timedelta(days=365),
    }
