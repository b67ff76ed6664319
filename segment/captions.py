"""What a caption file made by `segpack align` was made from, so anyone can tell it is stale.

The first NOTE of such a WebVTT file names the text and audio it was aligned from:

    NOTE segpack align 2: text 3f2a..., audio 9c41..., voice en-gb, match 0.81

`text` hashes the transcript, its language and the chapter anchors (what the cues depend on);
`audio` the audio file's SHA-256. `align` compares both (and the voice) to skip unchanged work;
`validate` compares the text key alone (no audio read, no aligner needed) and warns when the
transcript was edited after the captions were made (SEG507).

>>> key = text_key("One. Two.", "en", (5,))
>>> parse_note("NOTE " + note_line(key, "ab12", "en-gb", 0.8)) == (key, "ab12", "en-gb")
True
>>> parse_note("WEBVTT\\n\\n00:00.000 --> 00:01.000\\nhand-made") is None
True
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from segment.userfiles import open_regular

FORMAT = 2
"""Bumped when the aligner changes what it writes for the same inputs."""
_NOTE = re.compile(r"^NOTE segpack align (\d+): text (\w+), audio (\w+), voice (\S+?),", re.M)


def aligned_in_build(show_captions: str | None, captions: object, audio_file: object,
                     transcript: object, links: object = ()) -> bool:
    """True when `build` times this segment itself (show.yaml `captions: align`, and the
    segment has audio and text but no captions: no `captions:` file and, among `links` (its
    `transcripts:`, as models or plain data), none with rel captions): its anchored chapters
    then need no `start` (the build's alignment gives it).

    >>> aligned_in_build("align", None, "media/a.mp3", "Words.")
    True
    >>> aligned_in_build("align", None, "media/a.mp3", "Words.", [{"rel": "captions"}])
    False
    >>> aligned_in_build("keep", None, "media/a.mp3", "Words.")
    False
    """
    if isinstance(links, list | tuple) and any(
            (link.get("rel") if isinstance(link, dict) else getattr(link, "rel", None))
            == "captions" for link in links):
        return False
    return (show_captions == "align" and not captions and bool(audio_file)
            and isinstance(transcript, str) and bool(transcript.strip()))


def text_key(transcript: str, language: str, anchors: Sequence[int]) -> str:
    blob = "\x00".join([str(FORMAT), language, ",".join(map(str, anchors)), transcript])
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


def note_line(text: str, audio: str, voice: str, score: float) -> str:
    return f"segpack align {FORMAT}: text {text}, audio {audio}, voice {voice}, match {score:.2f}"


def parse_note(head: str) -> tuple[str, str, str] | None:
    """(text key, audio key, voice) from a caption file's start; None when not ours (or made
    by another FORMAT)."""
    match = _NOTE.search(head)
    if not match or int(match.group(1)) != FORMAT:
        return None
    return match.group(2), match.group(3), match.group(4)


MAX_CAPTIONS_BYTES = 20 * 1024 * 1024
"""Larger than any captions file of a news item (hours of cues are a few MB)."""


def captions_problem(path: Path) -> str | None:
    """Why a captions file cannot be published (None when it can): what `segpack build` needs
    to publish it, a UTF-8 WebVTT file starting `WEBVTT` or a SubRip file that parses, asked
    by validate as by build (SEG311). The path rules (SEG301/SEG302) come first."""
    from segment.userfiles import read_regular

    suffix = path.suffix.lower()
    if suffix not in (".vtt", ".srt"):
        return "captions must be a .vtt (WebVTT) or .srt (SubRip) file"
    try:
        text = read_regular(path, MAX_CAPTIONS_BYTES, what="a captions file").decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read the captions file: {exc}"
    if suffix == ".vtt":
        return None if text.startswith("WEBVTT") else "a WebVTT file must start with 'WEBVTT'"
    import srt

    try:
        list(srt.parse(text))
    except srt.SRTParseError as exc:
        return f"not a valid SubRip file: {exc}"
    return None


def read_note(path: Path) -> tuple[str, str, str] | None:
    try:
        with open_regular(path) as handle:  # a FIFO must not block (NotAFileError: None)
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return None
    return parse_note(head)
