from __future__ import annotations

from flask import g

from conference.auth import login_required
from conference.digest import bp
from conference.digest.operations import build_digest, delivered_at
from conference.htmx import render


@bp.get("/me/digest")
@login_required
def preview():
    """The digest email as it will be sent to me (or was), with its attachment."""
    me = g.attendee
    return render("digest/preview.html", digest=build_digest(me), sent_at=delivered_at(me))
