"""Cover art drawn from shapes: the placeholder `segpack new` gives a show, and the example
show's cover (`scripts/make_show_artwork.py`).

What podcast directories ask of show artwork (Apple's RSS guide): a square 1400-3000 px JPEG or
PNG in RGB. These covers are 1400 x 1400 RGB PNGs drawn from rectangles and a 5 x 7 dot-matrix
lettering defined here, so no font of the machine (nor one bundled with Pillow, which changes
between releases) is involved: the same Pillow and zlib give the same bytes on every run.

The placeholder says PLACEHOLDER on its face, and carries a `segpack-placeholder` PNG text
chunk (`scaffold.PLACEHOLDER_KEYWORD`, read by `validate --media` from the header) so that a
copy under another name is still recognised; plain `validate` knows it by its file name (SEG415).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from segment.scaffold import PLACEHOLDER_KEYWORD

SIDE = 1400

GLYPHS = {
    "A": ("01110", "10001", "10001", "11111", "10001", "10001", "10001"),
    "B": ("11110", "10001", "10001", "11110", "10001", "10001", "11110"),
    "C": ("01111", "10000", "10000", "10000", "10000", "10000", "01111"),
    "D": ("11110", "10001", "10001", "10001", "10001", "10001", "11110"),
    "E": ("11111", "10000", "10000", "11110", "10000", "10000", "11111"),
    "F": ("11111", "10000", "10000", "11110", "10000", "10000", "10000"),
    "G": ("01111", "10000", "10000", "10111", "10001", "10001", "01111"),
    "H": ("10001", "10001", "10001", "11111", "10001", "10001", "10001"),
    "I": ("01110", "00100", "00100", "00100", "00100", "00100", "01110"),
    "J": ("00111", "00010", "00010", "00010", "00010", "10010", "01100"),
    "K": ("10001", "10010", "10100", "11000", "10100", "10010", "10001"),
    "L": ("10000", "10000", "10000", "10000", "10000", "10000", "11111"),
    "M": ("10001", "11011", "10101", "10101", "10001", "10001", "10001"),
    "N": ("10001", "11001", "10101", "10011", "10001", "10001", "10001"),
    "O": ("01110", "10001", "10001", "10001", "10001", "10001", "01110"),
    "P": ("11110", "10001", "10001", "11110", "10000", "10000", "10000"),
    "Q": ("01110", "10001", "10001", "10001", "10101", "10010", "01101"),
    "R": ("11110", "10001", "10001", "11110", "10100", "10010", "10001"),
    "S": ("01111", "10000", "10000", "01110", "00001", "00001", "11110"),
    "T": ("11111", "00100", "00100", "00100", "00100", "00100", "00100"),
    "U": ("10001", "10001", "10001", "10001", "10001", "10001", "01110"),
    "V": ("10001", "10001", "10001", "10001", "10001", "01010", "00100"),
    "W": ("10001", "10001", "10001", "10101", "10101", "11011", "10001"),
    "X": ("10001", "10001", "01010", "00100", "01010", "10001", "10001"),
    "Y": ("10001", "10001", "01010", "00100", "00100", "00100", "00100"),
    "Z": ("11111", "00001", "00010", "00100", "01000", "10000", "11111"),
    "0": ("01110", "10001", "10011", "10101", "11001", "10001", "01110"),
    "1": ("00100", "01100", "00100", "00100", "00100", "00100", "01110"),
    "2": ("01110", "10001", "00001", "00010", "00100", "01000", "11111"),
    "3": ("11110", "00001", "00001", "01110", "00001", "00001", "11110"),
    "4": ("00010", "00110", "01010", "10010", "11111", "00010", "00010"),
    "5": ("11111", "10000", "11110", "00001", "00001", "10001", "01110"),
    "6": ("00110", "01000", "10000", "11110", "10001", "10001", "01110"),
    "7": ("11111", "00001", "00010", "00100", "01000", "01000", "01000"),
    "8": ("01110", "10001", "10001", "01110", "10001", "10001", "01110"),
    "9": ("01110", "10001", "10001", "01111", "00001", "00010", "01100"),
    " ": ("00000",) * 7,
}
"""A 5 x 7 dot-matrix alphabet: capital letters, digits and the space."""


@dataclass(frozen=True)
class Palette:
    background: tuple[int, int, int]
    band: tuple[int, int, int]
    bars: tuple[int, int, int]
    ink: tuple[int, int, int]


@dataclass(frozen=True)
class Lettering:
    """One line of dot-matrix text, centred: `top` in pixels, each dot `dot` pixels square."""

    text: str
    top: int
    dot: int


PLACEHOLDER_PALETTE = Palette(background=(64, 64, 64), band=(88, 88, 88), bars=(176, 176, 176),
                              ink=(255, 255, 255))
"""Greys: a placeholder should look like one, not like a show's brand."""


