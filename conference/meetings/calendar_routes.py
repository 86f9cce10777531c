"""My schedule in a calendar app (.ics per item, a private feed) and the meeting-mail setting."""
from __future__ import annotations

from flask import abort, g, redirect, request, url_for

from conference import ratelimits
from conference.attendees.forms import MeetingMailForm
from conference.auth import login_required
from conference.auth.forms import ConfirmForm
from conference.downloads import download, file_slug
from conference.devices import phone_platform
from conference.events.operations import local_time
from conference.extensions import db, htmx
from conference.htmx import render
from conference.meetings import bp
from conference.meetings.calendar import (FEED_REFRESH, feed_of, feed_owner, feed_urls, huddle_entry,
                                          make_feed, meeting_entry, my_huddle, my_meeting, revoke_feed,
                                          schedule_entries, schedule_url, to_icalendar)
from conference.meetings.mail import set_meeting_mail
from conference.urls import public_host

PAGE, BLOCK = "meetings/calendar.html", "calendar_section"


@bp.app_template_global()
def calendar_status(attendee) -> dict:
    """For the calendar section wherever a page shows it: the person's feed (or None), when it was
    made on the venue's clock, and the phone it is looked at on (its instructions open first)."""
    feed = feed_of(attendee)
    made = local_time(attendee.conference, feed.created_at) if feed is not None else None
    return {"feed": feed, "made": f"{made:%a} {made.day} {made:%b}, {made:%-H:%M}" if made else "",
            "phone": phone_platform(), "mail": MeetingMailForm(formdata=None, meeting_mail=attendee.meeting_mail)}


def _one_item(entry, name: str):
    body = to_icalendar(g.attendee.conference, [entry], name=g.attendee.conference.name)
    # An iPhone opens an event shown inline in its Calendar ("Add"); as an attachment it lands in Files.
    response = download(body, "text/calendar", f"{file_slug(name, 'meeting')}.ics", inline=phone_platform() == "ios")
    response.vary.add("User-Agent")
    return response


@bp.get("/me/meetings/meeting/<int:meeting_id>.ics")
@login_required
def meeting_ics(meeting_id: int):
    """One accepted meeting as an iCalendar file, for the two people in it."""
    meeting = my_meeting(g.attendee, meeting_id)
    if meeting is None:
        abort(404)
    return _one_item(meeting_entry(meeting, g.attendee, public_host(), schedule_url()), f"meeting-{meeting.id}")


@bp.get("/me/meetings/huddle/<int:huddle_id>.ics")
@login_required
def huddle_ics(huddle_id: int):
    """One huddle as an iCalendar file, for the people seated in it."""
    huddle = my_huddle(g.attendee, huddle_id)
    if huddle is None:
        abort(404)
    return _one_item(huddle_entry(huddle, g.attendee, public_host(), schedule_url()), f"huddle-{huddle.id}")


@bp.get("/calendar/<token>.ics")
@ratelimits.calendar_feed
def feed(token: str):
    """A private calendar feed: my meetings and huddles, for a calendar app that has no session."""
    owner = feed_owner(token)
    if owner is None:
        abort(404)
    entries = schedule_entries(owner, public_host(), schedule_url(), signed_in=False)
    body = to_icalendar(owner.conference, entries, name=f"Meetings · {owner.conference.name}", refresh=FEED_REFRESH)
    # Calendar apps poll: a few minutes of caching on the phone, none on a shared proxy.
    response = download(body, "text/calendar", "meetings.ics", inline=True)
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/me/meetings/calendar")
@login_required
def calendar_settings():
    """Calendar and email: the private feed, how to subscribe, and whether meetings send mail."""
    response = render(PAGE)
    response.vary.add("User-Agent")  # the phone's own instructions open first
    return response


@bp.post("/me/meetings/calendar-feed")
@login_required
def make_calendar_feed():
    """Make a new private feed URL (the old one stops working) and show it, this once."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("meetings.calendar_settings"), 303)
    token = make_feed(g.attendee)
    db.session.commit()
    response = render(PAGE, block=BLOCK, new_urls=feed_urls(token))
    response.headers["Cache-Control"] = "private, no-store"  # the URL is a key: not kept by any cache
    response.vary.add("User-Agent")
    return response


@bp.post("/me/meetings/calendar-feed/revoke")
@login_required
def revoke_calendar_feed():
    """End the private feed: calendars subscribed to it get nothing more."""
    form = ConfirmForm()
    if form.validate_on_submit():
        revoke_feed(g.attendee)
        db.session.commit()
    return _settings_answer()


@bp.post("/me/meetings/mail")
@login_required
def meeting_mail():
    """Turn email about meeting requests, answers and changes on or off."""
    form = MeetingMailForm()
    if form.validate_on_submit():
        set_meeting_mail(g.attendee, form.meeting_mail.data)
        db.session.commit()
    return _settings_answer()


def _settings_answer():
    if htmx and not htmx.boosted:
        return render(PAGE, block=BLOCK)
    # Without JavaScript, back to the page the form was on: My schedule, or the calendar page.
    back = url_for("meetings.schedule" if request.form.get("back") == "schedule" else "meetings.calendar_settings")
    return redirect(back, 303)
