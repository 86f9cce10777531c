from __future__ import annotations

from flask import g, redirect, request, url_for

from conference.auth import login_required
from conference.auth.routes import public_url
from conference.badges import bp
from conference.badges.codes import MalformedCode, code_from_scan, display
from conference.badges.qr import qr_svg
from conference.htmx import render
from conference import ratelimits


def badge_url(code: str) -> str:
    """The absolute URL inside a badge's QR code."""
    return public_url("contacts.card", code=display(code))


@bp.get("/me/badge")
@login_required
def mine():
    """My badge: a large QR of my card's URL and the code to type."""
    me = g.attendee
    url = badge_url(me.badge_code)
    return render("badges/mine.html", qr=qr_svg(url), url=url, code=display(me.badge_code),
                  welcome=bool(request.args.get("welcome")), saved=bool(request.args.get("saved")))


@bp.get("/code")
@ratelimits.badge_lookup
def enter():
    """Type a badge code (or paste a badge link); valid codes go to the card."""
    typed = request.args.get("code", "")
    error = None
    if typed:
        try:
            return redirect(url_for("contacts.card", code=display(code_from_scan(typed))), 303)
        except MalformedCode as bad:
            ratelimits.badge_missed()
            error = str(bad)
    return render("badges/enter.html", typed=typed, error=error, status=422 if error else 200)
