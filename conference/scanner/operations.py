"""Saving scans that a phone made, possibly offline: each client UUID once, notes added, never replaced."""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import noload

from conference.attendees.models import Attendee
from conference.badges.codes import MalformedCode, code_from_scan, display
from conference.badges.operations import retired_among
from conference.contacts.models import Connection
from conference.contacts.operations import (NOTE_LIMIT, NOTE_SEPARATOR, check_can_save, clean_note, name_on_scan,
                                            upsert_contacts)
from conference.dialects import insert_on_conflict
from conference.errors import DomainError
from conference.events.models import utcnow
from conference.events.operations import closed_message, is_closed
from conference.extensions import db
from conference.scanner.models import ScanReceipt

MAX_BATCH = 500
TEXT_LIMIT = 500            # a badge link is about 50 characters; a QR can hold far more
RATE_LIMITED = ("Not checked yet: too many codes that found nobody in a short time. "
                "This scan stays on the phone and is sent again later.")
# The phone's clock is believed for the time of a scan only within this window.
CLOCK_PAST, CLOCK_FUTURE = timedelta(days=30), timedelta(minutes=5)


@dataclass
class ScanResult:
    """What became of one queued scan, for the person who made it."""
    uuid: str | None
    status: str                  # saved | duplicate | unknown | refused | malformed | rate_limited
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


def too_long(name: str, length: int | None) -> str:
    """Why a scan's note was not added: the saved note would pass the cap."""
    has = f" (it has {length:,})" if length is not None else ""
    return (f"Not saved: with this note, your note on {name} would be longer than {NOTE_LIMIT:,} characters{has}. "
            "Shorten the note in your contacts, then send this one again.")


def save_scans(owner: Attendee, scans: list[tuple[uuid.UUID, Attendee, str, datetime | None]]
               ) -> dict[uuid.UUID, tuple[bool, int | None, str | None]]:
    """Save scans (client UUID, contact, cleaned note, time) for `owner`: each UUID once, notes added.

    Returns, per UUID, whether it was saved now (False: an earlier send saved it), the contact's
    connection id, and why it was not saved when its note would make the saved note longer than
    NOTE_LIMIT (such a scan is not received: sent again after the note is shortened, it is added).
    A handful of statements whatever the batch size; the database's unique constraints decide, so
    two sends of the same batch at the same moment still save once, and the cap holds on the
    merged note even when two batches add to it at once. Rows are written in key order, so two
    overlapping batches wait for each other instead of deadlocking.
    """
    if not scans:
        return {}
    now = utcnow()
    claimed = set(db.session.scalars(
        insert_on_conflict(ScanReceipt).on_conflict_do_nothing(index_elements=["owner_id", "client_uuid"])
        .returning(ScanReceipt.client_uuid),
        [{"owner_id": owner.id, "client_uuid": client_uuid, "contact_id": contact.id, "scanned_at": at,
          "received_at": now} for client_uuid, contact, _, at in sorted(scans, key=lambda s: s[0])]))
    notes: dict[int, list[tuple[uuid.UUID, str]]] = {}   # contact id -> the new notes, in the order taken
    first_seen: dict[int, datetime | None] = {}
    names: dict[int, str] = {}
    for client_uuid, contact, note, at in scans:
        names[contact.id] = contact.name
        if client_uuid in claimed:
            notes.setdefault(contact.id, [])
            if note:
                notes[contact.id].append((client_uuid, note))
            first_seen.setdefault(contact.id, at)
    refused: dict[uuid.UUID, str] = {}

    def fitting(cid: int, length: int) -> list[str]:
        """The new notes that fit after `length` characters, in order; the others are refused."""
        kept = []
        for client_uuid, note in notes[cid]:
            grown = length + (len(NOTE_SEPARATOR) if length else 0) + len(note)
            if grown > NOTE_LIMIT:
                refused[client_uuid] = too_long(names[cid], length)
            else:
                kept.append(note)
                length = grown
        return kept

    def saved_rows(contact_ids) -> dict[int, tuple[int, int]]:
        return {cid: (connection_id, length or 0) for cid, connection_id, length in db.session.execute(
            select(Connection.contact_id, Connection.id, func.length(Connection.note)).where(
                Connection.owner_id == owner.id, Connection.contact_id.in_(contact_ids))).all()}

    def write(contact_ids) -> set[int]:
        """Save the contacts not saved yet and add the new notes that fit: the contacts left as they were."""
        rows = []
        for cid in sorted(contact_ids):
            added = NOTE_SEPARATOR.join(fitting(cid, existing[cid][1] if cid in existing else 0))
            if cid not in existing or added:
                rows.append({"contact_id": cid, "note": added, "created_at": first_seen[cid] or now})
        written = upsert_contacts(owner, rows, add_notes=True) if rows else []
        for connection in written:
            existing[connection.contact_id] = (connection.id, len(connection.note))
        return {row["contact_id"] for row in rows} - {connection.contact_id for connection in written}

    existing = saved_rows({contact.id for _, contact, _, _ in scans})
    missing = {cid for cid in notes if cid not in existing}
    unwritten = write(notes)
    # Saved at this moment by another request: the notes are fitted again after the note it wrote.
    raced = unwritten & missing
    if raced:
        for cid in raced:
            for client_uuid, _ in notes[cid]:
                refused.pop(client_uuid, None)
        existing.update(saved_rows(raced))
        unwritten = (unwritten - raced) | write(raced)
    for cid in unwritten:  # another request added to the note a moment ago: too long now
        for client_uuid, _ in notes[cid]:
            refused.setdefault(client_uuid, too_long(names[cid], None))
    if refused:
        db.session.execute(delete(ScanReceipt).where(ScanReceipt.owner_id == owner.id,
                                                     ScanReceipt.client_uuid.in_(list(refused))))
    return {client_uuid: (client_uuid in claimed and client_uuid not in refused,
                          existing.get(contact.id, (None,))[0], refused.get(client_uuid))
            for client_uuid, contact, _, _ in scans}


