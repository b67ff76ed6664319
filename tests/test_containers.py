"""The container table (`media.containers`): every container segpack handles is one row, and a
new container with an existing tag family needs nothing else to be probed, tagged and read back."""

from __future__ import annotations

import pytest

from media import containers
from media.ffmpeg import run_ffmpeg
from media.probe import probe, sniff
from media.tagging import read_tags, write_tags
from segment.models import AUDIO_TYPES
from tests.media_helpers import segment, show

AIFF = containers.Container(
    "aiff", "AIFF", lambda head, after, tagged: head[:4] == b"FORM" and head[8:12] == b"AIFF",
    "mutagen.aiff:AIFF", "id3", "audio/aiff", (".aiff", ".aif"), "pcm")


def test_every_container_has_a_type_for_links() -> None:
    """`segment` types a direct link by its suffix alone (it may not import `media`): each
    container's usual suffix has its entry there, with the type our copies are published
    with (an .m4a link and our .m4a copy are both audio/x-m4a)."""
    for row in containers.CONTAINERS:
        assert AUDIO_TYPES.get(row.suffixes[0]) == row.mime, \
            f"{row.name}: segment.models.AUDIO_TYPES[{row.suffixes[0]!r}] should be {row.mime}"


def test_a_container_with_a_known_tag_family_is_one_row(tmp_path, monkeypatch) -> None:
    path = tmp_path / "tone.aiff"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "pcm_s16be",
                str(path)])
    with pytest.raises(Exception, match="not a format segpack handles"):
        sniff(path)  # unknown until it has its row
    monkeypatch.setattr(containers, "CONTAINERS", (*containers.CONTAINERS, AIFF))
    monkeypatch.setattr(containers, "BY_NAME", {**containers.BY_NAME, "aiff": AIFF})
    info = probe(path)
    assert (info.container, info.codec, info.mime) == ("aiff", "pcm", "audio/aiff")
    assert info.duration == pytest.approx(1.0, abs=0.05)
    write_tags(path, segment(), show())
    tags = read_tags(path)
    assert tags["title"] == segment().title
    assert probe(path).duration == pytest.approx(1.0, abs=0.05)  # still that audio
