from __future__ import annotations

from flask import current_app, g, make_response, redirect, render_template, request, url_for

from conference.auth import bp, end_every_session, login_required, sign_in, sign_in_organizer, sign_out
from conference.auth.forms import ConfirmForm, SignInForm
from conference.auth.operations import (attendees_for_email, issue_organizer_token, issue_sign_in_token,
                                        redeem_sign_in_token, safe_next, token_for)
from conference.errors import DomainError
from conference.extensions import db
from conference.mail import send_mail
from conference import ratelimits
from conference.urls import public_url


@bp.route("/signin", methods=["GET", "POST"])
@ratelimits.sign_in_request
def request_link():
    """Ask for a one-time sign-in link by email; the answer never says if the email is known."""
    form = SignInForm(next=request.args.get("next", ""), email=request.args.get("email", ""))
    if form.validate_on_submit():
        minutes = current_app.config["SIGN_IN_LINK_MINUTES"]
        for attendee in attendees_for_email(form.email.data):
            token = issue_sign_in_token(attendee, minutes, form.next.data)
            link = public_url("auth.confirm", token=token)
            send_mail(attendee.email, f"Your sign-in link for {attendee.conference.name}",
                      f"Hello {attendee.name},\n\nOpen this link on the device you want to use "
                      f"PLN Connect on:\n\n{link}\n\nIt works once, for {minutes} minutes. "
                      f"If you did not ask for it, ignore this email.\n")
        send_organizer_link(form.email.data, form.next.data)
        db.session.commit()
        return render_template("auth/sent.html", email=form.email.data.strip())
    status = 422 if form.errors else 200
    return render_template("auth/request.html", form=form, ended=request.args.get("ended") == "1"), status


def send_organizer_link(email: str, next_path: str = "") -> None:
    """One organizer sign-in link for `email`, if it organizes any conference (it opens all of them)."""
    from conference.organizer.operations import organizers_for_email
    organizers = organizers_for_email(email)
    if not organizers:
        return
    minutes = current_app.config["SIGN_IN_LINK_MINUTES"]
    wanted = next_path if (next_path or "").startswith("/organize") else ""
    token = issue_organizer_token(organizers[0], minutes, wanted)
    names = ", ".join(o.conference.name for o in organizers)
    send_mail(organizers[0].email, "Your organizer sign-in link for PLN Connect",
              f"Hello,\n\nOpen this link to sign in to the organizer console ({names}):\n\n"
              f"{public_url('auth.confirm', token=token)}\n\nIt works once, for {minutes} minutes. "
              f"If you did not ask for it, ignore this email.\n")


@bp.route("/signin/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """Confirm a sign-in link with one tap (mail scanners that open links do not use it up)."""
    response = make_response(_confirm(token))
    # The token is in this page's URL: no Referer carries it to the next page.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _confirm(token: str):
    form = ConfirmForm()
    try:
        if request.method == "POST" and form.validate_on_submit():
            used = redeem_sign_in_token(token)
            if used.organizer is not None:
                sign_in_organizer(used.organizer)
                db.session.commit()
                return redirect(safe_next(used.next_path) or url_for("organizer.index"), 303)
            claimed = used.attendee.claimed_at is not None and used.attendee.claimed_at >= used.created_at
            # A sign-in by link proves the mailbox: sessions from before (perhaps someone else's) end.
            end_every_session(used.attendee)
            sign_in(used.attendee)
            db.session.commit()
            return redirect(safe_next(used.next_path) or url_for("badges.mine", welcome=1 if claimed else None), 303)
        found = token_for(token)
    except DomainError as error:
        db.session.rollback()
        return render_template("auth/request.html", form=SignInForm(formdata=None),
                               link_error=error.message), 410
    if found.organizer is not None:
        return render_template("auth/confirm.html", form=form, organizer=found.organizer)
    return render_template("auth/confirm.html", form=form, attendee=found.attendee)


@bp.post("/signout")
def signout():
    """Forget this device."""
    if ConfirmForm().validate_on_submit():
        sign_out()
    return redirect(url_for("pages.home"), 303)


@bp.post("/signout/everywhere")
@login_required
def signout_everywhere():
    """End every session of mine, on every device (this one too)."""
    if ConfirmForm().validate_on_submit():
        end_every_session(g.attendee)
        db.session.commit()
        sign_out()
        return redirect(url_for("auth.request_link", ended=1), 303)
    return redirect(url_for("pages.me"), 303)
