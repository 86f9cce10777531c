"""QR images for badges. A badge never changes, so each SVG is made once per process."""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from conference.badges.codes import display
from conference.urls import public_url


def badge_url(code: str) -> str:
    """The absolute URL inside a badge's QR code: the card of `code`, on PUBLIC_BASE_URL."""
    return public_url("contacts.card", code=display(code))


def qr_matrix(data: str, border: int = 2, mask_pattern: int | None = None) -> list[list[bool]]:
    """The QR modules of `data` (True is dark). With `mask_pattern` fixed, qrcode skips trying all
    eight masks for the best-looking one; any mask decodes the same."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border, mask_pattern=mask_pattern)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.get_matrix()


def dark_runs(matrix: list[list[bool]]) -> Iterator[tuple[int, int, int]]:
    """Each horizontal run of dark modules as (row, first column, length), row by row."""
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                yield y, start, x - start
            x += 1


@lru_cache(maxsize=8192)
def qr_svg(data: str) -> str:
    """A compact SVG of `data`: one path of horizontal runs, sized by CSS through its viewBox."""
    matrix = qr_matrix(data)
    size = len(matrix)
    runs = [f"M{start} {y}h{length}v1H{start}z" for y, start, length in dark_runs(matrix)]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
            f'shape-rendering="crispEdges" aria-hidden="true">'
            f'<rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path fill="#000" d="{"".join(runs)}"/></svg>')
