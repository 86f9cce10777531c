"""Who may try how often: Flask-Limiter decorators for the routes someone could abuse in a loop.

Each limit string can be overridden in the app config under its name below (e.g.
RATELIMIT_BADGE_MISSES="5 per minute"). Counters live in RATELIMIT_STORAGE_URI: local://
(conference/ratestore.py) keeps them per process; redis://host:6379/0 shares them between
processes and servers. When Redis can't be reached, Flask-Limiter counts in memory in each
process until it answers again (with a warning in the log), so every page keeps being served.

The limits key on who could be abusing: the signed-in attendee, a signed-out phone (a random
device id in its signed session cookie), the email address a sign-in link is asked for. A venue's
Wi-Fi puts thousands of people behind one address, so what is counted per address is sized for a
whole venue at once. Badge codes that find nobody are counted, strictly; codes that find a badge
are not: scanning a hundred people in an hour is normal, guessing codes is not, and a loop of
guesses fails nearly every time. Every path that turns a code into a person counts against the
same misses, checked before the code is looked up.
"""
from __future__ import annotations

import hashlib
import logging
import math
import secrets
import time
from collections.abc import Callable
from functools import lru_cache

from flask import current_app, request, session
from flask_limiter.util import get_remote_address
from limits import parse_many

from conference.extensions import limiter

log = logging.getLogger(__name__)

DEFAULTS = {
    # Codes that find nobody, on every path that turns a code into a person: /c/<code> and its save,
    # /code, /scan/card, /scan/save, and each scan of a /scan/sync batch
    "RATELIMIT_BADGE_MISSES": "10 per minute; 50 per hour; 200 per day",  # per person
    "RATELIMIT_BADGE_MISSES_PER_IP": "300 per minute; 3000 per hour; 20000 per day",  # signed-out phones together
    # POST /signin: emails asked for one address, and requests from one IP
    "RATELIMIT_SIGNIN_PER_ADDRESS": "3 per 10 minutes; 10 per day",
    "RATELIMIT_SIGNIN_PER_IP": "2000 per 10 minutes; 20000 per day",
    # POST /me/profile: profile changes (each may mail a link to a new address), per signed-in attendee
    "RATELIMIT_PROFILE_UPDATES": "20 per 10 minutes; 100 per day",
    # POST /c/<code>/claim: "Is this you? Email me a sign-in link", per badge and per IP (a venue's phones)
    "RATELIMIT_CLAIMS_PER_BADGE": "3 per 10 minutes; 10 per day",
    "RATELIMIT_CLAIMS_PER_IP": "2000 per 10 minutes; 20000 per day",
    # POST /<slug>/join
    "RATELIMIT_JOINS_PER_IP": "3000 per 10 minutes; 30000 per day",
    # POST /scan/sync: each scan in a batch costs one
    "RATELIMIT_SYNC_SCANS": "300 per minute; 2000 per hour",             # per signed-in attendee
    # GET /calendar/<token>.ics: a phone's calendar app refreshes a feed every 5 to 60 minutes, from
    # each of a person's devices; a venue's phones share one address
    "RATELIMIT_CALENDAR_FEED": "20 per 10 minutes; 500 per day",         # per feed (its token)
    "RATELIMIT_CALENDAR_FEED_PER_IP": "3000 per 10 minutes; 30000 per day",
}

# What the view tells the limits, kept in the request's WSGI environ: always this request's own, even
# where several requests share one app context (and so one `g`), as in the tests.
MISSES, NEW_PHONE = "conference.badge_misses", "conference.new_phone"


def _configured(name: str, applies: Callable[[], bool] | None = None) -> Callable[[], str]:
    """The limit `name` (app config, else DEFAULTS); no limit at all for a request that `applies` rules
    out (Flask-Limiter then has nothing to parse or check for it, cheaper than exempt_when)."""
    def limit() -> str:
        if applies is not None and not applies():
            return ""
        return current_app.config.get(name) or DEFAULTS[name]
    return limit


def client_ip() -> str:
    return "ip:" + (get_remote_address() or "unknown")


def person() -> str:
    """Who is asking: the signed-in attendee, or a signed-out phone by the device id in its session."""
    # The session, not g.attendee: limits are checked before the attendee is loaded.
    attendee_id = session.get("attendee_id")
    return f"attendee:{attendee_id}" if attendee_id else f"device:{session.get('device')}"


def _signed_in() -> bool:
    return bool(session.get("attendee_id"))


def _signed_out() -> bool:
    return not session.get("attendee_id")


def _known_person() -> bool:
    """False on a signed-out phone's first lookup: it gets a device id now, and is counted by its address this once."""
    if session.get("attendee_id"):
        return True
    if "device" not in session:
        session["device"] = secrets.token_urlsafe(12)
        request.environ[NEW_PHONE] = True
    return not request.environ.get(NEW_PHONE, False)


def _sign_in_address() -> str:
    # Hashed, so the limiter's store never holds anyone's email address.
    email = (request.form.get("email") or "").strip().lower()[:254]
    return "email:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def badge_missed(count: int = 1) -> None:
    """Record that `count` codes in this request found nobody; the miss limits are charged with the response."""
    request.environ[MISSES] = request.environ.get(MISSES, 0) + count


