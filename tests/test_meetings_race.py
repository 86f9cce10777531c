"""Two people accepting the last table at the same moment leave one meeting and one person told why;
one person accepting two requests for the same time at once is booked once."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from conference.attendees.models import Attendee
from conference.errors import DomainError
from conference.events.models import utcnow
from conference.extensions import db
from conference.meetings.models import Booking, Meeting, MeetingSpot, MeetingTime, TableBooking
from conference.meetings.operations import accept_meeting, ask_to_meet
from tests.conftest import ON_POSTGRES
from tests.factories import make_attendee, make_conference

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="needs PostgreSQL (set TEST_DATABASE_URL): the in-memory SQLite test database is one shared "
           "connection and SQLite runs one writer at a time, so two accepts cannot truly race there")

ROUNDS = 10


def accept_at_once(app, answers: list[tuple[int, int]]) -> list:
    """Accept each (meeting id, invitee id) in its own thread, app context and session, released by one
    barrier; what each got: "accepted", or the DomainError, or whatever else went wrong."""
    barrier = threading.Barrier(len(answers))
    results: list = [None] * len(answers)

    def accept(i: int) -> None:
        meeting_id, invitee_id = answers[i]
        with app.app_context():
            try:
                meeting = db.session.get(Meeting, meeting_id)
                invitee = db.session.get(Attendee, invitee_id)
                barrier.wait(timeout=10)
                accept_meeting(meeting, invitee)
                db.session.commit()
                results[i] = "accepted"
            except DomainError as error:
                db.session.rollback()
                results[i] = error
            except BaseException as error:  # reported by the test, not lost in the thread
                db.session.rollback()
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(len(answers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "an accept never finished"
    return results


def close_the_rest() -> None:
    """The refused request is still open: answer it, so the next round's pair may ask again."""
    db.session.execute(update(Meeting).where(Meeting.state == "requested").values(state="declined"))
    db.session.commit()


def collisions_counted():
    collisions = []

    def on_error(context) -> None:
        if getattr(context.original_exception, "sqlstate", None) == "23505":
            collisions.append(context.original_exception)

    event.listen(db.engine, "handle_error", on_error)
    return collisions, lambda: event.remove(db.engine, "handle_error", on_error)


def test_two_people_accepting_the_last_table_leave_one_in(app):
    conference = make_conference()
    start = utcnow() + timedelta(days=1)
    times = [MeetingTime(conference_id=conference.id, starts_at=start + timedelta(minutes=30 * n), minutes=20)
             for n in range(ROUNDS)]
    booth = MeetingSpot(conference_id=conference.id, name="Quiet booth", capacity=1)
    db.session.add_all([*times, booth])
    db.session.commit()
    people = [make_attendee(conference) for _ in range(4)]
    collisions, stop = collisions_counted()
    try:
        for round_number, time in enumerate(times):
            ana, ben, cleo, dee = people
            first = ask_to_meet(ana, ben, time.id)
            second = ask_to_meet(cleo, dee, time.id)
            db.session.commit()
            results = accept_at_once(app, [(first.id, ben.id), (second.id, dee.id)])
            assert sorted(map(type, results), key=str) == sorted([str, DomainError], key=str), \
                f"round {round_number}: {results!r}"
            refused = next(r for r in results if isinstance(r, DomainError))
            assert "Quiet booth is full at" in refused.message and refused.field == "meeting"
            db.session.expire_all()
            assert db.session.scalar(select(func.count()).select_from(TableBooking).where(
                TableBooking.spot_id == booth.id, TableBooking.time_id == time.id)) == 1
            states = sorted(db.session.scalars(select(Meeting.state).where(Meeting.id.in_([first.id, second.id]))))
            assert states == ["accepted", "requested"]
            # The refused accept left nothing behind: no booking of its people at that time.
            assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.time_id == time.id)) == 2
            close_the_rest()
    finally:
        stop()
    print(f"{len(collisions)} of {ROUNDS} rounds collided on a unique key")


def test_one_person_accepting_two_requests_at_once_is_booked_once(app):
    conference = make_conference()
    start = utcnow() + timedelta(days=1)
    times = [MeetingTime(conference_id=conference.id, starts_at=start + timedelta(minutes=30 * n), minutes=20)
             for n in range(ROUNDS)]
    lounge = MeetingSpot(conference_id=conference.id, name="Networking lounge", capacity=20)
    db.session.add_all([*times, lounge])
    db.session.commit()
    ben = make_attendee(conference, name="Ben Okafor")
    askers = [make_attendee(conference) for _ in range(2)]
    collisions, stop = collisions_counted()
    try:
        for round_number, time in enumerate(times):
            requests = [ask_to_meet(asker, ben, time.id) for asker in askers]
            db.session.commit()
            results = accept_at_once(app, [(meeting.id, ben.id) for meeting in requests])
            assert results.count("accepted") == 1, f"round {round_number}: {results!r}"
            refused = next(r for r in results if isinstance(r, DomainError))
            assert "You already have a meeting or a huddle at" in refused.message
            db.session.expire_all()
            assert db.session.scalar(select(func.count()).select_from(Booking).where(
                Booking.attendee_id == ben.id, Booking.time_id == time.id)) == 1
            assert db.session.scalar(select(func.count()).select_from(TableBooking).where(
                TableBooking.time_id == time.id)) == 1
            close_the_rest()
    finally:
        stop()
    print(f"{len(collisions)} of {ROUNDS} rounds collided on a unique key")
