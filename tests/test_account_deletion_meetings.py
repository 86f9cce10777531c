"""Deleting an account calls off what others counted on: the upcoming huddles the person hosts are
cancelled ("the host left"), their seats go to the people waiting, their upcoming meetings and open
requests are cancelled, and everyone concerned is told by the usual meeting mail."""
from __future__ import annotations

import html
from datetime import timedelta

from sqlalchemy import func, select

from conference.attendees.models import Attendee
from conference.events.models import utcnow
from conference.extensions import db
from conference.meetings.huddles import join_huddle
from conference.meetings.mail import send_notices
from conference.meetings.models import (Booking, Huddle, HuddleSeat, HuddleWaiting, Meeting, MeetingNotice,
                                        TableBooking)
from conference.privacy.operations import BEFORE_ACCOUNT_DELETED, delete_account
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.meeting_factories import accepted_meeting, make_huddle, make_spot, make_time, requested_meeting

QUESTION = "Chronic absence in K–2: what actually worked?"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def delete_me(client, person) -> None:
    sign_in_as(client, person)
    response = client.post("/me/delete", data={"confirm": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/account-deleted"


def notices(kind: str) -> dict[int, MeetingNotice]:
    return {n.attendee_id: n for n in db.session.scalars(select(MeetingNotice).where(MeetingNotice.kind == kind))}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_meetings_register_their_hooks_with_privacy(app):
    assert {"huddles", "meetings"} <= set(BEFORE_ACCOUNT_DELETED)


def test_deleting_a_host_cancels_their_upcoming_huddles_and_tells_the_members(client, outbox):
    conference = make_conference()
    host = make_attendee(conference, name="Samira Okafor")
    ana, ben, cy = (make_attendee(conference, name=name, email=f"{name.lower()}@school.example.org")
                    for name in ("Ana", "Ben", "Cy"))
    lounge = make_spot(conference)
    soon = make_time(conference)
    yesterday = make_time(conference, soon.starts_at - timedelta(days=2), label="Yesterday")
    upcoming = make_huddle(host, soon, lounge, QUESTION, members=[ana, ben], size=3)
    join_huddle(upcoming, cy)  # full: Cy waits
    past = make_huddle(host, yesterday, lounge, "What did the attendance team change first?", members=[ana])
    db.session.commit()
    upcoming_id, past_id = upcoming.id, past.id

    delete_me(client, host)

    db.session.expire_all()
    huddle = db.session.get(Huddle, upcoming_id)
    assert huddle.cancelled_at is not None and huddle.host_id is None
    assert count(Booking, Booking.huddle_id == upcoming_id) == 0
    assert count(TableBooking, TableBooking.huddle_id == upcoming_id) == 0
    assert count(HuddleWaiting, HuddleWaiting.huddle_id == upcoming_id) == 0
    told = notices("huddle_cancelled")
    assert set(told) == {ana.id, ben.id, cy.id}
    assert told[ana.id].about_id is None
    assert told[ana.id].text.startswith(f"The huddle “{QUESTION}” at ")
    assert told[ana.id].text.endswith("is cancelled: the host left PLN Connect.")
    # A huddle that already happened is left as it was.
    assert db.session.get(Huddle, past_id).cancelled_at is None

    sign_in_as(client, ana)
    page = text(client.get(f"/huddles/{upcoming_id}"))
    assert "Cancelled: the host left PLN Connect." in page and "You have a seat" not in page
    # Ana is free at that time again: she can start a huddle of her own there.
    assert soon.id not in set(db.session.scalars(select(Booking.time_id).where(Booking.attendee_id == ana.id)))

    assert send_notices(utcnow()) == 3
    mails = {mail["To"]: mail for mail in outbox()}
    assert set(mails) == {"ana@school.example.org", "ben@school.example.org", "cy@school.example.org"}
    assert "is cancelled: the host left PLN Connect." in mails["cy@school.example.org"].get_content()


def test_a_hidden_host_leaving_is_told_without_their_name(client):
    conference = make_conference()
    host = make_attendee(conference, name="Samira Okafor", hidden=True)
    ana = make_attendee(conference, name="Ana")
    huddle = make_huddle(host, make_time(conference), make_spot(conference), QUESTION, members=[ana])
    delete_me(client, host)
    told = notices("huddle_cancelled")
    assert set(told) == {ana.id} and "Samira" not in told[ana.id].text
    assert db.session.get(Huddle, huddle.id).cancelled_at is not None


def test_a_member_leaving_frees_their_seat_for_the_first_waiting(client):
    conference = make_conference()
    host, ana, ben = (make_attendee(conference, name=name) for name in ("Samira", "Ana", "Ben"))
    huddle = make_huddle(host, make_time(conference), make_spot(conference), QUESTION, members=[ana], size=3)
    join_huddle(huddle, ben)
    waiter = make_attendee(conference, name="Dee")
    join_huddle(huddle, waiter)
    db.session.commit()
    huddle_id = huddle.id
    delete_me(client, ben)
    db.session.expire_all()
    seated = set(db.session.scalars(select(HuddleSeat.attendee_id).where(HuddleSeat.huddle_id == huddle_id)))
    assert seated == {host.id, ana.id, waiter.id}
    assert db.session.get(Huddle, huddle_id).cancelled_at is None
    assert set(notices("huddle_seat")) == {waiter.id}
    assert count(Booking, Booking.huddle_id == huddle_id) == 3


def test_deleting_an_account_cancels_upcoming_meetings_and_requests_and_tells_the_others(client, outbox):
    conference = make_conference()
    ana = make_attendee(conference, name="Ana Ruiz")
    bea, cal, dan, eve = (make_attendee(conference, name=name, email=f"{name.split()[0].lower()}@school.example.org")
                          for name in ("Bea Chen", "Cal Okafor", "Dan Ito", "Eve Moss"))
    lounge = make_spot(conference)
    first = make_time(conference)
    second = make_time(conference, first.starts_at + timedelta(hours=1))
    third = make_time(conference, first.starts_at + timedelta(hours=2))
    earlier = make_time(conference, first.starts_at - timedelta(days=2), label="Yesterday")
    accepted_meeting(ana, bea, first, lounge, table=3)
    requested_meeting(ana, cal, second, lounge)       # Ana asked Cal
    requested_meeting(dan, ana, third, lounge)        # Dan asked Ana
    accepted_meeting(eve, ana, earlier, lounge)       # already happened: nobody told

    delete_me(client, ana)

    db.session.expire_all()
    assert db.session.get(Attendee, ana.id) is None
    assert count(Meeting) == 0 and count(Booking) == 0 and count(TableBooking) == 0
    told = notices("cancelled")
    assert set(told) == {bea.id, cal.id, dan.id}
    assert all(notice.about_id is None for notice in told.values())
    assert told[bea.id].text.startswith("Your meeting with Ana Ruiz at ")
    assert told[bea.id].text.endswith("is cancelled: they left PLN Connect.")
    assert told[cal.id].text.startswith("The meeting request with Ana Ruiz for ")
    assert told[cal.id].text.endswith("is withdrawn: they left PLN Connect.")
    assert "withdrawn" in told[dan.id].text

    assert send_notices(utcnow()) == 3
    assert {mail["To"] for mail in outbox()} == {"bea@school.example.org", "cal@school.example.org",
                                                 "dan@school.example.org"}


def test_a_hidden_person_leaving_is_not_named(app):
    conference = make_conference()
    ana = make_attendee(conference, name="Ana Ruiz", hidden=True)
    bea = make_attendee(conference, name="Bea Chen")
    accepted_meeting(ana, bea, make_time(conference), make_spot(conference))
    delete_account(ana)
    db.session.commit()
    [notice] = notices("cancelled").values()
    assert notice.attendee_id == bea.id and "Ana" not in notice.text
    assert notice.text.endswith("is cancelled: the other person left PLN Connect.")
