"""Storing a generated file, reading it back, and deleting it when it expires or someone on it leaves."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import insert, select

from conference.events.models import utcnow
from conference.extensions import db
from conference.files.models import GeneratedFile, GeneratedFilePerson

KEEP = timedelta(days=7)  # long enough to print; not a second copy of the registrant list for good


def store_file(conference_id: int, name: str, mimetype: str, data: bytes, people: Iterable[int],
               keep: timedelta = KEEP) -> GeneratedFile:
    """Keep `data` for `keep`, tied to each attendee it names or shows."""
    now = utcnow()
    stored = GeneratedFile(conference_id=conference_id, name=name, mimetype=mimetype, size=len(data), data=data,
                           created_at=now, expires_at=now + keep)
    db.session.add(stored)
    db.session.flush()
    rows = [{"file_id": stored.id, "attendee_id": person} for person in dict.fromkeys(people)]
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(GeneratedFilePerson), rows[start:start + 1000])
    return stored


def is_available(file_id: int | None) -> bool:
    """True while the file is kept (without loading its bytes)."""
    if file_id is None:
        return False
    expires_at = db.session.scalar(select(GeneratedFile.expires_at).where(GeneratedFile.id == file_id))
    return expires_at is not None and expires_at > utcnow()


def file_bytes(file_id: int | None) -> bytes | None:
    """The file's bytes, or None once it has expired or been deleted."""
    if not is_available(file_id):
        return None
    return db.session.scalar(select(GeneratedFile.data).where(GeneratedFile.id == file_id))


def expired_files() -> list[int]:
    """The files past their time (privacy.delete_files deletes them)."""
    return list(db.session.scalars(select(GeneratedFile.id).where(GeneratedFile.expires_at <= utcnow())))


def files_naming(attendee_ids) -> list[int]:
    """The files that name one of `attendee_ids` (a list, or a select of attendee ids)."""
    return list(db.session.scalars(select(GeneratedFilePerson.file_id.distinct())
                                   .where(GeneratedFilePerson.attendee_id.in_(attendee_ids))))
