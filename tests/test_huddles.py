"""Problem-of-practice huddles through the real routes: starting one, every rule and bad input, seats and the
waiting list, invitations, and afterwards swapping contacts and making a circle."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

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


def soon(hours: int = 24) -> datetime:
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


def form(conference, when, **overrides) -> dict:
    data = {"question": QUESTION, "interests": [str(i) for i in ids(conference, "School climate and culture")],
            "time": str(when.id), "spot": "", "size": "6"}
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


@pytest.mark.parametrize("overrides, field, message", [
    ({"question": ""}, "question", "Write the question you want help with"),
    ({"question": "Help?"}, "question", "at least 10 characters"),
    ({"question": "x" * 161}, "question", "at most 160 characters; this one has 161"),
    ({"interests": []}, "interests", "Choose one or two interests"),
    ({"interests": "three"}, "interests", "Choose at most 2 interests"),
    ({"interests": ["999999"]}, "interests", "not on this conference's list"),
    ({"interests": ["abc"]}, "interests", "not on this conference's list"),
    ({"size": "2"}, "size", "A huddle seats 3 to 8 people"),
    ({"size": "9"}, "size", "A huddle seats 3 to 8 people"),
    ({"size": "six"}, "size", "A huddle seats 3 to 8 people"),
    ({"time": ""}, "time", "Choose one of the meeting times listed"),
    ({"time": "999999"}, "time", "Choose one of the meeting times listed"),
    ({"spot": "999999"}, "spot", "Choose one of the spots listed"),
])
def test_bad_input_comes_back_at_the_field_with_everything_kept(client, overrides, field, message):
    conference, times, lounge, cafe, host = world(client)
    if overrides.get("interests") == "three":
        overrides["interests"] = [str(i) for i in ids(conference, "Scheduling", "Equity", "Math")]
    data = form(conference, times[1], **overrides)
    if "question" not in overrides:
        data["question"] = "Master schedules with one counselor: who made it work?"
    response = client.post("/huddles/new", data=data)
    assert response.status_code == 422
    body = text(response)
    assert "There is a problem" in body and message in body
    assert f'<a href="#{field}">' in response.text  # the summary links to the field
    assert 'aria-invalid="true"' in response.text or f'id="{field}-error"' in response.text
    if field != "question":
        assert "Master schedules with one counselor: who made it work?" in body  # what was typed is kept
    if field != "time" and overrides.get("time") is None:
        assert f'<option value="{times[1].id}" selected>' in response.text
    if field != "interests":
        assert f'value="{interest(conference, "School climate and culture").id}" checked' in response.text
    assert db.session.scalar(select(func.count()).select_from(Huddle)) == 0


def test_several_mistakes_are_all_shown_at_once(client):
    conference, times, lounge, cafe, host = world(client)
    response = client.post("/huddles/new", data=form(conference, times[0], question="Hm", interests=[], size="12"))
    assert response.status_code == 422
    body = text(response)
    for message in ("at least 10 characters", "Choose one or two interests", "A huddle seats 3 to 8 people"):
        assert message in body


def test_a_time_that_has_started_or_belongs_to_another_conference_is_refused(client):
    conference, times, lounge, cafe, host = world(client)
    started = MeetingTime(conference_id=conference.id, starts_at=utcnow() - timedelta(minutes=5), minutes=20)
    elsewhere = make_conference()
    theirs = MeetingTime(conference_id=elsewhere.id, starts_at=soon(30), minutes=20)
    db.session.add_all([started, theirs])
    db.session.commit()
    response = client.post("/huddles/new", data=form(conference, started))
    assert response.status_code == 422 and "has already started: choose a later time" in text(response)
    response = client.post("/huddles/new", data=form(conference, theirs))
    assert response.status_code == 422 and "Choose one of the meeting times listed" in text(response)
    their_spot = MeetingSpot(conference_id=elsewhere.id, name="Elsewhere", capacity=3)
    retired = MeetingSpot(conference_id=conference.id, name="Old patio", capacity=3, retired=True)
    db.session.add_all([their_spot, retired])
    db.session.commit()
    for spot in (their_spot, retired):
        response = client.post("/huddles/new", data=form(conference, times[0], spot=str(spot.id)))
        assert response.status_code == 422 and "Choose one of the spots listed" in text(response)


def test_a_retired_interest_or_one_of_another_conference_is_refused(client):
    conference, times, lounge, cafe, host = world(client)
    retired = interest(conference, "Math")
    retired.retired = True
    other = make_conference()
    db.session.commit()
    for interest_id in (retired.id, interest(other, "Math").id):
        response = client.post("/huddles/new", data=form(conference, times[0], interests=[str(interest_id)]))
        assert response.status_code == 422 and "not on this conference's list" in text(response)
    assert f'value="{retired.id}"' not in client.get("/huddles/new").text  # not offered as a chip either


def test_a_full_spot_is_refused_and_the_proposal_finds_another(client):
    conference, times, lounge, cafe, host = world(client)
    other = make_attendee(conference, name="Marcus Bell")
    start_huddle(other, "Coverage when subs do not show up: your systems?", ids(conference, "Scheduling"),
                 times[0].id, spot_id=cafe.id)
    db.session.commit()
    response = client.post("/huddles/new", data=form(conference, times[0], spot=str(cafe.id)))
    assert response.status_code == 422 and "Hall B café is full at" in text(response)
    assert f'<option value="{cafe.id}" selected>' in response.text  # the choice is kept, to change it
    response = client.post("/huddles/new", data=form(conference, times[0]))  # let the app propose one
    assert response.status_code == 303
    table = db.session.scalar(select(TableBooking).where(TableBooking.spot_id == lounge.id))
    assert table.table_no == 1
    # The host may pick the spot themselves.
    response = client.post("/huddles/new", data=form(conference, times[1], spot=str(lounge.id)))
    assert response.status_code == 303
    huddle_id = int(response.headers["Location"].split("/")[2].split("?")[0])
    assert db.session.scalar(select(TableBooking.spot_id).where(TableBooking.huddle_id == huddle_id)) == lounge.id


def test_every_table_taken_says_choose_another_time(client):
    conference = make_conference()
    time = MeetingTime(conference_id=conference.id, starts_at=soon(), minutes=20)
    spot = MeetingSpot(conference_id=conference.id, name="Only table", capacity=1)
    db.session.add_all([time, spot])
    db.session.commit()
    first, host = make_attendee(conference), make_attendee(conference)
    start_huddle(first, QUESTION, ids(conference, "Math"), time.id)
    db.session.commit()
    sign_in_as(client, host)
    response = client.post("/huddles/new", data=form(conference, time))
    assert response.status_code == 422 and "Every spot is full at" in text(response)


def test_the_host_must_be_free_at_that_time(client):
    conference, times, lounge, cafe, host = world(client)
    other = make_attendee(conference)
    huddle = a_huddle(conference, other, times[0])
    join_huddle(huddle, host)
    db.session.commit()
    response = client.post("/huddles/new", data=form(conference, times[0]))
    assert response.status_code == 422
    assert "You already have a meeting or a huddle at that time" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Huddle)) == 1


def test_a_closed_conference_refuses_new_huddles_and_joins(client):
    conference, times, lounge, cafe, host = world(client)
    other = make_attendee(conference)
    huddle = a_huddle(conference, other, times[0])
    conference.closes_on = date.today() - timedelta(days=2)
    db.session.commit()
    response = client.post("/huddles/new", data=form(conference, times[1]))
    assert response.status_code == 422 and "closed on" in text(response)
    assert QUESTION in text(response)
    response = client.post(f"/huddles/{huddle.id}/join")
    assert response.status_code == 422 and "closed on" in text(response)
    assert "has closed: no new huddles" in text(client.get("/huddles"))
    page = text(client.get("/huddles/new"))
    assert "has closed, so no new huddles can start" in page and "Start the huddle" not in page


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get("/huddles").status_code == 302
    assert client.get("/huddles/new").status_code == 302


# ---- seats and the waiting list -----------------------------------------------------------------------

def seats(huddle) -> list[int]:
    return list(db.session.scalars(select(HuddleSeat.attendee_id).where(HuddleSeat.huddle_id == huddle.id)
                                   .order_by(HuddleSeat.seat_no)))


def waiting(huddle) -> list[int]:
    return list(db.session.scalars(select(HuddleWaiting.attendee_id).where(HuddleWaiting.huddle_id == huddle.id)
                                   .order_by(HuddleWaiting.id)))


def test_join_fill_wait_leave_and_move_up(app, client):
    conference, times, lounge, cafe, host = world()
    huddle = a_huddle(conference, host, times[0], size=3)
    ana, ben, cy, dee = (make_attendee(conference, name=n) for n in ("Ana Ruiz", "Ben Cole", "Cy Park", "Dee Shah"))
    for person, outcome in ((ana, "seated"), (ben, "seated"), (cy, "waiting"), (dee, "waiting")):
        sign_in_as(client, person)
        response = client.post(f"/huddles/{huddle.id}/join")
        assert response.status_code == 303
        assert response.headers["Location"] == f"/huddles/{huddle.id}?done={outcome}"
    assert seats(huddle) == [host.id, ana.id, ben.id] and waiting(huddle) == [cy.id, dee.id]
    sign_in_as(client, dee)
    page = text(client.get(f"/huddles/{huddle.id}"))
    assert "You're number 2 on the waiting list" in page and "All 3 taken · 2 waiting" in page
    # Joining twice changes nothing.
    assert client.post(f"/huddles/{huddle.id}/join").status_code == 303
    assert waiting(huddle) == [cy.id, dee.id]
    # Ana leaves: her seat and booking are freed, Cy (first waiting) moves up and is told.
    sign_in_as(client, ana)
    response = client.post(f"/huddles/{huddle.id}/leave")
    assert response.status_code == 303 and response.headers["Location"].endswith("done=left")
    db.session.expire_all()
    assert sorted(seats(huddle)) == sorted([host.id, cy.id, ben.id]) and waiting(huddle) == [dee.id]
    assert db.session.scalar(select(Booking).where(Booking.attendee_id == ana.id)) is None
    assert db.session.scalar(select(Booking.huddle_id).where(Booking.attendee_id == cy.id)) == huddle.id
    told = db.session.scalar(select(MeetingNotice).where(MeetingNotice.attendee_id == cy.id))
    assert told.kind == "huddle_seat" and "A seat opened up" in told.text
    # Dee leaves the waiting list.
    sign_in_as(client, dee)
    response = client.post(f"/huddles/{huddle.id}/leave")
    assert response.headers["Location"].endswith("done=unlisted") and waiting(huddle) == []


def test_the_first_waiting_who_is_busy_then_is_passed_over(client):
    conference, times, lounge, cafe, host = world()
    huddle = a_huddle(conference, host, times[0], size=3)
    ana, ben, cy, dee = (make_attendee(conference) for _ in range(4))
    for person in (ana, ben, cy, dee):
        join_huddle(huddle, person)
    db.session.commit()
    # Cy, first waiting, took a seat elsewhere at the same time since.
    other = a_huddle(conference, make_attendee(conference), times[0])
    join_huddle(other, cy)
    db.session.commit()
    leave_huddle(huddle, ana)
    db.session.commit()
    assert dee.id in seats(huddle) and cy.id not in seats(huddle)
    assert waiting(huddle) == [cy.id]  # keeps the place, in case that changes


def test_the_waiting_list_is_short_and_then_the_huddle_says_full(app, client):
    app.config["HUDDLE_WAITING_LIST"] = 1
    conference, times, lounge, cafe, host = world()
    huddle = a_huddle(conference, host, times[0], size=3)
    people = [make_attendee(conference) for _ in range(4)]
    assert [join_huddle(huddle, p) for p in people[:3]] == ["seated", "seated", "waiting"]
    db.session.commit()
    sign_in_as(client, people[3])
    response = client.post(f"/huddles/{huddle.id}/join")
    assert response.status_code == 422
    assert "This huddle is full, and so is its waiting list" in text(response)
    assert len(seats(huddle)) == 3 and len(waiting(huddle)) == 1


def test_a_huddle_never_holds_more_than_its_size(client):
    conference, times, lounge, cafe, host = world()
    huddle = a_huddle(conference, host, times[0], size=4)
    outcomes = [join_huddle(huddle, make_attendee(conference)) for _ in range(8)]
    db.session.commit()
    assert outcomes.count("seated") == 3 and outcomes.count("waiting") == 5
    assert sorted(db.session.scalars(select(HuddleSeat.seat_no).where(HuddleSeat.huddle_id == huddle.id))) == [1, 2, 3, 4]


def test_joining_when_busy_started_cancelled_or_elsewhere(client):
    conference, times, lounge, cafe, host = world()
    huddle = a_huddle(conference, host, times[0])
    person = make_attendee(conference)
    sign_in_as(client, person)
    # Busy: a seat at another huddle at the same time.
    other = a_huddle(conference, make_attendee(conference), times[0])
    join_huddle(other, person)
    db.session.commit()
    response = client.post(f"/huddles/{huddle.id}/join")
    assert response.status_code == 422 and "You already have a meeting or a huddle at that time" in text(response)
    assert person.id not in seats(huddle) + waiting(huddle)
    # Of another conference: not found.
    stranger_conf = make_conference()
    stranger = make_attendee(stranger_conf)
    sign_in_as(client, stranger)
    assert client.post(f"/huddles/{huddle.id}/join").status_code == 404
    assert client.get(f"/huddles/{huddle.id}").status_code == 404
    assert client.get("/huddles/999999").status_code == 404
    # Started: seats don't change any more.
    late = make_attendee(conference)
    sign_in_as(client, late)
    times[0].starts_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post(f"/huddles/{huddle.id}/join")
    assert response.status_code == 422 and "has already started" in text(response)
    sign_in_as(client, person)
    response = client.post(f"/huddles/{other.id}/leave")
    assert response.status_code == 422 and "has already started" in text(response)


def test_htmx_join_and_leave_answer_the_huddle_block(client):
    conference, times, lounge, cafe, host = world()
    huddle = a_huddle(conference, host, times[0], size=3)
    person = make_attendee(conference)
    sign_in_as(client, person)
    response = client.post(f"/huddles/{huddle.id}/join", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<section id="huddle-{huddle.id}"')
    assert "<html" not in response.text and "You&#39;re in" in response.text and "Leave the huddle" in response.text
    assert "HX-Request" in response.headers["Vary"]
    response = client.post(f"/huddles/{huddle.id}/leave", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Join the huddle" in response.text
    # A refusal is the block too, with the reason where the person is looking.
    times[0].starts_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post(f"/huddles/{huddle.id}/join", headers={"HX-Request": "true"})
    assert response.status_code == 422 and response.text.lstrip().startswith(f'<section id="huddle-{huddle.id}"')
    assert "has already started" in text(response)


def test_the_host_sees_who_is_coming_others_see_seats_left(client):
    conference, times, lounge, cafe, host = world()
    huddle = a_huddle(conference, host, times[0], size=5)
    ana = make_attendee(conference, name="Ana Ruiz", role="assistant_principal", school="Oak Park Middle")
    join_huddle(huddle, ana)
    db.session.commit()
    sign_in_as(client, host)
    page = text(client.get(f"/huddles/{huddle.id}"))
    assert "Who's coming" in page and "Ana Ruiz" in page and "Assistant principal · Oak Park Middle" in page
    assert "You host this huddle" in page and "Cancel the huddle" in page
    sign_in_as(client, make_attendee(conference))
    page = text(client.get(f"/huddles/{huddle.id}"))
    assert "Ana Ruiz" not in page and "3 of 5 left" in page and "Samira Okafor" in page and "Join the huddle" in page


def test_the_host_cannot_leave_and_only_the_host_cancels(client):
    conference, times, lounge, cafe, host = world()
    huddle = a_huddle(conference, host, times[0], size=4)
    ana, ben = make_attendee(conference), make_attendee(conference)
    join_huddle(huddle, ana)
    db.session.commit()
    sign_in_as(client, host)
    response = client.post(f"/huddles/{huddle.id}/leave")
    assert response.status_code == 422 and "You host this huddle: cancel it instead" in text(response)
    sign_in_as(client, ana)
    response = client.post(f"/huddles/{huddle.id}/cancel", data={"reason": "nope"})
    assert response.status_code == 422 and "Only the host can cancel a huddle" in text(response)
    assert db.session.get(Huddle, huddle.id).cancelled_at is None


def test_cancel_frees_everything_and_tells_the_members(client):
    conference, times, lounge, cafe, host = world()
    huddle = a_huddle(conference, host, times[0], size=3)
    ana, ben, cy = (make_attendee(conference) for _ in range(3))
    for person in (ana, ben, cy):
        join_huddle(huddle, person)
    db.session.commit()
    sign_in_as(client, host)
    response = client.post(f"/huddles/{huddle.id}/cancel", data={"reason": "x" * 201})
    assert response.status_code == 422 and "at most 200 characters; this one has 201" in text(response)
    assert "x" * 201 in response.text  # kept to shorten
    response = client.post(f"/huddles/{huddle.id}/cancel", data={"reason": "Called to a district meeting."})
    assert response.status_code == 303 and response.headers["Location"].endswith("done=cancelled")
    db.session.expire_all()
    assert db.session.get(Huddle, huddle.id).cancelled_at is not None
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    assert db.session.scalar(select(func.count()).select_from(TableBooking)) == 0
    assert waiting(huddle) == []
    told = db.session.scalars(select(MeetingNotice).where(MeetingNotice.kind == "huddle_cancelled")).all()
    assert sorted(n.attendee_id for n in told) == sorted([ana.id, ben.id, cy.id])
    assert "Called to a district meeting." in told[0].text
    page = text(client.get(f"/huddles/{huddle.id}"))
    assert "Cancelled by the host: “Called to a district meeting.”" in page
    # Everyone is free at that time again: the host can start another there.
    assert client.post("/huddles/new", data=form(conference, times[0])).status_code == 303
    sign_in_as(client, ana)
    page = text(client.get(f"/huddles/{huddle.id}"))
    assert "Cancelled by the host" in page and "You have a seat" not in page and "Leave the huddle" not in page
    assert "Cancelled" in text(client.get("/huddles"))  # still in my list until its time, marked
    response = client.post(f"/huddles/{huddle.id}/join")
    assert response.status_code == 422 and "cancelled by its host" in text(response)


# ---- invitations ------------------------------------------------------------------------------------

def test_invitees_best_first_and_who_is_left_out(client):
    conference, times, lounge, cafe, host = world()
    topics = ("School climate and culture", "Equity")
    # Host: offers Scheduling, seeks climate and equity.
    both = make_attendee(conference, name="Offers both", offers=topics)
    one_close = make_attendee(conference, name="Offers one, shares two more",
                              offers=("Equity", "Scheduling"), seeks=("School climate and culture",))
    one = make_attendee(conference, name="Offers one", offers=("School climate and culture",))
    seeks_only = make_attendee(conference, name="Only seeks", seeks=topics)
    hidden = make_attendee(conference, name="Hidden", offers=topics, hidden=True)
    no_requests = make_attendee(conference, name="No requests", offers=topics)
    no_requests.meeting_requests = False
    unclaimed = make_attendee(conference, name="Imported, never claimed", offers=topics)
    from conference.organizer.access.models import Organizer
    from conference.organizer.registrants.models import ImportBatch
    organizer = Organizer(conference_id=conference.id, email="staff@example.org")
    db.session.add(organizer)
    db.session.flush()
    batch = ImportBatch(conference_id=conference.id, organizer_id=organizer.id, filename="r.csv")
    db.session.add(batch)
    db.session.flush()
    unclaimed.import_batch_id = batch.id
    busy = make_attendee(conference, name="Busy then", offers=topics)
    elsewhere = make_attendee(make_conference(), name="Other conference", offers=topics)
    db.session.commit()
    join_huddle(a_huddle(conference, make_attendee(conference), times[0]), busy)  # elsewhere at that time
    db.session.commit()
    huddle = a_huddle(conference, host, times[0], names=topics)
    seated = make_attendee(conference, name="Seated already", offers=topics)
    join_huddle(huddle, seated)
    waiting_one = make_attendee(conference, name="Waiting", offers=topics)
    db.session.add(HuddleWaiting(huddle_id=huddle.id, attendee_id=waiting_one.id))
    db.session.commit()
    names = [p.name for p in invitees(huddle)]
    assert names == ["Offers both", "Offers one, shares two more", "Offers one"]
    assert [p.name for p in invitees(huddle, limit=2)] == names[:2]
    for left_out in (seeks_only, hidden, no_requests, unclaimed, busy, elsewhere, seated, waiting_one, host):
        assert left_out.name not in names


def test_invitations_are_capped(app, client):
    app.config["HUDDLE_INVITES"] = 3
    conference, times, lounge, cafe, host = world(client)
    for _ in range(6):
        make_attendee(conference, offers=("School climate and culture",))
    assert client.post("/huddles/new", data=form(conference, times[0])).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(MeetingNotice)
                             .where(MeetingNotice.kind == "huddle_invite")) == 3


def test_a_hidden_person_may_join_is_never_invited_and_a_hidden_host_invites_nobody(client):
    conference, times, lounge, cafe, host = world()
    quiet = make_attendee(conference, name="Quiet Person", offers=("School climate and culture",), hidden=True)
    huddle = a_huddle(conference, host, times[0])
    assert quiet.id not in {p.id for p in invitees(huddle)}
    sign_in_as(client, quiet)
    assert client.post(f"/huddles/{huddle.id}/join").status_code == 303
    assert quiet.id in seats(huddle)
    # A hidden host: the huddle is listed, but nobody is mailed about them and lists don't name them.
    helper = make_attendee(conference, name="Helper", offers=("Math",))
    sign_in_as(client, quiet)
    response = client.post("/huddles/new", data=form(conference, times[1], interests=[str(ids(conference, "Math")[0])]))
    assert response.status_code == 303 and response.headers["Location"].endswith("?done=listed")
    assert db.session.scalar(select(func.count()).select_from(MeetingNotice)
                             .where(MeetingNotice.attendee_id == helper.id)) == 0
    sign_in_as(client, helper)
    listed = text(client.get("/huddles"))
    assert "hosted by a fellow attendee" in listed and "Quiet Person" not in listed


def test_huddles_for_sorts_mine_invited_seeking_others_and_past(client):
    conference, times, lounge, cafe, host = world()
    me = make_attendee(conference, name="Me", offers=("Math",), seeks=("Literacy",))
    mine = a_huddle(conference, me, times[1], names=("Equity",))
    can_help = a_huddle(conference, make_attendee(conference), times[0], names=("Math",))
    want = a_huddle(conference, make_attendee(conference), times[0], names=("Literacy",))
    other = a_huddle(conference, make_attendee(conference), times[0], names=("Equity",))
    cancelled = a_huddle(conference, make_attendee(conference), times[0], names=("Math",))
    cancelled.cancelled_at = utcnow()
    db.session.commit()
    lists = huddles_for(me)
    assert [h.id for h in lists.mine] == [mine.id] and lists.mine[0].status == "host"
    assert [h.id for h in lists.invited] == [can_help.id]
    assert [h.id for h in lists.seeking] == [want.id]
    assert [h.id for h in lists.others] == [other.id]
    assert lists.past == []
    # After its time, my huddle moves to "past"; others that started are not listed any more.
    later = times[1].ends_at + timedelta(minutes=1)
    lists = huddles_for(me, now=later)
    assert [h.id for h in lists.past] == [mine.id] and not (lists.mine or lists.invited or lists.others)
    sign_in_as(client, me)
    page = text(client.get("/huddles"))
    assert page.index("Your huddles") < page.index("You can help") < page.index("On what you're looking for")
    assert f'id="huddle-{can_help.id}"' in page


# ---- after the huddle ---------------------------------------------------------------------------------

def ended_huddle(conference, host, time, *members):
    huddle = a_huddle(conference, host, time, size=len(members) + 1)
    for person in members:
        join_huddle(huddle, person)
    time.starts_at = utcnow() - timedelta(minutes=30)  # it happened: 30 minutes ago, for 20
    db.session.commit()
    return huddle


def test_swap_contacts_in_one_tap_after_the_huddle(client):
    conference, times, lounge, cafe, host = world()
    ana, ben = make_attendee(conference, name="Ana Ruiz"), make_attendee(conference, name="Ben Cole")
    huddle = a_huddle(conference, host, times[0], size=3)
    join_huddle(huddle, ana)
    join_huddle(huddle, ben)
    db.session.commit()
    sign_in_as(client, ana)
    response = client.post(f"/huddles/{huddle.id}/swap/{ben.id}")
    assert response.status_code == 422 and "once the huddle is over" in text(response)
    times[0].starts_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    page = text(client.get(f"/huddles/{huddle.id}"))
    assert "Stay in touch" in page and "Swap contacts<span class=\"visually-hidden\"> with Ben Cole" in page and "Make a circle" in page
    response = client.post(f"/huddles/{huddle.id}/swap/{ben.id}")
    assert response.status_code == 303 and response.headers["Location"].endswith("done=saved")
    assert db.session.scalar(select(Connection).where(Connection.owner_id == ana.id,
                                                      Connection.contact_id == ben.id)) is not None
    assert "In your contacts" in text(client.get(f"/huddles/{huddle.id}"))
    # Only with people who sat at it, and only for them.
    outsider = make_attendee(conference, name="Outsider")
    response = client.post(f"/huddles/{huddle.id}/swap/{outsider.id}")
    assert response.status_code == 422 and "did not sit at this huddle" in text(response)
    assert client.post(f"/huddles/{huddle.id}/swap/999999").status_code == 422
    sign_in_as(client, outsider)
    response = client.post(f"/huddles/{huddle.id}/swap/{ana.id}")
    assert response.status_code == 422 and "Only the people who sat at this huddle" in text(response)
    assert "Stay in touch" not in text(client.get(f"/huddles/{huddle.id}"))
    # htmx: the block comes back.
    sign_in_as(client, ben)
    response = client.post(f"/huddles/{huddle.id}/swap/{ana.id}", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.text.lstrip().startswith(f'<section id="huddle-{huddle.id}"')


def test_the_huddle_becomes_a_circle_saving_who_is_not_saved_yet(client):
    conference, times, lounge, cafe, host = world()
    ana, ben = make_attendee(conference, name="Ana Ruiz"), make_attendee(conference, name="Ben Cole")
    huddle = ended_huddle(conference, host, times[0], ana, ben)
    from conference.contacts.operations import save_contact
    save_contact(host, ana)
    db.session.commit()
    sign_in_as(client, host)
    response = client.post(f"/huddles/{huddle.id}/circle", data={"name": "K–2 attendance crew"})
    assert response.status_code == 303
    circle = db.session.scalar(select(Circle).where(Circle.owner_id == host.id))
    assert response.headers["Location"] == f"/me/circles/{circle.id}?created=1"
    assert sorted(c.contact.name for c in members_of(circle)) == ["Ana Ruiz", "Ben Cole"]
    assert db.session.scalar(select(func.count()).select_from(Connection).where(Connection.owner_id == host.id)) == 2
    # The same name again: a message at the field, the name kept.
    response = client.post(f"/huddles/{huddle.id}/circle", data={"name": "K–2 attendance crew"})
    assert response.status_code == 422 and "You already have a circle called" in text(response)
    assert 'value="K–2 attendance crew"' in text(response)
    response = client.post(f"/huddles/{huddle.id}/circle", data={"name": ""})
    assert response.status_code == 422 and "Give the circle a name" in text(response)


def test_no_circle_before_the_end_for_outsiders_or_of_a_cancelled_huddle(client):
    conference, times, lounge, cafe, host = world()
    ana = make_attendee(conference)
    huddle = a_huddle(conference, host, times[0], size=3)
    join_huddle(huddle, ana)
    db.session.commit()
    sign_in_as(client, host)
    response = client.post(f"/huddles/{huddle.id}/circle", data={"name": "Too early"})
    assert response.status_code == 422 and "once the huddle is over" in text(response)
    from conference.meetings.huddles import cancel_huddle
    cancel_huddle(huddle, host)
    times[0].starts_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    response = client.post(f"/huddles/{huddle.id}/circle", data={"name": "Cancelled"})
    assert response.status_code == 422 and "was cancelled" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Circle)) == 0


def test_my_data_download_lists_my_huddles(client):
    conference, times, lounge, cafe, host = world()
    ana = make_attendee(conference, name="Ana Ruiz")
    huddle = a_huddle(conference, host, times[0])
    join_huddle(huddle, ana)
    db.session.commit()
    sign_in_as(client, ana)
    data = client.get("/me/data.json").get_json()
    assert data["huddles"] == [{"question": QUESTION, "interests": ["School climate and culture"],
                                "starts_at": times[0].starts_at.isoformat(timespec="seconds") + "Z", "minutes": 20,
                                "place": "Hall B café", "size": 6, "me": "seated", "cancelled": False,
                                "cancel_reason": ""}]


def listed(page) -> list[int]:
    """The huddle ids a page lists, in its order."""
    return [int(n) for n in re.findall(r'<li id="huddle-(\d+)"', page)]


def test_more_huddles_page_by_page_and_bad_pages_never_fail(client):
    conference = make_conference()
    times, lounge, cafe = frame(conference, times=3)
    made = [a_huddle(conference, make_attendee(conference), times[n % 3]) for n in range(25)]
    me = make_attendee(conference, name="Me")
    sign_in_as(client, me)
    by_time = [h.id for h in sorted(made, key=lambda h: (h.time.starts_at, h.id))]

    page = text(client.get("/huddles"))
    assert listed(page) == by_time[:20]
    assert 'href="/huddles/more?page=2"' in page and "See 5 more huddles" in page

    second = client.get("/huddles/more?page=2")
    assert second.status_code == 200
    assert listed(text(second)) == by_time[20:]
    assert "Page 2 of 2" in text(second) and 'href="/huddles/more?page=1"' in text(second)
    assert "/huddles/more?page=3" not in text(second)
    first = text(client.get("/huddles/more"))
    assert listed(first) == by_time[:20] and 'href="/huddles/more?page=2"' in first

    for bad in ("-1", "0", "two", "", "2.5", "%00"):
        response = client.get(f"/huddles/more?page={bad}")
        assert response.status_code == 200, bad
        assert listed(text(response)) == by_time[:20], bad
    for beyond in ("3", "10000", "10001", str(10 ** 30)):
        assert client.get(f"/huddles/more?page={beyond}").status_code == 404, beyond


def test_no_more_link_when_every_other_huddle_fits(client):
    conference = make_conference()
    times, lounge, cafe = frame(conference)
    sign_in_as(client, make_attendee(conference))
    assert "No other huddles right now" in text(client.get("/huddles/more"))
    huddle = a_huddle(conference, make_attendee(conference), times[0])
    page = text(client.get("/huddles"))
    assert "More huddles" in page and "/huddles/more" not in page
    page = text(client.get("/huddles/more"))
    assert listed(page) == [huddle.id] and "Page 1 of 1" in page and "/huddles/more?page=" not in page
