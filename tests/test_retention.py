"""Closing and retention with a frozen clock: what is refused, what stays, what goes, figures first."""
from datetime import date

from sqlalchemy import func, select

from conference.auth.models import SignInToken
from conference.auth.operations import issue_sign_in_token
from conference.circles.models import Circle, CircleMember
from conference.circles.operations import add_members, create_circle
from conference.contacts.models import Connection
from conference.contacts.operations import save_contact
from conference.digest.models import DigestDelivery
from conference.errors import DomainError
from conference.events.models import Conference
from conference.events.operations import ensure_open, is_closed
from conference.extensions import db
from conference.followups.models import FollowUp
from conference.followups.operations import add_follow_up
from conference.interests.models import AttendeeInterest, Interest
from conference.attendees.models import Attendee, Channel
from conference.network.models import Dismissal
from conference.network.operations import dismiss
from conference.retention.models import RetentionNotice, RetentionRecord
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.test_join import join_form


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def a_network(conference):
    """Three attendees with everything an attendee can make."""
    ana = make_attendee(conference, name="Ana Ruiz", role="aspiring_principal", offers=["Literacy"],
                        seeks=["Scheduling"], channels={"phone": ("(202) 555-0143", True)})
    maya = make_attendee(conference, name="Maya Johnson", offers=["Scheduling"])
    wei = make_attendee(conference, name="Wei Chen", role="assistant_principal", seeks=["Literacy"])
    connection = save_contact(ana, maya, "Promised the schedule template.")
    save_contact(maya, ana)
    add_follow_up(ana, connection.id, "Send the template", "")
    circle = create_circle(ana, "Region 5")
    add_members(ana, circle.id, {connection.id})
    dismiss(ana, wei.id)
    issue_sign_in_token(wei, 15)
    db.session.add(DigestDelivery(conference_id=conference.id, attendee_id=ana.id))
    db.session.commit()
    return ana, maya, wei


def close(conference, closes_on=date(2026, 7, 11), retain_until=date(2026, 10, 31)):
    conference.closes_on, conference.retain_until = closes_on, retain_until
    db.session.commit()


def run(app, today: str):
    return app.test_cli_runner().invoke(args=["retention-run", "--today", today])


def test_the_closing_day_is_open_and_the_next_day_is_closed(app):
    conference = make_conference()
    close(conference)
    ensure_open(conference, date(2026, 7, 11))
    assert not is_closed(conference, date(2026, 7, 11))
    assert is_closed(conference, date(2026, 7, 12))
    try:
        ensure_open(conference, date(2026, 7, 12))
        raise AssertionError("a closed conference was open")
    except DomainError as error:
        assert "closed on Saturday, July 11, 2026" in error.message
        assert "stay here until Saturday, October 31, 2026" in error.message


def test_after_closing_joining_and_new_saves_are_refused_but_everything_else_stays(client):
    conference = make_conference()
    ana, maya, wei = a_network(conference)
    close(conference, closes_on=date(2020, 1, 1), retain_until=date(2099, 1, 1))
    joined = client.post(f"/{conference.slug}/join", data=join_form(conference, email="late@school.example.org"))
    assert joined.status_code == 422 and "closed on Wednesday, January 1, 2020" in joined.text
    assert db.session.scalar(select(Attendee).where(Attendee.email == "late@school.example.org")) is None
    sign_in_as(client, ana)
    refused = client.post(f"/c/{wei.badge_code}/save", data={"note": "Met at the closing party"})
    assert refused.status_code == 422 and "joining and saving new contacts have ended" in refused.text
    assert count(Connection) == 2
    updated = client.post(f"/c/{maya.badge_code}/save", data={"note": "Sent the template", "tags": ""})
    assert updated.status_code == 303  # an existing contact's note can still change
    assert db.session.scalar(select(Connection.note).where(Connection.owner_id == ana.id)) == "Sent the template"
    for path in ("/me/contacts", "/me/follow-ups", "/me/circles", "/me/contacts.vcf", "/me/contacts.csv",
                 "/me/follow-ups.ics", "/me/digest"):
        assert client.get(path).status_code == 200, path


