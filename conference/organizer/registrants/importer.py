"""Registrant import from CSV: read any file Excel or a registration platform makes, say what each
column is taken as and what every row would do before anything is written, then write the good rows
in one transaction and say exactly what was wrong with the others."""
from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, insert, select, update

from conference.attendees.channels import BadChannel, normalise_email
from conference.attendees.models import ROLES, Attendee, name_keys
from conference.attendees.operations import release_unproven_addresses
from conference.badges.operations import fresh_codes
from conference.dialects import bulk_insert
from conference.errors import DomainError
from conference.events.models import Conference, utcnow
from conference.extensions import db
from conference.interests.models import AttendeeInterest, Interest
from conference.lengths import max_length
from conference.organizer.registrants.import_columns import (FIELDS, ROLE_VALUES, STATE_VALUES, Mapping,
                                                             map_columns, value_key)
from conference.organizer.access.models import Organizer
from conference.organizer.registrants.models import ImportBatch, ImportUpload

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# An uploaded file waits this long for the organizer's go-ahead: it holds every registrant's details.
UPLOAD_KEPT = timedelta(hours=2)


@dataclass
class ImportOptions:
    """What the organizer chose in the preview."""
    columns: dict[int, str] = field(default_factory=dict)   # column index -> field, or "" for not used
    default_role: str = ""   # the role of rows whose role is missing or unknown; "" leaves them out

    def __post_init__(self):
        if self.default_role not in ROLES:  # e.g. a role an older release knew: rows without one are left out
            self.default_role = ""

    def to_json(self) -> dict:
        return {"columns": {str(i): f for i, f in sorted(self.columns.items())}, "default_role": self.default_role}

    @classmethod
    def from_json(cls, value: dict | None) -> ImportOptions:
        value = value or {}
        columns = {int(i): f for i, f in (value.get("columns") or {}).items() if str(i).isdigit()}
        return cls(columns, value.get("default_role") or "")


@dataclass
class RowProblem:
    row: int        # the spreadsheet's row number: the header is row 1
    reason: str
    email: str = ""


@dataclass
class ImportResult:
    """What an import did, or (in a preview) would do."""
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0           # joined or claimed already: their own profile wins over the file
    problems: list[RowProblem] = field(default_factory=list)   # rows not imported
    warnings: list[RowProblem] = field(default_factory=list)   # rows imported with something left out
    batch: ImportBatch | None = None
    mapping: Mapping | None = None
    options: ImportOptions = field(default_factory=ImportOptions)
    blocked: str = ""       # why nothing can be imported until the columns are chosen differently

    @property
    def rejected(self) -> int:
        return len(self.problems)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    @property
    def columns(self) -> dict[str, str]:
        """Our field -> the file's header it was taken from."""
        return {name: self.mapping.header_of(name) for name in self.mapping.used} if self.mapping else {}

    @property
    def ignored_columns(self) -> list[str]:
        return [c.label for c in self.mapping.unused] if self.mapping else []


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


def _delimiter(text: str) -> str:
    """The separator of the header row: the one of , ; tab | used most outside quotes (commas in
    a question's text, as Google Forms headers have, are inside quotes)."""
    counts = dict.fromkeys(",;\t|", 0)
    quoted = False
    for char in text[:65536]:
        if char == '"':
            quoted = not quoted
        elif char == "\n" and not quoted:
            break
        elif char in counts and not quoted:
            counts[char] += 1
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


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
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
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


