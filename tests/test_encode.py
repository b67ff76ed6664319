"""Encode, normalise and assemble with the real ffmpeg on small generated audio."""

from __future__ import annotations

import doctest
import os
from pathlib import Path

import mutagen
import pytest

import media.loudness
from media import assemble
from media.encode import codec_for, prepare, prepare_many, suffix_for
from media.ffmpeg import run_ffmpeg
from media.loudness import measure
from segment.errors import MediaError, ToolError
from segment.models import AudioSettings

pytestmark = pytest.mark.ffmpeg  # rerun against every ffmpeg of the matrix (.ci/run)

NORMALISE_MP3 = AudioSettings(encode="mp3", bitrate="64k", normalise=True)


def generate(path, expression: str, seconds: float):
    """Audio from an ffmpeg `aevalsrc` expression (mono, 44.1 kHz WAV)."""
    run_ffmpeg(["-f", "lavfi", "-i", f"aevalsrc={expression}:s=44100:d={seconds}",
                "-c:a", "pcm_s16le", str(path)])
    return path


def test_loudness_parsers_doctests():
    assert doctest.testmod(media.loudness).failed == 0


@pytest.mark.parametrize(("channels", "target"), [(1, -19.0), (2, -16.0)])
def test_quiet_tone_reaches_the_target_without_the_limiter(tone, tmp_path, channels, target):
    src = tone(".wav", seconds=3.0, channels=channels)
    report = prepare(src, tmp_path / "out.mp3", NORMALISE_MP3)
    assert report.before.integrated < target  # it had to be turned up
    assert report.target_lufs == target
    assert abs(report.after.integrated - target) <= 1.0
    assert not report.limited
    again = measure(tmp_path / "out.mp3")  # a second, independent measurement of the file
    assert abs(again.integrated - target) <= 1.0
    assert again.channels == channels


def test_loud_peaks_are_limited_to_the_true_peak_ceiling(tmp_path):
    # quiet speech-like bed with sparse clicks at full scale: the gain would clip them
    src = generate(tmp_path / "peaky.wav",
                   r"0.05*sin(2*PI*440*t)+lt(mod(t\,1)\,0.002)*0.98*sin(2*PI*1000*t)", 4)
    dst = tmp_path / "out.mp3"
    report = prepare(src, dst, NORMALISE_MP3)
    assert report.before.true_peak > -1.0
    assert report.limited
    assert report.after.true_peak <= -1.0 + 0.3
    assert abs(report.after.integrated - -19.0) <= 1.0
    assert measure(dst).true_peak <= -1.0 + 0.3


@pytest.mark.parametrize(("encode", "suffix", "mime"), [("mp3", ".mp3", "audio/mp3"),
                                                         ("aac", ".m4a", "audio/mp4")])
def test_output_is_read_back_by_mutagen_and_ffmpeg_without_metadata(tone, tmp_path, encode,
                                                                     suffix, mime):
    src = tone(".flac", seconds=2.0, channels=2)
    dst = tmp_path / f"out{suffix}"
    report = prepare(src, dst, AudioSettings(encode=encode, bitrate="96k", normalise=True))
    assert report.codec == encode
    audio = mutagen.File(dst)
    assert mime in audio.mime
    assert audio.info.channels == 2
    assert abs(audio.info.length - 2.0) < 0.1
    assert not audio.tags  # no stray metadata: tagging happens afterwards
    duration, channels = assemble.header_facts(dst)
    assert channels == 2 and abs(duration - 2.0) < 0.1
    if encode == "mp3":
        assert dst.read_bytes()[:3] != b"ID3"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_encode_without_normalising_reports_no_loudness(tone, tmp_path):
    report = prepare(tone(".ogg", seconds=1.0), tmp_path / "out.mp3", AudioSettings(encode="mp3"))
    assert report.before is report.after is None
    assert mutagen.File(tmp_path / "out.mp3").info.channels == 1


def test_keep_without_work_copies_the_bytes(tone, tmp_path):
    src = tone(".mp3")
    report = prepare(src, tmp_path / "copy.mp3", AudioSettings())
    assert report.codec == "copy"
    assert (tmp_path / "copy.mp3").read_bytes() == src.read_bytes()


@pytest.mark.parametrize("existing", [False, True])
def test_unreadable_input_leaves_no_dst_and_no_temp_files(tmp_path, existing):
    src = tmp_path / "notes.mp3"
    src.write_text("this is a text file, not audio\n")
    out = tmp_path / "out"
    out.mkdir()
    dst = out / "result.mp3"
    if existing:
        dst.write_bytes(b"previous good file")
    with pytest.raises(MediaError) as caught:
        prepare(src, dst, NORMALISE_MP3)
    message = str(caught.value)
    assert "notes.mp3" in message and "\n" not in message
    assert [p.name for p in out.iterdir()] == (["result.mp3"] if existing else [])
    if existing:
        assert dst.read_bytes() == b"previous good file"


def test_missing_input_is_a_media_error(tmp_path):
    with pytest.raises(MediaError, match="not found"):
        prepare(tmp_path / "absent.wav", tmp_path / "out.mp3", NORMALISE_MP3)
    os.mkfifo(tmp_path / "fifo.wav")  # what it is, not "not found"; never opened (it would block)
    with pytest.raises(MediaError, match=r"is a named pipe \(FIFO\), not an audio file"):
        prepare(tmp_path / "fifo.wav", tmp_path / "out.mp3", NORMALISE_MP3)
    (tmp_path / "loop.wav").symlink_to("loop.wav")
    with pytest.raises(MediaError, match="is a symlink loop"):
        prepare(tmp_path / "loop.wav", tmp_path / "out.mp3", NORMALISE_MP3)
    assert not (tmp_path / "out.mp3").exists()


