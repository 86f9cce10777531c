"""My schedule in a calendar app: each meeting and huddle as .ics, and the private feed (read with the
icalendar library, as a calendar app would)."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta, timezone

import pytest
from icalendar import Calendar
from sqlalchemy import select

from conference import create_app
from conference.events.models import utcnow
from conference.extensions import db
from conference.meetings.models import CalendarFeed
from tests.conftest import empty_database, empty_schema, test_config
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.meeting_factories import (accepted_meeting, cancel_meeting, make_huddle, make_spot, make_time,
                                     requested_meeting)

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
ANDROID = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
QUESTION = "Chronic absence in K–2: what actually worked?"


@pytest.fixture
def world(app):
    conference = make_conference(timezone="America/Chicago", venue="Hilton Anatole, Dallas")
    ana = make_attendee(conference, name="Ana Ruiz", school="Maple Grove K–8", role="principal")
    bea = make_attendee(conference, name="Bea Chen", school="Harbor View Elementary", role="assistant_principal")
    cal = make_attendee(conference, name="Cal Okafor")
    dee = make_attendee(conference, name="Dee Park")
    lounge = make_spot(conference, "Networking lounge", capacity=20)
    cafe = make_spot(conference, "Hall B café", capacity=1)
    soon = make_time(conference)
    later = make_time(conference, soon.starts_at + timedelta(hours=1))
    meeting = accepted_meeting(ana, bea, soon, lounge, table=3, message="Let's compare master schedules")
    huddle = make_huddle(cal, later, lounge, QUESTION, members=[ana, dee], size=6,
                         interests=["School climate and culture"])
    return dict(conference=conference, ana=ana, bea=bea, cal=cal, dee=dee, lounge=lounge, cafe=cafe, soon=soon,
                later=later, meeting=meeting, huddle=huddle)


def parse(response) -> Calendar:
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def events(calendar: Calendar) -> list:
    return list(calendar.walk("VEVENT"))


def check_timed_event(event, calendar: Calendar, zone: str = "America/Chicago") -> None:
    """On the venue's clock, with its VTIMEZONE, and a 10-minute display reminder."""
    assert event["DTSTART"].params["TZID"] == zone and event["DTEND"].params["TZID"] == zone
    assert str(event.decoded("DTSTART").tzinfo) == zone
    assert zone in [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")]
    alarms = event.walk("VALARM")
    assert len(alarms) == 1 and str(alarms[0]["ACTION"]) == "DISPLAY"
    assert alarms[0]["TRIGGER"].to_ical() == b"-PT10M"


def test_a_meeting_downloads_for_both_people_with_place_time_and_reminder(client, world):
    sign_in_as(client, world["ana"])
    response = client.get(f"/me/meetings/meeting/{world['meeting'].id}.ics")
    calendar = parse(response)
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    [event] = events(calendar)
    check_timed_event(event, calendar)
    assert str(event["SUMMARY"]) == "Meet Bea Chen"
    assert str(event["LOCATION"]) == "Networking lounge, table 3, Hilton Anatole, Dallas"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "Assistant principal, Harbor View Elementary" in str(event["DESCRIPTION"])
    assert "Let's compare master schedules" in str(event["DESCRIPTION"])
    assert "https://pln.example.org/me/meetings" in str(event["DESCRIPTION"])
    start = event.decoded("DTSTART")
    assert start.replace(tzinfo=None) != world["soon"].starts_at  # local, not UTC...
    assert start == world["soon"].starts_at.replace(tzinfo=timezone.utc)  # ...of the same moment
    assert event.decoded("DTEND") - start == timedelta(minutes=20)
    uid = str(event["UID"])
    assert uid == f"meeting-{world['meeting'].id}@pln.example.org"

    iphone = client.get(f"/me/meetings/meeting/{world['meeting'].id}.ics", headers={"User-Agent": IPHONE})
    assert iphone.headers["Content-Disposition"].startswith("inline")  # opens in its Calendar
    assert "User-Agent" in iphone.headers["Vary"]

    sign_in_as(client, world["bea"])
    [theirs] = events(parse(client.get(f"/me/meetings/meeting/{world['meeting'].id}.ics")))
    assert str(theirs["SUMMARY"]) == "Meet Ana Ruiz" and str(theirs["UID"]) == uid  # one event, the same id
    assert "Maple Grove K–8" in str(theirs["DESCRIPTION"])


def test_a_huddle_downloads_for_the_people_seated_in_it(client, world):
    huddle = world["huddle"]
    for person in ("cal", "ana", "dee"):
        sign_in_as(client, world[person])
        calendar = parse(client.get(f"/me/meetings/huddle/{huddle.id}.ics"))
        [event] = events(calendar)
        check_timed_event(event, calendar)
        assert str(event["SUMMARY"]) == QUESTION
        assert str(event["LOCATION"]) == "Networking lounge, table 1, Hilton Anatole, Dallas"
        assert "3 of 6 seats taken" in str(event["DESCRIPTION"])
        assert "School climate and culture" in str(event["DESCRIPTION"])
        assert "Ana Ruiz" not in str(event["DESCRIPTION"])  # how many are coming, never who
        assert str(event["UID"]) == f"huddle-{huddle.id}@pln.example.org"


def test_a_spot_of_one_table_is_named_alone(client, world):
    time = make_time(world["conference"], world["soon"].starts_at + timedelta(hours=3))
    meeting = accepted_meeting(world["cal"], world["dee"], time, world["cafe"])
    sign_in_as(client, world["dee"])
    [event] = events(parse(client.get(f"/me/meetings/meeting/{meeting.id}.ics")))
    assert str(event["LOCATION"]) == "Hall B café, Hilton Anatole, Dallas"


def test_nobody_else_gets_a_meeting_or_a_huddle(client, world):
    meeting, huddle = world["meeting"], world["huddle"]
    asked = requested_meeting(world["cal"], world["dee"], world["soon"], world["lounge"])
    sign_in_as(client, world["cal"])
    assert client.get(f"/me/meetings/meeting/{meeting.id}.ics").status_code == 404
    assert client.get(f"/me/meetings/meeting/{asked.id}.ics").status_code == 404  # not accepted
    assert client.get("/me/meetings/meeting/999999.ics").status_code == 404
    sign_in_as(client, world["bea"])
    assert client.get(f"/me/meetings/huddle/{huddle.id}.ics").status_code == 404
    assert client.get("/me/meetings/huddle/999999.ics").status_code == 404
    signed_out = client.application.test_client()
    response = signed_out.get(f"/me/meetings/meeting/{meeting.id}.ics")
    assert response.status_code in (302, 303) and "/signin" in response.headers["Location"]


def test_a_cancelled_meeting_downloads_as_cancelled(client, world):
    cancel_meeting(world["meeting"], world["bea"], "My flight moved")
    sign_in_as(client, world["ana"])
    [event] = events(parse(client.get(f"/me/meetings/meeting/{world['meeting'].id}.ics")))
    assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 1
    assert "My flight moved" in str(event["DESCRIPTION"])
    assert not event.walk("VALARM")  # no reminder for what is off


def make_link(client) -> tuple[str, str]:
    """POST: a new feed; the https and webcal URLs shown once."""
    response = client.post("/me/meetings/calendar-feed")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    https = re.search(r'value="(https://pln\.example\.org/calendar/[A-Za-z0-9_-]{43}\.ics)"', response.text).group(1)
    webcal = re.search(r'href="(webcal://pln\.example\.org/calendar/[A-Za-z0-9_-]{43}\.ics)"', response.text).group(1)
    assert webcal == "webcal://" + https.removeprefix("https://")
    return https.removeprefix("https://pln.example.org"), https.rsplit("/", 1)[1].removesuffix(".ics")


def test_the_feed_serves_my_meetings_and_huddles_without_a_session(client, world):
    sign_in_as(client, world["ana"])
    path, token = make_link(client)
    stored = db.session.scalar(select(CalendarFeed).where(CalendarFeed.attendee_id == world["ana"].id))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept
    assert token not in stored.token_hash

    response = client.application.test_client().get(path)  # a calendar app: no cookie
    calendar = parse(response)
    assert response.headers["Cache-Control"] == "private, max-age=300"
    assert "inline" in response.headers["Content-Disposition"]
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert "Set-Cookie" not in response.headers  # a calendar app gets no session
    assert str(calendar["X-WR-CALNAME"]).startswith("Meetings · ")
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT15M" and b"X-PUBLISHED-TTL:PT15M" in response.data
    found = {str(e["UID"]): e for e in events(calendar)}
    assert set(found) == {f"meeting-{world['meeting'].id}@pln.example.org",
                          f"huddle-{world['huddle'].id}@pln.example.org"}
    for event in found.values():
        check_timed_event(event, calendar)
    assert str(found[f"meeting-{world['meeting'].id}@pln.example.org"]["SUMMARY"]) == "Meet Bea Chen"
    assert str(found[f"huddle-{world['huddle'].id}@pln.example.org"]["SUMMARY"]) == QUESTION
    # Soonest first.
    assert [str(e["UID"]).split("-")[0] for e in events(calendar)] == ["meeting", "huddle"]


def test_the_feed_follows_changes_keeps_two_days_back_and_marks_cancellations(client, world):
    conference, ana = world["conference"], world["ana"]
    now = utcnow().replace(second=0, microsecond=0)
    yesterday = make_time(conference, now - timedelta(days=1))
    long_ago = make_time(conference, now - timedelta(days=3))
    recent = accepted_meeting(ana, world["cal"], yesterday, world["lounge"])
    old = accepted_meeting(ana, world["dee"], long_ago, world["lounge"])
    make_huddle(world["bea"], long_ago, world["cafe"], "Master schedules", members=[world["cal"]])
    withdrawn = requested_meeting(world["dee"], ana, make_time(conference, now + timedelta(days=2)), world["lounge"])
    cancel_meeting(withdrawn, world["dee"])  # never accepted: never in a calendar
    cancel_meeting(world["meeting"], world["bea"], "Flight moved")
    sign_in_as(client, ana)
    path, _ = make_link(client)
    feed = client.application.test_client()
    found = {str(e["UID"]): e for e in events(parse(feed.get(path)))}
    assert f"meeting-{recent.id}@pln.example.org" in found
    assert f"meeting-{old.id}@pln.example.org" not in found
    assert f"meeting-{withdrawn.id}@pln.example.org" not in found
    cancelled = found[f"meeting-{world['meeting'].id}@pln.example.org"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(found[f"meeting-{recent.id}@pln.example.org"]["STATUS"]) == "CONFIRMED"


def test_the_feed_never_names_a_person_who_hid_themselves(client, world):
    world["bea"].hidden = True
    db.session.commit()
    sign_in_as(client, world["ana"])
    path, _ = make_link(client)
    body = client.application.test_client().get(path).data.decode()
    calendar = Calendar.from_ical(body)
    meeting = next(e for e in events(calendar) if str(e["UID"]).startswith("meeting-"))
    assert str(meeting["SUMMARY"]) == "A 1:1 meeting"
    assert "Bea" not in body and "Harbor View" not in body and "master schedules" not in body
    assert str(meeting["LOCATION"]).startswith("Networking lounge, table 3")  # where and when stay
    # Signed in, in the app she agreed to meet in, Ana still sees whom she meets.
    [own] = events(parse(client.get(f"/me/meetings/meeting/{world['meeting'].id}.ics")))
    assert str(own["SUMMARY"]) == "Meet Bea Chen"


def test_a_new_link_ends_the_old_one_and_turning_it_off_ends_both(client, world):
    sign_in_as(client, world["ana"])
    feed = client.application.test_client()
    first, _ = make_link(client)
    assert feed.get(first).status_code == 200
    page = client.get("/me/meetings/calendar")
    assert "Your private calendar link is on" in page.text and "/calendar/" not in page.text  # never shown again
    assert "Make a new link" in page.text
    second, _ = make_link(client)
    assert first != second
    assert feed.get(first).status_code == 404
    assert feed.get(second).status_code == 200
    assert db.session.scalar(select(db.func.count()).select_from(CalendarFeed)) == 1

    response = client.post("/me/meetings/calendar-feed/revoke")
    assert response.status_code == 303 and response.headers["Location"] == "/me/meetings/calendar"
    assert feed.get(second).status_code == 404
    assert db.session.scalar(select(CalendarFeed)) is None
    assert "Make my calendar link" in client.get("/me/meetings/calendar").text
    # Revoking again, or from My schedule's form, is no error.
    response = client.post("/me/meetings/calendar-feed/revoke", data={"back": "schedule"})
    assert response.status_code == 303 and response.headers["Location"] == "/me/meetings"


def test_the_feed_forms_answer_htmx_with_their_section(client, world):
    sign_in_as(client, world["ana"])
    response = client.post("/me/meetings/calendar-feed", headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith('<section id="calendar-section"')
    assert "<html" not in response.text and "webcal://" in response.text
    response = client.post("/me/meetings/calendar-feed/revoke", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.text.lstrip().startswith('<section id="calendar-section"')
    assert "Make my calendar link" in response.text


@pytest.mark.parametrize("token", ["", "x", "a" * 42, "a" * 44, "a" * 42 + "%", "../../etc/passwd", "a" * 5000,
                                   "é" * 43, "%00" * 15, "a" * 42 + "=", "A" * 43])
def test_bad_tokens_find_nothing_and_never_fail(client, world, token):
    sign_in_as(client, world["ana"])
    make_link(client)
    response = client.application.test_client().get(f"/calendar/{token}.ics")
    assert response.status_code == 404
    assert b"BEGIN:VCALENDAR" not in response.data


def test_the_calendar_page_offers_a_link_and_the_mail_setting(client, world):
    sign_in_as(client, world["ana"])
    page = client.get("/me/meetings/calendar")
    assert page.status_code == 200
    assert "Make my calendar link" in page.text and "Turn the link off" not in page.text
    assert 'name="meeting_mail" aria-describedby="meeting-mail-hint" checked' in page.text
    assert client.get("/me/meetings/calendar-feed").status_code == 405  # a link is made by POST only
    iphone = client.post("/me/meetings/calendar-feed", headers={"User-Agent": IPHONE})
    assert "<details open>\n    <summary>iPhone or iPad</summary>" in iphone.text  # its own steps first
    assert "User-Agent" in iphone.headers["Vary"]


def test_the_mail_setting_turns_off_and_on(client, world):
    ana = world["ana"]
    sign_in_as(client, ana)
    response = client.post("/me/meetings/mail", data={})  # the box unticked
    assert response.status_code == 303 and response.headers["Location"] == "/me/meetings/calendar"
    db.session.refresh(ana)
    assert ana.meeting_mail is False
    assert 'name="meeting_mail" aria-describedby="meeting-mail-hint">' in client.get("/me/meetings/calendar").text
    response = client.post("/me/meetings/mail", data={"meeting_mail": "on", "back": "schedule"})
    assert response.headers["Location"] == "/me/meetings"
    db.session.refresh(ana)
    assert ana.meeting_mail is True
    response = client.post("/me/meetings/mail", data={"meeting_mail": "on"}, headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith('<section id="calendar-section"')


def test_a_post_without_its_csrf_token_changes_nothing(app, client, world):
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in_as(client, world["ana"])
    assert client.post("/me/meetings/calendar-feed").status_code == 400
    assert client.post("/me/meetings/mail", data={}).status_code == 400
    assert db.session.scalar(select(CalendarFeed)) is None
    db.session.refresh(world["ana"])
    assert world["ana"].meeting_mail is True


def test_my_data_download_names_the_feed_not_its_key(client, world):
    sign_in_as(client, world["ana"])
    _, token = make_link(client)
    data = client.get("/me/data.json")
    assert data.status_code == 200
    assert "made_at" in data.json["calendar_feed"] and token not in data.text


@pytest.fixture
def limited(tmp_path, _schema):
    """The app with the feed's limits on and tight."""
    app = create_app(test_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_CALENDAR_FEED="3 per minute",
                                 RATELIMIT_CALENDAR_FEED_PER_IP="1000 per minute", **empty_schema()))
    with app.app_context():
        yield app
        empty_database()
        db.session.remove()
        db.engine.dispose()


def test_a_feed_read_in_a_loop_is_refused_but_the_venue_is_not(limited):
    from conference.extensions import limiter
    limiter.reset()
    conference = make_conference()
    ana, bea = make_attendee(conference, name="Ana Ruiz"), make_attendee(conference, name="Bea Chen")
    venue = {"REMOTE_ADDR": "198.51.100.20"}
    paths = []
    for person in (ana, bea):
        client = limited.test_client()
        sign_in_as(client, person)
        paths.append(make_link(client)[0])
    reader = limited.test_client()
    assert [reader.get(paths[0], environ_base=venue).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert reader.get(paths[1], environ_base=venue).status_code == 200  # another person at the same venue
    unknown = "/calendar/" + "b" * 43 + ".ics"
    assert reader.get(unknown, environ_base=venue).status_code == 404


def test_the_page_with_a_new_link_is_valid_html(client, world, tmp_path):
    """The one state of the calendar page only a POST shows (tests/test_markup.py checks the others)."""
    import json
    import subprocess
    from tests.test_markup import _vnu_or_skip
    command = _vnu_or_skip()
    sign_in_as(client, world["ana"])
    page = tmp_path / "new-link.html"
    page.write_text(client.post("/me/meetings/calendar-feed", headers={"User-Agent": IPHONE}).text, encoding="utf-8")
    run = subprocess.run([*command, "--errors-only", "--format", "json", str(page)], capture_output=True, text=True,
                         timeout=120)
    assert json.loads(run.stderr or run.stdout)["messages"] == []


def test_the_access_log_never_holds_a_feed_token():
    from conference.gunicorn_logging import redact
    token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd"
    assert redact(f"GET /calendar/{token}.ics HTTP/1.1") == "GET /calendar/[redacted] HTTP/1.1"
    assert redact("GET /me/meetings/calendar HTTP/1.1") == "GET /me/meetings/calendar HTTP/1.1"
    assert redact("POST /signin/Ab_c-9?x=1 HTTP/1.1") == "POST /signin/[redacted]?x=1 HTTP/1.1"


def test_android_is_sent_to_google_calendar_not_to_a_webcal_link(client, world):
    sign_in_as(client, world["ana"])
    android = client.post("/me/meetings/calendar-feed", headers={"User-Agent": ANDROID}).text
    assert ">Subscribe on this phone</a>" not in android
    assert "<details open>\n    <summary>Android (Google Calendar)</summary>" in android
    google = re.search(r'href="(https://calendar\.google\.com/calendar/render\?cid=[^"]+)"', android).group(1)
    assert "webcal%3A%2F%2Fpln.example.org%2Fcalendar%2F" in google


def test_a_cancelled_huddle_is_cancelled_in_the_feed(client, world):
    huddle = world["huddle"]
    huddle.cancelled_at, huddle.cancel_reason = utcnow(), "The host is ill"
    db.session.commit()
    sign_in_as(client, world["ana"])
    path, _ = make_link(client)
    found = {str(e["UID"]): e for e in events(parse(client.application.test_client().get(path)))}
    event = found[f"huddle-{huddle.id}@pln.example.org"]
    assert str(event["STATUS"]) == "CANCELLED" and "The host is ill" in str(event["DESCRIPTION"])


def test_the_time_zone_covers_the_event_not_fifty_years(client, world):
    sign_in_as(client, world["ana"])
    body = client.get(f"/me/meetings/meeting/{world['meeting'].id}.ics").data
    assert b"BEGIN:VTIMEZONE" in body and b"TZID:America/Chicago" in body
    assert b"1970" not in body and len(body) < 4000


def test_the_macros_my_schedule_uses(app, world):
    from flask import g, render_template_string
    with app.test_request_context("/me/meetings"):
        g.attendee = world["ana"]
        link = render_template_string('{% from "meetings/_calendar.html" import ics_link %}'
                                      '{{ ics_link("meeting", 7, "Meet Bea Chen") }} {{ ics_link("huddle", 9) }}')
        assert 'href="/me/meetings/meeting/7.ics" download' in link
        assert 'href="/me/meetings/huddle/9.ics" download' in link
        assert '<span class="visually-hidden">: Meet Bea Chen</span>' in link
        section = render_template_string('{% from "meetings/_calendar.html" import calendar_section %}'
                                         '{{ calendar_section(back="schedule") }}')
        assert section.lstrip().startswith('<section id="calendar-section"')
        assert section.count('name="back" value="schedule"') == 1  # the mail form (no feed yet: nothing to revoke)
        assert "Make my calendar link" in section


def test_my_schedule_includes_the_section_and_imports_only_the_macros(app, world):
    from flask import g, render_template_string
    with app.test_request_context("/me/meetings"):
        g.attendee = world["ana"]
        included = render_template_string('<main>{% include "meetings/_calendar.html" %}</main>', me=world["ana"])
        assert '<section id="calendar-section"' in included
        assert included.count('name="back" value="schedule"') == 1
        imported = render_template_string('{% from "meetings/_calendar.html" import ics_link %}<p>x</p>')
        assert imported == "<p>x</p>"


def test_a_huddle_its_host_calls_off_stays_in_the_feed_as_cancelled(client, world):
    from conference.meetings.huddles import cancel_huddle
    huddle = world["huddle"]
    sign_in_as(client, world["ana"])
    path, _ = make_link(client)
    feed = client.application.test_client()
    uid = f"huddle-{huddle.id}@pln.example.org"
    cancel_huddle(huddle, world["cal"], "The host is ill")
    db.session.commit()
    event = {str(e["UID"]): e for e in events(parse(feed.get(path)))}[uid]
    assert str(event["STATUS"]) == "CANCELLED" and "The host is ill" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "Networking lounge, Hilton Anatole, Dallas"  # its table is freed


def test_a_member_who_leaves_a_huddle_drops_it_from_their_feed(client, world):
    from conference.meetings.huddles import leave_huddle
    huddle = world["huddle"]
    uid = f"huddle-{huddle.id}@pln.example.org"
    sign_in_as(client, world["dee"])
    dee_path, _ = make_link(client)
    sign_in_as(client, world["ana"])
    ana_path, _ = make_link(client)
    feed = client.application.test_client()
    leave_huddle(huddle, world["dee"])
    db.session.commit()
    assert uid not in {str(e["UID"]) for e in events(parse(feed.get(dee_path)))}
    assert client.get(f"/me/meetings/huddle/{huddle.id}.ics").status_code == 200
    event = {str(e["UID"]): e for e in events(parse(feed.get(ana_path)))}[uid]
    assert "2 of 6 seats taken" in str(event["DESCRIPTION"])
    sign_in_as(client, world["dee"])
    assert client.get(f"/me/meetings/huddle/{huddle.id}.ics").status_code == 404
