"""Building one attendee's digest, and sending every digest of a conference exactly once."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, render_template
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from conference.attendees.channels import channel_display
from conference.attendees.models import Attendee
from conference.contacts.models import Connection
from conference.contacts.operations import contacts_for
from conference.digest.models import DigestDelivery
from conference.errors import DomainError
from conference.events.models import Conference
from conference.events.operations import local_today, long_date
from conference.exports.contact_fields import ContactFields, contact_fields
from conference.exports.vcard import vcards
from conference.extensions import db
from conference.followups.models import FollowUp
from conference.followups.operations import contact_name, due_label, open_follow_ups
from conference.mail import deliver
from conference.tasks import task
from conference.urls import public_url

REACH_LABELS = {"phone": "Phone", "email": "Email", "x": "X", "instagram": "Instagram", "voxer": "Voxer",
                "linkedin": "LinkedIn", "bluesky": "Bluesky", "website": "Website"}


@dataclass
class Digest:
    attendee: Attendee
    subject: str
    contacts: list[ContactFields]
    follow_ups: list[FollowUp]
    body: str = ""
    filename: str = ""
    vcard: str = ""

    @property
    def empty(self) -> bool:
        return not self.contacts and not self.follow_ups


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    already_sent: int = 0
    nothing_to_send: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)    # (email, why)


def reach_lines(fields: ContactFields) -> list[tuple[str, str]]:
    """('X', 'https://x.com/ana') ...: what the contact shared, as a person would type or tap it."""
    lines = []
    for kind, value in fields.channels.items():
        shown = fields.profile_urls.get(kind) if kind in ("x", "instagram", "linkedin", "bluesky") else None
        lines.append((REACH_LABELS.get(kind, kind), shown or channel_display(kind, value)))
    return lines


def build_digest(attendee: Attendee, today: date | None = None, connections: list[Connection] | None = None,
                 follow_ups: list[FollowUp] | None = None) -> Digest:
    """Everything the email says: contacts with notes, open follow-ups, the vCard of them all.

    `connections` and `follow_ups` may come preloaded (send_digests loads them in batches)."""
    conference = attendee.conference
    today = today or local_today(conference)
    if connections is None:
        connections = contacts_for(attendee)
    connections = sorted((c for c in connections if c.contact is not None), key=lambda c: c.contact.name.lower())
    fields = [contact_fields(c) for c in connections]
    if follow_ups is None:
        follow_ups = open_follow_ups(attendee)
    slug = re.sub(r"[^a-z0-9]+", "-", conference.name.lower()).strip("-")[:60] or "conference"
    digest = Digest(attendee=attendee, subject=f"Your network from {conference.name}", contacts=fields,
                    follow_ups=follow_ups, filename=f"{slug}-contacts.vcf")
    if digest.empty:
        return digest
    digest.vcard = vcards(fields)
    digest.body = render_template(
        "digest/email.txt", digest=digest, conference=conference, first_name=attendee.name.split()[0],
        reach_lines=reach_lines, due=lambda f: due_label(f.due_on, today), contact_name=contact_name,
        retain_until=long_date(conference.retain_until) if conference.retain_until else "",
        contacts_url=public_url("contacts.index"), follow_ups_url=public_url("followups.index"),
        circles_url=public_url("circles.index"))
    return digest


def ensure_event_over(conference: Conference, today: date | None = None) -> None:
    """Digests say goodbye: they go out from the last day of the conference on."""
    today = today or local_today(conference)
    if conference.ends_on and today < conference.ends_on:
        raise DomainError(f"{conference.name} ends on {long_date(conference.ends_on)}; "
                          "send the digests from that day on.")


BATCH = 100


def _load_batch(attendee_ids: list[int]) -> dict[int, tuple]:
    """Attendees with their contacts and open follow-ups, a few queries for the whole batch."""
    attendees = db.session.scalars(select(Attendee).where(Attendee.id.in_(attendee_ids))).all()
    connections: dict[int, list[Connection]] = {i: [] for i in attendee_ids}
    for connection in db.session.scalars(
            select(Connection).where(Connection.owner_id.in_(attendee_ids))
            .options(selectinload(Connection.contact))):
        connections[connection.owner_id].append(connection)
    follow_ups: dict[int, list[FollowUp]] = {i: [] for i in attendee_ids}
    for follow_up in db.session.scalars(
            select(FollowUp).where(FollowUp.owner_id.in_(attendee_ids), FollowUp.done_at.is_(None))
            .order_by(FollowUp.due_on.is_(None), FollowUp.due_on, FollowUp.created_at, FollowUp.id)):
        follow_ups[follow_up.owner_id].append(follow_up)
    return {a.id: (a, connections[a.id], follow_ups[a.id]) for a in attendees}


WAIT_SECONDS = 3600  # how long `send_digests` waits for the worker to finish every batch


def send_digests(conference: Conference, today: date | None = None, wait: float = WAIT_SECONDS) -> SendReport:
    """Send each attendee's digest once. A failure for one address is reported and the rest go on.

    The worker sends them, one task per BATCH (DIGEST_BATCH_SIZE) attendees (several workers share a conference); this
    waits for every batch and adds up their reports. The delivery row is written in the same
    transaction as the hand-over to the mail server and committed straight after it, so a re-run
    (or a second run at the same time) skips it.
    """
    ensure_event_over(conference, today)
    conference_id = conference.id
    report = SendReport(already_sent=db.session.scalar(
        select(func.count()).select_from(DigestDelivery).where(DigestDelivery.conference_id == conference_id)))
    pending = list(db.session.scalars(
        select(Attendee.id).where(Attendee.conference_id == conference_id,
                                  ~exists().where(DigestDelivery.attendee_id == Attendee.id))
        .order_by(Attendee.id)))
    db.session.commit()  # nothing of ours holds a lock the worker waits for
    day, size = today.isoformat() if today else None, int(current_app.config.get("DIGEST_BATCH_SIZE", BATCH))
    results = [send_digest_batch(conference_id, pending[n:n + size], day) for n in range(0, len(pending), size)]
    for number, result in enumerate(results):
        try:
            part = result.get(blocking=True, timeout=wait)
        except Exception as error:  # noqa: BLE001  (the batch's task failed for good, or the wait ran out)
            report.failed.append((f"batch {number + 1} of {len(results)}", f"{type(error).__name__}: {error}"))
            continue
        report.sent += part["sent"]
        report.already_sent += part["already_sent"]
        report.nothing_to_send += part["nothing_to_send"]
        report.failed += [tuple(f) for f in part["failed"]]
    return report


@task(retries=2, retry_delay=30)
def send_digest_batch(conference_id: int, attendee_ids: list[int], day: str | None) -> dict:
    """One batch of send_digests, in the worker; its report as plain data."""
    report = SendReport()
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False  # keep the batch loaded
    try:
        _send_each(attendee_ids, conference_id, date.fromisoformat(day) if day else None, report)
    finally:
        session.expire_on_commit = expire_on_commit
    return {"sent": report.sent, "already_sent": report.already_sent, "nothing_to_send": report.nothing_to_send,
            "failed": report.failed}


def _send_each(pending: list[int], conference_id: int, today: date | None, report: SendReport) -> None:
    batch: dict[int, tuple] = {}
    for position, attendee_id in enumerate(pending):
        if position % BATCH == 0:
            batch = _load_batch(pending[position:position + BATCH])
        if attendee_id not in batch:
            continue
        attendee, connections, follow_ups = batch[attendee_id]
        email = attendee.email
        if email is None:  # a provisional profile: no address of its own to write to
            report.nothing_to_send += 1
            continue
        try:
            digest = build_digest(attendee, today, connections, follow_ups)
            if digest.empty:
                report.nothing_to_send += 1
                continue
            with db.session.begin_nested():
                db.session.add(DigestDelivery(conference_id=conference_id, attendee_id=attendee.id))
                db.session.flush()
                deliver(email, digest.subject, digest.body,
                        attachment=(digest.filename, digest.vcard, "text/vcard"))
            db.session.commit()
            report.sent.append(email)
        except IntegrityError:
            db.session.rollback()
            report.already_sent += 1
        except Exception as error:  # noqa: BLE001  (one bad address must not stop the others)
            db.session.rollback()
            report.failed.append((email, f"{type(error).__name__}: {error}"))


def delivered_at(attendee: Attendee):
    return db.session.scalar(select(DigestDelivery.sent_at).where(DigestDelivery.attendee_id == attendee.id))
