"""Sign-in: joining signs a device in; a one-time emailed link signs in another."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, Flask, g, has_request_context, redirect, request, session, url_for
from flask.ctx import _AppCtxGlobals

from sqlalchemy.orm import joinedload

from conference.extensions import db

bp = Blueprint("auth", __name__)


def sign_in(attendee) -> None:
    """Remember the attendee on this device (a long-lived session cookie); an organizer stays signed in."""
    organizer_id = session.get("organizer_id")
    session.clear()
    session.permanent = True
    session["attendee_id"] = attendee.id
    if organizer_id:
        session["organizer_id"] = organizer_id


def sign_in_organizer(organizer) -> None:
    """Remember the organizer on this device; an attendee signed in here stays signed in."""
    attendee_id = session.get("attendee_id")
    session.clear()
    session.permanent = True
    session["organizer_id"] = organizer.id
    if attendee_id:
        session["attendee_id"] = attendee_id


def sign_out() -> None:
    session.clear()


def to_sign_in():
    """The sign-in page, coming back here afterwards."""
    return redirect(url_for("auth.request_link", next=request.full_path.rstrip("?")))


def login_required(view):
    """Send signed-out people to the sign-in page, and back here afterwards."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.attendee is None:
            return to_sign_in()
        return view(*args, **kwargs)
    return wrapped


def _signed_in_attendee():
    from conference.attendees.models import Attendee
    attendee_id = session.get("attendee_id") if has_request_context() else None
    # One round trip: the person, their conference and their interests (for matches on cards).
    return db.session.get(Attendee, attendee_id, options=[joinedload(Attendee.interests)]) if attendee_id else None


def _signed_in_organizer():
    from conference.organizer.models import Organizer
    organizer_id = session.get("organizer_id") if has_request_context() else None
    return db.session.get(Organizer, organizer_id) if organizer_id else None


class Globals(_AppCtxGlobals):
    """`g.attendee` and `g.organizer`: loaded from the session the first time a request asks, so a
    route that needs neither (the card, which reads its viewer in its own query) pays nothing."""

    _loaders = {"attendee": _signed_in_attendee, "organizer": _signed_in_organizer}

    def __getattr__(self, name: str):
        loader = self._loaders.get(name)
        if loader is None:
            return super().__getattr__(name)
        value = loader()
        setattr(self, name, value)
        return value


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