def _letter(draw: ImageDraw.ImageDraw, line: Lettering, ink: tuple[int, int, int]) -> None:
    advance = 6 * line.dot
    left = (SIDE - (len(line.text) * advance - line.dot)) // 2
    for index, char in enumerate(line.text):
        for row, bits in enumerate(GLYPHS[char]):
            for col, bit in enumerate(bits):
                if bit == "1":
                    x = left + index * advance + col * line.dot
                    y = line.top + row * line.dot
                    draw.rectangle((x, y, x + line.dot - 2, y + line.dot - 2), fill=ink)


def draw_cover(lines: Sequence[Lettering], palette: Palette) -> Image.Image:
    """A square cover: background, a band across the middle holding a sound wave (bar
    heights from two sines, so the same on every run), and `lines` of lettering."""
    for line in lines:
        unknown = sorted(set(line.text) - set(GLYPHS))
        if unknown or len(line.text) * 6 * line.dot - line.dot > SIDE:
            raise ValueError(f"cannot letter {line.text!r} at {line.dot} px a dot"
                             + (f" (no glyph for {''.join(unknown)!r})" if unknown else ""))
    image = Image.new("RGB", (SIDE, SIDE), palette.background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 520, SIDE, 900), fill=palette.band)
    bars = 56
    width = SIDE // bars
    for n in range(bars):
        height = int(150 * abs(math.sin(n * 0.37)) * (0.55 + 0.45 * math.sin(n * 0.11)) + 12)
        x = n * width + width // 4
        draw.rectangle((x, 710 - height, x + width // 2, 710 + height), fill=palette.bars)
    for line in lines:
        _letter(draw, line, palette.ink)
    return image


def png_bytes(image: Image.Image, text: dict[str, str] | None = None) -> bytes:
    """`image` as PNG, compressed the same way every time; `text` as tEXt chunks, written
    before the image data so that reading the header finds them."""
    info = None
    if text:
        info = PngInfo()
        for key, value in text.items():
            info.add_text(key, value)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=9, pnginfo=info)
    return out.getvalue()


def initials(title: str, most: int = 3) -> str:
    """The first letter or digit of the title's first `most` words, as the lettering has them
    ('' when none can be drawn: a title in another script gets the bare mark).

    >>> initials("My News Show")
    'MNS'
    >>> initials("the 9 o'clock report, weekend edition")
    'T9O'
    >>> initials("Новости")
    ''
    """
    words = re.findall(r"[^\W_]+", title.upper())
    return "".join(w[0] for w in words if w[0] in GLYPHS)[:most]


def placeholder_png(title: str) -> bytes:
    """The placeholder cover `segpack new` writes: the show's initials, the word PLACEHOLDER,
    and a PNG text chunk saying what it is. The same title gives the same bytes."""
    lines = [Lettering("PLACEHOLDER", 1010, 18),
             Lettering("REPLACE BEFORE PUBLISHING", 1220, 8)]
    mark = initials(title)
    if mark:
        lines.insert(0, Lettering(mark, 120, 40))
    return png_bytes(draw_cover(lines, PLACEHOLDER_PALETTE), {
        PLACEHOLDER_KEYWORD: "artwork drawn by segpack new; replace it with the show's own "
                             "before submitting the feed to podcast directories"})
