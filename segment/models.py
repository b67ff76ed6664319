"""The domain: a `Segment` (one audio item and its transcript) and the `Show` it belongs to.

Models forbid unknown keys (a typo must not pass silently) and keep values as people wrote them
where that matters for round trips (URLs are not normalised, durations keep their seconds).
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from segment.fields import Duration, Language, Slug, Text, Timestamp, Url

PODCAST_NAMESPACE_GUID = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""UUIDv5 namespace the Podcasting 2.0 spec fixes for `podcast:guid` (derived from feed URLs)."""

GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://segpack.invalid/segment-guid")
"""Our namespace for item GUIDs: derived once from a segment id, so they never change."""


_GUID_PREFIX = GUID_NAMESPACE.bytes


@functools.lru_cache(maxsize=1 << 16)
def derived_guid(segment_id: str) -> str:
    """UUIDv5 of a segment id (`uuid.uuid5(GUID_NAMESPACE, segment_id)`, as RFC 9562 defines
    it: SHA-1 of namespace and name, version 5, RFC variant), formatted straight from the
    digest's hex: a third of `uuid5`'s cost, once per segment of every build. Remembered,
    since a build asks for each one several times."""
    h = hashlib.sha1(_GUID_PREFIX + segment_id.encode("utf-8"), usedforsecurity=False).hexdigest()
    variant = "89ab"[int(h[16], 16) & 3]  # the top two bits of byte 8 become 10
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, frozen=False)


class Person(Model):
    """Someone heard or credited (Podcasting 2.0 `podcast:person`)."""

    name: Text = Field(min_length=1, max_length=200)
    role: str = "host"
    group: str = "cast"
    href: Url | None = None
    img: Url | None = None


class Chapter(Model):
    """A titled point in the audio; `end` is optional (the next start or the end of audio).

    `at` anchors the chapter to the text instead (a paragraph number or its first words);
    `segpack align` writes the `start` it is spoken at, and keeps `at` for the next time."""

    start: Duration
    title: Text = Field(min_length=1, max_length=500)
    end: Duration | None = None
    url: Url | None = None
    image: Url | None = None
    at: int | str | None = Field(None, description="where the chapter starts in the transcript: "
                                 "a paragraph number (1 = the first) or the first words; "
                                 "`segpack align` sets `start` from it")

    @model_validator(mode="before")
    @classmethod
    def _anchored_needs_alignment(cls, data: object) -> object:
        if isinstance(data, dict) and "start" not in data and data.get("at") is not None:
            raise PydanticCustomError("SEG506", f"chapter anchored at {data['at']!r} has no "
                                      "start yet: run `segpack align` on this manifest")
        return data


AUDIO_TYPES = {
    ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".mp4": "audio/mp4", ".aac": "audio/aac",
    ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".wav": "audio/wav",
    ".flac": "audio/flac",
}
"""MIME type of audio by file suffix, for links whose bytes we cannot look at (no network)."""


class Audio(Model):
    """Where the sound is: a file in the show folder and/or the newsroom's direct link."""

    file: str | None = Field(None, description="path relative to the show folder")
    direct_link: Url | None = Field(None, description="the newsroom's own link to the audio")
    length: int | None = Field(None, ge=0, description="bytes behind direct_link, when known")
    type: str | None = Field(None, pattern=r"^[a-z]+/[a-zA-Z0-9.+-]+$",
                             description="MIME type behind direct_link, e.g. audio/mpeg")
    alternates: list[Url] = Field(default_factory=list,
                                  description="other renditions (e.g. other bitrates)")


class Source(Model):
    """The article page the segment comes from."""

    url: Url | None = None
    publisher: Text | None = None


class Image(Model):
    url: Url | None = None
    file: str | None = None
    caption: Text | None = None


MAX_CHAPTERS = 255
"""ID3v2 chapters hang off one table of contents (CTOC) whose entry count is a single byte."""


class Segment(Model):
    """One audio item: metadata from the front matter, `transcript` from the body."""

    id: Slug
    title: Text
    summary: Text | None = None
    duration: Duration
    language: Language
    transcript: str = Field(min_length=1)
    audio: Audio = Field(default_factory=Audio)
    source: Source = Field(default_factory=Source)
    image: Image = Field(default_factory=Image)
    published: Timestamp | None = None
    authors: list[Text] = Field(default_factory=list)
    persons: list[Person] = Field(default_factory=list)
    chapters: list[Chapter] = Field(default_factory=list, max_length=MAX_CHAPTERS)
    transcript_url: Url | None = Field(None, description="transcript published elsewhere "
                                       "(kept from an imported feed's podcast:transcript)")
    chapters_url: Url | None = Field(None, description="chapters published elsewhere "
                                     "(kept from an imported feed's podcast:chapters)")
    season: int | None = Field(None, ge=0)
    episode: int | None = Field(None, ge=0)
    episode_type: Literal["full", "trailer", "bonus"] = "full"
    explicit: bool | None = None
    keywords: list[Text] = Field(default_factory=list)
    guid: str | None = Field(None, min_length=1, max_length=500,
                             description="only for feeds migrated from elsewhere; else derived")
    license: Text | None = None
    copyright: Text | None = None
    draft: bool = False
    captions: str | None = Field(None, description="timed transcript (WebVTT .vtt or SubRip "
                                 ".srt), path relative to the show folder")

    @property
    def item_guid(self) -> str:
        """Stable GUID: kept from an imported feed, else derived once from the id."""
        return self.guid or derived_guid(self.id)


class Owner(Model):
    name: Text
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")


class Loudness(Model):
    """Podcast loudness targets (LUFS, dBTP)."""

    stereo: float = Field(-16.0, ge=-40, le=0)
    mono: float = Field(-19.0, ge=-40, le=0)
    true_peak: float = Field(-1.0, ge=-20, le=0)


class AudioSettings(Model):
    """What `build` does to media: keep files as they are, or encode (and normalise)."""

    encode: Literal["keep", "mp3", "aac"] = "keep"
    bitrate: str = Field("96k", pattern=r"^\d+k$")
    normalise: bool = False
    loudness: Loudness = Field(default_factory=Loudness)
    intro: str | None = None
    outro: str | None = None
    trim_silence: bool = False


class Show(Model):
    """The channel: what `show.yaml` holds."""

    title: Text = Field(min_length=1)
    description: Text = Field(min_length=1)
    language: Language
    link: Url | None = None
    author: Text | None = None
    publisher: Text | None = None
    owner: Owner | None = None
    image: Image = Field(default_factory=Image)
    categories: list[str] = Field(default_factory=list)
    explicit: bool = False
    type: Literal["episodic", "serial"] = "episodic"
    media_base_url: Url | None = None
    feed_url: Url | None = None
    guid: str | None = Field(None, description="podcast:guid; derived from feed_url when absent")
    locked: bool = False
    license: Text | None = None
    copyright: Text | None = None
    medium: Literal["podcast", "music", "video", "film", "audiobook", "newsletter",
                    "blog"] = "podcast"
    audio: AudioSettings = Field(default_factory=AudioSettings)

    @model_validator(mode="after")
    def _base_url_is_a_folder(self) -> Show:
        if self.media_base_url and not self.media_base_url.endswith("/"):
            self.media_base_url += "/"
        return self

    @property
    def podcast_guid(self) -> str | None:
        """podcast:guid as the namespace specifies: UUIDv5 of the feed URL without scheme."""
        if self.guid:
            return self.guid
        if not self.feed_url:
            return None
        bare = self.feed_url.split("://", 1)[-1].rstrip("/")
        return str(uuid.uuid5(PODCAST_NAMESPACE_GUID, bare))
