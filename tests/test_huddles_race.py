"""Two people taking a huddle's last seat at the same moment: one is seated, the other waits (or is told
it is full), and the huddle never holds more than its size."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from conference.events.models import utcnow
from conference.extensions import db
from conference.meetings.huddles import join_huddle, start_huddle
from conference.meetings.models import Booking, HuddleSeat, HuddleWaiting, MeetingSpot, MeetingTime
from tests.conftest import ON_POSTGRES
from tests.factories import interest, make_attendee, make_conference, sign_in_as

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="needs PostgreSQL (set TEST_DATABASE_URL): the in-memory SQLite test database is one shared "
           "connection and SQLite runs one writer at a time, so two joins cannot truly race there")

ROUNDS = 10


def huddles_with_one_seat_left(rounds: int):
    """`rounds` huddles of 3 (one per meeting time, the same host), each with one seat left."""
    conference = make_conference()
    start = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    times = [MeetingTime(conference_id=conference.id, starts_at=start + timedelta(minutes=30 * n), minutes=20)
             for n in range(rounds)]
    db.session.add_all([*times, MeetingSpot(conference_id=conference.id, name="Lounge", capacity=50)])
    db.session.commit()
    host = make_attendee(conference, name="Samira Okafor")
    huddles = []
    for time in times:
        huddle = start_huddle(host, "Chronic absence in K–2: what actually worked?",
                              [interest(conference, "Equity").id], time.id, size=3)
        join_huddle(huddle, make_attendee(conference))
        huddles.append(huddle)
    db.session.commit()
    return conference, [h.id for h in huddles]


def race(app, people, path: str) -> list:
    """POST `path` from each person's own client, released together by one barrier; the responses."""
    clients = [app.test_client() for _ in people]
    for client, person in zip(clients, people):
        sign_in_as(client, person)
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def post(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = clients[i].post(path)
        except BaseException as error:  # reported by the test, not lost in the thread
            results[i] = error

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a join never finished"
    return results


def collisions_counted():
    found = []

    def on_error(context) -> None:
        if getattr(context.original_exception, "sqlstate", None) == "23505":
            found.append(context.original_exception)

    event.listen(db.engine, "handle_error", on_error)
    return found, lambda: event.remove(db.engine, "handle_error", on_error)


def seated_and_waiting(huddle_id: int) -> tuple[list[int], list[int]]:
    db.session.expire_all()
    seated = list(db.session.scalars(select(HuddleSeat.attendee_id).where(HuddleSeat.huddle_id == huddle_id)))
    waiting = list(db.session.scalars(select(HuddleWaiting.attendee_id).where(HuddleWaiting.huddle_id == huddle_id)))
    return seated, waiting


def test_two_people_taking_the_last_seat_leave_one_seated_and_one_waiting(app):
    conference, huddle_ids = huddles_with_one_seat_left(ROUNDS)
    collisions, stop = collisions_counted()
    try:
        for round_number, huddle_id in enumerate(huddle_ids):
            a, b = make_attendee(conference), make_attendee(conference)
            responses = race(app, [a, b], f"/huddles/{huddle_id}/join")
            for response in responses:
                assert not isinstance(response, BaseException), f"round {round_number}: {response!r}"
                assert response.status_code == 303, (round_number, response.status_code, response.text[:500])
            outcomes = sorted(r.headers["Location"].rpartition("=")[2] for r in responses)
            assert outcomes == ["seated", "waiting"], f"round {round_number}: {outcomes}"
            seated, waiting = seated_and_waiting(huddle_id)
            assert len(seated) == 3, f"round {round_number}: {len(seated)} seats"
            winner = a.id if a.id in seated else b.id
            assert waiting == [b.id if winner == a.id else a.id]
            booked = set(db.session.scalars(select(Booking.attendee_id).where(Booking.huddle_id == huddle_id)))
            assert booked == set(seated)  # the one waiting holds no booking
    finally:
        stop()
    print(f"{len(collisions)} unique-key refusals in {ROUNDS} rounds")
    assert collisions, "the two joins never collided: the race did not bite"


def test_with_no_waiting_list_the_loser_is_told_the_huddle_is_full(app):
    app.config["HUDDLE_WAITING_LIST"] = 0
    conference, huddle_ids = huddles_with_one_seat_left(ROUNDS // 2)
    for round_number, huddle_id in enumerate(huddle_ids):
        people = [make_attendee(conference), make_attendee(conference)]
        responses = race(app, people, f"/huddles/{huddle_id}/join")
        for response in responses:
            assert not isinstance(response, BaseException), f"round {round_number}: {response!r}"
        codes = sorted(r.status_code for r in responses)
        assert codes == [303, 422], f"round {round_number}: {codes}"
        refused = next(r for r in responses if r.status_code == 422)
        assert "This huddle is full" in refused.get_data(as_text=True)
        seated, waiting = seated_and_waiting(huddle_id)
        assert len(seated) == 3 and waiting == []
    total = db.session.scalar(select(func.count()).select_from(HuddleSeat))
    assert total == 3 * len(huddle_ids)
