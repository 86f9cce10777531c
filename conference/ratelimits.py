"""Who may try how often: decorators for the routes someone could abuse in a loop.

Each limit string can be overridden in the app config under its name below (e.g.
RATELIMIT_BADGE_MISSES="5 per minute"). Counters live in RATELIMIT_STORAGE_URI: local:// (conference/ratestore.py) keeps
them per process (with several gunicorn workers each has its own); redis://host:6379 shares them
between processes and servers (needs the `redis` package).

A venue's Wi-Fi puts hundreds of people behind one IP address, so limits per IP are generous and
the strict ones are per signed-in attendee. Badge lookups that find nobody are counted far more
strictly than lookups that find a badge: scanning a hundred people in an hour is normal, guessing
codes is not, and a loop of guesses fails nearly every time.
"""
from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from functools import lru_cache, wraps

from flask import current_app, request, session
from flask_limiter.util import get_remote_address
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from conference.extensions import limiter

DEFAULTS = {
    # GET /c/<code> and GET /code?code=...
    "RATELIMIT_BADGE_LOOKUPS": "120 per minute; 1200 per hour",          # per signed-in attendee
    "RATELIMIT_BADGE_LOOKUPS_PER_IP": "600 per minute; 6000 per hour",
    "RATELIMIT_BADGE_MISSES": "10 per minute; 50 per hour; 200 per day",  # unknown or malformed codes
    "RATELIMIT_BADGE_MISSES_PER_IP": "100 per minute; 600 per hour",
    # POST /signin: emails sent to one address, and requests from one IP
    "RATELIMIT_SIGNIN_PER_ADDRESS": "3 per 10 minutes; 10 per day",
    "RATELIMIT_SIGNIN_PER_IP": "30 per 10 minutes; 200 per day",
    # POST /<slug>/join
    "RATELIMIT_JOINS_PER_IP": "60 per 10 minutes; 600 per day",
    # The offline-scan sync endpoint: each scan in a batch counts once (see sync_limit)
    "RATELIMIT_SYNC_SCANS": "300 per minute; 2000 per hour",             # per signed-in attendee
    "RATELIMIT_SYNC_PER_IP": "600 per minute",
}

# Responses that mean "no badge has this code": not found, removed, malformed.
MISS_STATUSES = (404, 410, 422)


def _configured(name: str) -> Callable[[], str]:
    return lambda: current_app.config.get(name) or DEFAULTS[name]


def client_ip() -> str:
    return "ip:" + (get_remote_address() or "unknown")


def signed_in_attendee() -> str:
    # The session, not g.attendee: limits are checked before the attendee is loaded.
    return f"attendee:{session.get('attendee_id')}"


def _signed_out() -> bool:
    return not session.get("attendee_id")


def _missed(response) -> bool:
    return response.status_code in MISS_STATUSES


def _never(response) -> bool:
    return False


def _sign_in_address() -> str:
    # Hashed, so the limiter's store never holds anyone's email address.
    email = (request.form.get("email") or "").strip().lower()[:254]
    return "email:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _apply(view, decorators):
    for decorate in reversed(decorators):
        view = decorate(view)
    return view


@lru_cache(maxsize=64)
def _parsed(limits: str) -> tuple:
    return tuple(parse_many(limits))


