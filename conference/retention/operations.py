"""`flask retention-run`, once a day: tell attendees a week ahead, keep the figures, then delete.

Order matters and is kept in one transaction per conference: the organizer's aggregate figures
are computed and stored first, and only then are the attendees' rows deleted. If the figures
cannot be computed, nothing is deleted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app, render_template
from huey import crontab
from sqlalchemy import exists, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from conference.attendees.models import Attendee
from conference.badges.models import RetiredBadgeCode
from conference.events.models import Conference, utcnow
from conference.events.operations import local_today, long_date
from conference.extensions import db
from conference.files.operations import files_naming
from conference.mail import deliver
from conference.organizer.exports.exporters import figures_json
from conference.organizer.dashboard.stats import dashboard
from conference.privacy.operations import delete_files, delete_with_dependents
from conference.retention.models import RetentionNotice, RetentionRecord
from conference.urls import public_url
from conference.tasks import once, periodic_task

NOTICE_DAYS = 7


@dataclass
class RetentionReport:
    conference: str
    notices_sent: int = 0
    notice_failures: list[tuple[str, str]] = field(default_factory=list)
    deleted: int | None = None          # attendees deleted this run, if the data went
    message: str = ""


def deletion_day(conference: Conference, record: RetentionRecord | None, today: date) -> date:
    """The first day the data may go: after retain_until, and a full week after the attendees were told."""
    told = (record.notices_sent_on if record and record.notices_sent_on else today)
    return max(conference.retain_until + timedelta(days=1), told + timedelta(days=NOTICE_DAYS))


def record_for(conference: Conference) -> RetentionRecord:
    record = db.session.get(RetentionRecord, conference.id)
    if record is None:
        record = RetentionRecord(conference_id=conference.id)
        db.session.add(record)
        db.session.flush()
    return record


def save_figures(conference: Conference, now: datetime | None = None) -> RetentionRecord:
    """Store the organizer's figures as they are now (kept after the attendees are deleted)."""
    record = record_for(conference)
    record.figures = figures_json(conference, dashboard(conference))
    record.figures_saved_at = now or utcnow()
    db.session.flush()
    return record


def figures_snapshot(conference: Conference) -> dict | None:
    """The figures kept when the conference's data was deleted (None before)."""
    record = db.session.get(RetentionRecord, conference.id)
    return record.figures if record else None


def purge_attendees(conference: Conference) -> int:
    """Delete every attendee of the conference with everything they made; returns how many."""
    attendee = Attendee.__table__
    condition = attendee.c.conference_id == conference.id
    count = db.session.scalar(select(func.count()).select_from(attendee).where(condition)) or 0
    # A printed badge of a deleted attendee must never open someone else's card.
    db.session.execute(insert(RetiredBadgeCode.__table__).from_select(
        ["code", "retired_at"], select(attendee.c.badge_code, literal(utcnow())).where(condition)))
    delete_files(files_naming(select(attendee.c.id).where(condition)))  # badge PDFs with their names and codes
    delete_with_dependents(attendee, condition)
    db.session.expire_all()
    return count


def _notify(conference: Conference, record: RetentionRecord, today: date, report: RetentionReport) -> None:
    """Tell each attendee once, a week ahead, when their data goes and how to keep it."""
    conference_id, name = conference.id, conference.name
    goes_on = deletion_day(conference, record, today)
    values = dict(conference_name=name, retain_until=long_date(conference.retain_until),
                  deleted_on=long_date(goes_on), contacts_url=public_url("contacts.index"),
                  data_url=public_url("pages.me"))
    if record.notices_sent_on is None:
        record.notices_sent_on = today
    db.session.commit()
    pending = list(db.session.scalars(
        select(Attendee.id).where(Attendee.conference_id == conference_id, Attendee.email.is_not(None),
                                  ~exists().where(RetentionNotice.attendee_id == Attendee.id))
        .order_by(Attendee.id)))
    for attendee_id in pending:
        attendee = db.session.get(Attendee, attendee_id)
        email = attendee.email
        try:
            body = render_template("retention/notice.txt", first_name=attendee.name.split()[0], **values)
            with db.session.begin_nested():
                db.session.add(RetentionNotice(attendee_id=attendee_id))
                db.session.flush()
                deliver(email, f"Your PLN Connect contacts from {name} will be deleted on {values['deleted_on']}",
                        body)
            db.session.commit()
            report.notices_sent += 1
        except IntegrityError:
            db.session.rollback()
        except Exception as error:  # noqa: BLE001  (one bad address must not stop the others)
            db.session.rollback()
            report.notice_failures.append((email, f"{type(error).__name__}: {error}"))


