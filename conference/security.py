"""Hardening that applies to every request: response headers, cookie flags, proxies, clean input."""
from __future__ import annotations

import re

from flask import Flask, Request, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline script or style anywhere: everything comes from our own origin. The camera scanner
# (qr-scanner) starts its decoder from a blob: worker and the service worker is /sw.js.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "manifest-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # A card's URL holds a badge code: never send it to the platforms a card links to.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=(), usb=()",
}
HSTS = "max-age=63072000; includeSubDomains"

# C0 controls except tab, newline and carriage return, and DEL. Nobody types them; PostgreSQL
# cannot store NUL at all, so one would otherwise end in a 500.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """`value` without control characters (tab and line breaks are kept)."""
    return _CONTROL.sub("", value)


class CleanMultiDict(ImmutableMultiDict):
    """Query-string and form values with control characters removed (files are left alone)."""

    def __init__(self, mapping=None):
        super().__init__(mapping)
        for key, values in list(dict.items(self)):
            if any(isinstance(v, str) and _CONTROL.search(v) for v in values):
                dict.__setitem__(self, key, [clean_text(v) if isinstance(v, str) else v for v in values])


class CleanRequest(Request):
    parameter_storage_class = CleanMultiDict


MAX_JSON_DEPTH = 32  # a scan batch is 3 deep; nothing we read is deeper than a few levels


class BadJSON(ValueError):
    """A request body that is not JSON we read, with a sentence saying why."""


def _depth(value) -> int:
    """How deeply lists and objects nest in `value`, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                break
            stack.extend((inner, level + 1) for inner in item if isinstance(inner, (list, dict)))
    return deepest


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading request bodies safely: UTF-8 only (RFC 8259), nested at most
    MAX_JSON_DEPTH deep. Anything else raises BadJSON (a ValueError, so Flask's own
    `request.get_json` answers 400) instead of a RecursionError or a UnicodeDecodeError."""

    def loads(self, s, **kwargs):
        if isinstance(s, (bytes, bytearray)):
            try:
                s = bytes(s).decode("utf-8")
            except UnicodeDecodeError as error:
                raise BadJSON(f"The body is not valid UTF-8 text (byte {error.start + 1}).") from None
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            value = None
        except ValueError as error:
            raise BadJSON(f"The body is not valid JSON: {error}.") from None
        if value is None and s.strip() != "null" or _depth(value) > MAX_JSON_DEPTH:
            raise BadJSON(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.")
        return value


def json_body() -> tuple[object | None, str | None]:
    """The request's JSON body, or None and a sentence saying why there is none (a body larger
    than MAX_CONTENT_LENGTH is Flask's 413)."""
    if not request.is_json:
        return None, "Send the body as JSON, with Content-Type: application/json."
    try:
        return current_app.json.loads(request.get_data(cache=True)), None
    except BadJSON as error:
        return None, str(error)


def secure_cookie_default(app: Flask) -> bool:
    """Secure session cookies in production: whenever the public address is https."""
    if app.debug or app.testing:
        return False
    return app.config.get("PUBLIC_BASE_URL", "").startswith("https://")


def init_app(app: Flask) -> None:
    """Headers on every response, Secure cookies in production, real client addresses behind proxies."""
    app.request_class = CleanRequest
    app.json = StrictJSONProvider(app)
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = secure_cookie_default(app)
    if (app.config["SESSION_COOKIE_SECURE"] and not app.config.get("SESSION_COOKIE_DOMAIN")
            and app.config.get("SESSION_COOKIE_NAME", "session") == "session"):
        # Browsers accept a __Host- cookie only over https, for this exact host, for every path:
        # a sibling subdomain can neither set nor overwrite it.
        app.config["SESSION_COOKIE_NAME"] = "__Host-session"
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Rate limits per IP and HSTS need the client's address and scheme, not the proxy's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    @app.after_request
    def security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
