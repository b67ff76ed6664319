"""Probe: container by content, duration and its source, technical facts, one-line errors."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from media.ffmpeg import run_ffmpeg
from media.probe import probe, sniff
from segment.errors import MediaError

pytestmark = pytest.mark.ffmpeg  # rerun against every ffmpeg of the matrix (.ci/run)

EXPECTED = {".mp3": ("mp3", "mp3", "audio/mpeg"), ".m4a": ("mp4", "aac", "audio/x-m4a"),
            ".ogg": ("ogg-vorbis", "vorbis", "audio/ogg"),
            ".opus": ("ogg-opus", "opus", "audio/ogg"), ".flac": ("flac", "flac", "audio/flac"),
            ".wav": ("wav", "pcm", "audio/wav")}


@pytest.mark.parametrize("suffix", list(EXPECTED))
def test_probe_each_container(tone, suffix):
    path = tone(suffix, seconds=1.0)
    info = probe(path)
    assert (info.container, info.codec, info.mime) == EXPECTED[suffix]
    assert info.duration == pytest.approx(1.0, abs=0.1)
    assert info.duration_source == "header"
    assert info.sample_rate in (44100, 48000)
    # an MP4 sample entry's channel count is a template field (ISO 14496-12 says 2), which
    # ffmpeg before 6 writes as 2 even for mono AAC; mutagen falls back to it when the AAC
    # config leaves parametric stereo open, so such files read as stereo (issue 15's matrix)
    assert info.channels == 1 or (suffix == ".m4a" and info.channels == 2)
    assert info.size == path.stat().st_size
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.bitrate and info.bitrate > 0
    assert info.as_dict()["container"] == info.container


def test_container_comes_from_content_not_name(tone, tmp_path):
    mp3 = tone(".mp3")
    disguised = tmp_path / "really-an-mp3.m4a"
    shutil.copyfile(mp3, disguised)
    assert sniff(disguised) == "mp3"
    assert probe(disguised).mime == "audio/mpeg"


def test_estimated_duration_is_labelled_and_decoding_corrects_it(tmp_path):
    path = tmp_path / "noxing.mp3"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "libmp3lame",
                "-b:a", "64k", "-write_xing", "0", str(path)])
    quick = probe(path)
    assert quick.duration_source == "estimate"
    exact = probe(path, accurate=True)
    assert exact.duration_source == "decoded"
    assert exact.duration == pytest.approx(2.0, abs=0.05)


def bad_inputs(tmp_path, tone):
    text = tmp_path / "notes.mp3"
    text.write_text("this is a text file\n")
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    whole = tone(".mp3", seconds=3.0)
    truncated = tmp_path / "truncated.mp3"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    aiff = tmp_path / "tone.aiff"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=duration=0.2", str(aiff)])
    webm = tmp_path / "x.opus"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=duration=0.2", "-c:a", "libopus", "-f", "webm",
                str(webm)])
    return {"text": (text, "text file"), "empty": (empty, "empty"),
            "truncated": (truncated, "truncated"), "aiff": (aiff, "AIFF"),
            "webm": (webm, "Matroska"), "missing": (tmp_path / "nope.mp3", "not found"),
            "folder": (tmp_path, "directory")}


def test_bad_inputs_are_one_line_errors_naming_the_file(tmp_path, tone):
    for name, (path, words) in bad_inputs(tmp_path, tone).items():
        with pytest.raises(MediaError) as caught:
            probe(path)
        message = str(caught.value)
        assert str(path) in message and words in message, name
        assert "\n" not in message


def test_shared_fixtures_probe(shared_fixtures, tmp_path):
    for source in sorted((shared_fixtures / "audio").iterdir()):
        path = tmp_path / source.name
        shutil.copyfile(source, path)
        if source.name == "mutagen-nero-chapters.m4b":  # mutagen's test file, audio cut out:
            with pytest.raises(MediaError, match=r"header claims 46:57:03 of audio, which its "
                               r"8\d(\.\d)? KB cannot hold, and ffmpeg finds no audio"):
                probe(path)  # its 80 KB cannot hold the 47 h its header claims
            continue
        info = probe(path)
        assert info.duration > 0, source.name
        assert info.container in ("mp3", "mp4", "ogg-opus", "flac")

