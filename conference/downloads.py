"""Files a person downloads: one response shape for every export."""
from __future__ import annotations

import re

from flask import Response, make_response


def file_slug(text: str, fallback: str) -> str:
    """`text` as a safe file name part: lower-case letters and digits joined by dashes, at most 60."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or fallback


def download(body: str | bytes, mimetype: str, filename: str, inline: bool = False) -> Response:
    """`body` as a file named `filename`: saved (or shown, `inline`), UTF-8 for text, never cached (it is someone's data)."""
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
