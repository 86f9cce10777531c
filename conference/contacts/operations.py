"""Saving people one met, with a private note, and finding them again."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import and_, bindparam, case, exists, func, select
from sqlalchemy.orm import aliased, selectinload

from conference.attendees.models import Attendee, Channel, role_label
from conference.contacts.cards import Card, Saved, shown_channels
from conference.contacts.models import Connection, split_tags
from conference.dialects import compiled_once, database_of, insert_on_conflict
from conference.errors import DomainError
from conference.events.models import utcnow
from conference.events.operations import ensure_open
from conference.extensions import db
from conference.interests.models import AttendeeInterest
from conference.names import fold, matches, search_words
from conference.security import clean_text

NOTE_LIMIT = 2000
TAG_LIMIT = 10
TAG_LENGTH = 40
TAGS_TYPED = TAG_LIMIT * (TAG_LENGTH + len("#, "))  # what a tags box holds: every tag, typed "#tag, "
NOTE_SEPARATOR = "\n\n"  # between the notes of several scans of one badge
REMOVED_BADGE = "This badge was removed: its owner deleted their account."  # the card's and the scanner's


def clean_tags(text: str) -> str:
    """'Mentor, scheduling ,, mentor' -> 'mentor,scheduling': lower case, no repeats."""
    tags: list[str] = []
    for raw in re.split(r"[,\n]", clean_text(text or "")):
        tag = " ".join(raw.split()).lower().lstrip("#")
        if not tag:
            continue
        if len(tag) > TAG_LENGTH:
            raise DomainError(f"Each tag can be at most {TAG_LENGTH} characters.", field="tags")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAG_LIMIT:
        raise DomainError(f"At most {TAG_LIMIT} tags, please.", field="tags")
    return ",".join(tags)


def clean_note(text: str, limit: int = NOTE_LIMIT) -> str:
    # Forms are cleaned as the request is read; notes synced as JSON are cleaned here.
    note = clean_text(text or "").replace("\r\n", "\n").strip()
    if len(note) > limit:
        raise DomainError(f"A note can be at most {limit:,} characters; this one has {len(note):,}.",
                          field="note")
    return note


def connection_between(owner: Attendee, contact: Attendee) -> Connection | None:
    return db.session.scalar(select(Connection).where(
        Connection.owner_id == owner.id, Connection.contact_id == contact.id))


def check_can_save(owner, contact) -> None:
    """Nobody saves themselves, or someone from another conference (Attendees or card Persons)."""
    if owner.id == contact.id:
        raise DomainError("That's your own badge. Show it to others so they can save you.")
    if owner.conference_id != contact.conference_id:
        raise DomainError("This badge is from another conference, so it can't be saved here.")


def name_on_scan(viewer, subject) -> str | None:
    """The name a scan of `subject`'s badge may show `viewer`: the scanner's card shows the people of
    the viewer's own conference (and the viewer's own badge); a badge of another conference gets a
    card with no name, whoever it is and whatever they hide. The card and the offline sync both ask here."""
    return subject.name if subject.conference_id == viewer.conference_id else None


def upsert_contacts(owner, rows: list[dict], add_notes: bool = False) -> list[Connection]:
    """Save contacts for `owner` (an Attendee or a card Person) in one statement: each row (contact_id,
    note, and optionally tags as a list, created_at) is inserted, or updates the contact saved already
    (before, or at this moment from another tab). A save replaces the saved note and tags; scans
    (`add_notes`) add their note to the saved one and keep its tags, and leave a saved contact as
    it is when the note is empty or would make the saved one longer than NOTE_LIMIT. Rows are
    written in key order, so two overlapping saves wait for each other instead of deadlocking.

    Returns the connections inserted or updated, as the session's objects, loaded afresh."""
    now = utcnow()
    params = {}
    for i, row in enumerate(sorted(rows, key=lambda row: row["contact_id"])):
        row = {"conference_id": owner.conference_id, "owner_id": owner.id, "tags": [], "created_at": now,
               "updated_at": now, **row}
        params.update({f"r{i}_{key}": row[key] for key in _UPSERTED})
    return list(db.session.scalars(_upsert(database_of(), add_notes, len(rows)), params,
                                   execution_options={"populate_existing": True}))