_PLAIN_EMAIL = re.compile(r"[a-z0-9_%+'-]+(?:\.[a-z0-9_%+'-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                          r"[a-z]{2,63}")
_SPECIAL_TLDS = {"arpa", "invalid", "local", "localhost", "onion", "test"}


def _email(text: str) -> str:
    """normalise_email, with a fast path for the plain ASCII addresses that make up most files.
    A domain spelled in punycode ("xn--") takes the slow path, which stores it as joining does."""
    lowered = text.strip().lower()
    if (len(lowered) <= max_length(Attendee.email) and _PLAIN_EMAIL.fullmatch(lowered)
            and len(lowered.split("@")[0]) <= 64
            and lowered.rsplit(".", 1)[1] not in _SPECIAL_TLDS and "xn--" not in lowered):
        return lowered
    return normalise_email(text)


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


_INTEREST_SEPARATORS = re.compile(r"[;|\n]|,(?![^()]*\))")  # a comma inside "(offering)" is part of a name


def _split_interests(text: str) -> list[str]:
    return [part.strip() for part in _INTEREST_SEPARATORS.split(text or "") if part.strip()]


def _check_row(number: int, cells: list[str], columns: dict[str, int], interests: dict[str, int],
               default_role: str, warnings: list[str]) -> _Row:
    """The row as it will be stored, or DomainError saying why it can't be; what it loses goes to `warnings`."""
    def cell(column: str) -> str:
        index = columns.get(column)
        return " ".join(cells[index].split()) if index is not None and index < len(cells) else ""

    reasons: list[str] = []
    name = cell("name") or " ".join(part for part in (cell("first"), cell("last")) if part)
    if not name:
        reasons.append("no name")
    elif len(name) > max_length(Attendee.name):
        reasons.append(f"the name has {len(name)} characters (at most {max_length(Attendee.name)})")
    email = cell("email")
    try:
        email = _email(email) if email else ""
        if not email:
            reasons.append("no email")
    except BadChannel:
        reasons.append(f"“{email[:80]}” is not an email address")
    role_text = cell("role")
    role = ROLE_VALUES.get(value_key(role_text), "")
    if not role and default_role:
        if role_text:
            warnings.append(f"the role “{role_text[:60]}” is not one we know: imported as "
                            f"{ROLES[default_role].lower()}")
        elif "role" in columns:
            warnings.append(f"no role: imported as {ROLES[default_role].lower()}")
        role = default_role
    elif not role_text:
        reasons.append("no role")
    elif not role:
        reasons.append(f"unknown role “{role_text[:60]}” (use principal, assistant principal, aspiring principal, "
                       "teacher leader, district leader or other)")
    state_text = cell("state")
    state = STATE_VALUES.get(value_key(state_text), "") if state_text else ""
    if state_text and not state:
        reasons.append(f"unknown state “{state_text[:40]}”")
    school, district = cell("school"), cell("district")
    for label, value, column in (("school", school, Attendee.school), ("district", district, Attendee.district)):
        if len(value) > max_length(column):
            reasons.append(f"the {label} has {len(value)} characters (at most {max_length(column)})")
    picked: dict[str, set[int] | None] = {}
    for column in ("offers", "interests"):
        if column not in columns:
            picked[column] = None
            continue
        ids = set()
        for name_typed in _split_interests(cells[columns[column]] if columns[column] < len(cells) else ""):
            interest_id = interests.get(value_key(name_typed))
            if interest_id is None:
                warnings.append(f"the interest “{name_typed[:60]}” is not on this conference's list: "
                                "imported without it")
            else:
                ids.add(interest_id)
        picked[column] = ids
    if reasons:
        raise DomainError(_sentence("; ".join(reasons)))
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
                .where(Attendee.conference_id == conference.id, Attendee.email.in_(chunk),
                       # A self-joined address nobody proved is not the registrant's: they get their own row.
                       (Attendee.import_batch_id.is_not(None)) | (Attendee.email_verified_at.is_not(None)))):
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
             import_batch_id=batch_id, **name_keys(row.name, row.school, row.district)) for old, row in changed])
    with_interests = [(old, row) for old, row in changed if row.offers is not None or row.seeks is not None]
    for start in range(0, len(with_interests), 1000):
        chunk = with_interests[start:start + 1000]
        db.session.execute(delete(AttendeeInterest).where(
            AttendeeInterest.attendee_id.in_([old.id for old, _ in chunk])))
        links = [dict(attendee_id=old.id, interest_id=i, offers=o, seeks=s)
                 for old, row in chunk for i, (o, s) in _wanted(old.interests, row).items()]
        if links:
            db.session.execute(insert(AttendeeInterest), links)


def check_rows(conference: Conference, mapping: Mapping, rows: list[list[str]], default_role: str = ""
               ) -> tuple[list[_Row], list[RowProblem], list[RowProblem]]:
    """Every row checked: the good ones, a problem for each bad one (duplicates included), and a
    warning for each good one that loses something (an interest not on the list, an unknown role)."""
    columns = mapping.used
    interests = {value_key(i.name): i.id for i in db.session.scalars(
        select(Interest).where(Interest.conference_id == conference.id, Interest.retired.is_(False)))}
    good: list[_Row] = []
    problems: list[RowProblem] = []
    warnings: list[RowProblem] = []
    first_row_of: dict[str, int] = {}
    email_index = columns.get("email")
    for offset, cells in enumerate(rows):
        number = offset + 2
        if not any(cell.strip() for cell in cells):
            continue
        lost: list[str] = []
        try:
            row = _check_row(number, cells, columns, interests, default_role, lost)
        except DomainError as error:
            email = cells[email_index].strip() if email_index is not None and email_index < len(cells) else ""
            problems.append(RowProblem(number, error.message, email[:120]))
            continue
        if row.email in first_row_of:
            problems.append(RowProblem(number, f"Same email as row {first_row_of[row.email]}: "
                                               "each registrant needs their own email", row.email))
            continue
        first_row_of[row.email] = number
        good.append(row)
        if lost:
            warnings.append(RowProblem(number, _sentence("; ".join(lost)), row.email))
    return good, problems, warnings


