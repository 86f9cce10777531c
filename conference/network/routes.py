from __future__ import annotations

from flask import abort, g, redirect, request, url_for

from conference.auth import login_required
from conference.auth.forms import ConfirmForm
from conference.errors import DomainError
from conference.events.operations import is_closed
from conference.extensions import db, htmx
from conference.htmx import render
from conference.network import bp
from conference.network.operations import dismiss, dismissed_count, suggestions_for, undo_dismiss

COMPACT, FULL = 3, 10


def _view() -> str:
    return "compact" if (request.values.get("view") == "compact") else "full"


def _people(view: str, dismissed=None, restored=None):
    me = g.attendee
    closed = is_closed(me.conference)
    suggestions = [] if closed else suggestions_for(me, COMPACT if view == "compact" else FULL)
    return render("network/people.html", "people_list", suggestions=suggestions, view=view, closed=closed,
                  has_interests=bool(me.interests), dismissed=dismissed, restored=restored,
                  dismissed_total=dismissed_count(me) if view == "full" else 0, form=ConfirmForm())


@bp.get("/me/people")
@login_required
def people():
    """People to meet: attendees I have not saved, best match first, with the reason."""
    return _people(_view())


def _after_change(view: str, **shown):
    if htmx and not htmx.boosted:
        return _people(view, **shown)
    return redirect(url_for("contacts.index") if view == "compact" else url_for("network.people"), 303)


@bp.post("/me/people/<int:attendee_id>/dismiss")
@login_required
def dismiss_person(attendee_id: int):
    """Stop suggesting this person."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        other = dismiss(g.attendee, attendee_id)
    except DomainError:
        abort(404)
    db.session.commit()
    return _after_change(_view(), dismissed=other)


@bp.post("/me/people/<int:attendee_id>/undo")
@login_required
def undo(attendee_id: int):
    """Suggest a dismissed person again."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        other = undo_dismiss(g.attendee, attendee_id)
    except DomainError:
        abort(404)
    db.session.commit()
    return _after_change(_view(), restored=other)
