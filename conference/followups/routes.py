from __future__ import annotations

from flask import abort, g, redirect, request, url_for

from conference.auth import login_required
from conference.auth.forms import ConfirmForm
from conference.contacts.operations import owned_connection
from conference.devices import phone_platform
from conference.downloads import download, file_slug
from conference.errors import DomainError, or_404
from conference.events.operations import local_today
from conference.extensions import db, htmx
from conference.followups import bp
from conference.followups.forms import FollowUpForm
from conference.followups.operations import (add_follow_up, complete, contact_name, done_follow_ups, due_label,
                                             follow_ups_on, open_follow_ups, owned_follow_up, remove, reopen,
                                             to_icalendar)
from conference.htmx import render
from conference.urls import public_host


def _helpers() -> dict:
    today = local_today(g.attendee.conference)
    return dict(today=today, due_label=lambda d: due_label(d, today), contact_name=contact_name,
                action_form=ConfirmForm())


@bp.get("/me/follow-ups")
@login_required
def index():
    """Open follow-ups by due date, recently done ones, and the calendar downloads."""
    response = render("followups/index.html", "followup_list", open_items=open_follow_ups(g.attendee),
                      done_items=done_follow_ups(g.attendee), iphone=phone_platform() == "ios", **_helpers())
    response.vary.add("User-Agent")
    return response


def _contact_block(connection, form=None, status=200):
    return render("followups/contact.html", "contact_followups", status=status, connection=connection,
                  items=follow_ups_on(g.attendee, connection.id), form=form or FollowUpForm(formdata=None),
                  **_helpers())


@bp.get("/me/contacts/<int:connection_id>/follow-ups")
@login_required
def for_contact(connection_id: int):
    """One contact's follow-ups and a form to add one (loaded into the contact page by htmx)."""
    return _contact_block(or_404(owned_connection, g.attendee, connection_id))


@bp.post("/me/contacts/<int:connection_id>/follow-ups")
@login_required
def add(connection_id: int):
    """Add a follow-up to a contact."""
    connection = or_404(owned_connection, g.attendee, connection_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            add_follow_up(g.attendee, connection.id, form.text.data, form.due_on.data)
            db.session.commit()
            if htmx and not htmx.boosted:
                return _contact_block(connection)
            return redirect(url_for("followups.for_contact", connection_id=connection.id, added=1), 303)
        except DomainError as error:
            db.session.rollback()
            for key, message in error.errors.items():
                form[key].errors = [message]
    return _contact_block(connection, form=form, status=422)


def _change(follow_up_id: int, operation):
    """Apply `operation`, then show the list the button was on (a contact's, or all)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        connection_id = owned_follow_up(g.attendee, follow_up_id).connection_id
        operation(g.attendee, follow_up_id)
    except DomainError:
        abort(404)
    db.session.commit()
    if request.form.get("back") == "contact":
        connection = or_404(owned_connection, g.attendee, connection_id)
        if htmx and not htmx.boosted:
            return _contact_block(connection)
        return redirect(url_for("followups.for_contact", connection_id=connection_id), 303)
    if htmx and not htmx.boosted:
        return index()
    return redirect(url_for("followups.index"), 303)


@bp.post("/me/follow-ups/<int:follow_up_id>/done")
@login_required
def done(follow_up_id: int):
    """Mark a follow-up done."""
    return _change(follow_up_id, complete)


@bp.post("/me/follow-ups/<int:follow_up_id>/reopen")
@login_required
def undo_done(follow_up_id: int):
    """Put a done follow-up back on the list."""
    return _change(follow_up_id, reopen)


@bp.post("/me/follow-ups/<int:follow_up_id>/delete")
@login_required
def delete(follow_up_id: int):
    """Delete a follow-up."""
    return _change(follow_up_id, remove)


@bp.get("/me/follow-ups.ics")
@login_required
def calendar():
    """Open follow-ups as iCalendar: to-dos, or (?as=events) all-day reminders for calendar apps."""
    as_events = request.args.get("as") == "events"
    body = to_icalendar(g.attendee, open_follow_ups(g.attendee), as_events=as_events, host=public_host())
    name = f"{file_slug(g.attendee.conference.name, 'conference')}-follow-ups{'-reminders' if as_events else ''}.ics"
    # An iPhone opens calendar events shown inline in its Calendar ("Add all"); as an attachment they
    # only land in Files. Everywhere else the link's `download` saves the file.
    response = download(body, "text/calendar", name, inline=as_events and phone_platform() == "ios")
    response.vary.add("User-Agent")
    return response
