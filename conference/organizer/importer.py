"""Registrant import from CSV: read any file Excel or a registration system makes, check every row,
write the good ones in one transaction, and say exactly what was wrong with the others."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from conference.attendees.channels import BadChannel, normalise_email
from conference.attendees.models import ROLES, Attendee
from conference.attendees.states import STATES
from conference.badges.codes import new_code
from conference.errors import DomainError
from conference.events.models import Conference, utcnow
from conference.extensions import db
from conference.interests.models import AttendeeInterest, Interest
from conference.organizer.models import ImportBatch, Organizer

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000

# Column -> the header names registration systems and spreadsheets use for it (compared without
# case, spaces or punctuation).
ALIASES = {
    "name": ["name", "full name", "attendee name", "registrant name", "participant name", "badge name",
             "display name", "attendee", "registrant", "participant"],
    "first": ["first name", "first", "given name", "forename", "firstname", "fname"],
    "last": ["last name", "last", "surname", "family name", "lastname", "lname"],
    "email": ["email", "e-mail", "email address", "e-mail address", "mail", "work email", "attendee email",
              "primary email", "emailaddress"],
    "role": ["role", "position", "job title", "title", "job role", "current role", "role/title", "attendee type",
             "registration type"],
    "school": ["school", "school name", "organization", "organisation", "institution", "building", "campus",
               "company", "employer", "school/organization"],
    "district": ["district", "school district", "district name", "lea", "division", "school division"],
    "state": ["state", "st", "state/province", "province", "state code", "state/territory"],
    "interests": ["interests", "interest", "topics", "leadership interests", "looking for", "seeks",
                  "i'm looking for", "im looking for", "interested in"],
    "offers": ["offers", "can help with", "i can help with", "expertise", "strengths"],
}
REQUIRED = ("email", "role")

ROLE_ALIASES = {
    "principal": ["principal", "head of school", "head principal", "school principal", "director of school",
                  "school leader", "headteacher", "head teacher"],
    "assistant_principal": ["assistant principal", "ap", "vice principal", "vp", "asst principal",
                            "asst. principal", "associate principal", "deputy principal", "assistant head"],
    "aspiring_principal": ["aspiring principal", "aspiring", "aspiring leader", "principal intern",
                           "aspiring school leader", "resident principal"],
    "teacher_leader": ["teacher leader", "teacher", "instructional coach", "coach", "lead teacher",
                       "department head", "dean", "team leader"],
    "district_leader": ["district leader", "superintendent", "assistant superintendent", "deputy superintendent",
                        "district administrator", "central office", "director", "district director",
                        "chief academic officer"],
    "other": ["other", "other school leader", "consultant", "professor", "retired principal"],
}


def _key(text: str) -> str:
    """'E-mail Address ' -> 'emailaddress': what header and value matching compares."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", text.lower())


_HEADER = {_key(alias): column for column, aliases in ALIASES.items() for alias in aliases}
_ROLES = {_key(alias): role for role, aliases in ROLE_ALIASES.items() for alias in aliases}
_ROLES.update({_key(label): role for role, label in ROLES.items()})
_ROLES.update({_key(role): role for role in ROLES})
_STATES = {_key(code): code for code in STATES}
_STATES.update({_key(name): code for code, name in STATES.items()})


@dataclass
class RowProblem:
    row: int        # the spreadsheet's row number: the header is row 1
    reason: str
    email: str = ""


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0           # joined or claimed already: their own profile wins over the file
    problems: list[RowProblem] = field(default_factory=list)
    batch: ImportBatch | None = None
    columns: dict[str, str] = field(default_factory=dict)   # our column -> the file's header
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.problems)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


@dataclass
class _Row:
    number: int
    name: str
    email: str
    role: str
    school: str
    district: str
    state: str
    offers: set[int] | None
    seeks: set[int] | None


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, or Excel's Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # the five bytes cp1252 leaves undefined


def _not_csv_reason(data: bytes) -> str | None:
    head = data[:4096]
    if head.startswith(b"PK\x03\x04"):
        return ("This is an Excel workbook (.xlsx) or another zip file, not a CSV. In Excel choose "
                "File › Save As › “CSV UTF-8 (comma delimited)” and upload that file.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return ("This is an old Excel workbook (.xls), not a CSV. In Excel choose File › Save As › "
                "“CSV UTF-8 (comma delimited)” and upload that file.")
    if head.startswith(b"%PDF"):
        return "This is a PDF, not a CSV. Export the registrant list from your registration system as CSV."
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "This is an image, not a CSV. Export the registrant list as CSV and upload that."
    if not head.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in head:
        return "This file is not text, so it can't be a CSV. Export the registrant list as CSV and upload that."
    return None


