"""Absolute URLs (in emails, QR codes, calendar ids), the hosts we answer for, and the redirect to sign-in.

They come from configuration only, never from the request: a request's Host header is the
visitor's to choose, and a sign-in link built from it would point wherever the visitor wanted.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, redirect, request, url_for
from werkzeug.routing import IntegerConverter

# Where `flask run` serves a laptop's copy when PUBLIC_BASE_URL is unset (production refuses to
# start without it: conference/config.py PRODUCTION_NEEDS).
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"
DEVELOPMENT_HOSTS = ("localhost", "127.0.0.1")


def public_base_url(app: Flask | None = None) -> str:
    """PUBLIC_BASE_URL without its trailing slash, or the development address."""
    config = (app or current_app).config
    return (config.get("PUBLIC_BASE_URL") or DEVELOPMENT_BASE_URL).rstrip("/")


def public_origin(app: Flask | None = None) -> str:
    """'https://host[:port]' of PUBLIC_BASE_URL."""
    parts = urlsplit(public_base_url(app))
    return f"{parts.scheme}://{parts.netloc}"


def public_host(app: Flask | None = None) -> str:
    """The host name of PUBLIC_BASE_URL, without its port."""
    return urlsplit(public_base_url(app)).hostname or "localhost"


def public_url(endpoint: str, _base: str | None = None, **values) -> str:
    """The absolute URL of `endpoint` on PUBLIC_BASE_URL (or an operator's `_base`, from a command's
    option); the same inside a request, a task or a command."""
    app = current_app
    parts = urlsplit((_base or public_base_url(app)).rstrip("/"))
    app.inject_url_defaults(endpoint, values)
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def to_sign_in():
    """The sign-in page, coming back to this request's page afterwards: where attendee and organizer
    pages send a person who is signed out."""
    return redirect(url_for("auth.request_link", next=request.full_path.rstrip("?")))


def trusted_hosts(config) -> list[str]:
    """The Host names requests may carry: PUBLIC_BASE_URL's, the TRUSTED_HOSTS setting's (comma-separated),
    and on a laptop or under tests localhost and 127.0.0.1."""
    hosts = [urlsplit((config.get("PUBLIC_BASE_URL") or DEVELOPMENT_BASE_URL)).hostname or ""]
    extra = config.get("TRUSTED_HOSTS") or ""
    if isinstance(extra, str):
        extra = extra.split(",")
    hosts += [name.strip().lower() for name in extra if name and name.strip()]
    if config.get("APP_ENV") != "production" or config.get("TESTING"):
        hosts += DEVELOPMENT_HOSTS
    return list(dict.fromkeys(h for h in hosts if h))


# The largest id our integer columns hold: a larger number in a URL names no row (PostgreSQL would
# refuse to compare it with the column, a 500), so `<int:...>` matches nothing above it (a 404).
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every route: an integer from 0 to MAX_ROW_ID."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ROW_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Route ids that fit the columns; refuse requests for a host that is not ours (a 400 page,
    conference/errors.py)."""
    app.url_map.converters["int"] = RowIdConverter
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
