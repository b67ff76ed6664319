"""Helpers shared by the probe/tagging/media CLI tests: a full segment, artwork, payload hashes."""

from __future__ import annotations

import hashlib
import io
import struct
import tempfile
import zlib
from pathlib import Path

from media.ffmpeg import run_ffmpeg
from segment.manifest import render_manifest
from segment.models import Segment, Show

CONTAINERS = [".mp3", ".m4a", ".ogg", ".opus", ".flac"]

TRANSCRIPT = ("At a recent press conference, the Secretary confirmed it — “quoted”, ünïcödé.\n\n"
              "Second paragraph: 日本語 too.")

META = {
    "id": "test-item", "title": "Momentum Against ISIL Builds — ü", "summary": "A summary.",
    "duration": "3:41", "language": "en",
    "audio": {"file": "media/test-item.mp3", "direct_link": "https://example.org/a/x.mp3"},
    "source": {"url": "https://example.org/a/page.html", "publisher": "VOA"},
    "published": "2016-03-28T14:00:00+02:00", "authors": ["Alice A.", "Bob B."],
    "season": 2, "episode": 7, "copyright": "Public domain", "license": "CC0-1.0",
    "chapters": [{"start": 0, "title": "Intro"},
                 {"start": "1:00", "title": "Middle", "url": "https://example.org/c"},
                 {"start": "2:30.5", "title": "End", "end": "3:40"}],
}


def segment(**changes) -> Segment:
    return Segment.model_validate({**META, "transcript": TRANSCRIPT, **changes})


def show() -> Show:
    return Show.model_validate({"title": "The Show", "description": "About it.",
                                "language": "en", "feed_url": "https://example.org/feed.xml"})


def write_manifest(folder: Path, **changes) -> Path:
    meta = {**META, **changes}
    path = folder / "segments" / f"{meta['id']}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_manifest(meta, TRANSCRIPT), encoding="utf-8")
    (folder / "show.yaml").write_text(
        "title: The Show\ndescription: About it.\nlanguage: en\n"
        "feed_url: https://example.org/feed.xml\n", encoding="utf-8")
    return path


def png(side: int = 1400, mode: str = "RGB") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, (side, side), "red" if mode == "RGB" else 0).save(buffer, "PNG")
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A 1x1 PNG whose header claims another size (a huge image without the memory)."""
    data = bytearray(png(1))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4:ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr:ihdr + 17]))
    data[ihdr + 17:ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def payload_hash(path: Path) -> str:
    """MD5 of the audio packets as ffmpeg demuxes them (tags and container layout excluded)."""
    done = run_ffmpeg(["-i", str(path), "-map", "0:a", "-c", "copy", "-f", "md5", "-"])
    return done.stdout.decode().strip()


def payload_hashes(paths: list[Path]) -> list[str]:
    """`payload_hash` of each file, from one ffmpeg run (an md5 output per input): forty files
    cost one process start, not forty."""
    with tempfile.TemporaryDirectory(prefix="segpack-md5-") as tmp:
        args = [arg for path in paths for arg in ("-i", str(path))]
        for index in range(len(paths)):
            args += ["-map", f"{index}:a", "-c", "copy", "-f", "md5", f"{tmp}/{index}.md5"]
        run_ffmpeg(args)
        return [Path(tmp, f"{index}.md5").read_text().strip() for index in range(len(paths))]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ffmetadata(path: Path) -> dict[str, str]:
    """Global (or, for Ogg, first stream's) metadata as ffmpeg's own reader sees it."""
    ogg = path.read_bytes()[:4] == b"OggS"
    args = ["-i", str(path), *(["-map_metadata", "0:s:0"] if ogg else []), "-f", "ffmetadata",
            "-"]
    text = run_ffmpeg(args).stdout.decode("utf-8").replace("\\\n", "\n")
    out: dict[str, str] = {}
    for line in text.split("\n[CHAPTER]")[0].splitlines()[1:]:
        key, _, value = line.partition("=")
        out.setdefault(key.lower(), value)
    return out
