"""Sign-in: joining signs a device in; a one-time emailed link signs in another."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, Flask, g, redirect, request, session, url_for

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


def login_required(view):
    """Send signed-out people to the sign-in page, and back here afterwards."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.attendee is None:
            return redirect(url_for("auth.request_link", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped


def init_app(app: Flask) -> None:
    from conference.attendees.models import Attendee
    from conference.organizer.models import Organizer

    @app.before_request
    def load_attendee():
        attendee_id = session.get("attendee_id")
        # One round trip: the person, their conference and their interests (for matches on cards).
        g.attendee = (db.session.get(Attendee, attendee_id, options=[joinedload(Attendee.interests)])
                      if attendee_id else None)
        organizer_id = session.get("organizer_id")
        g.organizer = db.session.get(Organizer, organizer_id) if organizer_id else None

    @app.context_processor
    def inject_attendee():
        return {"me": g.get("attendee")}


