"""Who may open an organizer page: an organizer signed in, and only for their own conferences."""
from __future__ import annotations

from functools import wraps

from flask import abort, g, render_template

from conference.attendees.operations import conference_by_slug
from conference.organizer.access.operations import organizer_of
from conference.urls import to_sign_in


def organizer_signed_in(view):
    """Anyone not signed in as an organizer goes to sign-in; signed-in attendees get 403."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.organizer is None:
            if g.attendee is not None:
                return _forbidden()
            return to_sign_in()
        return view(*args, **kwargs)
    return wrapped


def _forbidden(conference=None):
    return render_template("organizer/forbidden.html", conference=conference), 403


def organizer_required(view):
    """For /organize/<slug>/...: sets g.conference and g.conference_organizer (this person's organizer row there).

    Signed out: to sign-in. An attendee, or an organizer of another conference: 403.
    """
    @wraps(view)
    def wrapped(slug, *args, **kwargs):
        if g.organizer is None and g.attendee is None:
            return to_sign_in()
        conference = conference_by_slug(slug) or abort(404)
        here = organizer_of(g.organizer.email, conference) if g.organizer is not None else None
        if here is None:
            return _forbidden(conference)
        g.conference, g.conference_organizer = conference, here
        return view(conference, *args, **kwargs)
    return wrapped