def _buckets(names_and_scopes) -> list:
    """[(limit item, storage key parts)] in the layout Flask-Limiter uses for a shared limit:
    [prefix,] key, scope, so these counters are the ones the sync endpoint's decorators read."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    out = []
    for name, key, scope in names_and_scopes:
        parts = (prefix, key, scope) if prefix else (key, scope)
        out.extend((item, parts) for item in _parsed(_configured(name)()))
    return out


def _refuse(item, parts):
    reset_at = limiter.limiter.get_window_stats(item, *parts).reset_time
    raise TooManyRequests(retry_after=max(1, math.ceil(reset_at - time.time())))


def badge_lookup(view):
    """Limits for a route that turns a typed or scanned code into a person: every lookup counts
    (per attendee and per IP), and before the view runs, the misses so far must leave room; a
    response that found nobody (MISS_STATUSES) then counts as a miss.

    The same rules Flask-Limiter's shared limits apply, in the same counters, checked directly
    against its storage: its per-request machinery was a tenth of the CPU of a scan's card."""
    @wraps(view)
    def limited(*args, **kwargs):
        if not (limiter.enabled and limiter.initialized):
            return view(*args, **kwargs)
        ip = client_ip()
        lookups = [("RATELIMIT_BADGE_LOOKUPS_PER_IP", ip, "badge-lookups-ip")]
        misses = [("RATELIMIT_BADGE_MISSES_PER_IP", ip, "badge-misses-ip")]
        if not _signed_out():
            lookups.insert(0, ("RATELIMIT_BADGE_LOOKUPS", signed_in_attendee(), "badge-lookups"))
            misses.insert(0, ("RATELIMIT_BADGE_MISSES", signed_in_attendee(), "badge-misses"))
        strategy = limiter.limiter
        for item, parts in _buckets(lookups):
            if not strategy.hit(item, *parts):
                _refuse(item, parts)
        miss_buckets = _buckets(misses)
        for item, parts in miss_buckets:
            if not strategy.test(item, *parts):
                _refuse(item, parts)
        response = current_app.make_response(view(*args, **kwargs))
        if _missed(response):
            for item, parts in miss_buckets:
                strategy.hit(item, *parts)
        return response
    limiter.exempt(limited)  # counted here, not by Flask-Limiter's defaults
    return limited


def sign_in_request(view):
    """Limits on asking for a sign-in email: per address asked for, and per IP."""
    return _apply(view, [
        limiter.limit(_configured("RATELIMIT_SIGNIN_PER_ADDRESS"), key_func=_sign_in_address, methods=["POST"]),
        limiter.limit(_configured("RATELIMIT_SIGNIN_PER_IP"), key_func=client_ip, methods=["POST"]),
    ])


def join(view):
    """Limits on creating attendees: per IP (a venue shares one, so it is generous)."""
    return limiter.limit(_configured("RATELIMIT_JOINS_PER_IP"), key_func=client_ip, methods=["POST"])(view)


def batch_size() -> int:
    """Scans in a JSON sync batch: a top-level list, or the list under "scans"; at least 1."""
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        body = body.get("scans")
    return max(1, len(body)) if isinstance(body, list) else 1


def sync_limit(view):
    """Limits for the offline-scan sync endpoint: each scan in the batch costs one, and someone whose
    guesses used up their badge misses (charge_badge_misses) waits like on /c/<code>."""
    return _apply(view, [
        limiter.limit(_configured("RATELIMIT_SYNC_SCANS"), key_func=signed_in_attendee, exempt_when=_signed_out,
                      methods=["POST"], cost=batch_size),
        limiter.limit(_configured("RATELIMIT_SYNC_PER_IP"), key_func=client_ip, methods=["POST"]),
        limiter.shared_limit(_configured("RATELIMIT_BADGE_MISSES"), scope="badge-misses", key_func=signed_in_attendee,
                             exempt_when=_signed_out, deduct_when=_never),
        limiter.shared_limit(_configured("RATELIMIT_BADGE_MISSES_PER_IP"), scope="badge-misses-ip",
                             key_func=client_ip, deduct_when=_never),
    ])


def charge_badge_misses(count: int) -> None:
    """Count `count` codes that found no badge within one request (a sync batch) against the miss limits."""
    if count <= 0 or not (limiter.enabled and limiter.initialized):
        return
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    buckets = [("RATELIMIT_BADGE_MISSES_PER_IP", client_ip(), "badge-misses-ip")]
    if not _signed_out():
        buckets.append(("RATELIMIT_BADGE_MISSES", signed_in_attendee(), "badge-misses"))
    for name, key, scope in buckets:
        # The same buckets the decorators use: [prefix,] key, scope.
        args = [prefix, key, scope] if prefix else [key, scope]
        for item in parse_many(_configured(name)()):
            # A hit that would overflow a moving window is not recorded at all: fill it to the brim.
            remaining = limiter.limiter.get_window_stats(item, *args).remaining
            if remaining > 0:
                limiter.limiter.hit(item, *args, cost=min(count, remaining))
