"""Saving scans that a phone made, possibly offline: each client UUID once, notes added, never replaced."""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from conference.attendees.models import Attendee
from conference.badges.codes import MalformedCode, code_from_scan, display
from conference.contacts.models import Connection
from conference.contacts.operations import clean_note, connection_between
from conference.errors import DomainError
from conference.events.models import utcnow
from conference.extensions import db
from conference.scanner.models import ScanReceipt

MAX_BATCH = 500
TEXT_LIMIT = 500            # a badge link is about 50 characters; a QR can hold far more
NOTE_SEPARATOR = "\n\n"
# The phone's clock is believed for the time of a scan only within this window.
CLOCK_PAST, CLOCK_FUTURE = timedelta(days=30), timedelta(minutes=5)


@dataclass
class ScanResult:
    """What became of one queued scan, for the person who made it."""
    uuid: str | None
    status: str                  # saved | duplicate | unknown | refused | malformed
    message: str
    name: str | None = None
    connection_id: int | None = None

    def as_dict(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass
class QueuedScan:
    uuid: uuid.UUID
    raw_uuid: str
    code: str
    note: str
    scanned_at: datetime | None


def add_note(owner: Attendee, contact: Attendee, note: str, at: datetime | None = None) -> Connection:
    """Save `contact` for `owner` if not saved yet, and add `note` after the note already there."""
    connection = connection_between(owner, contact)
    if connection is None:
        try:
            with db.session.begin_nested():
                connection = Connection(conference_id=owner.conference_id, owner_id=owner.id,
                                        contact_id=contact.id, note=note, tags="", created_at=at or utcnow())
                db.session.add(connection)
                db.session.flush()
            return connection
        except IntegrityError:
            # Saved at this moment by another request: add to that row instead.
            connection = connection_between(owner, contact)
            if connection is None:
                raise
    if note:
        # One UPDATE, so two notes for the same person arriving at once are both kept.
        db.session.execute(
            update(Connection).where(Connection.id == connection.id)
            .values(note=case((Connection.note == "", note), else_=Connection.note + NOTE_SEPARATOR + note),
                    updated_at=utcnow())
            .execution_options(synchronize_session=False))
        db.session.expire(connection, ["note", "updated_at"])
    return connection


def record_scan(owner: Attendee, contact: Attendee, client_uuid: uuid.UUID, note: str = "",
                scanned_at: datetime | None = None) -> tuple[Connection | None, bool]:
    """Save one scan made on `owner`'s phone; False when this UUID was saved before (nothing changes)."""
    if owner.id == contact.id:
        raise DomainError("That's your own badge. Show it to others so they can save you.")
    if owner.conference_id != contact.conference_id:
        raise DomainError("This badge is from another conference, so it can't be saved here.")
    note = clean_note(note)
    try:
        with db.session.begin_nested():
            db.session.add(ScanReceipt(owner_id=owner.id, client_uuid=client_uuid, contact_id=contact.id,
                                       scanned_at=scanned_at))
            db.session.flush()
    except IntegrityError:
        # The unique (owner, UUID) row exists: an earlier send of this scan was saved.
        return connection_between(owner, contact), False
    return add_note(owner, contact, note, scanned_at), True


def _phone_time(value) -> datetime | None:
    """A scan time in milliseconds since 1970 from the phone, if it is plausible."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        at = datetime.fromtimestamp(value / 1000, tz=timezone.utc).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None
    now = utcnow()
    return at if now - CLOCK_PAST <= at <= now + CLOCK_FUTURE else None


def parse_scan(item) -> QueuedScan | ScanResult:
    """One item of a batch, checked for shape: a QueuedScan, or a 'malformed' result saying why."""
    if not isinstance(item, dict):
        return ScanResult(None, "malformed", "Each scan must be an object with a uuid, a text and a note.")
    raw_uuid = item.get("uuid")
    shown_uuid = raw_uuid if isinstance(raw_uuid, str) and len(raw_uuid) <= 64 else None
    try:
        client_uuid = uuid.UUID(raw_uuid) if isinstance(raw_uuid, str) and len(raw_uuid) <= 36 else None
    except ValueError:
        client_uuid = None
    if client_uuid is None:
        return ScanResult(shown_uuid, "malformed", "This scan has no valid uuid, so it could not be saved safely.")
    text, note = item.get("text"), item.get("note", "")
    if not isinstance(text, str) or not text.strip():
        return ScanResult(raw_uuid, "malformed", "This scan has no badge code or badge link.")
    if len(text) > TEXT_LIMIT:
        return ScanResult(raw_uuid, "malformed", "This scan is far too long to be a badge code or badge link.")
    if note is None:
        note = ""
    if not isinstance(note, str):
        return ScanResult(raw_uuid, "malformed", "The note of this scan must be text.")
    try:
        code = code_from_scan(text)
    except MalformedCode as bad:
        return ScanResult(raw_uuid, "malformed", f"Not a badge code: {bad}")
    return QueuedScan(client_uuid, raw_uuid, code, note, _phone_time(item.get("scanned_at")))


def sync_scans(owner: Attendee, items: list) -> list[ScanResult]:
    """Save a batch of scans queued on `owner`'s phone: each UUID at most once, bad items refused one by one."""
    if len(items) > MAX_BATCH:
        raise DomainError(f"At most {MAX_BATCH} scans can be sent at once; this batch has {len(items)}.")
    parsed = [parse_scan(item) for item in items]
    codes = {scan.code for scan in parsed if isinstance(scan, QueuedScan)}
    people = {person.badge_code: person for person in db.session.scalars(
        select(Attendee).where(Attendee.badge_code.in_(codes)))} if codes else {}
    in_this_batch: set[uuid.UUID] = set()
    results: list[ScanResult] = []
    for scan in parsed:
        if isinstance(scan, ScanResult):
            results.append(scan)
            continue
        contact = people.get(scan.code)
        if contact is None:
            results.append(ScanResult(scan.raw_uuid, "unknown",
                                      f"No badge has the code {display(scan.code)}. Check it against the badge."))
            continue
        if scan.uuid in in_this_batch:
            results.append(ScanResult(scan.raw_uuid, "duplicate", f"{contact.name}: already saved.", contact.name))
            continue
        in_this_batch.add(scan.uuid)
        try:
            with db.session.begin_nested():
                connection, new = record_scan(owner, contact, scan.uuid, scan.note, scan.scanned_at)
        except DomainError as error:
            status = "malformed" if error.field == "note" else "refused"
            results.append(ScanResult(scan.raw_uuid, status, error.message, contact.name))
            continue
        results.append(ScanResult(scan.raw_uuid, "saved" if new else "duplicate",
                                  f"Saved {contact.name}." if new else f"{contact.name}: already saved.",
                                  contact.name, connection.id if connection else None))
    return results
