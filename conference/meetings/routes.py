from __future__ import annotations

from flask import abort, g, redirect, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from conference.auth import login_required
from conference.auth.forms import ConfirmForm
from conference.errors import DomainError, merge_error
from conference.extensions import db, htmx
from conference.htmx import render
from conference.meetings import bp
from conference.meetings.booking import free_times, open_spots, spot_with_room, time_label
from conference.meetings.forms import AskForm, CancelForm
from conference.meetings.operations import (MESSAGE_LIMIT, REASON_LIMIT, accept_meeting, ask_to_meet,
                                            cancel_meeting, decline_meeting, has_meeting_times, may_ask,
                                            meeting_for, person_to_ask, propose_time, schedule_for, waiting_count)

TIMES_SHOWN = 12  # the sheet lists the soonest free times; later ones come once these pass


@bp.before_app_request
def _forget_counts() -> None:
    # An app context pushed around several requests (a test, a CLI) shares one `g`.
    g.pop("meetings_waiting", None)
    g.pop("meeting_times_ahead", None)


@bp.app_context_processor
def _meeting_helpers() -> dict:
    return {"meetings_waiting": _waiting, "can_ask": _can_ask, "time_label": time_label}


def _waiting(me) -> int:
    """Requests waiting for the signed-in person's answer, counted once per request (the card counts
    them in its own statement)."""
    known = getattr(me, "meetings_waiting", None)
    if known is not None:
        return known
    if "meetings_waiting" not in g:
        try:
            g.meetings_waiting = waiting_count(me.id)
        except SQLAlchemyError:
            # An error page after a failed statement: its transaction runs nothing more, and the
            # page must still show. The count waits for the next page.
            g.meetings_waiting = 0
    return g.meetings_waiting


def _can_ask(me, person, meeting_times: bool | None = None) -> bool:
    """Whether to show "Ask to meet" for `person` (`meeting_times` when the page already knows)."""
    if me is None or person is None or may_ask(me, person) is not None:
        return False
    if meeting_times is None:
        if "meeting_times_ahead" not in g:
            g.meeting_times_ahead = has_meeting_times(me.conference_id)
        meeting_times = g.meeting_times_ahead
    return bool(meeting_times)


def _sheet(other, form: AskForm, meeting=None, status: int = 200, sent=None):
    """The sheet: the times both are free, each with the spot and table the app proposes."""
    me = g.attendee
    conference = me.conference
    options = []
    times = [t for t in free_times(conference, me, other) if meeting is None or t.id != meeting.time_id]
    for time in times[:TIMES_SHOWN]:
        found = spot_with_room(conference, time)
        options.append((time, time_label(conference, time), found[0].place(found[1]) if found else None))
    spots = open_spots(conference)
    return render("meetings/ask.html", "ask_sheet", status=status, other=other, form=form, meeting=meeting,
                  options=options, spots=spots, reason=may_ask(me, other), sent=sent, message_limit=MESSAGE_LIMIT)


@bp.route("/me/meet/<int:attendee_id>", methods=["GET", "POST"])
@login_required
def ask(attendee_id: int):
    """Ask to meet: a time when both are free, a spot with a free table, an optional line."""
    try:
        other = person_to_ask(g.attendee, attendee_id)
    except DomainError:
        abort(404)
    form = AskForm()
    if request.method == "GET":
        return _sheet(other, form)
    if form.validate_on_submit():
        try:
            meeting = ask_to_meet(g.attendee, other, form.time_id, form.spot_id, message=form.message.data or "")
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            merge_error(form, error)
        else:
            if htmx and not htmx.boosted:
                return _sheet(other, AskForm(formdata=None), sent=meeting)
            return redirect(url_for("meetings.schedule", asked=meeting.id, _anchor=f"meeting-{meeting.id}"), 303)
    return _sheet(other, form, status=422)


def _mine(meeting_id: int):
    try:
        return meeting_for(g.attendee, meeting_id)
    except DomainError:
        abort(404)


def _schedule(status: int = 200, errors: dict | None = None, typed: dict | None = None):
    return render("meetings/schedule.html", status=status, schedule=schedule_for(g.attendee),
                  errors=errors or {}, typed=typed or {}, action_form=ConfirmForm(),
                  asked=request.args.get("asked", type=int), done=request.args.get("done", ""),
                  reason_limit=REASON_LIMIT)


@bp.get("/me/meetings")
@login_required
def schedule():
    """My schedule: today's and upcoming meetings and huddles, requests to answer, what I asked."""
    return _schedule()


def _act(meeting_id: int, action, done: str, form=None, **kwargs):
    """Run one answer or cancellation; the schedule again, with the reason at the item if refused."""
    meeting = _mine(meeting_id)
    form = form or ConfirmForm()
    if not form.validate_on_submit():
        return _schedule(400, errors={meeting.id: "That form was incomplete. Try again."})
    try:
        action(meeting, g.attendee, **kwargs)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        typed = {meeting.id: kwargs["reason"]} if "reason" in kwargs else {}  # a cancel's line, kept
        return _schedule(422, errors={meeting.id: error.message}, typed=typed)
    return redirect(url_for("meetings.schedule", done=done, _anchor=f"meeting-{meeting.id}"), 303)


@bp.post("/me/meetings/<int:meeting_id>/accept")
@login_required
def accept(meeting_id: int):
    """Accept a request: both are booked and a table held."""
    return _act(meeting_id, accept_meeting, "accepted")


@bp.post("/me/meetings/<int:meeting_id>/decline")
@login_required
def decline(meeting_id: int):
    """Not this time (the asker reads "not available")."""
    return _act(meeting_id, decline_meeting, "declined")


@bp.post("/me/meetings/<int:meeting_id>/cancel", endpoint="cancel_meeting")
@login_required
def cancel_meeting_view(meeting_id: int):
    """Cancel a meeting or withdraw a request, with a line of reason for the other person."""
    form = CancelForm()
    return _act(meeting_id, cancel_meeting, "cancelled", form=form, reason=form.reason.data or "")


@bp.route("/me/meetings/<int:meeting_id>/propose", methods=["GET", "POST"])
@login_required
def propose(meeting_id: int):
    """Answer a request with another time (and spot): it goes back to the asker as a request."""
    meeting = _mine(meeting_id)
    if meeting.invitee_id != g.attendee.id:
        abort(404)
    form = AskForm()
    if request.method == "GET":
        return _sheet(meeting.asker, form, meeting=meeting)
    if form.validate_on_submit():
        try:
            new = propose_time(meeting, g.attendee, form.time_id, form.spot_id, message=form.message.data or "")
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            merge_error(form, error)
        else:
            return redirect(url_for("meetings.schedule", done="proposed", _anchor=f"meeting-{new.id}"), 303)
    return _sheet(meeting.asker, form, meeting=meeting, status=422)