def _already_saved(owner: Attendee, contact_ids) -> set[int]:
    return set(db.session.scalars(select(Connection.contact_id).where(
        Connection.owner_id == owner.id, Connection.contact_id.in_(contact_ids))))


def record_scan(owner: Attendee, contact: Attendee, client_uuid: uuid.UUID, note: str = "",
                scanned_at: datetime | None = None) -> tuple[int | None, bool]:
    """Save one scan made on `owner`'s phone: (connection id, False when this UUID was saved before)."""
    check_can_save(owner, contact)
    if is_closed(owner.conference) and not _already_saved(owner, [contact.id]):
        raise DomainError(closed_message(owner.conference))  # notes still change; nobody new is saved
    new, connection_id, refused = save_scans(owner, [(client_uuid, contact, clean_note(note), scanned_at)])[client_uuid]
    if refused:
        raise DomainError(refused, field="note")
    return connection_id, new


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


def _people_within(scans: list[QueuedScan], misses_allowed: int | None) -> tuple[dict[str, Attendee], int]:
    """The attendees behind the scans' codes, and how many of the scans (from the first) were looked up.

    With `misses_allowed`, no code is looked up unless it could still find nobody within that
    allowance: each round looks up as many of the next scans as may all miss, until the scans or
    the allowance run out."""
    people: dict[str, Attendee] = {}
    looked_up: set[str] = set()
    left = len(scans) if misses_allowed is None else misses_allowed
    done = 0
    while done < len(scans) and left > 0:
        batch = scans[done:done + left]
        done += len(batch)
        codes = {scan.code for scan in batch} - looked_up
        if codes:
            people.update((person.badge_code, person) for person in db.session.scalars(
                select(Attendee).where(Attendee.badge_code.in_(codes)).options(noload("*"))))
            looked_up |= codes
        left -= sum(scan.code not in people for scan in batch)
    return people, done


def sync_scans(owner: Attendee, items: list, misses_allowed: int | None = None) -> list[ScanResult]:
    """Save a batch of scans queued on `owner`'s phone: each UUID at most once, bad items refused one by one.

    At most `misses_allowed` of the scans may have codes that find nobody (each counts, see
    _people_within); scans past that are answered "rate_limited" and stay on the phone."""
    if len(items) > MAX_BATCH:
        raise DomainError(f"At most {MAX_BATCH} scans can be sent at once; this batch has {len(items)}.")
    parsed = [parse_scan(item) for item in items]
    queued = [scan for scan in parsed if isinstance(scan, QueuedScan)]
    people, looked_up = _people_within(queued, misses_allowed)
    retired: set[str] | None = None
    results: list[ScanResult | None] = []
    to_save: dict[uuid.UUID, tuple[uuid.UUID, Attendee, str, datetime | None]] = {}
    pending: list[tuple[int, QueuedScan, str, bool]] = []  # (index, scan, contact's name, repeated in batch)
    seen = 0  # scans with a code so far
    for scan in parsed:
        if isinstance(scan, ScanResult):
            results.append(scan)
            continue
        seen += 1
        if seen > looked_up:
            results.append(ScanResult(scan.raw_uuid, "rate_limited", RATE_LIMITED))
            continue
        contact = people.get(scan.code)
        if contact is None:
            if retired is None:
                unknown = {s.code for s in queued[:looked_up]} - people.keys()
                retired = retired_among(unknown)
            message = (f"The badge {display(scan.code)} was removed: its owner deleted their account."
                       if scan.code in retired else
                       f"No badge has the code {display(scan.code)}. Check it against the badge.")
            results.append(ScanResult(scan.raw_uuid, "unknown", message))
            continue
        try:
            check_can_save(owner, contact)
            note = clean_note(scan.note)
        except DomainError as error:
            results.append(ScanResult(scan.raw_uuid, "malformed" if error.field == "note" else "refused",
                                      error.message, name_on_scan(owner, contact)))
            continue
        repeated = scan.uuid in to_save
        if not repeated:
            to_save[scan.uuid] = (scan.uuid, contact, note, scan.scanned_at)
        pending.append((len(results), scan, contact.name, repeated))
        results.append(None)
    if to_save and is_closed(owner.conference):
        # After closing, notes on saved contacts still change, but nobody new is saved.
        known = _already_saved(owner, {contact.id for _, contact, _, _ in to_save.values()})
        message = closed_message(owner.conference)
        for index, scan, name, repeated in [p for p in pending if to_save[p[1].uuid][1].id not in known]:
            results[index] = ScanResult(scan.raw_uuid, "refused", message, name)
        pending = [p for p in pending if results[p[0]] is None]
        to_save = {key: value for key, value in to_save.items() if value[1].id in known}
    saved = save_scans(owner, list(to_save.values()))
    for index, scan, name, repeated in pending:
        new, connection_id, refused = saved[scan.uuid]
        if refused:
            results[index] = ScanResult(scan.raw_uuid, "malformed", refused, name, connection_id)
            continue
        new = new and not repeated
        results[index] = ScanResult(scan.raw_uuid, "saved" if new else "duplicate",
                                    f"Saved {name}." if new else f"{name}: already saved.", name, connection_id)
    return results
