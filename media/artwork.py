"""Artwork: what an image file is (format, size, colour mode), read safely.

Pillow opens only the header to learn the size, so a 20000 px image (or a decompression bomb)
is refused before any pixel is decoded. Podcast apps want JPEG or PNG, square, 1400-3000 px, RGB.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from media.oserrors import as_media_errors
from segment.errors import MediaError
from segment.scaffold import PLACEHOLDER_KEYWORD
from segment.userfiles import TooLarge, open_regular, read_regular

MAX_SIDE = 3000
MIN_SIDE = 1400
MAX_BYTES = 10 * 1024 * 1024
"""Largest artwork file embedded in tags (Apple asks for 512 KB show art; 10 MB is lenient)."""


@dataclass(frozen=True)
class ImageFacts:
    mime: str
    format: str
    width: int
    height: int
    mode: str
    depth: int
    placeholder: bool = False
    """The image carries the `segpack-placeholder` PNG text chunk: `segpack new` drew it."""

    def problems(self) -> list[str]:
        """What podcast apps would object to (empty when fine)."""
        found = []
        if self.format not in ("JPEG", "PNG"):
            found.append(f"is {self.format}, not JPEG or PNG")
        if self.width != self.height:
            found.append(f"is {self.width}x{self.height} px, not square")
        side = max(self.width, self.height)
        if not MIN_SIDE <= min(self.width, self.height) <= side <= MAX_SIDE:
            size = "" if found else f"is {self.width}x{self.height} px; "
            found.append(f"{size}podcast apps want {MIN_SIDE}-{MAX_SIDE} px a side")
        if self.mode not in ("RGB",):
            found.append(f"is in colour mode {self.mode}, not RGB")
        return found


def image_mime(data: bytes) -> str:
    """MIME type from the first bytes (JPEG, PNG, GIF, WebP); `image/jpeg` if unsure."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"GIF8"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"


ADVISED_BYTES = 512 * 1024
"""Show artwork larger than this is a warning (SEG408): NPR One and Spotify asked for 512 KB,
and Apple's guide asks for compressed artwork."""


def image_facts(data: bytes, name: str | Path = "artwork") -> ImageFacts:
    """Open only the header; MediaError when the bytes are not an image Pillow knows."""
    return _facts(io.BytesIO(data), data[:16], name)


def image_file_facts(path: Path) -> ImageFacts:
    """`image_facts` of a file, reading only as much of it as the header takes (Pillow opens
    lazily): a 10 MB cover costs a few KB of reading, and no pixel is decoded."""
    with as_media_errors(path, missing="artwork file not found",
                         directory="artwork is a directory, not an image file",
                         denied="artwork file cannot be read (permission denied)"), \
            open_regular(path, what="an image file") as handle:
        head = handle.read(16)
        handle.seek(0)
        return _facts(handle, head, path)


def _facts(stream: IO[bytes], head: bytes, name: str | Path) -> ImageFacts:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                fmt = image.format or "unknown"
                mode = image.mode
                width, height = image.size
                placeholder = PLACEHOLDER_KEYWORD in image.info  # text chunks before the pixels
    except Image.DecompressionBombError:
        raise MediaError(f"image has far too many pixels (decompression bomb guard); resize it "
                         f"to at most {MAX_SIDE} px", name) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise MediaError(f"not an image Pillow can read ({exc.__class__.__name__}); use a JPEG "
                         "or PNG file", name) from None
    depth = {"1": 1, "L": 8, "P": 8, "RGB": 24, "RGBA": 32, "CMYK": 32}.get(mode, 24)
    mime = Image.MIME.get(fmt, image_mime(head))
    return ImageFacts(mime, fmt, width, height, mode, depth, placeholder)


def load_artwork(path: Path) -> bytes:
    """Bytes of an artwork file for tagging; one-line MediaError when unusable."""
    with as_media_errors(path, missing="artwork file not found",
                         directory="artwork is a directory, not an image file",
                         denied="artwork file cannot be read (permission denied)"):
        try:
            data = read_regular(path, MAX_BYTES, what="an image file")
        except TooLarge as exc:
            raise MediaError(f"artwork is {exc.size / 1e6:.1f} MB; keep it under "
                             f"{MAX_BYTES // 2**20} MB (podcast apps want 1400-3000 px JPEG/PNG)",
                             path) from None
    facts = image_facts(data, path)
    if facts.format not in ("JPEG", "PNG"):
        raise MediaError(f"artwork is {facts.format}; embed JPEG or PNG", path)
    if max(facts.width, facts.height) > MAX_SIDE:
        raise MediaError(f"artwork is {facts.width}x{facts.height} px; resize it to at most "
                         f"{MAX_SIDE} px (podcast apps want {MIN_SIDE}-{MAX_SIDE} px)", path)
    return data
