"""The domain: a `Segment` (one audio item and its transcript) and the `Show` it belongs to.

Models forbid unknown keys (a typo must not pass silently) and keep values as people wrote them
where that matters for round trips (URLs are not normalised, durations keep their seconds).
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from segment.fields import Duration, Language, Slug, Text, Timestamp, Url, XmlElement

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
    ".mp3": "audio/mpeg", ".m4a": "audio/x-m4a", ".mp4": "audio/mp4", ".aac": "audio/aac",
    ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".wav": "audio/wav",
    ".flac": "audio/flac",
}
"""MIME type of audio by file suffix, for links whose bytes we cannot look at (no network).
`.m4a` is `audio/x-m4a`, the type Apple's RSS guide gives for M4A enclosures."""

MIME_PATTERN = r"^[a-z]+/[a-zA-Z0-9.+-]+$"


class Alternate(Model):
    """Another rendition of the audio (`podcast:alternateEnclosure`): the namespace requires
    its type and its length in bytes, and podcast apps drop one without them. A rendition in
    the show folder (`file`) is published beside the feed, its length and type from the file;
    one elsewhere (`url`) needs them written."""

    url: Url | None = None
    file: str | None = Field(None, description="a rendition in the show folder (relative "
                             "path): published beside the feed")
    length: int | None = Field(None, ge=0, description="bytes")
    type: str | None = Field(None, pattern=MIME_PATTERN, description="MIME type, e.g. "
                             "audio/mpeg")
    title: Text | None = Field(None, max_length=32)

    @model_validator(mode="after")
    def _somewhere(self) -> Alternate:
        if not self.url and not self.file:
            raise PydanticCustomError("SEG201", "an alternate needs url (a link to it) or file "
                                      "(a path in the show folder)")
        return self


AlternateValue = Annotated[Alternate, BeforeValidator(
    lambda value: {"url": value} if isinstance(value, str) else value), WithJsonSchema({
        "anyOf": [{"type": "string", "format": "uri"},
                  {"type": "object", "anyOf": [{"required": ["url"]}, {"required": ["file"]}],
                   "additionalProperties": False,
                   "properties": {"url": {"type": "string", "format": "uri"},
                                  "file": {"type": "string"},
                                  "length": {"type": "integer", "minimum": 0},
                                  "type": {"type": "string", "pattern": MIME_PATTERN},
                                  "title": {"type": "string", "maxLength": 32}}}],
        "description": "a URL, or {url, length, type, title}, or {file, title}"})]
"""An alternate as a bare URL (then its length and type are unknown) or a record."""


class EnclosureSource(Model):
    """One place an alternate enclosure can be fetched from (`podcast:source`)."""

    uri: str = Field(min_length=1, max_length=2000, description="http(s), ipfs:, magnet: ...")
    content_type: str | None = None


class Integrity(Model):
    """`podcast:integrity`: a hash (SRI) or signature (PGP) of the file."""

    type: Literal["sri", "pgp-signature"]
    value: str = Field(min_length=1)


class AlternateEnclosure(Model):
    """Another rendition of the item's audio or video (`podcast:alternateEnclosure`)."""

    type: str = Field(pattern=r"^[a-z]+/[a-zA-Z0-9.+-]+$")
    length: int | None = Field(None, ge=0)
    bitrate: float | None = Field(None, ge=0)
    height: int | None = Field(None, ge=0)
    lang: str | None = None
    title: Text | None = None
    rel: str | None = None
    codecs: str | None = None
    default: bool = False
    sources: list[EnclosureSource] = Field(default_factory=list)
    integrity: Integrity | None = None


class Audio(Model):
    """Where the sound is: a file in the show folder and/or the newsroom's direct link."""

    file: str | None = Field(None, description="path relative to the show folder")
    direct_link: Url | None = Field(None, description="the newsroom's own link to the audio")
    length: int | None = Field(None, ge=0, description="bytes behind direct_link, when known")
    type: str | None = Field(None, pattern=MIME_PATTERN,
                             description="MIME type behind direct_link, e.g. audio/mpeg")
    alternates: list[AlternateValue] = Field(
        default_factory=list, description="other renditions (e.g. other bitrates)")
    alternate_enclosures: list[AlternateEnclosure] = Field(
        default_factory=list, description="podcast:alternateEnclosure, kept from a feed")


class Source(Model):
    """The article page the segment comes from."""

    url: Url | None = None
    publisher: Text | None = None


class Image(Model):
    url: Url | None = None
    file: str | None = None
    caption: Text | None = None


class TranscriptLink(Model):
    """A transcript published elsewhere (`podcast:transcript` of a migrated feed)."""

    url: Url
    type: str = Field(pattern=r"^[a-z]+/[a-zA-Z0-9.+-]+$")
    language: Language | None = None
    rel: str | None = Field(None, description="captions: timed, for display while playing")


class Soundbite(Model):
    """A shareable excerpt (`podcast:soundbite`): start and length in seconds, finite; within
    the audio (its duration, else max-duration) as SEG202 checks, like chapters."""

    start: float = Field(ge=0, allow_inf_nan=False)
    duration: float = Field(gt=0, allow_inf_nan=False)
    title: Text | None = None


