"""The front door: what PLN Connect is, and where to go next."""
from flask import Blueprint, abort, current_app, g, jsonify, redirect, url_for
from sqlalchemy import select

from conference.auth.forms import ConfirmForm
from conference.events.models import Conference
from conference.events.operations import is_closed
from conference.extensions import db
from conference.health import problems
from conference.htmx import render

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    """Signed in: my badge. Signed out: the open conferences to join, and sign-in."""
    if g.attendee is not None:
        return redirect(url_for("badges.mine"))
    conferences = db.session.scalars(select(Conference).where(Conference.joining_open.is_(True))
                                     .order_by(Conference.starts_on.desc()).limit(20))
    return render("pages/home.html", conferences=list(conferences))


@bp.get("/<slug>")
def conference(slug: str):
    """A conference's front door (the address on its posters): name, dates, venue, Join, Sign in."""
    found = db.session.scalar(select(Conference).where(Conference.slug == slug)) or abort(404)
    joined = g.attendee is not None and g.attendee.conference_id == found.id
    return render("pages/conference.html", conference=found, joined=joined, closed=is_closed(found))


@bp.get("/me")
def me():
    """The 'More' destination: profile, exports, sign out."""
    if g.attendee is None:
        return redirect(url_for("auth.request_link", next="/me"))
    return render("pages/more.html", signout_form=ConfirmForm())


@bp.get("/healthz")
def health():
    """For load balancers: 200 when the database and Redis (if configured) answer, 503 when not; nothing else."""
    failing = problems()
    if failing:
        current_app.logger.warning("Health check failed: %s does not answer", " and ".join(failing))
    response = jsonify(ok=not failing)
    response.status_code = 503 if failing else 200
    response.headers["Cache-Control"] = "no-store"
    return response
