""""Email me about meetings" on the profile too, beside "People can ask me to meet": the same field as the
calendar page's, turning mail off the same way (what was waiting is not sent later either)."""
from __future__ import annotations

import html

from sqlalchemy import func, select

from conference.attendees.forms import MeetingMailForm, ProfileForm
from conference.attendees.models import Attendee
from conference.extensions import db
from conference.meetings.models import MeetingNotice
from conference.meetings.notices import notify
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.test_join import join_form

LABEL = "Email me about meetings"
HINT = "Requests, answers, changes and cancellations: at most one short email every few minutes."


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def waiting_notices(person) -> int:
    return db.session.scalar(select(func.count()).select_from(MeetingNotice).where(
        MeetingNotice.attendee_id == person.id, MeetingNotice.sent_at.is_(None)))


def test_one_field_for_the_profile_and_the_calendar_page():
    assert ProfileForm.meeting_mail is MeetingMailForm.meeting_mail


def test_the_profile_shows_the_switch_beside_meeting_requests(client):
    conference = make_conference()
    ben = make_attendee(conference, name="Ben Okafor")
    sign_in_as(client, ben)
    page = text(client.get("/me/profile"))
    assert LABEL in page and HINT in page
    assert page.index("People can ask me to meet") < page.index(LABEL)
    assert 'aria-describedby="meeting-mail-hint" checked id="meeting_mail" name="meeting_mail"' in page
    calendar = text(client.get("/me/meetings/calendar"))
    assert LABEL in calendar and HINT in calendar


def test_turning_meeting_mail_off_and_on_on_the_profile(client):
    conference = make_conference()
    ben, ana = make_attendee(conference, name="Ben Okafor"), make_attendee(conference, name="Ana Ruiz")
    notify(ben, ana, "requested", "Ana Ruiz asked to meet Thu 10:20")
    db.session.commit()
    sign_in_as(client, ben)
    form = join_form(conference, name="Ben Okafor", email=ben.email, meeting_requests="y")
    response = client.post("/me/profile", data=form)  # the mail box unticked
    assert response.status_code == 303
    db.session.refresh(ben)
    assert ben.meeting_mail is False and ben.meeting_requests is True
    assert waiting_notices(ben) == 0  # not sent later either, as on the calendar page
    assert f'name="meeting_mail" aria-describedby="meeting-mail-hint"><span>{LABEL}' in text(
        client.get("/me/meetings/calendar"))
    assert 'checked id="meeting_mail"' not in text(client.get("/me/profile"))

    response = client.post("/me/profile", data={**form, "meeting_mail": "y"})
    assert response.status_code == 303
    db.session.refresh(ben)
    assert ben.meeting_mail is True
    assert 'name="meeting_mail" aria-describedby="meeting-mail-hint" checked' in text(
        client.get("/me/meetings/calendar"))


def test_a_refused_profile_changes_no_mail_setting(client):
    conference = make_conference()
    ben = make_attendee(conference, name="Ben Okafor")
    sign_in_as(client, ben)
    response = client.post("/me/profile", data=join_form(conference, name="", email=ben.email))
    assert response.status_code == 422
    assert f'{LABEL}' in text(response)
    db.session.refresh(ben)
    assert ben.meeting_mail is True


def test_joining_does_not_ask_and_leaves_mail_on(client):
    conference = make_conference()
    page = text(client.get(f"/{conference.slug}/join"))
    assert LABEL not in page
    assert client.post(f"/{conference.slug}/join", data=join_form(conference)).status_code == 303
    ana = db.session.scalar(select(Attendee).where(Attendee.email == "ana@school.example.org"))
    assert ana.meeting_mail is True