def test_told_a_week_ahead_once_then_figures_kept_then_deleted(app, outbox):
    conference = make_conference()
    other = make_conference()
    ana, maya, wei = a_network(conference)
    bystander = make_attendee(other, name="Other Conference")
    close(conference)
    slug = conference.slug
    conference_id = conference.id

    assert run(app, "2026-10-23").exit_code == 0
    assert outbox() == [] and count(RetentionNotice) == 0

    told = run(app, "2026-10-24")
    assert told.exit_code == 0 and f"{slug}: attendees told; data will be deleted on 2026-11-01" in told.output
    messages = outbox()
    assert sorted(m["To"] for m in messages) == sorted(p.email for p in (ana, maya, wei))
    assert messages[0]["Subject"].endswith("will be deleted on Sunday, November 1, 2026")
    body = messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "until Saturday, October 31, 2026" in body and "https://pln.example.org/me/contacts" in body

    assert run(app, "2026-10-25").exit_code == 0
    assert len(outbox()) == 3  # once
    assert run(app, "2026-10-31").exit_code == 0
    assert count(Attendee) == 4 and count(Connection) == 2  # kept until retain_until, inclusive

    deleted = run(app, "2026-11-01")
    assert deleted.exit_code == 0 and f"{slug}: figures kept; 3 attendees' data deleted" in deleted.output
    record = db.session.get(RetentionRecord, conference_id)
    assert record.figures_saved_at is not None and record.purged_at is not None
    assert record.figures_saved_at <= record.purged_at and record.attendees_deleted == 3
    figures = record.figures
    assert figures["overview"]["registered"] == 3 and figures["overview"]["connections"] == 2
    assert figures["conference"]["slug"] == slug
    assert db.session.scalar(select(Attendee.id).where(Attendee.conference_id == conference_id)) is None
    for model in (Connection, FollowUp, Circle, CircleMember, Dismissal, DigestDelivery, SignInToken,
                  RetentionNotice, Channel):
        assert count(model) == 0, model.__name__
    assert count(AttendeeInterest) == len(bystander.interests)
    assert db.session.get(Conference, conference_id) is not None  # the organizer's conference stays
    assert db.session.scalar(select(func.count()).select_from(Interest).where(Interest.conference_id == conference_id))
    assert db.session.get(Attendee, bystander.id) is not None  # another conference is untouched

    again = run(app, "2026-11-02")
    assert again.exit_code == 0 and "data already deleted on" in again.output
    assert len(outbox()) == 3


def test_a_late_retention_date_still_gives_a_week_of_notice(app, outbox):
    conference = make_conference()
    a_network(conference)
    close(conference, retain_until=date(2026, 10, 31))
    late = run(app, "2026-11-10")
    assert late.exit_code == 0 and "data will be deleted on 2026-11-17" in late.output
    assert len(outbox()) == 3 and count(Attendee) == 3
    assert run(app, "2026-11-16").exit_code == 0 and count(Attendee) == 3
    assert run(app, "2026-11-17").exit_code == 0 and count(Attendee) == 0


def test_no_deletion_without_a_closing_date_or_a_retention_date(app, outbox):
    unset = make_conference()
    open_ended = make_conference()
    a_network(unset)
    make_attendee(open_ended)
    open_ended.retain_until = date(2026, 10, 31)
    db.session.commit()
    result = run(app, "2027-01-01")
    assert result.exit_code == 0
    assert f"{open_ended.slug}: not deleted: set a closing date on or before the retention date" in result.output
    assert count(Attendee) == 4 and outbox() == []


def test_a_second_run_that_reaches_the_deletion_late_keeps_the_first_runs_figures(app):
    """Two runs at once (two servers, or the daily task and a run by hand): the later one deletes nothing
    and leaves the figures the first computed from the full conference."""
    from conference.retention.operations import keep_figures_and_purge
    conference = make_conference()
    a_network(conference)
    close(conference)
    assert run(app, "2026-10-24").exit_code == 0  # told a week ahead
    assert "3 attendees' data deleted" in run(app, "2026-11-01").output
    kept = db.session.get(RetentionRecord, conference.id).figures
    assert kept["overview"]["registered"] == 3
    # A run that read the record before the first one committed goes on to the deletion itself:
    assert keep_figures_and_purge(db.session.get(Conference, conference.id)) is None
    record = db.session.get(RetentionRecord, conference.id)
    assert record.figures == kept and record.attendees_deleted == 3


def test_the_daily_task_runs_once_a_day_across_workers(app, outbox):
    from datetime import timedelta
    from sqlalchemy import delete
    from conference.events.models import utcnow
    from conference.retention.operations import daily_retention
    from conference.tasks import huey
    today = utcnow().date()
    huey.delete(f"once.retention-run.{today.isoformat()}")
    conference = make_conference(starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=28))
    a_network(conference)
    close(conference, closes_on=today - timedelta(days=28), retain_until=today + timedelta(days=3))
    daily_retention()  # the first worker's scheduler
    assert count(RetentionNotice) == 3 and len(outbox()) == 3
    db.session.execute(delete(RetentionNotice))
    db.session.commit()
    daily_retention()  # another worker's, the same day: nothing
    assert count(RetentionNotice) == 0 and len(outbox()) == 3