_UPSERTED = ("conference_id", "owner_id", "contact_id", "note", "tags", "created_at", "updated_at")


@lru_cache(maxsize=64)
def _upsert(database: str, add_notes: bool, size: int):
    """The upsert of `size` rows as the ORM statement that loads what it returns, compiled once per
    database, mode and size (bind parameters r<row>_<column>)."""
    table = Connection.__table__
    stmt = insert_on_conflict(table, database).values([
        {key: bindparam(f"r{i}_{key}", type_=table.c[key].type) for key in _UPSERTED} for i in range(size)])
    saved, new = table.c, stmt.excluded
    if add_notes:
        grown = func.length(saved.note) + case((saved.note == "", 0), else_=len(NOTE_SEPARATOR)) + func.length(new.note)
        stmt = stmt.on_conflict_do_update(
            index_elements=[saved.owner_id, saved.contact_id],
            set_={saved.note: case((saved.note == "", new.note), else_=saved.note + NOTE_SEPARATOR + new.note),
                  saved.updated_at: new.updated_at},
            where=and_(new.note != "", grown <= NOTE_LIMIT))
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=[saved.owner_id, saved.contact_id],
            set_={saved.note: new.note, saved.tags: new.tags, saved.updated_at: new.updated_at})
    return select(Connection).from_statement(compiled_once(stmt.returning(*table.c), database))


def _save(owner, contact, note: str, tags: str, saved_already: bool) -> Connection:
    """Save `contact` for `owner` (Attendees or card Persons), or update the one saved contact, in
    one statement: the row is inserted, or (saved already, or saved at this moment from another
    tab) its note and tags replaced."""
    check_can_save(owner, contact)
    note, tags = clean_note(note), clean_tags(tags)
    if not saved_already:
        ensure_open(contact.conference)  # after closing, notes can change but nobody new is saved
    connection, = upsert_contacts(owner, [{"contact_id": contact.id, "note": note, "tags": split_tags(tags)}])
    return connection


def save_from_card(card: Card, note: str = "", tags: str = "") -> Saved:
    """Save the card's person for its viewer (the save button on a card)."""
    connection = _save(card.viewer, card.subject, note, tags, card.connection is not None)
    return Saved(connection.id, connection.note, connection.tag_list)


def save_contact(owner: Attendee, contact: Attendee, note: str = "", tags: str = "") -> Connection:
    """Save `contact` for `owner`, or update the one saved contact. Safe when two saves race."""
    return _save(owner, contact, note, tags, connection_between(owner, contact) is not None)


def owned_connection(owner: Attendee, connection_id: int) -> Connection:
    """One of `owner`'s contacts; anyone else's id looks like a missing one."""
    connection = db.session.scalar(select(Connection).where(
        Connection.id == connection_id, Connection.owner_id == owner.id))
    if connection is None:
        raise DomainError("That contact is not in your list.")
    return connection


def update_note(owner: Attendee, connection_id: int, note: str, tags: str | None = None) -> Connection:
    connection = owned_connection(owner, connection_id)
    # Notes merged from several offline scans may be longer than one typed note; editing may keep them.
    connection.note = clean_note(note, max(NOTE_LIMIT, len(connection.note)))
    if tags is not None:
        connection.tags = clean_tags(tags)
    connection.updated_at = utcnow()
    db.session.flush()
    return connection


def remove_contact(owner: Attendee, connection_id: int) -> None:
    db.session.delete(owned_connection(owner, connection_id))
    db.session.flush()


@dataclass(frozen=True, slots=True)
class Listed:
    """A person as a list shows them: name, role and school, and the code to save them back."""

    id: int
    name: str
    role: str
    school: str
    badge_code: str

    @property
    def role_label(self) -> str:
        return role_label(self.role)


@dataclass(frozen=True, slots=True)
class ListedContact:
    """One line of my contacts: the contact (None once they deleted their account) and my note."""

    id: int
    note: str
    contact: Listed | None


