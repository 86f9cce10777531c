"""Registrant import from CSV: read any file Excel or a registration system makes, check every row,
write the good ones in one transaction, and say exactly what was wrong with the others."""
from __future__ import annotations

import csv
import io
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import delete, insert, select, update

from conference.attendees.channels import BadChannel, normalise_email
from conference.attendees.models import ROLES, Attendee
from conference.attendees.states import STATES
from conference.badges.codes import ALPHABET, LENGTH
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


@lru_cache(maxsize=4096)  # roles, states and interest names repeat on every row
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


_PLAIN_EMAIL = re.compile(r"[a-z0-9_%+'-]+(?:\.[a-z0-9_%+'-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                          r"[a-z]{2,63}")
_SPECIAL_TLDS = {"arpa", "invalid", "local", "localhost", "onion", "test"}


def _email(text: str) -> str:
    """normalise_email, with a fast path for the plain ASCII addresses that make up most files."""
    lowered = text.strip().lower()
    if (len(lowered) <= 254 and _PLAIN_EMAIL.fullmatch(lowered) and len(lowered.split("@")[0]) <= 64
            and lowered.rsplit(".", 1)[1] not in _SPECIAL_TLDS):
        return lowered
    return normalise_email(text)


_INTEREST_SEPARATORS = re.compile(r"[;|\n]|,(?![^()]*\))")  # a comma inside "(offering)" is part of a name


def _split_interests(text: str) -> list[str]:
    return [part.strip() for part in _INTEREST_SEPARATORS.split(text or "") if part.strip()]


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
        email = _email(email) if email else ""
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
        text = "; ".join(reasons)
        raise DomainError(text[0].upper() + text[1:])
    return _Row(number, name, email, role, school, district, state, picked["offers"], picked["interests"])


@dataclass
class _Existing:
    """An attendee already registered, as plain values (loading thousands of ORM objects is slow)."""
    id: int
    name: str
    role: str
    school: str
    district: str
    state: str
    imported: bool
    claimed: bool
    interests: dict[int, tuple[bool, bool]] = field(default_factory=dict)   # interest id -> (offers, seeks)


def _differs(attendee: _Existing, row: _Row) -> bool:
    if (attendee.name, attendee.role, attendee.school, attendee.district, attendee.state) != (
            row.name, row.role, row.school, row.district, row.state):
        return True
    if row.offers is None and row.seeks is None:
        return False
    return attendee.interests != _wanted(attendee.interests, row)


def _wanted(current: dict[int, tuple[bool, bool]], row: _Row) -> dict[int, tuple[bool, bool]]:
    """The interests after this row: a column the file lacks leaves that side as it was."""
    offers = row.offers if row.offers is not None else {i for i, (o, _) in current.items() if o}
    seeks = row.seeks if row.seeks is not None else {i for i, (_, s) in current.items() if s}
    return {i: (i in offers, i in seeks) for i in offers | seeks}


def _existing(conference: Conference, emails: list[str]) -> dict[str, _Existing]:
    found: dict[str, _Existing] = {}
    for start in range(0, len(emails), 1000):
        chunk = emails[start:start + 1000]
        by_id: dict[int, _Existing] = {}
        for row in db.session.execute(
                select(Attendee.id, Attendee.email, Attendee.name, Attendee.role, Attendee.school, Attendee.district,
                       Attendee.state, Attendee.import_batch_id, Attendee.claimed_at)
                .where(Attendee.conference_id == conference.id, Attendee.email.in_(chunk))):
            by_id[row.id] = found[row.email] = _Existing(
                row.id, row.name, row.role, row.school, row.district, row.state,
                imported=row.import_batch_id is not None, claimed=row.claimed_at is not None)
        if by_id:
            for attendee_id, interest_id, offers, seeks in db.session.execute(
                    select(AttendeeInterest.attendee_id, AttendeeInterest.interest_id, AttendeeInterest.offers,
                           AttendeeInterest.seeks).where(AttendeeInterest.attendee_id.in_(list(by_id)))):
                by_id[attendee_id].interests[interest_id] = (offers, seeks)
    return found


def _update(changed: list[tuple[_Existing, _Row]], batch_id: int) -> None:
    """Changed registrants in bulk: their fields, and their interests where the file has interest columns."""
    if not changed:
        return
    db.session.execute(update(Attendee), [
        dict(id=old.id, name=row.name, role=row.role, school=row.school, district=row.district, state=row.state,
             import_batch_id=batch_id) for old, row in changed])
    with_interests = [(old, row) for old, row in changed if row.offers is not None or row.seeks is not None]
    for start in range(0, len(with_interests), 1000):
        chunk = with_interests[start:start + 1000]
        db.session.execute(delete(AttendeeInterest).where(
            AttendeeInterest.attendee_id.in_([old.id for old, _ in chunk])))
        links = [dict(attendee_id=old.id, interest_id=i, offers=o, seeks=s)
                 for old, row in chunk for i, (o, s) in _wanted(old.interests, row).items()]
        if links:
            db.session.execute(insert(AttendeeInterest), links)


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
    existing = _existing(conference, [r.email for r in good])
    batch = ImportBatch(conference_id=conference.id, organizer_id=organizer.id if organizer else None,
                        filename=(filename or "")[:200])
    db.session.add(batch)
    db.session.flush()
    new_rows: list[_Row] = []
    changed: list[tuple[_Existing, _Row]] = []
    for row in good:
        attendee = existing.get(row.email)
        if attendee is None:
            new_rows.append(row)
            continue
        if not attendee.imported or attendee.claimed:
            result.kept += 1
        elif _differs(attendee, row):
            changed.append((attendee, row))
        else:
            result.unchanged += 1
        if progress:
            progress(1)
    result.created, result.updated = len(new_rows), len(changed)
    _update(changed, batch.id)
    _insert_new(conference, new_rows, batch.id, progress)
    if result.changed:
        batch.created, batch.updated = result.created, result.updated
        batch.unchanged, batch.rejected = result.unchanged + result.kept, result.rejected
        result.batch = batch
    else:
        db.session.delete(batch)  # a re-import that changes nothing leaves nothing behind
    db.session.flush()
    return result


def _code() -> str:
    """A badge code as conference.badges.codes.new_code makes it (60 random bits), a dozen times faster:
    32 divides 256, so each byte's low five bits are uniform."""
    return "".join(ALPHABET[byte & 31] for byte in secrets.token_bytes(LENGTH))


def _fresh_codes(count: int) -> list[str]:
    """`count` distinct badge codes, none of them a deleted account's (those never come back)."""
    from conference.privacy.models import RetiredBadgeCode
    codes: set[str] = set()
    while len(codes) < count:
        codes.update(_code() for _ in range(count - len(codes)))
        codes -= set(db.session.scalars(select(RetiredBadgeCode.code).where(RetiredBadgeCode.code.in_(codes))))
    return list(codes)


def _with_defaults(table, rows: list[dict]) -> list[dict]:
    """Rows with every column's Python-side default filled in (COPY skips SQLAlchemy's defaults)."""
    missing = [c for c in table.columns if c.name not in rows[0] and not c.primary_key and c.default is not None]
    if not missing:
        return rows
    defaults = {c.name: c.default.arg(None) if c.default.is_callable else c.default.arg for c in missing}
    return [{**defaults, **row} for row in rows]


def _bulk_insert(model, rows: list[dict]) -> None:
    """Insert many rows in the session's transaction: COPY on PostgreSQL (the fastest path by far),
    executemany elsewhere."""
    if not rows:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(insert(model), rows)
        return
    rows = _with_defaults(model.__table__, rows)
    columns = list(rows[0])
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY {model.__table__.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _insert_new(conference: Conference, rows: list[_Row], batch_id: int,
                progress: Callable[[int], None] | None) -> None:
    """New registrants in bulk: attendees with fresh badge codes, then their interests."""
    codes = _fresh_codes(len(rows))
    now = utcnow()
    values = []
    for row, code in zip(rows, codes):
        values.append(dict(conference_id=conference.id, badge_code=code, name=row.name, email=row.email,
                           role=row.role, school=row.school, district=row.district, state=row.state,
                           joined_at=now, import_batch_id=batch_id))
    _bulk_insert(Attendee, values)
    if progress:
        progress(len(rows) // 2)
    if any(row.offers or row.seeks for row in rows):
        # This batch's rows, new and updated; the new ones are looked up by email.
        ids = dict(db.session.execute(select(Attendee.email, Attendee.id).where(
            Attendee.conference_id == conference.id, Attendee.import_batch_id == batch_id)).all())
        _bulk_insert(AttendeeInterest, [
            dict(attendee_id=ids[row.email], interest_id=interest_id, offers=offers, seeks=seeks)
            for row in rows for interest_id, (offers, seeks) in _wanted({}, row).items()])
    if progress:
        progress(len(rows) - len(rows) // 2)


def import_batches(conference: Conference) -> list[ImportBatch]:
    return list(db.session.scalars(select(ImportBatch).where(ImportBatch.conference_id == conference.id)
                                   .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())))