def read_table(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows of a CSV file, or DomainError saying why it can't be read."""
    if len(data) > max_bytes:
        raise DomainError(f"This file is {len(data) / 1_048_576:.1f} MB; the limit is "
                          f"{max_bytes / 1_048_576:.0f} MB. Split it into smaller files and import each.", field="file")
    if not data.strip():
        raise DomainError("This file is empty. Choose the CSV file with your registrants.", field="file")
    reason = _not_csv_reason(data)
    if reason:
        raise DomainError(reason, field="file")
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = [row for row in reader]
    except csv.Error as error:
        raise DomainError(f"This file is not a CSV we can read ({error}). Export it again as CSV.",
                          field="file") from None
    while rows and not any(cell.strip() for cell in rows[0]):
        rows.pop(0)
    if not rows:
        raise DomainError("This file is empty. Choose the CSV file with your registrants.", field="file")
    if len(rows) == 1:
        raise DomainError("This file has a header row but no registrants under it.", field="file")
    if len(rows) - 1 > MAX_ROWS:
        raise DomainError(f"This file has {len(rows) - 1:,} rows; import at most {MAX_ROWS:,} at a time.",
                          field="file")
    return [cell.strip() for cell in rows[0]], rows[1:]


def map_columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Our column -> its index in the file; and the file's headers we don't use."""
    found: dict[str, int] = {}
    ignored: list[str] = []
    for index, title in enumerate(header):
        column = _HEADER.get(_key(title))
        if column and column not in found:
            found[column] = index
        elif title:
            ignored.append(title)
    missing = [c for c in REQUIRED if c not in found]
    if "name" not in found and not ("first" in found or "last" in found):
        missing.insert(0, "name")
    if missing:
        names = {"name": "name (or first name and last name)", "email": "email", "role": "role"}
        shown = ", ".join(f"“{title}”" for title in header if title) or "none"
        raise DomainError(f"The file has no {' or '.join(names[m] for m in missing)} column. "
                          f"Its columns are: {shown}. Rename the header cells and import again.", field="file")
    return found, ignored


def _split_interests(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;|\n]|,(?![^()]*\))", text or "") if part.strip()]


def _check_row(number: int, cells: list[str], columns: dict[str, int], interests: dict[str, int]) -> _Row:
    def cell(column: str) -> str:
        index = columns.get(column)
        return " ".join(cells[index].split()) if index is not None and index < len(cells) else ""

    reasons: list[str] = []
    name = cell("name") or " ".join(part for part in (cell("first"), cell("last")) if part)
    if not name:
        reasons.append("no name")
    elif len(name) > 120:
        reasons.append(f"the name has {len(name)} characters (at most 120)")
    email = cell("email")
    try:
        email = normalise_email(email) if email else ""
        if not email:
            reasons.append("no email")
    except BadChannel:
        reasons.append(f"“{email[:80]}” is not an email address")
    role_text = cell("role")
    role = _ROLES.get(_key(role_text), "")
    if not role_text:
        reasons.append("no role")
    elif not role:
        reasons.append(f"unknown role “{role_text[:60]}” (use principal, assistant principal, aspiring principal, "
                       "teacher leader, district leader or other)")
    state_text = cell("state")
    state = _STATES.get(_key(state_text), "") if state_text else ""
    if state_text and not state:
        reasons.append(f"unknown state “{state_text[:40]}”")
    school, district = cell("school"), cell("district")
    for label, value in (("school", school), ("district", district)):
        if len(value) > 160:
            reasons.append(f"the {label} has {len(value)} characters (at most 160)")
    picked: dict[str, set[int] | None] = {}
    for column in ("offers", "interests"):
        if column not in columns:
            picked[column] = None
            continue
        ids = set()
        for name_typed in _split_interests(cells[columns[column]] if columns[column] < len(cells) else ""):
            interest_id = interests.get(_key(name_typed))
            if interest_id is None:
                reasons.append(f"the interest “{name_typed[:60]}” is not on this conference's list")
            else:
                ids.add(interest_id)
        picked[column] = ids
    if reasons:
        raise DomainError("; ".join(reasons).capitalize())
    return _Row(number, name, email, role, school, district, state, picked["offers"], picked["interests"])


def _differs(attendee: Attendee, row: _Row) -> bool:
    if (attendee.name, attendee.role, attendee.school, attendee.district, attendee.state) != (
            row.name, row.role, row.school, row.district, row.state):
        return True
    if row.offers is None and row.seeks is None:
        return False
    return _interest_map(attendee) != _wanted(attendee, row)


def _interest_map(attendee: Attendee) -> dict[int, tuple[bool, bool]]:
    return {ai.interest_id: (ai.offers, ai.seeks) for ai in attendee.interests}


def _wanted(attendee: Attendee | None, row: _Row) -> dict[int, tuple[bool, bool]]:
    """The interests after this row: a column the file lacks leaves that side as it was."""
    current = _interest_map(attendee) if attendee is not None else {}
    offers = row.offers if row.offers is not None else {i for i, (o, _) in current.items() if o}
    seeks = row.seeks if row.seeks is not None else {i for i, (_, s) in current.items() if s}
    return {i: (i in offers, i in seeks) for i in offers | seeks}


def _write(attendee: Attendee, row: _Row, batch_id: int) -> None:
    attendee.name, attendee.email, attendee.role = row.name, row.email, row.role
    attendee.school, attendee.district, attendee.state = row.school, row.district, row.state
    attendee.import_batch_id = batch_id
    if row.offers is None and row.seeks is None:
        return
    wanted = _wanted(attendee if attendee.id else None, row)
    kept = [ai for ai in attendee.interests if ai.interest_id in wanted]
    existing = {ai.interest_id: ai for ai in kept}
    for interest_id, (offers, seeks) in wanted.items():
        link = existing.get(interest_id)
        if link is None:
            link = AttendeeInterest(interest_id=interest_id)
            kept.append(link)
        link.offers, link.seeks = offers, seeks
    attendee.interests = kept


def check_rows(conference: Conference, header: list[str], rows: list[list[str]]
               ) -> tuple[list[_Row], list[RowProblem], dict[str, int], list[str]]:
    """Every row checked: the good ones, and a problem for each bad one (duplicates included)."""
    columns, ignored = map_columns(header)
    interests = {_key(i.name): i.id for i in db.session.scalars(
        select(Interest).where(Interest.conference_id == conference.id, Interest.retired.is_(False)))}
    good: list[_Row] = []
    problems: list[RowProblem] = []
    first_row_of: dict[str, int] = {}
    for offset, cells in enumerate(rows):
        number = offset + 2
        if not any(cell.strip() for cell in cells):
            continue
        try:
            row = _check_row(number, cells, columns, interests)
        except DomainError as error:
            email = cells[columns["email"]].strip() if columns["email"] < len(cells) else ""
            problems.append(RowProblem(number, error.message, email[:120]))
            continue
        if row.email in first_row_of:
            problems.append(RowProblem(number, f"Same email as row {first_row_of[row.email]}: "
                                               "each registrant needs their own email", row.email))
            continue
        first_row_of[row.email] = number
        good.append(row)
    return good, problems, columns, ignored


def import_registrants(conference: Conference, data: bytes, filename: str = "", organizer: Organizer | None = None,
                       max_bytes: int = DEFAULT_MAX_BYTES,
                       progress: Callable[[int], None] | None = None) -> ImportResult:
    """Import a CSV of registrants into `conference`: new emails become attendees with badge codes,
    changed rows update, unchanged rows and people who joined by themselves are left alone.

    The caller commits once (all good rows) or rolls back (none). `progress(n)` is told about every
    n rows handled, for a progress bar. Raises DomainError when the file as a whole can't be used.
    """
    header, rows = read_table(data, max_bytes)
    good, problems, columns, ignored = check_rows(conference, header, rows)
    result = ImportResult(total=len(good) + len(problems), problems=problems, ignored_columns=ignored,
                          columns={c: header[i] for c, i in columns.items()})
    if progress:
        progress(len(problems))
    existing = {a.email: a for a in db.session.scalars(
        select(Attendee).where(Attendee.conference_id == conference.id, Attendee.email.in_([r.email for r in good]))
        ) } if len(good) <= 2000 else {a.email: a for a in db.session.scalars(
            select(Attendee).where(Attendee.conference_id == conference.id))}
    batch = ImportBatch(conference_id=conference.id, organizer_id=organizer.id if organizer else None,
                        filename=(filename or "")[:200])
    db.session.add(batch)
    db.session.flush()
    codes_in_use: set[str] = set()
    step = 0
    for row in good:
        attendee = existing.get(row.email)
        if attendee is None:
            code = new_code()
            while code in codes_in_use:
                code = new_code()
            codes_in_use.add(code)
            attendee = Attendee(conference_id=conference.id, badge_code=code, joined_at=utcnow(), interests=[],
                                channels=[])
            _write(attendee, row, batch.id)
            db.session.add(attendee)
            result.created += 1
        elif attendee.import_batch_id is None or attendee.claimed_at is not None:
            result.kept += 1
        elif _differs(attendee, row):
            _write(attendee, row, batch.id)
            result.updated += 1
        else:
            result.unchanged += 1
        step += 1
        if step % 500 == 0:
            db.session.flush()
            if progress:
                progress(500)
    db.session.flush()
    if progress and step % 500:
        progress(step % 500)
    if result.changed:
        batch.created, batch.updated = result.created, result.updated
        batch.unchanged, batch.rejected = result.unchanged + result.kept, result.rejected
        result.batch = batch
    else:
        db.session.delete(batch)  # a re-import that changes nothing leaves nothing behind
    db.session.flush()
    return result


def import_batches(conference: Conference) -> list[ImportBatch]:
    return list(db.session.scalars(select(ImportBatch).where(ImportBatch.conference_id == conference.id)
                                   .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())))
