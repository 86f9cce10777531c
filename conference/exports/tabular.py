"""Exporters yield rows, header first; one writer turns them into a CSV that Excel opens cleanly."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

from conference.attendees.channels import channel_display
from conference.exports.contact_fields import ContactFields


def _phone(fields: ContactFields) -> str:
    """As the app shows it: (202) 555-0188 for North America, +44 20 7946 0958 elsewhere (docs/security.md)."""
    value = fields.channels.get("phone", "")
    return channel_display("phone", value) if value else ""


CONTACT_COLUMNS = [
    ("Name", lambda f: f.name), ("First name", lambda f: f.given), ("Last name", lambda f: f.family),
    ("Role", lambda f: f.role), ("School", lambda f: f.school), ("District", lambda f: f.district),
    ("State", lambda f: f.state), ("Mobile phone", _phone),
    ("Email", lambda f: f.channels.get("email", "")), ("X", lambda f: f.profile_urls.get("x", "")),
    ("Instagram", lambda f: f.profile_urls.get("instagram", "")), ("Voxer", lambda f: f.channels.get("voxer", "")),
    ("LinkedIn", lambda f: f.profile_urls.get("linkedin", "")), ("Bluesky", lambda f: f.profile_urls.get("bluesky", "")),
    ("Website", lambda f: f.channels.get("website", "")), ("Note", lambda f: f.note),
    ("Tags", lambda f: ", ".join(f.tags)), ("Shared interests", lambda f: ", ".join(f.shared_interests)),
    ("Met at", lambda f: f.met_at), ("Saved (UTC)", lambda f: f.saved_at.strftime("%Y-%m-%d %H:%M")),
]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A phone number as channel_display writes it abroad: +, a country code, a space, digits in groups.
# A spreadsheet keeps it as text (a space between two numbers is no formula), so it stays unmarked.
PLAIN_PHONE = re.compile(r"\+\d{1,3}(?: \d+(?:-\d+)*)+")
PHONE_COLUMNS = ("Mobile phone",)


def contact_rows(many: Iterable[ContactFields]) -> Iterator[list[str]]:
    yield [title for title, _ in CONTACT_COLUMNS]
    for fields in many:
        yield [get(fields) for _, get in CONTACT_COLUMNS]


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def to_csv(rows: Iterable[list], phone_columns: Iterable[str] = ()) -> str:
    """UTF-8 with a BOM (so Excel reads accents), CRLF lines, formula cells neutralised, except plain
    phone numbers in the columns named `phone_columns` (the first row is the header)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    wanted, phones = set(phone_columns), set()
    for number, row in enumerate(rows):
        if number == 0:
            phones = {i for i, title in enumerate(row) if title in wanted}
        writer.writerow([str(cell) if i in phones and PLAIN_PHONE.fullmatch(str(cell)) else neutralise(str(cell))
                         for i, cell in enumerate(row)])
    return buffer.getvalue()