def _listed(row, prefix: str = "") -> Listed | None:
    if row._mapping[f"{prefix}id"] is None:
        return None
    return Listed(*(row._mapping[f"{prefix}{name}"] for name in Listed.__slots__))


def _contacts_statement(owner: Attendee, query: str, interest_id: int | None, columns):
    """SELECT `columns(contact)` of the owner's connections (their contacts outer-joined as `contact`), newest
    first, matching a search over name, school, district, note and tags (every word somewhere, accents
    and case aside) and an interest; None when the search matches nothing."""
    contact = aliased(Attendee, name="contact")
    # Outer join: a contact who deleted their account stays in the list as "removed attendee".
    stmt = (select(*columns(contact)).select_from(Connection).outerjoin(contact, Connection.contact_id == contact.id)
            .where(Connection.owner_id == owner.id)
            .order_by(Connection.created_at.desc(), Connection.id.desc()))
    words = search_words(query)
    if words:
        # Notes are folded here rather than stored folded: one person's contacts are few, and every
        # path that writes a note (saves, offline sync merges, edits) stays as it is.
        found = db.session.execute(
            select(Connection.id, contact.search_key, Connection.note, Connection.tag_list)
            .outerjoin(contact, Connection.contact_id == contact.id).where(Connection.owner_id == owner.id))
        ids = [connection_id for connection_id, key, note, tags in found
               if matches(" ".join((key or "", fold(note), fold(",".join(tags)))), words)]
        if not ids:
            return None
        stmt = stmt.where(Connection.id.in_(ids))
    if interest_id:
        stmt = stmt.where(exists().where(AttendeeInterest.attendee_id == contact.id,
                                         AttendeeInterest.interest_id == interest_id))
    return stmt


def _person_columns(person, prefix: str = "") -> list:
    return [getattr(person, name).label(f"{prefix}{name}") for name in Listed.__slots__]


def contacts_for(owner: Attendee, query: str = "", interest_id: int | None = None) -> list[Connection]:
    """The owner's contacts as ORM rows with everything an export writes (channels, interests)."""
    stmt = _contacts_statement(owner, query, interest_id, lambda contact: [Connection])
    if stmt is None:
        return []
    return list(db.session.scalars(stmt.options(
        selectinload(Connection.contact).selectinload(Attendee.interests),
        selectinload(Connection.contact).selectinload(Attendee.channels))))


def contact_list(owner: Attendee, query: str = "", interest_id: int | None = None) -> list[ListedContact]:
    """The owner's contacts as the contacts page lists them: one statement, plain rows."""
    stmt = _contacts_statement(owner, query, interest_id, lambda contact: [
        Connection.id.label("connection_id"), Connection.note, *_person_columns(contact, "contact_")])
    if stmt is None:
        return []
    return [ListedContact(row.connection_id, row.note or "", _listed(row, "contact_"))
            for row in db.session.execute(stmt)]


def savers_of(attendee: Attendee) -> tuple[int, list[Listed]]:
    """How many people saved `attendee`, and those not saved back yet (newest first)."""
    total = db.session.scalar(select(func.count()).select_from(Connection)
                              .where(Connection.contact_id == attendee.id)) or 0
    # Without NULLs ("removed attendee" rows): NOT IN a list holding NULL matches nothing.
    mine = select(Connection.contact_id).where(Connection.owner_id == attendee.id, Connection.contact_id.is_not(None))
    pending = db.session.execute(
        select(*_person_columns(Attendee)).join(Connection, Connection.owner_id == Attendee.id)
        .where(Connection.contact_id == attendee.id, Attendee.id.not_in(mine))
        .order_by(Connection.created_at.desc()))
    return total, [_listed(row) for row in pending]


def visible_channels(subject: Attendee | None, viewer: Attendee | None) -> list[Channel]:
    """The channels `viewer` may see on `subject`'s card: only what `subject` chose to share."""
    if subject is None or viewer is None or viewer.conference_id != subject.conference_id:
        return []
    return shown_channels(subject.channels, viewer.id == subject.id,
                          lambda: connection_between(subject, viewer) is not None)
