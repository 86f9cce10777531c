from __future__ import annotations

from flask import g, make_response, redirect, render_template, request, url_for

from conference.auth import bp, end_every_session, login_required, sign_in, sign_in_organizer, sign_out
from conference.auth.forms import ConfirmForm, SignInForm
from conference.auth.addresses import merge_provisional, take_address
from conference.auth.links import send_sign_in_links
from conference.auth.operations import redeem_sign_in_token, safe_next, token_for
from conference.contacts.cold import carry_cold_scans, cold_scans
from conference.errors import DomainError
from conference.extensions import db
from conference import ratelimits
from conference.tasks import enqueue


@bp.route("/signin", methods=["GET", "POST"])
@ratelimits.sign_in_request
def request_link():
    """Ask for a one-time sign-in link by email; the answer never says if the email is known.

    Whatever the address, the request enqueues one task: the lookup and the mail happen in the worker."""
    form = SignInForm(next=request.args.get("next", ""), email=request.args.get("email", ""))
    if form.validate_on_submit():
        enqueue(send_sign_in_links, form.email.data, safe_next(form.next.data))
        return render_template("auth/sent.html", email=form.email.data.strip())
    status = 422 if form.errors else 200
    return render_template("auth/request.html", form=form, ended=request.args.get("ended") == "1"), status


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
            attendee = used.attendee
            if used.new_email is not None:  # a change of email, confirmed from the new address
                if not take_address(attendee, used.new_email):
                    raise DomainError("Another profile in this conference already uses that email, so yours "
                                      "stays as it was. Sign in below with the email you want to keep.")
                db.session.commit()
                if g.attendee is not None and g.attendee.id == attendee.id:
                    return redirect(url_for("attendees.edit", email_changed=1), 303)
            claimed = attendee.claimed_at is not None and attendee.claimed_at >= used.created_at
            # What a provisional profile on this phone (one that joined with this address) saved comes along.
            carried = g.attendee if (g.attendee is not None and g.attendee.provisional
                                     and g.attendee.pending_email == attendee.email
                                     and g.attendee.conference_id == attendee.conference_id) else None
            if carried is not None:
                merge_provisional(carried, attendee)
            # A sign-in by link proves the mailbox: sessions from before (perhaps someone else's) end.
            end_every_session(attendee)
            opened = cold_scans()
            sign_in(attendee)
            db.session.commit()
            welcome = 1 if claimed or carried is not None else None
            return (carry_cold_scans(attendee, opened)
                    or redirect(safe_next(used.next_path) or url_for("badges.mine", welcome=welcome), 303))
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
