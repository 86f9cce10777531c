"""Draw the app icons (static/icons/*.png) from the shapes of static/icon.svg, with the standard library only.

Run once after changing the icon: `python tools/make_icons.py`. The PNGs are committed.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
BLUE = (0x0B, 0x4F, 0x8A)
WHITE = (0xFF, 0xFF, 0xFF)

# static/icon.svg on its 64-unit grid: three finder rings and four small squares.
RINGS = [(12, 12), (36, 12), (12, 36)]             # outer 16 units, hole 8 units inset by 4
SQUARES = [(36, 36), (46, 36), (36, 46), (46, 46)]  # 6 units


def glyph(x: float, y: float) -> bool:
    for rx, ry in RINGS:
        if rx <= x < rx + 16 and ry <= y < ry + 16 and not (rx + 4 <= x < rx + 12 and ry + 4 <= y < ry + 12):
            return True
    return any(sx <= x < sx + 6 and sy <= y < sy + 6 for sx, sy in SQUARES)


def inside_rounded(x: float, y: float, radius: float) -> bool:
    cx = min(max(x, radius), 64 - radius)
    cy = min(max(y, radius), 64 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def draw(size: int, maskable: bool, samples: int = 4) -> bytes:
    """RGBA rows. Maskable icons fill the square and keep the glyph inside the 80% safe circle."""
    rows = []
    scale = 64 / size
    # The glyph spans 12..52 (40 units); a maskable icon shrinks it to 52% of the side around the centre.
    shrink = (0.52 * 64) / 40 if maskable else 1.0
    for py in range(size):
        row = bytearray([0])  # PNG filter: none
        for px in range(size):
            background = fore = 0
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + .5) / samples) * scale
                    y = (py + (sy + .5) / samples) * scale
                    if maskable or inside_rounded(x, y, 14):
                        background += 1
                        gx, gy = 32 + (x - 32) / shrink, 32 + (y - 32) / shrink
                        fore += glyph(gx, gy)
            total = samples * samples
            if background == 0:
                row += bytes(4)
                continue
            mix = fore / background
            colour = [round(b + (w - b) * mix) for b, w in zip(BLUE, WHITE)]
            row += bytes(colour + [round(255 * background / total)])
        rows.append(bytes(row))
    return b"".join(rows)


def png(size: int, rgba_rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rgba_rows, 9))
            + chunk(b"IEND", b""))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in [("icon-192.png", 192, False), ("icon-512.png", 512, False),
                                 ("maskable-192.png", 192, True), ("maskable-512.png", 512, True),
                                 ("apple-touch-icon.png", 180, True)]:
        (OUT / name).write_bytes(png(size, draw(size, maskable)))
        print(name, size)


if __name__ == "__main__":
    main()