@dataclass
class _Plan:
    result: ImportResult
    new_rows: list[_Row] = field(default_factory=list)
    changed: list[tuple[_Existing, _Row]] = field(default_factory=list)


def _plan(conference: Conference, data: bytes, options: ImportOptions, max_bytes: int,
          progress: Callable[[int], None] | None = None) -> _Plan:
    """What importing `data` would do, row by row, without writing anything."""
    header, rows = read_table(data, max_bytes)
    mapping = map_columns(header, rows, options.columns)
    result = ImportResult(mapping=mapping, options=options)
    result.blocked = " ".join([*mapping.problems, mapping.missing(role_required=not options.default_role)])
    result.blocked = result.blocked.strip()
    plan = _Plan(result)
    if result.blocked:
        return plan
    good, result.problems, result.warnings = check_rows(conference, mapping, rows, options.default_role)
    result.total = len(good) + len(result.problems)
    if progress:
        progress(len(result.problems))
    existing = _existing(conference, [r.email for r in good])
    for row in good:
        attendee = existing.get(row.email)
        if attendee is None:
            plan.new_rows.append(row)
            continue
        if not attendee.imported or attendee.claimed:
            result.kept += 1
        elif _differs(attendee, row):
            plan.changed.append((attendee, row))
        else:
            result.unchanged += 1
        if progress:
            progress(1)
    result.created, result.updated = len(plan.new_rows), len(plan.changed)
    return plan