class Location(Model):
    """`podcast:location`: what the episode or show is about (subject) or made at (creator)."""

    name: Text = Field(min_length=1, max_length=128)
    rel: Literal["subject", "creator"] | None = None
    geo: str | None = None
    osm: str | None = None
    country: str | None = None


class PodcastImage(Model):
    """`podcast:image`: artwork for a purpose (artwork, social, icon, banner...)."""

    href: Url
    alt: Text | None = None
    aspect_ratio: str | None = None
    width: int | None = Field(None, ge=0)
    height: int | None = Field(None, ge=0)
    type: str | None = None
    purpose: str | None = None


class ValueRecipient(Model):
    name: Text | None = None
    type: str
    address: str = Field(min_length=1)
    split: float = Field(ge=0)
    custom_key: str | None = None
    custom_value: str | None = None
    fee: bool = False


class Value(Model):
    """`podcast:value`: how listeners' payments are split (Lightning keysend and the like)."""

    type: str
    method: str
    suggested: str | None = None
    recipients: list[ValueRecipient] = Field(default_factory=list)


class Funding(Model):
    """`podcast:funding`: where listeners can support the show."""

    url: Url
    text: Text = Field("", max_length=128)


class Trailer(Model):
    """`podcast:trailer` of the channel."""

    url: Url
    title: Text = Field(min_length=1, max_length=128)
    published: str = Field(description="the pubdate attribute as written (RFC 2822)")
    length: int | None = Field(None, ge=0)
    type: str | None = None
    season: int | None = Field(None, ge=0)


class RemoteItem(Model):
    """`podcast:remoteItem` (in a podroll): another feed, or an item of it."""

    feed_guid: str = Field(min_length=1)
    feed_url: Url | None = None
    item_guid: str | None = None
    medium: str | None = None


MAX_CHAPTERS = 255
"""ID3v2 chapters hang off one table of contents (CTOC) whose entry count is a single byte."""


class Segment(Model):
    """One audio item: metadata from the front matter, `transcript` from the body."""

    id: Slug
    title: Text
    summary: Text | None = None
    duration: Duration | None = Field(None, description="declared; a migrated item may have "
                                      "none (published without itunes:duration unless local)")
    language: Language
    transcript: str = Field("", description="the body; see SEG208")
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
    # kept from a migrated feed (segpack import feed), published again as they were
    notes: str | None = Field(None, description="show notes, HTML (sanitised): published as "
                              "description and content:encoded")
    subtitle: Text | None = Field(None, description="itunes:subtitle")
    itunes_title: Text | None = Field(None, description="itunes:title, when not the title")
    rss_author: Text | None = Field(None, description="the item's RSS <author>, as written "
                                    "('email (Name)')")
    season_name: Text | None = Field(None, description="podcast:season name")
    episode_display: Text | None = Field(None, description="podcast:episode display")
    block: bool = Field(False, description="itunes:block: keep this episode out of Apple's "
                        "directory")
    transcripts: list[TranscriptLink] = Field(default_factory=list)
    soundbites: list[Soundbite] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    images: list[PodcastImage] = Field(default_factory=list)
    license_url: Url | None = None
    value: Value | None = None
    verbatim: list[XmlElement] = Field(default_factory=list, description="feed elements "
                                       "segpack does not model, kept as written (XML) and "
                                       "published again")

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


class Paging(Model):
    """A big show's feed in pages (RFC 5005 archived feeds): feed.xml with the newest
    `items_per_page` episodes, the older ones in archive pages of that many, counted from the
    oldest, so a full page never changes when new episodes come."""

    items_per_page: int = Field(ge=1, le=100_000)


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
    paging: Paging | None = Field(None, description="publish the newest N episodes in feed.xml "
                                  "and the rest in archive pages (RFC 5005)")
    captions: Literal["keep", "align"] = Field(
        "keep", description="align: `build` times the transcript of every segment that has "
        "audio and text but no captions (as `segpack align` does; needs the align extra) and "
        "publishes the captions; keep: publish only the captions manifests name")
    # kept from a migrated feed (segpack import feed)
    previous_feed_url: Url | None = Field(None, description="the feed's address before the "
                                          "move: redirect it here (itunes:new-feed-url)")
    block: bool = Field(False, description="itunes:block and podcast:block: ask directories "
                        "not to list the show")
    block_services: dict[str, bool] = Field(default_factory=dict, description="podcast:block "
                                            "per service id (e.g. google: false)")
    complete: bool = Field(False, description="itunes:complete: no more episodes")
    locked_owner: str | None = Field(None, description="podcast:locked owner email, as "
                                     "written (else the owner's email)")
    license_url: Url | None = None
    subtitle: Text | None = None
    itunes_title: Text | None = None
    description_html: str | None = Field(None, description="the description with its markup "
                                         "(HTML, sanitised), published as the channel "
                                         "description; `description` is its plain text")
    summary: Text | None = Field(None, description="itunes:summary, when the feed had its own")
    funding: list[Funding] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    images: list[PodcastImage] = Field(default_factory=list)
    value: Value | None = None
    trailers: list[Trailer] = Field(default_factory=list)
    podroll: list[RemoteItem] = Field(default_factory=list)
    verbatim: list[XmlElement] = Field(default_factory=list)

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