def _missed(response) -> bool:
    return request.environ.get(MISSES, 0) > 0


def _misses() -> int:
    # Before the view: room for one more miss is needed. With the response: what the view recorded.
    return request.environ.get(MISSES, 0) or 1


def _apply(view, decorators):
    for decorate in reversed(decorators):
        view = decorate(view)
    return view


def _miss_limit(name: str, scope: str, key_func, applies):
    """A limit on codes that found nobody: checked before the view, charged with what it recorded."""
    return limiter.shared_limit(_configured(name, applies), scope=scope, key_func=key_func, deduct_when=_missed,
                                cost=_misses)


def badge_lookup(view):
    """Limits for a route that turns a typed or scanned code into a person: before the view runs, the
    misses so far (per person, and for signed-out phones per address) must leave room for one more;
    a code the view reports with badge_missed() counts as one. Codes that find a badge are not
    counted: scanning is what the app is for, and a flood of requests is the load balancer's to stop."""
    return _apply(view, [
        _miss_limit("RATELIMIT_BADGE_MISSES", "badge-misses", person, _known_person),
        _miss_limit("RATELIMIT_BADGE_MISSES_PER_IP", "badge-misses-ip", client_ip, _signed_out),
    ])


def sign_in_request(view):
    """Limits on asking for a sign-in email: per address asked for, and per IP."""
    return _apply(view, [
        limiter.limit(_configured("RATELIMIT_SIGNIN_PER_ADDRESS"), key_func=_sign_in_address, methods=["POST"]),
        limiter.limit(_configured("RATELIMIT_SIGNIN_PER_IP"), key_func=client_ip, methods=["POST"]),
    ])


def join(view):
    """Limits on creating attendees: per IP, sized for a keynote's "join now" behind one address."""
    return limiter.limit(_configured("RATELIMIT_JOINS_PER_IP"), key_func=client_ip, methods=["POST"])(view)


def profile_update(view):
    """Limits on changing a profile: per signed-in attendee (each change of email mails a link)."""
    return limiter.limit(_configured("RATELIMIT_PROFILE_UPDATES"), key_func=person, methods=["POST"])(view)


def _claimed_badge() -> str:
    return "badge:" + (request.view_args or {}).get("code", "")[:40].upper()


def claim_request(view):
    """Limits on asking for a claim link: per badge (its owner's inbox), and per IP sized for a venue."""
    return _apply(view, [
        limiter.limit(_configured("RATELIMIT_CLAIMS_PER_BADGE"), key_func=_claimed_badge, methods=["POST"]),
        limiter.limit(_configured("RATELIMIT_CLAIMS_PER_IP"), key_func=client_ip, methods=["POST"]),
    ])


def _feed_token() -> str:
    # Hashed, so the limiter's store never holds a feed's key.
    token = (request.view_args or {}).get("token", "")[:100]
    return "feed:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def calendar_feed(view):
    """Limits on reading a private calendar feed: per feed, and per IP sized for a whole venue."""
    return _apply(view, [
        limiter.limit(_configured("RATELIMIT_CALENDAR_FEED"), key_func=_feed_token),
        limiter.limit(_configured("RATELIMIT_CALENDAR_FEED_PER_IP"), key_func=client_ip),
    ])


def batch_size() -> int:
    """Scans in a JSON sync batch: a top-level list, or the list under "scans"; at least 1."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested too deep to be a batch; the view answers it
        return 1
    if isinstance(body, dict):
        body = body.get("scans")
    return max(1, len(body)) if isinstance(body, list) else 1


def sync_limit(view):
    """Limits for the offline-scan sync endpoint: each scan in the batch costs one, and the codes in it
    that find nobody count against the same misses as /c/<code> (see misses_left)."""
    return _apply(view, [
        limiter.limit(_configured("RATELIMIT_SYNC_SCANS", _signed_in), key_func=person, methods=["POST"],
                      cost=batch_size),
        _miss_limit("RATELIMIT_BADGE_MISSES", "badge-misses", person, _signed_in),
    ])


@lru_cache(maxsize=16)
def _parsed(limits: str) -> tuple:
    return tuple(parse_many(limits))


def misses_left() -> int | None:
    """How many more codes may find nobody in this request: the least that any miss limit checked
    for it has left (None when none was checked, e.g. limits are off)."""
    miss_items = _parsed(_configured("RATELIMIT_BADGE_MISSES")())
    try:
        left = [checked.remaining for checked in limiter.current_limits
                if checked.shared and checked.limit in miss_items]
    except Exception:  # the store went away during this request: the check before the view left room for one
        log.warning("Rate limit storage unreachable while reading what is left of the badge misses", exc_info=True)
        return 1
    return min(left) if left else None


def retry_after() -> int | None:
    """Seconds until the limit that refused this request lets one through again (for Retry-After)."""
    refused = limiter.current_limit
    if refused is None or not refused.breached:
        return None
    try:
        return max(1, math.ceil(refused.reset_at - time.time()))
    except Exception:  # the store went away just now
        log.warning("Rate limit storage unreachable while reading when a limit resets", exc_info=True)
        return None