def run_for(conference: Conference, today: date | None = None) -> RetentionReport:
    """One conference's retention step for `today` (the venue's date by default)."""
    today = today or local_today(conference)
    report = RetentionReport(conference=conference.slug)
    if conference.retain_until is None:
        report.message = "no retention date set"
        return report
    record = record_for(conference)
    if record.purged_at is not None:
        report.message = f"data already deleted on {record.purged_at:%Y-%m-%d}"
        return report
    if conference.closes_on is None or conference.closes_on > conference.retain_until:
        report.message = "not deleted: set a closing date on or before the retention date"
        return report
    conference_id = conference.id
    if today >= conference.retain_until - timedelta(days=NOTICE_DAYS):
        _notify(conference, record, today, report)
        conference = db.session.get(Conference, conference_id)
        record = db.session.get(RetentionRecord, conference_id)
    goes_on = deletion_day(conference, record, today)
    if today < goes_on:
        if record.notices_sent_on:
            report.message = f"attendees told; data will be deleted on {goes_on:%Y-%m-%d}"
        else:
            report.message = f"nothing to do until {conference.retain_until - timedelta(days=NOTICE_DAYS):%Y-%m-%d}"
        db.session.commit()
        return report
    deleted = keep_figures_and_purge(conference)
    if deleted is None:
        report.message = "data already deleted by another run"
        return report
    report.deleted = deleted
    report.message = f"figures kept; {report.deleted} attendees' data deleted"
    return report


def keep_figures_and_purge(conference: Conference) -> int | None:
    """Claim the conference's deletion, keep its figures, delete its attendees, commit; how many went.

    None when another run (another server's, or a second `flask retention-run`) claimed it first: its
    figures, computed before its deletion, must not be overwritten by ours of an emptied conference."""
    conference_id = conference.id
    db.session.commit()  # the claim below starts a fresh transaction, so it sees any other run's commit
    claimed = db.session.execute(update(RetentionRecord).where(
        RetentionRecord.conference_id == conference_id, RetentionRecord.purged_at.is_(None))
        .values(purged_at=utcnow())).rowcount == 1
    if not claimed:
        db.session.rollback()
        return None
    conference = db.session.get(Conference, conference_id)
    save_figures(conference)
    deleted = purge_attendees(conference)
    record = db.session.get(RetentionRecord, conference_id)
    record.purged_at, record.attendees_deleted = utcnow(), deleted  # when the deletion ended
    db.session.commit()
    return deleted


@periodic_task(crontab(hour="4", minute="15"))
def daily_retention() -> None:
    """The daily run (04:15 UTC), once across every worker of the queue."""
    day = utcnow().date().isoformat()
    if not once(f"retention-run.{day}", ttl_seconds=2 * 24 * 3600):
        return
    for report in run_retention():
        line = f"Retention {report.conference}: {report.message}"
        if report.notices_sent:
            line += f"; {report.notices_sent} attendees told"
        current_app.logger.warning(line) if report.notice_failures else current_app.logger.info(line)
        for email, why in report.notice_failures:
            current_app.logger.warning("Retention notice to %s failed: %s", email, why)


def run_retention(today: date | None = None) -> list[RetentionReport]:
    """Every conference with a retention date, one after the other."""
    ids = list(db.session.scalars(select(Conference.id).where(Conference.retain_until.is_not(None))
                                  .order_by(Conference.id)))
    reports = []
    for conference_id in ids:
        conference = db.session.get(Conference, conference_id)
        reports.append(run_for(conference, today))
    return reports
