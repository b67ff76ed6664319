"""Make the example show's artwork: examples/momentum-against-isil/art/cover.png.

    python scripts/make_show_artwork.py [OUTPUT.png]

The drawing is `media.placeholder.draw_cover` (shapes and a dot-matrix lettering, no fonts),
the same code that draws the placeholder `segpack new` gives a show: the same Pillow and zlib
give the committed bytes on every run (a test checks it).
"""

from __future__ import annotations

import sys
from pathlib import Path

from media.placeholder import Lettering, Palette, draw_cover, png_bytes

OUTPUT = Path(__file__).resolve().parent.parent / "examples" / "momentum-against-isil" / \
    "art" / "cover.png"

PALETTE = Palette(background=(11, 37, 69), band=(19, 64, 116), bars=(238, 180, 80),
                  ink=(255, 255, 255))
LINES = [Lettering("VOA NEWS", 230, 24), Lettering("SEGMENTS", 1010, 24),
         Lettering("SEGPACK EXAMPLE", 1260, 12)]


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else OUTPUT
    target.parent.mkdir(parents=True, exist_ok=True)
    image = draw_cover(LINES, PALETTE)
    target.write_bytes(png_bytes(image))
    print(f"{target}: {image.width}x{image.height} RGB PNG, {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
