from __future__ import annotations

from flask import abort, g, redirect, request, url_for

from conference.attendees import bp
from conference.attendees.forms import ProfileForm
from conference.attendees.operations import conference_by_slug, interest_choices, join_conference, update_profile
from conference.auth import login_required, sign_in
from conference.auth.links import send_email_change_link, send_joined_again_link
from conference.contacts.cold import carry_cold_scans, cold_scans, waiting_in
from conference.errors import DomainError, merge_error
from conference.extensions import db
from conference.htmx import render
from conference.meetings.mail import set_meeting_mail
from conference import ratelimits
from conference.tasks import enqueue


def _merge_errors(form: ProfileForm, error: DomainError) -> None:
    merge_error(form, error, field_of=lambda key: key.replace("channel:", "ch_"))  # channel:email -> ch_email


@bp.route("/<slug>/join", methods=["GET", "POST"])
@ratelimits.join
def join(slug: str):
    """Join a conference: profile, interests, channels; signs this device in."""
    conference = conference_by_slug(slug) or abort(404)
    if g.attendee is not None and g.attendee.conference_id == conference.id and request.method == "GET":
        return redirect(url_for("badges.mine"))
    form = ProfileForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"]
    status = 200
    if form.validate_on_submit():
        try:
            attendee = join_conference(conference, form.to_input())
            db.session.commit()
            # Whatever the address, one task: it mails a link there if the address is in use here.
            enqueue(send_joined_again_link, attendee.id)
            opened = cold_scans()
            sign_in(attendee)
            return carry_cold_scans(attendee, opened) or redirect(url_for("badges.mine", welcome=1), 303)
        except DomainError as error:
            db.session.rollback()
            _merge_errors(form, error)
    if form.errors or form.form_errors:
        status = 422
    return render("attendees/profile.html", "profile_form", status=status, form=form, conference=conference,
                  interests=interest_choices(conference), joining=True, waiting=waiting_in(conference.id, cold_scans()))


@bp.route("/me/profile", methods=["GET", "POST"])
@login_required
@ratelimits.profile_update
def edit():
    """Change what my badge and card show; a new email waits for the link we send to it."""
    me = g.attendee
    form = ProfileForm()
    if request.method == "GET":
        form.fill_from(me)
    status = 200
    if form.validate_on_submit():
        try:
            new_email = update_profile(me, form.to_input(editing=True))
            set_meeting_mail(me, bool(form.meeting_mail.data))
            db.session.commit()
            if new_email:
                enqueue(send_email_change_link, me.id, new_email)
                return redirect(url_for("attendees.edit", email_sent=1), 303)
            return redirect(url_for("badges.mine", saved=1), 303)
        except DomainError as error:
            db.session.rollback()
            _merge_errors(form, error)
    if form.errors or form.form_errors:
        status = 422
    return render("attendees/profile.html", "profile_form", status=status, form=form, conference=me.conference,
                  interests=interest_choices(me.conference, me), joining=False,
                  email_sent=request.args.get("email_sent") == "1" and me.pending_email,
                  email_changed=request.args.get("email_changed") == "1")
