"""Exporters yield rows, header first; one writer turns them into a CSV that Excel opens cleanly."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from conference.exports.contact_fields import ContactFields

CONTACT_COLUMNS = [
    ("Name", lambda f: f.name), ("First name", lambda f: f.given), ("Last name", lambda f: f.family),
    ("Role", lambda f: f.role), ("School", lambda f: f.school), ("District", lambda f: f.district),
    ("State", lambda f: f.state), ("Mobile phone", lambda f: f.channels.get("phone", "")),
    ("Email", lambda f: f.channels.get("email", "")), ("X", lambda f: f.profile_urls.get("x", "")),
    ("Instagram", lambda f: f.profile_urls.get("instagram", "")), ("Voxer", lambda f: f.channels.get("voxer", "")),
    ("LinkedIn", lambda f: f.profile_urls.get("linkedin", "")), ("Bluesky", lambda f: f.profile_urls.get("bluesky", "")),
    ("Website", lambda f: f.channels.get("website", "")), ("Note", lambda f: f.note),
    ("Tags", lambda f: ", ".join(f.tags)), ("Shared interests", lambda f: ", ".join(f.shared_interests)),
    ("Met at", lambda f: f.met_at), ("Saved (UTC)", lambda f: f.saved_at.strftime("%Y-%m-%d %H:%M")),
]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def contact_rows(many: Iterable[ContactFields]) -> Iterator[list[str]]:
    yield [title for title, _ in CONTACT_COLUMNS]
    for fields in many:
        yield [get(fields) for _, get in CONTACT_COLUMNS]


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def to_csv(rows: Iterable[list]) -> str:
    """UTF-8 with a BOM (so Excel reads accents), CRLF lines, formula cells neutralised."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(str(cell)) for cell in row])
    return buffer.getvalue()
