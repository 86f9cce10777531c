"""The console's Meetings page: the times when attendees can meet in person, and the spots."""
from __future__ import annotations

from flask import abort, redirect, request, url_for

from conference.auth.forms import ConfirmForm
from conference.errors import DomainError, merge_error
from conference.events.operations import is_closed
from conference.extensions import db
from conference.htmx import render
from conference.lengths import max_length
from conference.meetings import frame
from conference.meetings.booking import time_label
from conference.meetings.models import MeetingSpot
from conference.organizer import bp
from conference.organizer.access.decorators import organizer_required
from conference.organizer.meeting_frame.forms import MeetingRunForm, MeetingSpotForm, MeetingTimeForm


def _page(conference, status: int = 200, time_form=None, run_form=None, spot_form=None, row_error=None):
    """The page; `row_error` is (kind, id, message, typed) for a change made on one row of a list."""
    return render("organizer/meetings.html", "meeting_frame", status=status, conference=conference,
                  days=frame.times_by_day(conference), spots=frame.spots_of(conference),
                  time_form=time_form or MeetingTimeForm(formdata=None, day=conference.starts_on, minutes=20),
                  run_form=run_form or MeetingRunForm(formdata=None, day=conference.starts_on, every=20, minutes=20),
                  spot_form=spot_form or MeetingSpotForm(formdata=None), spot_name_length=max_length(MeetingSpot.name),
                  action_form=ConfirmForm(),
                  row_error=row_error, closed=is_closed(conference), time_label=time_label,
                  changed=request.args.get("changed"))


def _done(conference, message: str):
    return redirect(url_for("organizer.meetings", slug=conference.slug, changed=message), 303)


def _failed(form) -> bool:
    """Whether the form's shape is wrong (its errors are shown); a bad CSRF token is a 400."""
    if form.validate_on_submit():
        return False
    if "csrf_token" in form.errors:
        abort(400)
    return True


@bp.get("/<slug>/meetings")
@organizer_required
def meetings(conference):
    """Meeting times by day on the venue's clock, the spots, and the forms to change them."""
    return _page(conference)


@bp.post("/<slug>/meetings/times")
@organizer_required
def add_meeting_time(conference):
    """Add one meeting time."""
    form = MeetingTimeForm()
    if not _failed(form):
        try:
            added = frame.add_time(conference, form.day.data, form.start.data, form.minutes.data, form.label.data)
            db.session.commit()
            return _done(conference, f"Added {time_label(conference, added)}.")
        except DomainError as error:
            db.session.rollback()
            merge_error(form, error)
    return _page(conference, 422, time_form=form)


@bp.post("/<slug>/meetings/runs")
@organizer_required
def add_meeting_run(conference):
    """Add a run of meeting times, every so many minutes between two times of one day."""
    form = MeetingRunForm()
    if not _failed(form):
        try:
            added = frame.add_run(conference, frame.RunInput(
                day=form.day.data, first=form.first.data, until=form.until.data, every=form.every.data,
                minutes=form.minutes.data, label=form.label.data or ""))
            db.session.commit()
            return _done(conference, f"Added {len(added)} times, {time_label(conference, added[0])} to "
                                     f"{time_label(conference, added[-1])}.")
        except DomainError as error:
            db.session.rollback()
            merge_error(form, error)
    return _page(conference, 422, run_form=form)


@bp.post("/<slug>/meetings/times/<int:time_id>/remove")
@organizer_required
def remove_meeting_time(conference, time_id: int):
    """Remove a meeting time that holds no accepted meeting or huddle."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        removed = frame.remove_time(conference, time_id)
        label = time_label(conference, removed)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if time_id not in {t.id for t in frame.times_of(conference)}:
            abort(404)
        return _page(conference, 422, row_error=("time", time_id, error.message, {}))
    return _done(conference, f"Removed {label}.")


@bp.post("/<slug>/meetings/spots")
@organizer_required
def add_meeting_spot(conference):
    """Add a meeting spot with its capacity."""
    form = MeetingSpotForm()
    if not _failed(form):
        try:
            spot = frame.add_spot(conference, form.name.data, form.capacity.data)
            db.session.commit()
            return _done(conference, f"Added “{spot.name}”.")
        except DomainError as error:
            db.session.rollback()
            merge_error(form, error)
    return _page(conference, 422, spot_form=form)


@bp.post("/<slug>/meetings/spots/<int:spot_id>")
@organizer_required
def edit_meeting_spot(conference, spot_id: int):
    """Rename a spot or change its capacity."""
    form = MeetingSpotForm()
    typed = {"name": request.form.get("name", ""), "capacity": request.form.get("capacity", "")}
    try:
        if _failed(form):
            raise DomainError(next(iter(form.errors.values()))[0], field=next(iter(form.errors)))
        spot = frame.edit_spot(conference, spot_id, form.name.data, form.capacity.data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if spot_id not in {s.id for s in frame.spots_of(conference)}:
            abort(404)
        return _page(conference, 422, row_error=("spot", spot_id, error.message, {**typed, "field": error.field}))
    return _done(conference, f"Saved “{spot.name}”.")


@bp.post("/<slug>/meetings/spots/<int:spot_id>/<any(retire, restore):action>")
@organizer_required
def retire_meeting_spot(conference, spot_id: int, action: str):
    """Retire a spot (nothing new is booked there), or restore it."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        spot = frame.set_spot_retired(conference, spot_id, action == "retire")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if spot_id not in {s.id for s in frame.spots_of(conference)}:
            abort(404)
        return _page(conference, 422, row_error=("spot", spot_id, error.message, {}))
    return _done(conference, f"{'Retired' if spot.retired else 'Restored'} “{spot.name}”.")
