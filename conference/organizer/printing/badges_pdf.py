"""Printed badges as PDF: 4 x 3 in inserts six to a US Letter page, or one 4 x 3 in badge a page for a
badge printer. The QR is drawn as filled rectangles straight into the page (crisp at any zoom, and
fast: one path a badge); long names and schools shrink, then wrap, and never leave their box."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from conference.attendees.states import state_name
from conference.badges.codes import display
from conference.badges.qr import dark_runs, qr_matrix

BADGE_W, BADGE_H = 4 * inch, 3 * inch
PAD = 14
QR_SIZE = 1.35 * inch
NAME_GAP = 8
MASK_PATTERN = 2  # any of the eight decodes the same (tests decode every printed code)
SHEET_COLUMNS, SHEET_ROWS = 2, 3
SHEET_LEFT = (letter[0] - SHEET_COLUMNS * BADGE_W) / 2      # 0.25 in
SHEET_TOP = (letter[1] - SHEET_ROWS * BADGE_H) / 2          # 1 in
ACCENT = (0x0B / 255, 0x4F / 255, 0x8A / 255)
MUTED = (0.27, 0.31, 0.35)

# Fonts with wide Latin coverage (García, Nguyễn, Ø...): DejaVu where the system has it, else the
# Bitstream Vera that ships inside reportlab.
_FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
]
REGULAR, BOLD = "BadgeSans", "BadgeSans-Bold"
CODE_FONT = "Courier-Bold"


def _register_fonts() -> None:
    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    for regular, bold in _FONT_CANDIDATES:
        if Path(regular).exists() and Path(bold).exists():
            break
    else:
        regular, bold = "Vera.ttf", "VeraBd.ttf"    # found on reportlab's own font path
    pdfmetrics.registerFont(TTFont(REGULAR, regular))
    pdfmetrics.registerFont(TTFont(BOLD, bold))


@dataclass
class BadgeData:
    name: str
    role: str
    school: str
    state: str
    code: str           # stored form; printed as XXXX-XXXX-XXXX
    url: str            # what the QR holds
    conference: str = ""
    attendee_id: int = 0  # whose badge: the stored PDF goes when they do


@dataclass
class TextBlock:
    lines: list[str]
    size: float
    font: str

    @property
    def leading(self) -> float:
        return self.size * 1.15

    @property
    def height(self) -> float:
        return self.leading * len(self.lines)


def width_of(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _break_word(word: str, font: str, size: float, width: float) -> list[str]:
    """A word too long for a line: broken after a hyphen where possible, else between characters."""
    pieces: list[str] = []
    while width_of(word, font, size) > width:
        cut = len(word)
        while cut > 1 and width_of(word[:cut], font, size) > width:
            cut -= 1
        hyphen = word.rfind("-", 0, cut)
        if hyphen > 0:
            cut = hyphen + 1
        pieces.append(word[:cut])
        word = word[cut:]
    return pieces + ([word] if word else [])


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a single word too long for the line is broken."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if width_of(trial, font, size) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        *full, current = _break_word(word, font, size, width)
        lines.extend(full)
    if current:
        lines.append(current)
    return lines


def fit(text: str, font: str, width: float, largest: float, smallest: float, max_height: float) -> TextBlock:
    """The largest size (from `largest` down to `smallest`) at which `text`, wrapped to `width`,
    stays within `max_height`; at the smallest size, what still does not fit ends with an ellipsis."""
    text = " ".join((text or "").split())
    if not text:
        return TextBlock([], smallest, font)
    size = largest
    while size >= smallest:
        block = TextBlock(wrap(text, font, size, width), size, font)
        if block.height <= max_height + 0.01:
            return block
        size -= 0.5
    block = TextBlock(wrap(text, font, smallest, width), smallest, font)
    keep = max(1, int((max_height + 0.01) // block.leading))
    if len(block.lines) > keep:
        lines = block.lines[:keep]
        last = lines[-1]
        while last and width_of(last + "…", font, smallest) > width:
            last = last[:-1].rstrip()
        lines[-1] = last + "…"
        block.lines = lines
    return block


@dataclass
class BadgeLayout:
    """Where each piece of one badge goes, relative to its lower-left corner (points)."""
    conference: TextBlock
    name: TextBlock
    role: TextBlock
    school: TextBlock
    state: TextBlock
    code: TextBlock
    text_width: float
    name_width: float


def layout(badge: BadgeData) -> BadgeLayout:
    """Sizes and lines for every text on a badge. The name gets the band above the QR code; role,
    school and state share the column beside it."""
    _register_fonts()
    name_width = BADGE_W - 2 * PAD
    text_width = BADGE_W - 2 * PAD - QR_SIZE - 12
    conference = fit(badge.conference, BOLD, name_width, 9, 7, 9 * 1.15)
    code = fit(display(badge.code), CODE_FONT, QR_SIZE + 8, 12, 7, 12 * 1.15)
    qr_top = PAD + code.leading + 2 + QR_SIZE
    name_room = BADGE_H - PAD - (conference.leading + 4 if conference.lines else 0) - NAME_GAP - qr_top
    column = qr_top - PAD
    role = fit(badge.role, BOLD, text_width, 13, 8, 13 * 1.15 * 2)
    state = fit(state_name(badge.state), REGULAR, text_width, 11, 7.5, 11 * 1.15)
    school_room = column - role.height - state.height - 10
    return BadgeLayout(conference=conference, name=fit(badge.name, BOLD, name_width, 30, 10, name_room),
                       role=role, school=fit(badge.school, REGULAR, text_width, 12, 7.5, min(school_room, 45)),
                       state=state, code=code, text_width=text_width, name_width=name_width)


def badge_matrix(url: str) -> list[list[bool]]:
    """The QR modules for a printed badge: the same data and error correction as the phone badge,
    with a fixed mask pattern (choosing the best-looking of all eight would cost most of the time of
    a large PDF)."""
    return qr_matrix(url, border=0, mask_pattern=MASK_PATTERN)


def qr_path(matrix: list[list[bool]], x: float, y: float, size: float) -> str:
    """PDF operators filling the dark modules, one rectangle per horizontal run: `x y w h re` ... `f`."""
    module = size / len(matrix)
    ops = [f"{x + start * module:.3f} {y + size - (row + 1) * module:.3f} {length * module:.3f} {module:.3f} re"
           for row, start, length in dark_runs(matrix)]
    return "0 g\n" + "\n".join(ops) + "\nf\n"


def draw_badge(canvas: Canvas, x: float, y: float, badge: BadgeData) -> None:
    """One badge with its lower-left corner at (x, y)."""
    spec = layout(badge)
    top = y + BADGE_H - PAD
    if spec.conference.lines:
        canvas.setFillColorRGB(*ACCENT)
        canvas.setFont(spec.conference.font, spec.conference.size)
        canvas.drawString(x + PAD, top - spec.conference.size, spec.conference.lines[0])
        top -= spec.conference.leading + 4
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(spec.name.font, spec.name.size)
    for line in spec.name.lines:
        top -= spec.name.size
        canvas.drawString(x + PAD, top, line)
        top -= spec.name.leading - spec.name.size
    top -= NAME_GAP
    qr_x = x + BADGE_W - PAD - QR_SIZE
    qr_y = y + PAD + spec.code.leading + 2
    canvas.addLiteral(qr_path(badge_matrix(badge.url), qr_x, qr_y, QR_SIZE))
    canvas.setFont(spec.code.font, spec.code.size)
    canvas.drawCentredString(qr_x + QR_SIZE / 2, y + PAD, spec.code.lines[0])
    text_top = min(top, qr_y + QR_SIZE)
    for block, colour in ((spec.role, (0, 0, 0)), (spec.school, (0.1, 0.1, 0.1)), (spec.state, MUTED)):
        if not block.lines:
            continue
        canvas.setFillColorRGB(*colour)
        canvas.setFont(block.font, block.size)
        for line in block.lines:
            text_top -= block.size
            if text_top < y + PAD:
                break
            canvas.drawString(x + PAD, text_top, line)
            text_top -= block.leading - block.size
        text_top -= 5
    canvas.setFillColorRGB(0, 0, 0)


def _crop_marks(canvas: Canvas) -> None:
    """Short grey marks in the margins where to cut plain paper (perforated stock ignores them)."""
    canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
    canvas.setLineWidth(0.4)
    page_w, page_h = letter
    for column in range(SHEET_COLUMNS + 1):
        x = SHEET_LEFT + column * BADGE_W
        canvas.line(x, page_h - SHEET_TOP + 6, x, page_h - SHEET_TOP + 24)
        canvas.line(x, SHEET_TOP - 6, x, SHEET_TOP - 24)
    for row in range(SHEET_ROWS + 1):
        y = SHEET_TOP + row * BADGE_H
        canvas.line(2, y, SHEET_LEFT - 4, y)
        canvas.line(page_w - SHEET_LEFT + 4, y, page_w - 2, y)


def sheet_position(index: int) -> tuple[float, float]:
    """Lower-left corner of the index-th badge on a sheet (left to right, top to bottom)."""
    column, row = index % SHEET_COLUMNS, (index // SHEET_COLUMNS) % SHEET_ROWS
    return SHEET_LEFT + column * BADGE_W, letter[1] - SHEET_TOP - (row + 1) * BADGE_H


def write_badges(badges: Iterable[BadgeData], out: str | Path | BinaryIO, layout_name: str = "sheet",
                 title: str = "Badges", progress: Callable[[int], None] | None = None) -> int:
    """Write the PDF to `out`; returns how many badges it holds. `progress(done)` after each badge."""
    _register_fonts()
    size = letter if layout_name == "sheet" else (BADGE_W, BADGE_H)
    canvas = Canvas(out if not isinstance(out, Path) else str(out), pagesize=size, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor("PLN Connect")
    per_page = SHEET_COLUMNS * SHEET_ROWS if layout_name == "sheet" else 1
    count = 0
    for badge in badges:
        slot = count % per_page
        if count and slot == 0:
            canvas.showPage()
        if layout_name == "sheet":
            if slot == 0:
                _crop_marks(canvas)
            draw_badge(canvas, *sheet_position(slot), badge)
        else:
            draw_badge(canvas, 0, 0, badge)
        count += 1
        if progress:
            progress(count)
    if count == 0:
        canvas.setFont(REGULAR, 14)
        canvas.drawString(PAD, size[1] / 2, "No badges were chosen.")
    canvas.showPage()
    canvas.save()
    return count
