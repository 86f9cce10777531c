"""Meeting mail: what notify() records goes out as one short email per person, at most one every
MEETING_MAIL_MINUTES, by the worker's minute task (run here at once, with `now` passed)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from conference.extensions import db
from conference.meetings.mail import send_meeting_mail, send_notices
from conference.meetings.models import MeetingNotice
from conference.meetings.notices import notify
from conference.tasks import huey
from tests.conftest import ON_POSTGRES
from tests.factories import make_attendee, make_conference, sign_in_as

T0 = datetime(2026, 12, 2, 15, 20)


def minute_key(now: datetime) -> str:
    return f"once.meeting-mail.{now:%Y-%m-%dT%H:%M}"


@pytest.fixture(autouse=True)
def fresh_minutes():
    """The claims of the minutes these tests use, forgotten (the queue's storage outlives a test run)."""
    minutes = [T0 + timedelta(minutes=n) for n in range(-5, 30)]
    for now in minutes:
        huey.delete(minute_key(now))
    yield
    for now in minutes:
        huey.delete(minute_key(now))


def run(now: datetime):
    """The worker's minute task at `now`, as a worker runs it; the number of mails sent."""
    return send_meeting_mail.call_local(now=now)


@pytest.fixture
def people(app):
    conference = make_conference()
    return dict(ana=make_attendee(conference, name="Ana Ruiz", email="ana@maple.example.org"),
                bea=make_attendee(conference, name="Bea Chen", email="bea@harbor.example.org"),
                cal=make_attendee(conference, name="Cal Okafor", email="cal@lake.example.org"))


def asked(person, by, when="Thu 10:20", where="Networking lounge, table 3"):
    notify(person, by, "requested", f"{by.name} asked to meet {when} at {where}")
    db.session.commit()


def unsent() -> int:
    return db.session.scalar(select(func.count()).select_from(MeetingNotice).where(MeetingNotice.sent_at.is_(None)))


def test_a_notice_is_one_short_mail_with_the_link_to_answer(people, outbox):
    asked(people["bea"], people["ana"])
    assert run(T0) == 1
    [mail] = outbox()
    assert mail["To"] == "bea@harbor.example.org"
    assert mail["Subject"] == "Ana Ruiz asked to meet Thu 10:20 at Networking lounge, table 3"
    body = mail.get_content()
    assert "Hello Bea Chen" in body
    assert "Ana Ruiz asked to meet Thu 10:20 at Networking lounge, table 3" in body
    assert "Answer, or see your schedule: https://pln.example.org/me/meetings" in body
    assert "Turn it off: https://pln.example.org/me/meetings/calendar" in body
    assert unsent() == 0


def test_a_burst_of_ten_is_one_mail(people, outbox):
    for n in range(10):
        notify(people["bea"], people["ana"] if n % 2 else people["cal"], "requested", f"Request number {n}")
    db.session.commit()
    assert run(T0) == 1
    [mail] = outbox()
    assert mail["Subject"] == "10 updates about your meetings"
    body = mail.get_content()
    assert [line for line in body.splitlines() if line.startswith("- ")] == [f"- Request number {n}" for n in range(10)]
    assert unsent() == 0


def test_each_person_gets_their_own_mail(people, outbox):
    asked(people["bea"], people["ana"])
    asked(people["cal"], people["ana"])
    notify(people["ana"], people["bea"], "accepted", "Bea Chen accepted: Thu 10:20 at Networking lounge, table 3")
    db.session.commit()
    assert run(T0) == 3
    assert sorted(m["To"] for m in outbox()) == ["ana@maple.example.org", "bea@harbor.example.org",
                                                 "cal@lake.example.org"]


def test_at_most_one_mail_every_few_minutes(app, people, outbox):
    assert app.config["MEETING_MAIL_MINUTES"] == 5
    asked(people["bea"], people["ana"])
    run(T0)
    asked(people["bea"], people["cal"])
    notify(people["bea"], people["ana"], "cancelled", "Ana Ruiz cancelled Thu 10:20: flight moved")
    db.session.commit()
    for minute in range(1, 5):
        assert run(T0 + timedelta(minutes=minute)) == 0
    assert len(outbox()) == 1 and unsent() == 2
    assert run(T0 + timedelta(minutes=5)) == 1  # the two since, together
    later = outbox()[1]
    assert later["Subject"] == "2 updates about your meetings"
    assert "Cal Okafor asked to meet" in later.get_content() and "flight moved" in later.get_content()
    # Someone else is not held back by Bea's spacing.
    asked(people["cal"], people["bea"])
    assert run(T0 + timedelta(minutes=6)) == 1


def test_the_spacing_follows_the_config(app, people, outbox):
    app.config["MEETING_MAIL_MINUTES"] = 15
    asked(people["bea"], people["ana"])
    run(T0)
    asked(people["bea"], people["cal"])
    assert run(T0 + timedelta(minutes=14)) == 0
    assert run(T0 + timedelta(minutes=15)) == 1


def test_never_about_a_person_who_has_since_hidden(people, outbox):
    asked(people["bea"], people["ana"])
    asked(people["bea"], people["cal"])
    people["ana"].hidden = True
    db.session.commit()
    assert run(T0) == 1
    [mail] = outbox()
    assert "Ana" not in mail.get_content() and "Ana" not in mail["Subject"]
    assert "Cal Okafor asked to meet" in mail["Subject"]
    # Her notice is dropped, not kept for later: showing herself again sends nothing old.
    people["ana"].hidden = False
    db.session.commit()
    assert run(T0 + timedelta(minutes=10)) == 0 and len(outbox()) == 1
    assert db.session.scalar(select(func.count()).select_from(MeetingNotice)
                             .where(MeetingNotice.about_id == people["ana"].id)) == 0


def test_only_hidden_news_is_no_mail(people, outbox):
    asked(people["bea"], people["ana"])
    people["ana"].hidden = True
    db.session.commit()
    assert run(T0) == 0 and outbox() == [] and unsent() == 0


def test_no_mail_for_a_person_who_turned_it_off(client, people, outbox):
    bea = people["bea"]
    asked(bea, people["ana"])
    sign_in_as(client, bea)
    assert client.post("/me/meetings/mail", data={}).status_code == 303  # "Email me about meetings" unticked
    assert unsent() == 0  # what was waiting is not sent later either
    asked(bea, people["cal"])
    assert run(T0) == 0 and outbox() == []
    client.post("/me/meetings/mail", data={"meeting_mail": "on"})
    asked(bea, people["cal"], when="Fri 9:00")
    assert run(T0 + timedelta(minutes=1)) == 1
    [mail] = outbox()
    assert "Fri 9:00" in mail["Subject"] and "Thu 10:20" not in mail.get_content()


def test_no_mail_to_a_profile_without_an_address(people, outbox):
    bea = people["bea"]
    asked(bea, people["ana"])
    bea.email = None  # a provisional profile, waiting for its owner to prove the address
    db.session.commit()
    assert run(T0) == 0 and outbox() == []


def test_two_workers_in_the_same_minute_send_once(people, outbox):
    asked(people["bea"], people["ana"])
    assert run(T0) == 1
    asked(people["cal"], people["ana"])
    assert run(T0) == 0  # another worker's scheduler, the same minute: the minute is taken
    assert len(outbox()) == 1
    assert run(T0 + timedelta(minutes=1)) == 1  # Cal's, the next minute
    assert run(T0 + timedelta(minutes=2)) == 0  # and nothing twice
    assert sorted(m["To"] for m in outbox()) == ["bea@harbor.example.org", "cal@lake.example.org"]


def test_a_mail_server_that_is_away_loses_nothing(app, people, outbox):
    asked(people["bea"], people["ana"])
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    assert run(T0) == 0
    assert unsent() == 1
    app.config["MAIL_SERVER"] = ""
    assert run(T0 + timedelta(minutes=1)) == 1 and len(outbox()) == 1


def test_sent_notices_are_not_kept_for_long(people, outbox):
    asked(people["bea"], people["ana"])
    run(T0)
    assert db.session.scalar(select(func.count()).select_from(MeetingNotice)) == 1
    huey.delete(minute_key(T0 + timedelta(days=1, minutes=1)))
    run(T0 + timedelta(days=1, minutes=1))
    huey.delete(minute_key(T0 + timedelta(days=1, minutes=1)))
    assert db.session.scalar(select(func.count()).select_from(MeetingNotice)) == 0


def test_the_scheduler_enqueues_it_like_any_task(people, outbox):
    asked(people["bea"], people["ana"])
    send_meeting_mail(now=T0)  # what a worker's scheduler does each minute (run at once under TESTING)
    assert len(outbox()) == 1 and unsent() == 0


@pytest.mark.skipif(not ON_POSTGRES, reason="two transactions at once need PostgreSQL")
def test_two_runs_at_the_same_moment_mail_each_person_once(app, people, outbox):
    """A slow minute's run still going when the next one starts: each notice goes in one mail only."""
    others = [make_attendee(people["ana"].conference) for _ in range(20)]
    for person in [people["bea"], people["cal"], *others]:
        for n in range(3):
            notify(person, people["ana"], "requested", f"Request {n} for {person.name}")
    db.session.commit()
    start = threading.Barrier(2)

    def worker(minute: int) -> int:
        with app.app_context():
            start.wait()
            try:
                return send_notices(T0 + timedelta(minutes=minute))
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(worker, (0, 1)))
    assert sum(counts) == 22
    mails = outbox()
    assert len(mails) == 22 and len({m["To"] for m in mails}) == 22
    assert all(m["Subject"] == "3 updates about your meetings" for m in mails)
    assert unsent() == 0
