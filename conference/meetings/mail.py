"""Meeting mail: what notify() recorded, sent as one short email per person, at most one every
MEETING_MAIL_MINUTES (a burst of ten requests is one mail), by the worker's minute task.

Only to people who keep "Email me about meetings" on, and never about someone who has hidden
themselves since: such notices are dropped, not kept for later.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app, render_template
from huey import crontab
from sqlalchemy import delete, func, select, update

from conference.attendees.models import Attendee
from conference.events.models import utcnow
from conference.extensions import db
from conference.mail import deliver
from conference.meetings.calendar import schedule_url
from conference.meetings.models import MeetingNotice
from conference.tasks import once, periodic_task
from conference.urls import public_url

log = logging.getLogger(__name__)

# People mailed in one minute's run; the rest wait for the next minute.
PEOPLE_PER_RUN = 500
# Sent notices are kept only as long as the spacing between mails needs them.
KEEP_SENT = timedelta(days=1)


def set_meeting_mail(person: Attendee, on: bool) -> None:
    """Whether meeting requests, answers, changes and cancellations reach `person` by email."""
    person.meeting_mail = on
    if not on:  # what was waiting is not sent later either
        db.session.execute(delete(MeetingNotice).where(MeetingNotice.attendee_id == person.id,
                                                       MeetingNotice.sent_at.is_(None)))
    db.session.flush()


def _drop_unsendable(cutoff_sent: datetime) -> None:
    """Notices that will never go: about a person now hidden, to a person who turned mail off or has
    no address; and sent ones older than the spacing needs."""
    hidden = select(Attendee.id).where(Attendee.hidden.is_(True))
    unmailable = select(Attendee.id).where((Attendee.meeting_mail.is_(False)) | (Attendee.email.is_(None)))
    db.session.execute(delete(MeetingNotice).where(MeetingNotice.sent_at.is_(None), MeetingNotice.about_id.in_(hidden)))
    db.session.execute(delete(MeetingNotice).where(MeetingNotice.sent_at.is_(None),
                                                   MeetingNotice.attendee_id.in_(unmailable)))
    db.session.execute(delete(MeetingNotice).where(MeetingNotice.sent_at < cutoff_sent))


def people_due(now: datetime, minutes: int) -> list[int]:
    """Who has notices waiting and was last mailed about meetings at least `minutes` ago."""
    mailed_lately = select(MeetingNotice.attendee_id).where(MeetingNotice.sent_at > now - timedelta(minutes=minutes))
    return list(db.session.scalars(
        select(MeetingNotice.attendee_id).where(MeetingNotice.sent_at.is_(None),
                                                MeetingNotice.attendee_id.not_in(mailed_lately))
        .group_by(MeetingNotice.attendee_id).order_by(func.min(MeetingNotice.id)).limit(PEOPLE_PER_RUN)))


def _claim(person_id: int, now: datetime) -> list[MeetingNotice]:
    """Mark `person_id`'s waiting notices sent, if no other run has taken them; the ones to mail."""
    notices = list(db.session.scalars(
        select(MeetingNotice).join(Attendee, Attendee.id == MeetingNotice.about_id, isouter=True)
        .where(MeetingNotice.attendee_id == person_id, MeetingNotice.sent_at.is_(None),
               (Attendee.id.is_(None)) | (Attendee.hidden.is_(False)))
        .order_by(MeetingNotice.created_at, MeetingNotice.id)))
    if not notices:
        return []
    ids = [notice.id for notice in notices]
    claimed = db.session.execute(update(MeetingNotice).where(
        MeetingNotice.id.in_(ids), MeetingNotice.sent_at.is_(None)).values(sent_at=now)
        .execution_options(synchronize_session=False)).rowcount
    return notices if claimed == len(ids) else []


def meeting_mail(person: Attendee, notices: list[MeetingNotice]) -> tuple[str, str]:
    """The subject and body of one mail carrying `notices`."""
    conference = person.conference
    subject = notices[0].text if len(notices) == 1 else f"{len(notices)} updates about your meetings"
    if len(subject) > 90:
        subject = subject[:89].rstrip() + "…"
    body = render_template("meetings/mail.txt", person=person, notices=notices, conference=conference,
                           schedule_url=schedule_url(),
                           settings_url=public_url("meetings.calendar_settings"))
    return subject, body


def send_notices(now: datetime | None = None) -> int:
    """One mail to each person who is due one, listing what they have not been told; the number sent."""
    now = now or utcnow()
    minutes = current_app.config.get("MEETING_MAIL_MINUTES", 5)
    _drop_unsendable(now - KEEP_SENT)
    db.session.commit()
    sent = 0
    for person_id in people_due(now, minutes):
        notices = _claim(person_id, now)
        person = db.session.get(Attendee, person_id)
        if not notices or person is None:
            db.session.rollback()
            continue
        subject, body = meeting_mail(person, notices)
        try:
            deliver(person.email, subject, body)
        except Exception:
            # The mail server is away: nothing is marked sent, and the next minute tries again.
            db.session.rollback()
            log.warning("Meeting mail could not be sent; trying again next minute", exc_info=True)
            break
        db.session.commit()
        sent += 1
    return sent


@periodic_task(crontab(minute="*"))
def send_meeting_mail(now: datetime | None = None) -> int:
    """Every minute, once across every worker of the queue: the batched meeting mail."""
    now = now or utcnow()
    if not once(f"meeting-mail.{now:%Y-%m-%dT%H:%M}", ttl_seconds=2 * 3600):
        return 0
    return send_notices(now)

