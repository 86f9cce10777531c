"""Sign-in: joining signs a device in; a one-time emailed link signs in another."""
from __future__ import annotations

from functools import cached_property, wraps

from flask import Blueprint, Flask, g, has_request_context, session
from sqlalchemy import update
from sqlalchemy.orm import joinedload

from conference.attendees.models import Attendee
from conference.extensions import db
from conference.organizer.access.models import Organizer
from conference.urls import to_sign_in

bp = Blueprint("auth", __name__)


def sign_in(attendee) -> None:
    """Remember the attendee on this device (a long-lived session cookie); an organizer stays signed in."""
    organizer_id = session.get("organizer_id")
    session.clear()
    session.permanent = True
    session["attendee_id"] = attendee.id
    session["session_version"] = attendee.session_version
    if organizer_id:
        session["organizer_id"] = organizer_id


def sign_in_organizer(organizer) -> None:
    """Remember the organizer on this device; an attendee signed in here stays signed in."""
    attendee = {key: session[key] for key in ("attendee_id", "session_version") if key in session}
    session.clear()
    session.permanent = True
    session["organizer_id"] = organizer.id
    session.update(attendee)


def sign_out() -> None:
    session.clear()


def session_viewer() -> tuple[int | None, int]:
    """The attendee id this device's session names and the session version it was signed in at
    (a cookie from before versions counts as version 0)."""
    return session.get("attendee_id"), session.get("session_version", 0)


def end_every_session(attendee) -> None:
    """Bump the attendee's session version: every cookie signed in before stops working."""
    db.session.execute(update(Attendee).where(Attendee.id == attendee.id)
                       .values(session_version=Attendee.session_version + 1))
    db.session.refresh(attendee, ["session_version"])


def login_required(view):
    """Send signed-out people to the sign-in page, and back here afterwards."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.attendee is None:
            return to_sign_in()
        return view(*args, **kwargs)
    return wrapped


def _signed_in_attendee():
    if not has_request_context():
        return None
    attendee_id, version = session_viewer()
    if not attendee_id:
        return None
    # One round trip: the person, their conference and their interests (for matches on cards).
    attendee = db.session.get(Attendee, attendee_id, options=[joinedload(Attendee.interests)])
    if attendee is None or attendee.session_version != version:
        # Signed out everywhere, signed in anew by link, or deleted: this cookie names nobody now.
        session.pop("attendee_id", None)
        session.pop("session_version", None)
        return None
    return attendee


def _signed_in_organizer():
    organizer_id = session.get("organizer_id") if has_request_context() else None
    return db.session.get(Organizer, organizer_id) if organizer_id else None


class Globals(Flask.app_ctx_globals_class):
    """`g.attendee` and `g.organizer`: loaded from the session the first time a request asks (Flask's
    documented use of app_ctx_globals_class for lazy per-request values), so a route that needs
    neither (the card, which reads its viewer in its own query) pays nothing."""

    @cached_property
    def attendee(self):
        return _signed_in_attendee()

    @cached_property
    def organizer(self):
        return _signed_in_organizer()


def init_app(app: Flask) -> None:
    app.app_ctx_globals_class = Globals

    @app.before_request
    def forget_last_request():
        # An app context pushed around several requests (a test, a CLI) shares one `g`.
        for name in ("attendee", "organizer", "own_viewer"):
            g.pop(name, None)

    @app.context_processor
    def inject_attendee():
        # A view that read its viewer in its own query (the card) passes `me` itself.
        return {} if g.get("own_viewer") else {"me": g.attendee}
