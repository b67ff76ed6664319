"""The example show's committed stand-in audio (made by scripts/make_standin_audio.py)."""

from __future__ import annotations

from mutagen.mp3 import MP3

from media.loudness import measure
from segment.manifest import read_manifest
from tests.conftest import EXAMPLE

AUDIO = EXAMPLE / "media" / "momentum-against-isil-builds.mp3"


def test_stand_in_is_a_tagless_mono_mp3_of_3_41_under_2_mb():
    audio = MP3(AUDIO)
    assert abs(audio.info.length - 221.0) <= 0.5
    assert audio.info.channels == 1
    assert audio.tags is None  # the build tags a copy
    assert AUDIO.stat().st_size < 2 * 1024 * 1024


def test_stand_in_is_normalised_for_mono_podcasts():
    loudness = measure(AUDIO)
    assert abs(loudness.integrated - -19.0) <= 1.0
    assert loudness.true_peak <= -1.0 + 0.3


def test_the_manifest_points_at_it():
    manifest = read_manifest(EXAMPLE / "segments" / "momentum-against-isil-builds.md")
    assert manifest.meta.data["audio"]["file"] == "media/momentum-against-isil-builds.mp3"
