"""The console's index and its team: the conferences an organizer runs, who organizes one, inviting one more."""
from __future__ import annotations

from flask import g, redirect, request, url_for

from conference.auth.operations import issue_organizer_token
from conference.errors import DomainError, merge_error
from conference.extensions import db
from conference.htmx import render
from conference.mail import send_mail
from conference.organizer import bp
from conference.organizer.access.decorators import organizer_required, organizer_signed_in
from conference.organizer.access.forms import InviteForm
from conference.organizer.access.operations import conferences_of, create_organizer, organizers_of
from conference.urls import public_url

INVITE_MINUTES = 3 * 24 * 60  # an invitation may wait in an inbox over a weekend


@bp.get("/")
@organizer_signed_in
def index():
    """The conferences this organizer runs."""
    conferences = conferences_of(g.organizer.email)
    if len(conferences) == 1:
        return redirect(url_for("organizer.dashboard", slug=conferences[0].slug))
    return render("organizer/index.html", conferences=conferences)


@bp.route("/<slug>/organizers", methods=["GET", "POST"])
@organizer_required
def organizers(conference):
    """Who organizes this conference, and inviting one more by email."""
    form = InviteForm()
    if form.validate_on_submit():
        try:
            organizer = create_organizer(conference, form.email.data, invited_by=g.conference_organizer)
            token = issue_organizer_token(organizer, INVITE_MINUTES, url_for("organizer.dashboard", slug=conference.slug))
            db.session.commit()
            send_mail(organizer.email, f"You're invited to organize {conference.name} on PLN Connect",
                      f"Hello,\n\n{g.conference_organizer.email} invited you to organize {conference.name} on PLN Connect.\n\n"
                      f"Open this link to sign in to the organizer console:\n\n"
                      f"{public_url('auth.confirm', token=token)}\n\nIt works once, for 3 days. Later, sign in "
                      f"any time at {public_url('auth.request_link')} with this email.\n")
            return redirect(url_for("organizer.organizers", slug=conference.slug, invited=organizer.email), 303)
        except DomainError as error:
            db.session.rollback()
            merge_error(form, error)
    status = 422 if form.errors or form.form_errors else 200
    return render("organizer/organizers.html", "invite_form", status=status, conference=conference, form=form,
                  organizers=organizers_of(conference), invited=request.args.get("invited"))