def test_intro_body_outro_lengths_add_up_and_silence_is_trimmed(tone, tmp_path):
    show = tmp_path / "show"
    (show / "stings").mkdir(parents=True)
    tone(".wav", seconds=1.0, name="show/stings/intro.wav")
    tone(".mp3", seconds=2.0, name="show/stings/outro.mp3")
    # 1 s silence, 2 s of tone, 1.5 s silence: trimming keeps the 2 s
    body = generate(tmp_path / "body.wav",
                    "between(t\\,1\\,3)*0.3*sin(2*PI*330*t)", 4.5)
    settings = AudioSettings(encode="mp3", bitrate="64k", intro="stings/intro.wav",
                             outro="stings/outro.mp3", trim_silence=True)
    dst = tmp_path / "assembled.mp3"
    prepare(body, dst, settings, show_dir=show)
    assert abs(mutagen.File(dst).info.length - (1.0 + 2.0 + 2.0)) < 0.15


def test_missing_sting_names_the_file(tone, tmp_path):
    settings = AudioSettings(encode="mp3", intro="stings/nope.wav")
    with pytest.raises(MediaError, match=r"nope\.wav"):
        prepare(tone(".wav"), tmp_path / "out.mp3", settings, show_dir=tmp_path)


def test_prepare_many_keeps_job_order(tone, tmp_path):
    jobs = [(tone(".wav", seconds=1.0 + n, name=f"in{n}.wav"), tmp_path / f"out{n}.mp3",
             NORMALISE_MP3) for n in range(3)]
    reports = prepare_many(jobs, workers=2)
    assert [r.path.name for r in reports] == ["out0.mp3", "out1.mp3", "out2.mp3"]
    assert [round(r.duration) for r in reports] == [1, 2, 3]


@pytest.mark.parametrize(("settings", "src", "suffix"), [
    (AudioSettings(), "a.ogg", ".ogg"),
    (AudioSettings(encode="aac"), "a.wav", ".m4a"),
    (AudioSettings(normalise=True), "a.m4a", ".m4a"),
    (AudioSettings(normalise=True), "a.flac", ".mp3"),
])
def test_suffix_and_codec_agree(settings, src, suffix):
    assert suffix_for(settings, Path(src)) == suffix
    if suffix in (".mp3", ".m4a"):
        assert codec_for(settings, Path("out" + suffix)) == {".mp3": "mp3", ".m4a": "aac"}[suffix]


def test_a_failing_encode_pass_keeps_the_old_dst_and_leaves_no_temp(tone, tmp_path,
                                                                    monkeypatch):
    import media.encode

    # the measurement pass succeeds; the encode pass then fails inside ffmpeg, which refuses
    # the command: that is the tool's problem, and said so, not the audio's
    broken = dict(media.encode.CODECS, mp3=("no_such_encoder", *media.encode.CODECS["mp3"][1:]))
    monkeypatch.setattr(media.encode, "CODECS", broken)
    out = tmp_path / "out"
    out.mkdir()
    dst = out / "result.mp3"
    dst.write_bytes(b"previous good file")
    with pytest.raises(ToolError, match=r"^ffmpeg \S+ \(.*\) refused segpack's command "
                       r"\((Unknown encoder 'no_such_encoder'|Encoder not found)\): a problem "
                       r"with this ffmpeg, not with the audio; .*SEGPACK_FFMPEG"):
        prepare(tone(".wav", seconds=2.0), dst, NORMALISE_MP3)
    assert [p.name for p in out.iterdir()] == ["result.mp3"]
    assert dst.read_bytes() == b"previous good file"


def test_surround_input_is_downmixed_to_stereo_and_its_target(tmp_path):
    src = tmp_path / "surround.wav"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-af",
                "volume=-12dB", "-ac", "6", "-c:a", "pcm_s16le", str(src)])
    report = prepare(src, tmp_path / "out.m4a", AudioSettings(encode="aac", normalise=True))
    assert report.channels == 2 and report.target_lufs == -16.0
    assert mutagen.File(tmp_path / "out.m4a").info.channels == 2
    assert abs(report.after.integrated - -16.0) <= 1.0


def test_surround_input_with_edits_streams_and_becomes_stereo(tone, tmp_path):
    # issue 18 item 11: pydub's in-memory edit crashed on more than two channels
    show = tmp_path / "show"
    tone(".wav", seconds=1.0, name="show/intro.wav")  # mono sting: the body decides
    src = tmp_path / "surround.wav"  # 7.1 at 96 kHz, silent first and last second
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=96000:duration=4",
                "-af", "volume='between(t,1,3)*0.3':eval=frame", "-ac", "8", "-c:a",
                "pcm_s16le", str(src)])
    settings = AudioSettings(encode="mp3", bitrate="64k", normalise=True, trim_silence=True,
                             intro="intro.wav")
    report = prepare(src, tmp_path / "out.mp3", settings, show_dir=show)
    assert report.channels == 2 and report.target_lufs == -16.0
    info = mutagen.File(tmp_path / "out.mp3").info
    assert info.channels == 2 and abs(info.length - (1.0 + 2.0)) < 0.2
    assert abs(report.after.integrated - -16.0) <= 1.0
