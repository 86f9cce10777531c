"""Everything the app holds about one attendee: to download, and to delete."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, delete, func, select, update

from conference.attendees.models import Attendee
from conference.badges.codes import display
from conference.badges.models import RetiredBadgeCode
from conference.contacts.models import Connection
from conference.contacts.operations import contacts_for
from conference.events.models import utcnow
from conference.exports.contact_fields import contact_fields
from conference.extensions import db
from conference.files.models import GeneratedFile
from conference.files.operations import files_naming

# Other domains add what they hold about a person (follow-ups, circles ...):
# DATA_SECTIONS["followups"] = lambda attendee: [...]  (plain JSON values)
DATA_SECTIONS: dict[str, Callable[[Attendee], Any]] = {}


def data_section(name: str):
    """Register `fn(attendee)` as one more section of the /me/data download."""
    def register(fn):
        DATA_SECTIONS[name] = fn
        return fn
    return register


# Other domains undo, before a person's rows go, what their leaving would break for others (meetings
# call off the huddles they host and their meetings, so the people in them are told and freed):
# BEFORE_ACCOUNT_DELETED["meetings"] = lambda attendee: ...
BEFORE_ACCOUNT_DELETED: dict[str, Callable[[Attendee], None]] = {}


def before_account_deleted(name: str):
    """Register `fn(attendee)` to run when an account is about to be deleted, while its rows are still there."""
    def register(fn):
        BEFORE_ACCOUNT_DELETED[name] = fn
        return fn
    return register


def when(moment) -> str | None:
    """A stored (UTC) moment as the download writes it."""
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def my_data(attendee: Attendee) -> dict:
    """What the app holds about `attendee`, as plain JSON values (their own contacts included)."""
    conference = attendee.conference
    contacts = []
    for connection in contacts_for(attendee):
        fields = contact_fields(connection)
        contacts.append({
            "name": fields.name, "removed": connection.removed, "role": fields.role, "school": fields.school,
            "district": fields.district, "state": fields.state, "channels": fields.channels,
            "shared_interests": fields.shared_interests, "note": connection.note, "tags": connection.tag_list,
            "saved_at": when(connection.created_at), "updated_at": when(connection.updated_at)})
    saved_by = db.session.scalar(select(func.count()).select_from(Connection)
                                 .where(Connection.contact_id == attendee.id)) or 0
    data = {
        "exported_at": when(utcnow()),
        "conference": {"name": conference.name, "slug": conference.slug, "dates": conference.dates_label},
        "profile": {
            "name": attendee.name, "email": attendee.email, "role": attendee.role_label,
            # An address waiting for its link to be opened (a change of email, or the one a
            # provisional profile joined with); the date a link to `email` was opened.
            "pending_email": attendee.pending_email, "email_verified_at": when(attendee.email_verified_at),
            "school": attendee.school, "district": attendee.district, "state": attendee.state,
            "grade_band": attendee.grade_band_label, "years_in_role": attendee.years_in_role,
            "badge_code": display(attendee.badge_code), "joined_at": when(attendee.joined_at),
            "hidden_from_suggestions_and_signed_out_card": attendee.hidden,
        },
        "interests": [{"name": ai.interest.name, "can_help": ai.offers, "looking_for": ai.seeks}
                      for ai in sorted(attendee.interests, key=lambda ai: (ai.interest.position, ai.interest.name))],
        "channels": [{"kind": c.kind, "label": c.label, "value": c.value, "who_sees_it": c.visibility}
                     for c in attendee.channels],
        "contacts": contacts,
        "people_who_saved_me": saved_by,
    }
    for name, section in DATA_SECTIONS.items():
        data[name] = section(attendee)
    return data


def delete_with_dependents(table: Table, condition) -> None:
    """Delete rows of `table`, first doing to the rows that refer to them what their foreign keys say.

    PostgreSQL does this by itself; SQLite only with PRAGMA foreign_keys, so we do it here, for every
    table that refers to an attendee now or later (follow-ups, circles ...)."""
    for other in db.metadata.sorted_tables:
        if other is table:
            continue
        for fk in other.foreign_keys:
            if fk.column.table is not table:
                continue
            referred = select(fk.column).where(condition)
            action = (fk.ondelete or "").upper()
            if action == "CASCADE":
                delete_with_dependents(other, fk.parent.in_(referred))
            elif action == "SET NULL":
                db.session.execute(update(other).where(fk.parent.in_(referred)).values({fk.parent.name: None}))
    db.session.execute(delete(table).where(condition))


def delete_files(file_ids: list[int]) -> None:
    """Delete generated files, with what refers to them (the people on them, the badge jobs that made them)."""
    for start in range(0, len(file_ids), 1000):
        table = GeneratedFile.__table__
        delete_with_dependents(table, table.c.id.in_(file_ids[start:start + 1000]))


def delete_account(attendee: Attendee) -> None:
    """Remove the attendee with their profile, interests, channels, contacts, notes and sign-in links.

    People who saved them keep their row (and their own note) as a "removed attendee"; the badge
    code is retired so it never points at anyone again. What other domains registered with
    `before_account_deleted` runs first (their upcoming huddles and meetings are called off)."""
    for leaving in BEFORE_ACCOUNT_DELETED.values():
        leaving(attendee)
    code = attendee.badge_code
    db.session.add(RetiredBadgeCode(code=code))
    db.session.flush()
    db.session.expunge(attendee)  # with its interests and channels; the rows go below
    delete_files(files_naming([attendee.id]))  # a badge PDF with their name and code goes too
    delete_with_dependents(Attendee.__table__, Attendee.__table__.c.id == attendee.id)
    db.session.expire_all()
