from __future__ import annotations

from flask import abort, g, redirect, request, url_for

from conference.attendees.models import Attendee
from conference.auth import login_required
from conference.auth.forms import ConfirmForm
from conference.errors import DomainError, or_404
from conference.events.operations import is_closed
from conference.extensions import db, htmx
from conference.htmx import render
from conference.meetings import booking, bp
from conference.meetings.huddle_forms import CancelForm, CircleFromHuddleForm, HuddleForm
from conference.meetings.huddles import (circle_name, cancel_huddle, huddle_for, huddle_to_circle,
                                         huddle_view, huddles_for, interests_of, invite, join_huddle, leave_huddle,
                                         start_huddle, swap_contact)
from conference.meetings.models import HUDDLE_SIZES

# Far past any conference's huddles, and small enough that its offset is a number every database takes.
LAST_PAGE = 10_000

DONE = {
    "started": "Your huddle is on. We told people who can help with its interests.",
    "listed": "Your huddle is on, listed for the people of the conference.",
    "seated": "You're in. See you at the table.",
    "waiting": "The huddle is full, so you're on the waiting list. We'll tell you if a seat opens.",
    "left": "You left the huddle. Your seat went to the next person waiting.",
    "unlisted": "You're off the waiting list.",
    "cancelled": "The huddle is cancelled. Everyone in it has been told.",
    "saved": "Saved to your contacts. They see that you connected and can save you back.",
}


@bp.get("/huddles")
@login_required
def huddles():
    """Huddles: mine, those I can help with, those on what I seek, and the others of the conference."""
    me = g.attendee
    return render("meetings/huddles.html", lists=huddles_for(me), closed=is_closed(me.conference))


@bp.get("/huddles/more")
@login_required
def more_huddles():
    """The conference's other upcoming huddles, a page at a time (a page that is not a number is the first)."""
    page = max(request.args.get("page", 1, type=int), 1)
    if page > LAST_PAGE:
        abort(404)
    lists = huddles_for(g.attendee, page=page)
    if page > 1 and not lists.others:
        abort(404)
    return render("meetings/huddles_more.html", lists=lists)


def _new_form(form: HuddleForm, status: int = 200, problem: str | None = None):
    me = g.attendee
    chosen = form.interests.data or set()
    # What the host is looking for first: a huddle's question is most often about one of those.
    interests = sorted(interests_of(me.conference), key=lambda interest: interest.id not in me.seeks)
    return render("meetings/huddle_new.html", status=status, form=form, problem=problem,
                  interests=interests, chosen=chosen,
                  times=[(t, booking.time_label(me.conference, t)) for t in booking.free_times(me.conference, me)],
                  spots=booking.open_spots(me.conference), sizes=range(HUDDLE_SIZES[0], HUDDLE_SIZES[1] + 1),
                  closed=is_closed(me.conference))


@bp.route("/huddles/new", methods=["GET", "POST"])
@login_required
def new_huddle():
    """Start a huddle: a question, one or two interests, a time, a spot and a size."""
    form = HuddleForm()
    if request.method == "GET":
        return _new_form(form)
    if not form.validate_on_submit():
        return _new_form(form, 422)
    try:
        huddle = start_huddle(g.attendee, form.question.data, form.interests.data, form.time.data,
                              form.spot.data, form.size.data)
        told = invite(huddle)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        for name, message in error.errors.items():
            if name in form:
                form[name].errors = [message]
        return _new_form(form, 422, None if error.errors else error.message)
    return redirect(url_for("meetings.huddle", huddle_id=huddle.id, done="started" if told else "listed"), 303)


def _page(huddle, status: int = 200, problem: str | None = None, done: str | None = None, cancel_form=None,
          circle_form=None):
    me = g.attendee
    return render("meetings/huddle.html", "huddle_panel", status=status, view=huddle_view(huddle, me), huddle=huddle,
                  problem=problem, done=DONE.get(done or ""), cancel_form=cancel_form or CancelForm(formdata=None),
                  circle_form=circle_form or CircleFromHuddleForm(formdata=None, name=circle_name(huddle.question)),
                  closed=is_closed(me.conference))


@bp.get("/huddles/<int:huddle_id>")
@login_required
def huddle(huddle_id: int):
    """One huddle: its question, time and table, seats left, join or leave; who is coming, for the host."""
    return _page(or_404(huddle_for, g.attendee, huddle_id), done=request.args.get("done"))


def _changed(huddle, done: str):
    """After a change: the panel for htmx, a redirect to the page otherwise."""
    if htmx and not htmx.boosted:
        db.session.expire_all()
        return _page(huddle, done=done)
    return redirect(url_for("meetings.huddle", huddle_id=huddle.id, done=done), 303)


@bp.post("/huddles/<int:huddle_id>/join")
@login_required
def join(huddle_id: int):
    """Take a seat, or a place on the waiting list when it is full."""
    huddle = or_404(huddle_for, g.attendee, huddle_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        outcome = join_huddle(huddle, g.attendee)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _page(huddle, 422, error.message)
    return _changed(huddle, outcome)


@bp.post("/huddles/<int:huddle_id>/leave")
@login_required
def leave(huddle_id: int):
    """Give up my seat (the next person waiting gets it) or my place on the waiting list."""
    huddle = or_404(huddle_for, g.attendee, huddle_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    was_seated = any(seat.attendee_id == g.attendee.id for seat in huddle.seats)
    try:
        leave_huddle(huddle, g.attendee)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _page(huddle, 422, error.message)
    return _changed(huddle, "left" if was_seated else "unlisted")


@bp.post("/huddles/<int:huddle_id>/cancel")
@login_required
def cancel(huddle_id: int):
    """The host calls the huddle off, with an optional line for the others."""
    huddle = or_404(huddle_for, g.attendee, huddle_id)
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        cancel_huddle(huddle, g.attendee, form.reason.data or "")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.field == "reason":
            form.reason.errors = [error.message]
            return _page(huddle, 422, cancel_form=form)
        return _page(huddle, 422, error.message)
    return _changed(huddle, "cancelled")


@bp.post("/huddles/<int:huddle_id>/swap/<int:attendee_id>")
@login_required
def swap(huddle_id: int, attendee_id: int):
    """After the huddle: save someone who sat at it, in one tap."""
    huddle = or_404(huddle_for, g.attendee, huddle_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    other = db.session.get(Attendee, attendee_id)
    try:
        if other is None:
            raise DomainError("That person did not sit at this huddle.")
        swap_contact(huddle, g.attendee, other)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _page(huddle, 422, error.message)
    return _changed(huddle, "saved")


@bp.post("/huddles/<int:huddle_id>/circle")
@login_required
def make_circle(huddle_id: int):
    """After the huddle: turn it into a circle of the people who sat at it."""
    huddle = or_404(huddle_for, g.attendee, huddle_id)
    form = CircleFromHuddleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        circle = huddle_to_circle(huddle, g.attendee, form.name.data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.field == "name":
            form.name.errors = [error.message]
            return _page(huddle, 422, circle_form=form)
        return _page(huddle, 422, error.message)
    return redirect(url_for("circles.show", circle_id=circle.id, created=1), 303)
