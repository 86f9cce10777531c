from __future__ import annotations

from flask import abort, current_app, g, redirect, request, url_for

from conference.auth import login_required
from conference.auth.forms import ConfirmForm
from conference.badges import bp
from conference.badges.codes import MalformedCode, code_from_scan, display
from conference.badges.qr import badge_url, qr_svg
from conference.devices import phone_platform
from conference.extensions import htmx
from conference.htmx import render
from conference import ratelimits

# A cookie of its own, not the session: the hint is about this phone, and signing in again clears the session.
HOME_SCREEN_HINT_COOKIE = "home_screen_hint"


@bp.get("/me/badge")
@login_required
def mine():
    """My badge: a large QR of my card's URL and the code to type."""
    me = g.attendee
    url = badge_url(me.badge_code)
    platform = None if request.cookies.get(HOME_SCREEN_HINT_COOKIE) else phone_platform()
    response = render("badges/mine.html", qr=qr_svg(url), url=url, code=display(me.badge_code),
                      welcome=bool(request.args.get("welcome")), saved=bool(request.args.get("saved")),
                      home_screen=platform)
    response.vary.add("User-Agent")
    response.vary.add("Cookie")
    return response


@bp.post("/me/badge/home-screen-hint")
@login_required
def dismiss_home_screen_hint():
    """'Got it' on the add-to-home-screen hint: not shown on this phone again."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    response = current_app.response_class("", 200) if htmx and not htmx.boosted else redirect(url_for("badges.mine"), 303)
    response.set_cookie(HOME_SCREEN_HINT_COOKIE, "done", max_age=2 * 365 * 24 * 3600, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


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
