"""Asking to meet, answering, cancelling and My schedule, through the real routes, on both databases."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from conference.attendees.models import Attendee
from conference.badges.codes import display
from conference.errors import DomainError
from conference.events.models import utcnow
from conference.events.operations import local_time
from conference.extensions import db
from conference.meetings.models import (Booking, Huddle, HuddleSeat, Meeting, MeetingNotice, MeetingSpot,
                                        MeetingTime, TableBooking)
from conference.meetings.operations import accept_meeting, ask_to_meet, may_ask, schedule_for
from tests.factories import make_attendee, make_conference, sign_in_as


def frame(conference, times: int = 3, capacity: int = 2, spots=("Networking lounge",)):
    """Meeting times from tomorrow morning (UTC), every 30 minutes, and spots of `capacity` tables."""
    start = (utcnow() + timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)
    made = [MeetingTime(conference_id=conference.id, starts_at=start + timedelta(minutes=30 * n), minutes=20,
                        label="Morning break") for n in range(times)]
    places = [MeetingSpot(conference_id=conference.id, name=name, capacity=capacity) for name in spots]
    db.session.add_all(made + places)
    db.session.commit()
    return made, places


@pytest.fixture
def world(app):
    conference = make_conference()
    times, spots = frame(conference)
    ana = make_attendee(conference, name="Ana Ruiz")
    ben = make_attendee(conference, name="Ben Okafor", school="Hillcrest Elementary")
    cleo = make_attendee(conference, name="Cleo Park")
    return type("World", (), dict(conference=conference, times=times, spot=spots[0], ana=ana, ben=ben, cleo=cleo))


def as_(client, person):
    sign_in_as(client, person)
    return client


def ask(client, asker, invitee, time, **data):
    return as_(client, asker).post(f"/me/meet/{invitee.id}", data={"time": str(time.id), **data})


def app_client_signed_out(client):
    with client.session_transaction() as session:
        session.clear()
    return client


def meeting_between(asker, invitee) -> Meeting:
    return db.session.scalar(select(Meeting).where(Meeting.asker_id == asker.id, Meeting.invitee_id == invitee.id)
                             .order_by(Meeting.id.desc()))


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- the sheet and a request -----------------------------------------------------------------

def test_the_sheet_lists_the_times_both_are_free_with_a_proposed_table(client, world):
    page = as_(client, world.ana).get(f"/me/meet/{world.ben.id}")
    assert page.status_code == 200
    assert "Ask Ben Okafor to meet" in page.text
    assert page.text.count('name="time"') == 3
    assert "Networking lounge, table 1" in page.text
    assert "Morning break" in page.text


def test_the_sheet_opens_as_an_htmx_fragment(client, world):
    page = as_(client, world.ana).get(f"/me/meet/{world.ben.id}", headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert page.text.lstrip().startswith('<section id="ask-sheet"')
    assert "<html" not in page.text


def test_asking_records_a_request_and_tells_the_invitee(client, world):
    response = ask(client, world.ana, world.ben, world.times[1], message="Let's compare master schedules")
    assert response.status_code == 303
    meeting = meeting_between(world.ana, world.ben)
    assert response.headers["Location"].endswith(f"#meeting-{meeting.id}")
    assert (meeting.state, meeting.time_id, meeting.spot_id, meeting.table_no) == \
        ("requested", world.times[1].id, world.spot.id, 1)
    assert meeting.message == "Let's compare master schedules"
    notice = db.session.scalar(select(MeetingNotice).where(MeetingNotice.attendee_id == world.ben.id))
    assert notice.kind == "requested" and "Ana Ruiz asked to meet" in notice.text
    mine = as_(client, world.ana).get("/me/meetings").text
    assert f'id="meeting-{meeting.id}"' in mine and "Waiting for an answer" in mine
    theirs = as_(client, world.ben).get("/me/meetings").text
    assert "Waiting for your answer (1)" in theirs and "Let&#39;s compare master schedules" in theirs
    # The count on the bottom bar's More, on the contacts page and in More's list.
    assert '<span class="tab-count">1' in client.get("/me/badge").text
    assert "1 meeting request is waiting for your answer" in client.get("/me/contacts").text
    assert "Meetings (1 waiting)" in client.get("/me").text


def test_an_htmx_request_answers_with_the_sheet_saying_it_was_sent(client, world):
    response = as_(client, world.ana).post(f"/me/meet/{world.ben.id}", data={"time": str(world.times[0].id)},
                                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="ask-sheet"')
    assert "Asked Ben Okafor to meet" in response.text


def test_a_chosen_spot_is_kept(client, app):
    conference = make_conference()
    times, (cafe, lounge) = frame(conference, spots=("Hall B café", "Networking lounge"))
    ana, ben = make_attendee(conference), make_attendee(conference)
    assert ask(client, ana, ben, times[0], spot=str(lounge.id)).status_code == 303
    assert meeting_between(ana, ben).spot_id == lounge.id


# --- answering ------------------------------------------------------------------------------

def test_accepting_books_both_people_and_a_table(client, world):
    ask(client, world.ana, world.ben, world.times[0])
    meeting = meeting_between(world.ana, world.ben)
    response = as_(client, world.ben).post(f"/me/meetings/{meeting.id}/accept")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#meeting-{meeting.id}")
    db.session.refresh(meeting)
    assert meeting.state == "accepted"
    assert count(Booking, Booking.meeting_id == meeting.id) == 2
    assert db.session.scalar(select(TableBooking.table_no).where(TableBooking.meeting_id == meeting.id)) == 1
    for person, other in ((world.ana, "Ben Okafor"), (world.ben, "Ana Ruiz")):
        page = as_(client, person).get("/me/meetings").text
        assert f'id="meeting-{meeting.id}"' in page and other in page and "Networking lounge, table 1" in page
    assert "tab-count" not in as_(client, world.ben).get("/me/badge").text
    notice = db.session.scalar(select(MeetingNotice).where(MeetingNotice.attendee_id == world.ana.id))
    assert notice.kind == "accepted"


def test_not_this_time_reads_not_available_never_declined(client, world):
    ask(client, world.ana, world.ben, world.times[0])
    meeting = meeting_between(world.ana, world.ben)
    assert as_(client, world.ben).post(f"/me/meetings/{meeting.id}/decline").status_code == 303
    db.session.refresh(meeting)
    assert meeting.state == "declined"
    page = as_(client, world.ana).get("/me/meetings").text
    assert "Not available" in page
    assert "declin" not in page.lower()
    notice = db.session.scalar(select(MeetingNotice).where(MeetingNotice.attendee_id == world.ana.id))
    assert "not available" in notice.text and "declin" not in notice.text.lower()


def test_proposing_another_time_sends_a_request_back(client, world):
    ask(client, world.ana, world.ben, world.times[0])
    old = meeting_between(world.ana, world.ben)
    page = as_(client, world.ben).get(f"/me/meetings/{old.id}/propose")
    assert page.status_code == 200 and "Propose another time to Ana Ruiz" in page.text
    assert page.text.count('name="time"') == 2  # not the time asked for
    response = client.post(f"/me/meetings/{old.id}/propose", data={"time": str(world.times[0].id), "message": "Kept"})
    assert response.status_code == 422 and "accept it instead" in response.text and "Kept</textarea>" in response.text
    response = client.post(f"/me/meetings/{old.id}/propose", data={"time": str(world.times[2].id),
                                                                    "message": "Later suits me better"})
    assert response.status_code == 303
    db.session.refresh(old)
    new = meeting_between(world.ben, world.ana)
    assert old.state == "countered" and new.replaces_id == old.id and new.time_id == world.times[2].id
    assert "Waiting for your answer (1)" in as_(client, world.ana).get("/me/meetings").text
    assert client.post(f"/me/meetings/{new.id}/accept").status_code == 303
    db.session.refresh(new)
    assert new.state == "accepted"


def test_only_the_invitee_answers(client, world):
    ask(client, world.ana, world.ben, world.times[0])
    meeting = meeting_between(world.ana, world.ben)
    response = as_(client, world.ana).post(f"/me/meetings/{meeting.id}/accept")
    assert response.status_code == 422 and "Only Ben Okafor can answer this request." in response.text
    assert as_(client, world.cleo).post(f"/me/meetings/{meeting.id}/accept").status_code == 404
    assert client.get(f"/me/meetings/{meeting.id}/propose").status_code == 404
    assert as_(client, world.ana).get(f"/me/meetings/{meeting.id}/propose").status_code == 404
    db.session.refresh(meeting)
    assert meeting.state == "requested"


def test_a_request_is_answered_once(client, world):
    ask(client, world.ana, world.ben, world.times[0])
    meeting = meeting_between(world.ana, world.ben)
    as_(client, world.ben).post(f"/me/meetings/{meeting.id}/accept")
    for action in ("accept", "decline"):
        response = client.post(f"/me/meetings/{meeting.id}/{action}")
        assert response.status_code == 422
        assert "This request has already been answered." in response.text
    response = client.post(f"/me/meetings/{meeting.id}/propose", data={"time": str(world.times[1].id)})
    assert response.status_code == 422 and "already been answered" in response.text
    assert count(Booking, Booking.meeting_id == meeting.id) == 2


def test_a_withdrawn_request_cannot_be_accepted(client, world):
    ask(client, world.ana, world.ben, world.times[0])
    meeting = meeting_between(world.ana, world.ben)
    assert as_(client, world.ana).post(f"/me/meetings/{meeting.id}/cancel",
                                       data={"reason": "Double-booked myself"}).status_code == 303
    response = as_(client, world.ben).post(f"/me/meetings/{meeting.id}/accept")
    assert response.status_code == 422 and "This request was withdrawn." in response.text
    assert "Double-booked myself" in response.text  # shown under Cancelled


# --- cancelling -----------------------------------------------------------------------------

def test_cancelling_frees_the_table_and_both_bookings_and_tells_the_other(client, world):
    ask(client, world.ana, world.ben, world.times[0])
    meeting = meeting_between(world.ana, world.ben)
    as_(client, world.ben).post(f"/me/meetings/{meeting.id}/accept")
    response = as_(client, world.ana).post(f"/me/meetings/{meeting.id}/cancel",
                                           data={"reason": "My flight moved up, sorry"})
    assert response.status_code == 303
    db.session.refresh(meeting)
    assert meeting.state == "cancelled" and meeting.cancel_reason == "My flight moved up, sorry"
    assert count(Booking, Booking.meeting_id == meeting.id) == 0
    assert count(TableBooking, TableBooking.meeting_id == meeting.id) == 0
    notice = db.session.scalar(select(MeetingNotice).where(MeetingNotice.attendee_id == world.ben.id,
                                                           MeetingNotice.kind == "cancelled"))
    assert "My flight moved up, sorry" in notice.text
    page = as_(client, world.ben).get("/me/meetings").text
    assert "Ana Ruiz</strong> cancelled" in page and "Cancel and tell" not in page
    # The time is free again for both.
    assert as_(client, world.cleo).get(f"/me/meet/{world.ben.id}").text.count('name="time"') == 3


def test_cancelling_needs_a_reason_and_keeps_what_was_typed(client, world):
    ask(client, world.ana, world.ben, world.times[0])
    meeting = meeting_between(world.ana, world.ben)
    as_(client, world.ben).post(f"/me/meetings/{meeting.id}/accept")
    response = client.post(f"/me/meetings/{meeting.id}/cancel", data={"reason": "  "})
    assert response.status_code == 422 and "Add a line for the other person" in response.text
    long = "x" * 201
    response = client.post(f"/me/meetings/{meeting.id}/cancel", data={"reason": long})
    assert response.status_code == 422 and "at most 200 characters; this one has 201" in response.text
    assert f'value="{long}"' in response.text and "<details class=\"cancel\" open>" in response.text
    db.session.refresh(meeting)
    assert meeting.state == "accepted"


# --- who can be asked ----------------------------------------------------------------------

def test_nobody_asks_themselves(client, world):
    assert as_(client, world.ana).get(f"/me/meet/{world.ana.id}").status_code == 404
    assert as_(client, world.ana).post(f"/me/meet/{world.ana.id}", data={"time": str(world.times[0].id)}).status_code == 404
    with pytest.raises(DomainError) as error:
        ask_to_meet(world.ana, world.ana, world.times[0].id)
    assert error.value.field == "person" and "That's you" in error.value.message


def test_nobody_asks_a_person_of_another_conference(client, world):
    elsewhere = make_conference(name="Another Conference")
    frame(elsewhere)
    stranger = make_attendee(elsewhere, name="Dee Stranger")
    assert as_(client, world.ana).get(f"/me/meet/{stranger.id}").status_code == 404
    assert ask(client, world.ana, stranger, world.times[0]).status_code == 404
    with pytest.raises(DomainError) as error:
        ask_to_meet(world.ana, stranger, world.times[0].id)
    assert error.value.field == "person" and "another conference" in error.value.message
    assert count(Meeting) == 0


def test_a_person_with_requests_off_is_not_asked(client, world):
    world.ben.meeting_requests = False
    db.session.commit()
    page = as_(client, world.ana).get(f"/me/meet/{world.ben.id}")
    assert page.status_code == 200 and "doesn&#39;t take meeting requests" in page.text
    assert 'name="time"' not in page.text
    response = ask(client, world.ana, world.ben, world.times[0], message="Please?")
    assert response.status_code == 422 and "doesn&#39;t take meeting requests" in response.text
    assert count(Meeting) == 0
    assert "Ask to meet" not in client.get(f"/c/{display(world.ben.badge_code)}").text


@pytest.mark.parametrize("change", ["hidden", "unclaimed"])
def test_a_hidden_or_unclaimed_person_is_nobody_to_ask(client, world, change):
    if change == "hidden":
        world.ben.hidden = True
    else:
        from conference.organizer.access.models import Organizer
        from conference.organizer.registrants.models import ImportBatch
        organizer = Organizer(conference_id=world.conference.id, email="staff@example.org")
        db.session.add(organizer)
        db.session.flush()
        batch = ImportBatch(conference_id=world.conference.id, organizer_id=organizer.id, filename="r.csv")
        db.session.add(batch)
        db.session.flush()
        world.ben.import_batch_id = batch.id
    db.session.commit()
    assert as_(client, world.ana).get(f"/me/meet/{world.ben.id}").status_code == 404
    assert ask(client, world.ana, world.ben, world.times[0]).status_code == 404
    assert "Ask to meet" not in client.get(f"/c/{display(world.ben.badge_code)}").text
    assert may_ask(world.ana, world.ben) == "This person doesn't take meeting requests."
    with pytest.raises(DomainError) as error:
        ask_to_meet(world.ana, world.ben, world.times[0].id)
    assert error.value.field == "person"


def test_turning_requests_off_on_the_profile(client, world):
    from tests.test_join import join_form
    page = as_(client, world.ben).get("/me/profile").text
    assert 'name="meeting_requests"' in page and "People can ask me to meet" in page
    response = client.post("/me/profile", data=join_form(world.conference, name="Ben Okafor", email=world.ben.email))
    assert response.status_code == 303
    db.session.refresh(world.ben)
    assert world.ben.meeting_requests is False
    client.post("/me/profile", data=join_form(world.conference, name="Ben Okafor", email=world.ben.email,
                                              meeting_requests="y"))
    db.session.refresh(world.ben)
    assert world.ben.meeting_requests is True


def test_joining_leaves_requests_on(client, app):
    from tests.test_join import join_form
    conference = make_conference()
    assert 'name="meeting_requests"' not in client.get(f"/{conference.slug}/join").text
    client.post(f"/{conference.slug}/join", data=join_form(conference))
    assert db.session.scalar(select(Attendee.meeting_requests).where(Attendee.email == "ana@school.example.org"))


def test_a_closed_conference_takes_no_new_requests(client, world):
    world.conference.closes_on = date.today() - timedelta(days=2)
    db.session.commit()
    page = as_(client, world.ana).get(f"/me/meet/{world.ben.id}")
    assert "has closed, so new meeting requests have ended" in page.text and 'name="time"' not in page.text
    response = ask(client, world.ana, world.ben, world.times[0])
    assert response.status_code == 422 and "has closed" in response.text
    assert count(Meeting) == 0


# --- times and spots -------------------------------------------------------------------------

def test_a_time_of_another_conference_or_nonsense_is_refused_keeping_the_line(client, world):
    elsewhere = make_conference(name="Another Conference")
    (other_time, *_), _ = frame(elsewhere)
    for value in (str(other_time.id), "abc", "", "99999999", "99999999999", "-1", "1.5"):
        response = as_(client, world.ana).post(f"/me/meet/{world.ben.id}",
                                               data={"time": value, "message": "About block schedules"})
        assert response.status_code == 422, value
        assert "Choose one of the meeting times listed." in response.text
        assert "About block schedules</textarea>" in response.text
    assert count(Meeting) == 0


def test_a_time_in_the_past_is_refused(client, world):
    gone = MeetingTime(conference_id=world.conference.id, starts_at=utcnow() - timedelta(hours=1), minutes=20)
    db.session.add(gone)
    db.session.commit()
    response = ask(client, world.ana, world.ben, gone, message="Kept")
    assert response.status_code == 422 and "has already started" in response.text and "Kept</textarea>" in response.text
    assert count(Meeting) == 0


def test_a_time_taken_since_the_sheet_opened_is_refused_at_the_time(client, world):
    ask(client, world.ana, world.cleo, world.times[0])
    as_(client, world.cleo).post(f"/me/meetings/{meeting_between(world.ana, world.cleo).id}/accept")
    response = ask(client, world.ana, world.ben, world.times[0], message="Still here")
    assert response.status_code == 422
    assert "You already have a meeting or a huddle at" in response.text and 'id="time-error"' in response.text
    assert "Still here</textarea>" in response.text
    response = ask(client, world.ben, world.cleo, world.times[0])
    assert response.status_code == 422 and "Cleo Park already has a meeting or a huddle" in response.text


def test_nobody_is_in_two_accepted_meetings_at_once(client, world):
    ask(client, world.ana, world.ben, world.times[0])
    ask(client, world.cleo, world.ana, world.times[0])
    first, second = meeting_between(world.ana, world.ben), meeting_between(world.cleo, world.ana)
    assert as_(client, world.ben).post(f"/me/meetings/{first.id}/accept").status_code == 303
    response = as_(client, world.ana).post(f"/me/meetings/{second.id}/accept")
    assert response.status_code == 422 and "You already have a meeting or a huddle at" in response.text
    db.session.refresh(second)
    assert second.state == "requested"
    assert count(Booking, Booking.attendee_id == world.ana.id) == 1


def test_a_spot_never_holds_more_than_its_capacity(client, app):
    conference = make_conference()
    times, (booth,) = frame(conference, capacity=1, spots=("Quiet booth",))
    ana, ben, cleo, dee = (make_attendee(conference) for _ in range(4))
    ask(client, ana, ben, times[0])
    ask(client, cleo, dee, times[0])  # asked before the booth filled: the request holds no table
    as_(client, ben).post(f"/me/meetings/{meeting_between(ana, ben).id}/accept")
    response = as_(client, dee).post(f"/me/meetings/{meeting_between(cleo, dee).id}/accept")
    assert response.status_code == 422 and "Quiet booth is full at" in response.text
    assert "Propose another time instead" in response.text
    # A new request: the chosen spot is full, and with none chosen every spot is.
    response = ask(client, cleo, dee, times[0], spot=str(booth.id), message="Kept")
    assert response.status_code == 422 and 'id="spot-error"' not in response.text  # one spot: no spot field
    assert "There is already a request between you" in response.text
    db.session.delete(meeting_between(cleo, dee))
    db.session.commit()
    response = ask(client, cleo, dee, times[0], spot=str(booth.id), message="Kept")
    assert response.status_code == 422 and "Quiet booth is full at" in response.text
    response = ask(client, cleo, dee, times[0])
    assert response.status_code == 422 and "Every spot is full at" in response.text
    assert count(TableBooking, TableBooking.spot_id == booth.id) == 1
    # The sheet says so beside the time.
    assert "Every spot is full" in as_(client, cleo).get(f"/me/meet/{dee.id}").text


def test_a_full_chosen_spot_is_told_at_the_spot_field(client, app):
    conference = make_conference()
    times, (booth, lounge) = frame(conference, capacity=1, spots=("A booth", "Lounge"))
    ana, ben, cleo, dee = (make_attendee(conference) for _ in range(4))
    ask(client, ana, ben, times[0], spot=str(booth.id))
    as_(client, ben).post(f"/me/meetings/{meeting_between(ana, ben).id}/accept")
    response = ask(client, cleo, dee, times[0], spot=str(booth.id), message="Kept")
    assert response.status_code == 422 and 'id="spot-error"' in response.text and "A booth is full at" in response.text
    assert "Kept</textarea>" in response.text
    response = ask(client, cleo, dee, times[0], spot="424242")
    assert response.status_code == 422 and "Choose one of the spots listed." in response.text
    assert ask(client, cleo, dee, times[0], spot=str(lounge.id)).status_code == 303


def test_a_line_over_200_characters_is_refused_and_kept(client, world):
    line = "Let's compare master schedules " * 7
    response = ask(client, world.ana, world.ben, world.times[0], message=line)
    assert response.status_code == 422 and 'id="message-error"' in response.text
    assert "at most 200 characters" in response.text and line.strip().replace("'", "&#39;") in response.text
    assert count(Meeting) == 0


def test_one_open_request_between_two_people(client, world):
    ask(client, world.ana, world.ben, world.times[0])
    for asker, invitee in ((world.ana, world.ben), (world.ben, world.ana)):
        response = ask(client, asker, invitee, world.times[1])
        assert response.status_code == 422 and "already a request between you" in response.text


# --- limits --------------------------------------------------------------------------------

def test_open_requests_are_limited(client, app):
    app.config["MEETING_OPEN_REQUESTS_LIMIT"] = 2
    conference = make_conference()
    times, _ = frame(conference)
    ana, *others = (make_attendee(conference) for _ in range(4))
    for other in others[:2]:
        assert ask(client, ana, other, times[0]).status_code == 303
    response = ask(client, ana, others[2], times[0], message="Kept")
    assert response.status_code == 422 and "2 requests waiting for an answer" in response.text
    assert "Kept</textarea>" in response.text


def test_requests_a_day_are_limited(client, app):
    app.config["MEETING_REQUESTS_PER_DAY"] = 2
    conference = make_conference()
    times, _ = frame(conference)
    ana, *others = (make_attendee(conference) for _ in range(4))
    for other in others[:2]:
        ask(client, ana, other, times[0])
        as_(client, other).post(f"/me/meetings/{meeting_between(ana, other).id}/decline")
    response = ask(client, ana, others[2], times[0])
    assert response.status_code == 422 and "sent 2 meeting requests in the last day" in response.text


# --- where the button shows ------------------------------------------------------------------

def test_the_card_offers_ask_to_meet_only_when_it_can(client, world):
    card = as_(client, world.ana).get(f"/c/{display(world.ben.badge_code)}").text
    assert f'href="/me/meet/{world.ben.id}"' in card
    assert "Ask to meet" not in client.get(f"/c/{display(world.ana.badge_code)}").text  # my own
    other = make_conference(name="No meetings here")
    dee, eve = make_attendee(other), make_attendee(other)
    assert "Ask to meet" not in as_(client, dee).get(f"/c/{display(eve.badge_code)}").text  # no meeting times
    assert "Ask to meet" not in client.get(f"/c/{display(world.ben.badge_code)}").text  # another conference
    assert "Ask to meet" not in app_client_signed_out(client).get(f"/c/{display(world.ben.badge_code)}").text


def test_a_contact_and_a_person_to_meet_offer_ask_to_meet(client, world):
    from conference.contacts.operations import save_contact
    connection = save_contact(world.ana, world.ben)
    db.session.commit()
    assert f'href="/me/meet/{world.ben.id}"' in as_(client, world.ana).get(f"/me/contacts/{connection.id}").text
    from tests.factories import interest
    from conference.interests.models import AttendeeInterest
    db.session.add(AttendeeInterest(attendee_id=world.ana.id, interest_id=interest(world.conference, "Literacy").id,
                                    offers=False, seeks=True))
    db.session.add(AttendeeInterest(attendee_id=world.cleo.id, interest_id=interest(world.conference, "Literacy").id,
                                    offers=True, seeks=False))
    db.session.commit()
    people = client.get("/me/people").text
    assert f'href="/me/meet/{world.cleo.id}"' in people


# --- the schedule ----------------------------------------------------------------------------

def test_my_schedule_holds_huddle_seats_and_signed_out_people_sign_in(client, world):
    assert client.get("/me/meetings").status_code == 302
    huddle = Huddle(conference_id=world.conference.id, host_id=world.ben.id, question="Chronic absence in K–2",
                    time_id=world.times[2].id, spot_id=world.spot.id, size=4)
    db.session.add(huddle)
    db.session.flush()
    db.session.add_all([HuddleSeat(huddle_id=huddle.id, seat_no=1, attendee_id=world.ben.id),
                        HuddleSeat(huddle_id=huddle.id, seat_no=2, attendee_id=world.ana.id),
                        TableBooking(spot_id=world.spot.id, time_id=world.times[2].id, table_no=2, huddle_id=huddle.id)])
    db.session.commit()
    page = as_(client, world.ana).get("/me/meetings").text
    assert f'id="huddle-{huddle.id}"' in page and "Chronic absence in K–2" in page
    assert "Networking lounge, table 2" in page and "With Ben Okafor" in page
    schedule = schedule_for(world.ana)
    assert [item.anchor for item in schedule.today + schedule.upcoming] == [f"huddle-{huddle.id}"]


def test_schedule_is_in_time_order_on_the_venue_clock(client, world):
    ask(client, world.ana, world.ben, world.times[2])
    ask(client, world.ana, world.cleo, world.times[0])
    for person, asker in ((world.ben, world.ana), (world.cleo, world.ana)):
        as_(client, person).post(f"/me/meetings/{meeting_between(asker, person).id}/accept")
    schedule = schedule_for(world.ana)
    items = schedule.today + schedule.upcoming
    assert [item.title for item in items] == ["Cleo Park", "Ben Okafor"]
    start = local_time(world.conference, world.times[0].starts_at)
    assert items[0].when == f"{start:%a} {start:%-H}:00–{start:%-H}:20"
    page = as_(client, world.ana).get("/me/meetings").text
    assert page.index("Cleo Park") < page.index("Ben Okafor")


def test_accepting_a_request_whose_time_has_passed_is_refused(client, world):
    ask(client, world.ana, world.ben, world.times[0])
    meeting = meeting_between(world.ana, world.ben)
    with pytest.raises(DomainError) as error:
        accept_meeting(meeting, world.ben, now=world.times[0].starts_at + timedelta(minutes=1))
    assert error.value.field == "meeting" and "has passed" in error.value.message


def test_my_data_download_carries_my_meetings_as_i_see_them(client, world):
    ask(client, world.ana, world.ben, world.times[0], message="Hello")
    as_(client, world.ben).post(f"/me/meetings/{meeting_between(world.ana, world.ben).id}/decline")
    mine = as_(client, world.ana).get("/me/data.json").get_json()["meetings"]
    assert mine == [{"with": "Ben Okafor", "i_asked": True, "starts_at": mine[0]["starts_at"], "spot": "Networking lounge",
                     "state": "not available", "message": "Hello", "cancel_reason": ""}]
    assert as_(client, world.ben).get("/me/data.json").get_json()["meetings"][0]["state"] == "declined"


def test_ids_past_the_column_type_are_nobody(client, world):
    as_(client, world.ana)
    assert client.get("/me/meet/99999999999").status_code == 404
    assert client.post("/me/meetings/99999999999/accept").status_code == 404
    assert client.get("/me/meetings/99999999999/propose").status_code == 404
    response = client.post(f"/me/meet/{world.ben.id}", data={"time": str(world.times[0].id), "spot": "99999999999"})
    assert response.status_code == 303  # a spot that names nothing: the one proposed


def test_an_htmx_sheet_with_a_problem_answers_422_with_the_fragment_and_what_was_typed(client, world):
    response = as_(client, world.ana).post(f"/me/meet/{world.ben.id}", headers={"HX-Request": "true", "HX-Target": "ask-sheet"},
                                           data={"time": str(world.times[0].id), "message": "y" * 201, "in_card": "1"})
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="ask-sheet"')
    assert '<h2 id="ask-title"' in response.text  # still inside the card, under its h1
    assert "y" * 201 + "</textarea>" in response.text and 'name="in_card"' in response.text
    page = client.get(f"/me/meet/{world.ben.id}")
    assert '<h1 id="ask-title"' in page.text and 'name="in_card"' not in page.text