def preview_import(conference: Conference, data: bytes, options: ImportOptions | None = None,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> ImportResult:
    """What importing `data` would do: each column's use, each row's fate. Writes nothing."""
    return _plan(conference, data, options or ImportOptions(), max_bytes).result


def import_registrants(conference: Conference, data: bytes, filename: str = "", organizer: Organizer | None = None,
                       max_bytes: int = DEFAULT_MAX_BYTES, progress: Callable[[int], None] | None = None,
                       options: ImportOptions | None = None) -> ImportResult:
    """Import a CSV of registrants into `conference`: new emails become attendees with badge codes,
    changed rows update, unchanged rows and people who joined by themselves are left alone.

    The caller commits once (all good rows) or rolls back (none). `progress(n)` is told about every
    n rows handled, for a progress bar. Raises DomainError when the file as a whole can't be used,
    or its columns as chosen lack a name, email or role.
    """
    plan = _plan(conference, data, options or ImportOptions(), max_bytes, progress)
    result = plan.result
    if result.blocked:
        raise DomainError(result.blocked, field="file")
    batch = ImportBatch(conference_id=conference.id, organizer_id=organizer.id if organizer else None,
                        filename=(filename or "")[:max_length(ImportBatch.filename)])
    db.session.add(batch)
    db.session.flush()
    _update(plan.changed, batch.id)
    release_unproven_addresses(conference.id, [row.email for row in plan.new_rows])
    _insert_new(conference, plan.new_rows, batch.id, progress)
    if result.changed:
        batch.created, batch.updated = result.created, result.updated
        batch.unchanged, batch.rejected = result.unchanged + result.kept, result.rejected
        result.batch = batch
    else:
        db.session.delete(batch)  # a re-import that changes nothing leaves nothing behind
    db.session.flush()
    return result


def keep_upload(conference: Conference, organizer: Organizer | None, filename: str, data: bytes,
                max_bytes: int = DEFAULT_MAX_BYTES) -> ImportUpload:
    """Keep an uploaded file for its preview, in the database (any server may show the preview and
    another may import it). Raises DomainError, keeping nothing, if the file can't be read."""
    read_table(data, max_bytes)
    now = utcnow()
    db.session.execute(delete(ImportUpload).where(ImportUpload.expires_at < now))
    upload = ImportUpload(id=secrets.token_urlsafe(18), conference_id=conference.id,
                          organizer_id=organizer.id if organizer else None,
                          filename=(filename or "")[:max_length(ImportUpload.filename)],
                          data=data, choices={}, created_at=now, expires_at=now + UPLOAD_KEPT)
    db.session.add(upload)
    db.session.flush()
    return upload


_GONE = "This file is no longer waiting to be imported (it was imported, discarded, or kept too long). Upload it again."


def upload_of(conference: Conference, token: str) -> ImportUpload:
    """A kept file of this conference's, or DomainError if it was imported, discarded or expired."""
    upload = db.session.get(ImportUpload, (token or "")[:max_length(ImportUpload.id)])
    if upload is None or upload.conference_id != conference.id or upload.expires_at < utcnow():
        raise DomainError(_GONE)
    return upload


def choose_columns(upload: ImportUpload, options: ImportOptions) -> None:
    """Remember the organizer's choices: the import uses exactly what the preview last showed."""
    upload.choices = options.to_json()
    db.session.flush()


def take_upload(conference: Conference, token: str) -> ImportUpload:
    """The kept file, removed in the same transaction as its import: of two confirmations sent at
    once, the second finds it gone."""
    upload = upload_of(conference, token)
    gone = db.session.execute(delete(ImportUpload).where(ImportUpload.id == upload.id))
    if gone.rowcount != 1:
        raise DomainError(_GONE)
    return upload


def discard_upload(conference: Conference, token: str) -> None:
    db.session.execute(delete(ImportUpload).where(ImportUpload.id == (token or "")[:max_length(ImportUpload.id)],
                                                  ImportUpload.conference_id == conference.id))


def options_from_text(header: list[str], pairs: list[str], default_role: str = "") -> ImportOptions:
    """Choices typed on a command line: 'Company Name=school', '7=none' (a column by number from 1)."""
    by_key: dict[str, list[int]] = {}
    for index, title in enumerate(header):
        by_key.setdefault(value_key(title), []).append(index)
    labels = {value_key(label): name for name, label in FIELDS.items()}
    labels.update({name: name for name in FIELDS})
    columns: dict[int, str] = {}
    for pair in pairs:
        title, sep, chosen = pair.rpartition("=")
        if not sep or not title.strip():
            raise DomainError(f"“{pair}”: write the column's header, “=”, and a field, like “Company Name=school”.")
        wanted = value_key(chosen)
        if wanted in ("", "none", "ignore", "skip"):
            name = ""
        elif wanted in labels:
            name = labels[wanted]
        else:
            raise DomainError(f"“{chosen.strip()}” is not a field: use one of {', '.join(FIELDS)}, or none.")
        title = title.strip()
        if title.isdigit() and 1 <= int(title) <= len(header):
            indexes = [int(title) - 1]
        else:
            indexes = by_key.get(value_key(title), [])
        if not indexes:
            shown = ", ".join(f"“{h}”" for h in header if h)
            raise DomainError(f"The file has no column “{title}”. Its columns are: {shown}.")
        if len(indexes) > 1:
            raise DomainError(f"Several columns are headed “{title}”: give the column's number instead "
                              f"({', '.join(str(i + 1) for i in indexes)}).")
        columns[indexes[0]] = name
    if default_role and default_role not in ROLES:
        raise DomainError(f"“{default_role}” is not a role: use one of {', '.join(ROLES)}.")
    return ImportOptions(columns, default_role)


def _insert_new(conference: Conference, rows: list[_Row], batch_id: int,
                progress: Callable[[int], None] | None) -> None:
    """New registrants in bulk: attendees with fresh badge codes, then their interests."""
    codes = fresh_codes(len(rows))
    now = utcnow()
    values = []
    for row, code in zip(rows, codes):
        values.append(dict(conference_id=conference.id, badge_code=code, name=row.name, email=row.email,
                           role=row.role, school=row.school, district=row.district, state=row.state,
                           joined_at=now, import_batch_id=batch_id, **name_keys(row.name, row.school, row.district)))
    bulk_insert(Attendee, values)
    if progress:
        progress(len(rows) // 2)
    if any(row.offers or row.seeks for row in rows):
        # This batch's rows, new and updated; the new ones are looked up by email.
        ids = dict(db.session.execute(select(Attendee.email, Attendee.id).where(
            Attendee.conference_id == conference.id, Attendee.import_batch_id == batch_id)).all())
        bulk_insert(AttendeeInterest, [
            dict(attendee_id=ids[row.email], interest_id=interest_id, offers=offers, seeks=seeks)
            for row in rows for interest_id, (offers, seeks) in _wanted({}, row).items()])
    if progress:
        progress(len(rows) - len(rows) // 2)


def import_batches(conference: Conference) -> list[ImportBatch]:
    return list(db.session.scalars(select(ImportBatch).where(ImportBatch.conference_id == conference.id)
                                   .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())))
