"""Lying headers and zero padding (issue 18, item 13): the duration published is the audio's,
and a file that is mostly zeros after its audio is refused before it becomes an enclosure."""

from __future__ import annotations

import hashlib

import mutagen
import pytest

from media.ffmpeg import run_ffmpeg
from media.probe import probe
from segment.errors import MediaError


def forty_seconds(path, *, xing: bool = True):
    """40 s of tone as a 32 kbit/s mono MP3 (160 KB), with or without a Xing/Info header."""
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=40", "-ac", "1", "-c:a",
                "libmp3lame", "-b:a", "32k", "-write_xing", "1" if xing else "0",
                "-map_metadata", "-1", str(path)])
    return path


def claim_frames(path, frames: int) -> None:
    """Rewrite the frame count of the Xing/Info header (a lying header, as some tools write)."""
    data = bytearray(path.read_bytes())
    at = max(data.find(b"Xing"), data.find(b"Info"))
    assert at > 0 and data[at + 7] & 1, "the header carries a frame count"
    data[at + 8:at + 12] = frames.to_bytes(4, "big")
    path.write_bytes(bytes(data))


@pytest.mark.ffmpeg
def test_a_header_claiming_ten_hours_for_forty_seconds_is_decoded(tmp_path):
    path = forty_seconds(tmp_path / "liar.mp3")
    claim_frames(path, 36000 * 44100 // 1152)  # 10 h of 1152-sample frames
    assert mutagen.File(path).info.length == pytest.approx(36000, abs=1)  # the lie
    for accurate in (False, True):  # header and size disagree: decoded either way
        info = probe(path, accurate=accurate)
        assert info.duration == pytest.approx(40, abs=0.1)
        assert info.duration_source == "decoded"
        assert info.bitrate == pytest.approx(32000, rel=0.05)


def test_an_honest_header_is_not_decoded(tmp_path):
    info = probe(forty_seconds(tmp_path / "honest.mp3"), accurate=True)
    assert (info.duration_source, round(info.duration)) == ("header", 40)


@pytest.mark.parametrize("xing", [True, False], ids=["xing", "no-xing"])
def test_audio_followed_by_two_gigabytes_of_zeros_is_refused(tmp_path, xing):
    path = forty_seconds(tmp_path / "padded.mp3", xing=xing)
    audio = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(2 * 1024 ** 3)  # sparse: the zeros take no disk space
    before = fingerprint(path)
    with pytest.raises(MediaError) as caught:
        probe(path, accurate=True)
    message = str(caught.value)
    assert "padded.mp3: 2.15 GB file, but its last 2.15 GB (100%) are zeros after " \
        f"{audio / 1000:.3g} KB of audio" in message and "re-export" in message
    assert "\n" not in message
    assert fingerprint(path) == before  # read, never written


def test_a_little_padding_is_no_padding(tmp_path):
    path = forty_seconds(tmp_path / "sector.mp3")
    with open(path, "ab") as handle:
        handle.write(bytes(4096))  # tools pad to a sector: not worth a word
    info = probe(path)
    assert (info.duration_source, round(info.duration)) == ("header", 40)


def fingerprint(path) -> tuple[int, int, str]:
    """Size, mtime and a hash of the audio part: what any write would change (hashing the
    whole 2 GB would cost seconds)."""
    stat = path.stat()
    with open(path, "rb") as handle:
        head = handle.read(1 << 20)
    return stat.st_size, stat.st_mtime_ns, hashlib.sha256(head).hexdigest()


def test_a_cover_in_an_apev2_tag_is_not_taken_for_padding(tmp_path):
    """2 MB of cover art in an APEv2 tag after 40 s of 32 kbit/s audio (as foobar2000 can
    write): tag bytes, not audio, so the file is neither refused nor decoded."""
    from mutagen.apev2 import BINARY, APEv2, APEValue

    path = forty_seconds(tmp_path / "ape.mp3")
    tag = APEv2()
    tag["Cover Art (Front)"] = APEValue(b"cover.jpg\0" + bytes(range(256)) * 8192, BINARY)
    tag.save(path)
    info = probe(path)
    assert (info.duration_source, round(info.duration)) == ("header", 40)


def test_audio_then_data_that_is_not_audio_is_refused(tmp_path):
    """40 s of MP3 and then 3 MB no decoder takes for frames (zeros followed by an ID3v1 tag
    are caught by the padding check; this is what is left): the decoded 40 s cannot account
    for 3 MB at any bitrate MP3 encoders use."""
    path = forty_seconds(tmp_path / "junk.mp3")
    with open(path, "ab") as handle:
        handle.write(b"\xa5\x5a" * 1_500_000)
    with pytest.raises(MediaError) as caught:
        probe(path)
    assert "of audio fill at most 1.65 MB: the rest is padding or data that is not audio" in \
        str(caught.value)
