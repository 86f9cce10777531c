"""Problem-of-practice huddles through the real routes: starting one, every rule and bad input, seats and the
waiting list, invitations, and afterwards swapping contacts and making a circle."""
from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from conference.attendees.models import Attendee
from conference.circles.models import Circle
from conference.circles.operations import members_of
from conference.contacts.models import Connection
from conference.events.models import utcnow
from conference.extensions import db
from conference.meetings.huddles import (huddles_for, invitees, join_huddle, leave_huddle, start_huddle)
from conference.meetings.models import (Booking, Huddle, HuddleSeat, HuddleWaiting, MeetingNotice, MeetingSpot,
                                        MeetingTime, TableBooking)
from tests.factories import interest, make_attendee, make_conference, sign_in_as

QUESTION = "Chronic absence in K–2: what actually worked?"


def soon(hours: int = 24) -> "datetime":
    return (utcnow() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def frame(conference, times: int = 2, capacity: int = 10):
    """Meeting times tomorrow (20 minutes each, an hour apart) and two spots."""
    made = [MeetingTime(conference_id=conference.id, starts_at=soon(24 + n), minutes=20, label=f"Break {n + 1}")
            for n in range(times)]
    lounge = MeetingSpot(conference_id=conference.id, name="Networking lounge", capacity=capacity)
    cafe = MeetingSpot(conference_id=conference.id, name="Hall B café", capacity=1)
    db.session.add_all([*made, lounge, cafe])
    db.session.commit()
    return made, lounge, cafe


def text(response) -> str:
    """What a person reads: the body with its entities turned back into characters."""
    return html.unescape(response.get_data(as_text=True))


def ids(conference, *names) -> list[int]:
    return [interest(conference, name).id for name in names]


def world(client=None):
    conference = make_conference()
    times, lounge, cafe = frame(conference)
    host = make_attendee(conference, name="Samira Okafor", school="Hillcrest Elementary",
                         offers=("Scheduling",), seeks=("School climate and culture", "Equity"))
    if client is not None:
        sign_in_as(client, host)
    return conference, times, lounge, cafe, host


def form(conference, time, **overrides) -> dict:
    data = {"question": QUESTION, "interests": [str(i) for i in ids(conference, "School climate and culture")],
            "time": str(time.id), "spot": "", "size": "6"}
    data.update(overrides)
    return data


def a_huddle(conference, host, time, size=6, names=("School climate and culture",), **kw) -> Huddle:
    huddle = start_huddle(host, QUESTION, ids(conference, *names), time.id, size=size, **kw)
    db.session.commit()
    return huddle


# ---- starting one ------------------------------------------------------------------------------------

def test_start_a_huddle_seats_the_host_holds_a_table_and_invites_helpers(client):
    conference, times, lounge, cafe, host = world(client)
    helper = make_attendee(conference, name="Marcus Bell", offers=("School climate and culture",))
    seeker = make_attendee(conference, name="Wei Chen", seeks=("School climate and culture",))
    page = client.get("/huddles/new")
    assert page.status_code == 200 and "Start a huddle" in page.text and "Break 1" in page.text
    response = client.post("/huddles/new", data=form(conference, times[0]))
    assert response.status_code == 303, response.text[:2000]
    huddle = db.session.scalar(select(Huddle))
    assert response.headers["Location"] == f"/huddles/{huddle.id}?done=started"
    assert huddle.question == QUESTION and huddle.size == 6 and huddle.host_id == host.id
    seat = db.session.scalar(select(HuddleSeat))
    assert (seat.seat_no, seat.attendee_id) == (1, host.id)
    assert db.session.scalar(select(Booking.huddle_id).where(Booking.attendee_id == host.id)) == huddle.id
    table = db.session.scalar(select(TableBooking).where(TableBooking.huddle_id == huddle.id))
    assert table.spot_id == cafe.id and table.table_no == 1  # proposed: the first spot by name with room
    notices = db.session.scalars(select(MeetingNotice)).all()
    assert [(n.attendee_id, n.kind) for n in notices] == [(helper.id, "huddle_invite")]
    assert QUESTION in notices[0].text and "Samira Okafor" in notices[0].text
    shown = client.get(response.headers["Location"])
    assert "Your huddle is on" in shown.text and "Hall B café" in shown.text
    assert f'id="huddle-{huddle.id}"' in shown.text and "5 of 6 left" in shown.text
    sign_in_as(client, seeker)
    listed = client.get("/huddles")
    assert "On what you're looking for" in text(listed) and QUESTION in text(listed)
