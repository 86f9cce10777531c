"""Two phones saving the same contact at the same moment leave one row, and neither sees an error."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, func, select

from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.extensions import db
from tests.conftest import ON_POSTGRES
from tests.factories import make_attendee, make_conference, sign_in_as

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="needs PostgreSQL (set TEST_DATABASE_URL): the in-memory SQLite test database is one shared "
           "connection and SQLite runs one writer at a time, so two saves cannot truly race there")

ROUNDS = 20


def race(app, owner, code: str, round_number: int) -> list:
    """POST the same save from two signed-in clients released by one barrier; their responses."""
    clients = [app.test_client(), app.test_client()]
    for client in clients:
        sign_in_as(client, owner)
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def save(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = clients[i].post(f"/c/{code}/save",
                                         data={"note": f"round {round_number}, phone {i}", "tags": "race"})
        except BaseException as error:  # reported by the test, not lost in the thread
            results[i] = error

    threads = [threading.Thread(target=save, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a save never finished"
    return results


def test_two_saves_at_once_leave_one_connection(app):
    conference = make_conference()
    owner = make_attendee(conference, name="Dana Whitfield")
    contacts = [make_attendee(conference, name=f"Contact {n}") for n in range(ROUNDS)]
    targets = [(contact.id, display(contact.badge_code)) for contact in contacts]

    # Count the unique-constraint refusals the database sends back, to see that the race really bites.
    collisions = []

    def on_error(context) -> None:
        if getattr(context.original_exception, "sqlstate", None) == "23505":
            collisions.append(context.original_exception)

    event.listen(db.engine, "handle_error", on_error)
    try:
        for round_number, (contact_id, code) in enumerate(targets):
            responses = race(app, owner, code, round_number)
            for response in responses:
                assert not isinstance(response, BaseException), f"round {round_number}: {response!r}"
                assert response.status_code == 303, (round_number, response.status_code, response.text[:500])
                assert response.headers["Location"].startswith(f"/c/{code}")
            db.session.expire_all()
            rows = db.session.scalars(select(Connection).where(Connection.owner_id == owner.id,
                                                               Connection.contact_id == contact_id)).all()
            assert len(rows) == 1, f"round {round_number}: {len(rows)} rows"
            assert rows[0].note in {f"round {round_number}, phone 0", f"round {round_number}, phone 1"}
            assert rows[0].tags == "race"
    finally:
        event.remove(db.engine, "handle_error", on_error)

    total = db.session.scalar(select(func.count()).select_from(Connection).where(Connection.owner_id == owner.id))
    assert total == ROUNDS
    print(f"{len(collisions)} of {ROUNDS} rounds collided on the unique constraint")
