"""Make the example show's artwork: examples/momentum-against-isil/art/cover.png.

    python scripts/make_show_artwork.py [OUTPUT.png]

What podcast directories ask of show artwork (Apple's RSS guide): a square 1400-3000 px JPEG or
PNG in RGB. This draws a 1400 x 1400 RGB PNG from shapes and a dot-matrix lettering defined
below, so no font of the machine (nor one bundled with Pillow, which changes between releases)
is involved: the same Pillow and zlib give the same bytes on every run.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from PIL import Image, ImageDraw

SIDE = 1400
OUTPUT = Path(__file__).resolve().parent.parent / "examples" / "momentum-against-isil" / \
    "art" / "cover.png"

BACKGROUND = (11, 37, 69)
BAND = (19, 64, 116)
BARS = (238, 180, 80)
INK = (255, 255, 255)

GLYPHS = {
    "A": ("01110", "10001", "10001", "11111", "10001", "10001", "10001"),
    "C": ("01111", "10000", "10000", "10000", "10000", "10000", "01111"),
    "E": ("11111", "10000", "10000", "11110", "10000", "10000", "11111"),
    "G": ("01111", "10000", "10000", "10111", "10001", "10001", "01111"),
    "K": ("10001", "10010", "10100", "11000", "10100", "10010", "10001"),
    "M": ("10001", "11011", "10101", "10101", "10001", "10001", "10001"),
    "N": ("10001", "11001", "10101", "10011", "10001", "10001", "10001"),
    "O": ("01110", "10001", "10001", "10001", "10001", "10001", "01110"),
    "P": ("11110", "10001", "10001", "11110", "10000", "10000", "10000"),
    "S": ("01111", "10000", "10000", "01110", "00001", "00001", "11110"),
    "T": ("11111", "00100", "00100", "00100", "00100", "00100", "00100"),
    "V": ("10001", "10001", "10001", "10001", "10001", "01010", "00100"),
    "L": ("10000", "10000", "10000", "10000", "10000", "10000", "11111"),
    "W": ("10001", "10001", "10001", "10101", "10101", "11011", "10001"),
    "X": ("10001", "10001", "01010", "00100", "01010", "10001", "10001"),
    " ": ("00000",) * 7,
}
"""A 5 x 7 dot-matrix alphabet: just the letters the cover needs."""


def lettering(draw: ImageDraw.ImageDraw, text: str, top: int, dot: int) -> None:
    """`text` centred horizontally at `top`, each dot a `dot`-pixel square."""
    advance = 6 * dot
    left = (SIDE - (len(text) * advance - dot)) // 2
    for index, char in enumerate(text):
        for row, bits in enumerate(GLYPHS[char]):
            for col, bit in enumerate(bits):
                if bit == "1":
                    x = left + index * advance + col * dot
                    y = top + row * dot
                    draw.rectangle((x, y, x + dot - 2, y + dot - 2), fill=INK)


def cover() -> Image.Image:
    image = Image.new("RGB", (SIDE, SIDE), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 520, SIDE, 900), fill=BAND)
    bars = 56
    width = SIDE // bars
    for n in range(bars):  # a sound wave: deterministic heights from two sines
        height = int(150 * abs(math.sin(n * 0.37)) * (0.55 + 0.45 * math.sin(n * 0.11)) + 12)
        x = n * width + width // 4
        draw.rectangle((x, 710 - height, x + width // 2, 710 + height), fill=BARS)
    lettering(draw, "VOA NEWS", 230, 24)
    lettering(draw, "SEGMENTS", 1010, 24)
    lettering(draw, "SEGPACK EXAMPLE", 1260, 12)
    return image


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else OUTPUT
    target.parent.mkdir(parents=True, exist_ok=True)
    cover().save(target, format="PNG", optimize=False, compress_level=9)
    print(f"{target}: {SIDE}x{SIDE} RGB PNG, {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
