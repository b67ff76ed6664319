"""Plan a build: for each segment, what is published where, and what the feed says about it.

The direct-link rules live here:

* local file and direct link: the enclosure is our tagged copy; the newsroom's direct link is a
  `podcast:alternateEnclosure` with a `podcast:source`;
* direct link only: it is the enclosure, with length and type from the manifest (`audio.length`,
  `audio.type`; no network during a build); unknown length -> 0 and a warning (SEG307), as the
  RSS best-practice profile says;
* neither: the item has no enclosure (validation already warns, SEG211).

Paths from manifests must stay inside the show folder (SEG302), symlinks resolved.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from feeds.cache import read_json, write_json
from feeds.chapters import chapters_json
from feeds.episode import Enclosure, Episode
from feeds.media_step import MediaJob, MediaResult, file_sha256, job_key, published_suffix
from feeds.podcastindex import AlternateEnclosure, Transcript
from feeds.transcripts import (
    HTML_TYPE,
    SRT_TYPE,
    TEXT_TYPE,
    VTT_TYPE,
    html_paragraphs,
    plain_text,
    timed_files,
    transcript_html,
)
from feeds.xmltext import clean, has_invalid
from segment.errors import SegpackError, ToolError
from segment.models import AUDIO_TYPES, Segment, Show
from segment.rules import Finding, local_file_problem
from segment.timecode import format_duration

if TYPE_CHECKING:
    from feeds.prepare import Rendered

MEMO = "hashes.json"


def base_url(show: Show) -> str | None:
    """Where the output folder is published: media_base_url, else the feed URL's folder."""
    if show.media_base_url:
        return show.media_base_url
    if show.feed_url:
        return show.feed_url.rsplit("/", 1)[0] + "/"
    return None


TRANSCRIPT_TYPES = {".vtt": VTT_TYPE, ".srt": SRT_TYPE, ".html": HTML_TYPE, ".htm": HTML_TYPE,
                    ".json": "application/json", ".txt": TEXT_TYPE}


def _suffix(url: str) -> str:
    return posixpath.splitext(urlsplit(url).path)[1].lower()


def guess_type(url: str) -> str | None:
    return AUDIO_TYPES.get(_suffix(url))


def _edits_length(show: Show) -> bool:
    """True when the build adds stings or trims silence: the published audio is then meant to
    last longer or shorter than the declared duration (`validate --media` checks the source)."""
    audio = show.audio
    return bool(audio.intro or audio.outro or audio.trim_silence)


class EpisodePlanner:
    """Plans episodes one segment at a time: what is published where, and what the feed says.

    Needs only the show and the segment, so it also runs in the worker processes that prepare
    self-contained segments (`feeds.prepare`); `Planner` adds the show-wide part."""

    def __init__(self, root: Path, show: Show):
        self.root, self.show = root, show
        self.show_file = str(root / "show.yaml")
        self.base = base_url(show) or ""
        self.episodes: list[Episode] = []
        self.files: dict[str, Any] = {}
        self.findings: list[Finding] = []
        self.jobs: list[tuple[Episode, Path, Path | None]] = []
        self.input_files: list[Path] = []
        self.manifest_of: dict[str, str] = {}
        self.artwork: Path | None = None
        self._images: dict[str, Path | None] = {}  # image.file -> usable path (checked once)

    # -- findings -------------------------------------------------------------------------

    def _find(self, code: str, message: str, path: str, into: list | None = None) -> None:
        """Record a finding (its severity is its rule's, `segment.rules`)."""
        (self.findings if into is None else into).append(Finding(code, message, path))

    def _local(self, rel: str, where: str, field: str) -> Path | None:
        """A file named in a manifest, when it exists inside the show folder."""
        problem = local_file_problem(self.root, rel)  # the rule validate applies
        if problem is not None:
            self._find(problem[0], f"{field}: {problem[1]}", where)
            return None
        target = self.root / rel
        self.input_files.append(target)
        return target

    def _image(self, rel: str, where: str) -> Path | None:
        """A local artwork file, when it is one podcast apps and tags can use: an unreadable
        image, not JPEG/PNG, over 10 MB or 3000 px (the rules `segpack tag` applies) is left
        out of the feed, pages and tags with a warning, never published as is."""
        if rel in self._images:
            return self._images[rel]
        found = self._local(rel, where, "image.file")
        if found is not None:
            from media.artwork import load_artwork

            try:
                load_artwork(found)
            except SegpackError as exc:
                self._find("SEG306", f"image.file: {rel}: {exc.message}; left out of the feed "
                           "and tags", where)
                found = None
        self._images[rel] = found
        return found

    # -- planning -------------------------------------------------------------------------

    def plan(self, segments: list[tuple[Path, Segment]]) -> None:
        for path, segment in segments:
            self.episodes.append(self._episode(str(path), segment))

    def _episode(self, where: str, seg: Segment) -> Episode:
        ep = Episode(seg, duration=seg.duration)
        self.manifest_of[seg.id] = where
        sid = seg.id
        transcript = clean(seg.transcript)
        for name, dirty in (("title", has_invalid(seg.title)),
                            ("summary", has_invalid(seg.summary)),
                            ("transcript", transcript != seg.transcript)):
            if dirty:
                self._find("SEG214", f"{name}: holds characters XML cannot carry (control "
                           "characters); the feed and pages leave them out", where)
        if transcript.strip():  # a migrated item may have only the feed's transcript files
            ep.transcript_body = html_paragraphs(transcript)
            self.files[f"transcripts/{sid}.txt"] = plain_text(transcript)
            self.files[f"transcripts/{sid}.html"] = transcript_html(seg, self.show.title,
                                                                    ep.transcript_body)
            ep.transcripts = [Transcript(f"{self.base}transcripts/{sid}.txt", TEXT_TYPE,
                                         seg.language),
                              Transcript(f"{self.base}transcripts/{sid}.html", HTML_TYPE,
                                         seg.language)]
        if seg.captions:
            found = self._local(seg.captions, where, "captions")
            if found:
                try:
                    timed = timed_files(found)
                except SegpackError as exc:
                    self._find("SEG301", f"captions: {exc.message}", where)
                    timed = {}
                for suffix, (mime, text) in timed.items():
                    self.files[f"transcripts/{sid}{suffix}"] = text
                    ep.transcripts.append(Transcript(f"{self.base}transcripts/{sid}{suffix}",
                                                     mime, seg.language, rel="captions"))
        if seg.transcript_url:
            ep.transcripts.append(Transcript(seg.transcript_url,
                                             TRANSCRIPT_TYPES.get(_suffix(seg.transcript_url),
                                                                  TEXT_TYPE), seg.language))
        ep.transcripts += [Transcript(t.url, t.type, t.language, t.rel)
                           for t in seg.transcripts]
        if seg.chapters_url:  # a migrated feed's own chapters file is what apps know
            ep.chapters_url = seg.chapters_url
        elif seg.chapters:
            self.files[f"chapters/{sid}.json"] = chapters_json(seg, self.show.title)
            ep.chapters_url = f"{self.base}chapters/{sid}.json"
        ep.image_url = self._segment_image(where, seg)
        self._audio(where, seg, ep)
        return ep

    def _segment_image(self, where: str, seg: Segment) -> str | None:
        if seg.image.file:
            found = self._image(seg.image.file, where)
            if found:
                name = f"images/{seg.id}{found.suffix.lower()}"
                self.files[name] = found
                return self.base + name
            return None
        return seg.image.url

    def _audio(self, where: str, seg: Segment, ep: Episode) -> None:
        audio = seg.audio
        if audio.file:
            source = self._local(audio.file, where, "audio.file")
            if source:
                artwork = self._image(seg.image.file, where) \
                    if seg.image.file else self.artwork
                self.jobs.append((ep, source, artwork))
            if audio.direct_link:
                ep.alternates.append(AlternateEnclosure(
                    type=audio.type or guess_type(audio.direct_link) or "audio/mpeg",
                    length=audio.length, sources=[audio.direct_link], title="Direct link"))
        elif audio.direct_link:
            mime = audio.type or guess_type(audio.direct_link)
            if audio.length is None:
                self._find("SEG307", "audio.length: the size behind the direct link is "
                           "unknown; the enclosure says length 0 (add audio.length in bytes)",
                           where)
            if mime is None:
                self._find("SEG307", "audio.type: the direct link's type is unknown; the "
                           "enclosure says audio/mpeg (add audio.type)", where)
            ep.enclosure = Enclosure(audio.direct_link, audio.length or 0, mime or "audio/mpeg")
        for other in audio.alternates:
            ep.alternates.append(AlternateEnclosure(
                type=other.type or guess_type(other.url) or "audio/mpeg", length=other.length,
                sources=[other.url], title=other.title))
        for alt in audio.alternate_enclosures:
            ep.alternates.append(AlternateEnclosure(
                type=alt.type, length=alt.length, title=alt.title, default=alt.default,
                sources=[(s.uri, s.content_type) for s in alt.sources], bitrate=alt.bitrate,
                height=alt.height, lang=alt.lang, rel=alt.rel, codecs=alt.codecs,
                integrity=alt.integrity))


class Planner(EpisodePlanner):
    """Collects episodes, files to publish, media jobs and findings for one build."""

    def __init__(self, root: Path, show: Show, cache: Path, check: bool = False):
        super().__init__(root, show)
        self.cache, self.check = cache, check
        self.media_findings: list[Finding] = []
        self.media_made = self.media_cached = 0
        memo = read_json(cache / MEMO)
        self.memo: dict[str, list] = memo if isinstance(memo, dict) else {}
        self.image_url: str | None = None
        self.image_src: str | None = None
        if not base_url(show):
            self._find("SEG406", "neither media_base_url nor feed_url in show.yaml: the "
                        "feed cannot link its media and transcripts; add feed_url",
                        self.show_file)
        self._show_image()

    def _show_image(self) -> None:
        image = self.show.image
        if image.file:
            found = self._image(image.file, self.show_file)
            if found:
                name = f"artwork{found.suffix.lower()}"
                self.files[name] = found
                self.artwork = found
                self.image_url, self.image_src = self.base + name, name
        elif image.url:
            self.image_url = self.image_src = image.url

    # -- media ----------------------------------------------------------------------------

    def make_media(self, workers: int,
                   progress: Callable[[str, int, int], None] | None = None) -> None:
        from feeds.media_step import file_sha256, run_jobs

        if self.check:
            for ep, source, _ in self.jobs:
                self._use_source(ep, source)
            return
        jobs = []
        stings = self._stings()
        for ep, source, artwork in self.jobs:
            suffix = published_suffix(self.show, source)
            try:
                key = job_key(ep.segment, self.show, file_sha256(source, self.memo),
                              file_sha256(artwork, self.memo) if artwork else None, suffix,
                              stings)
            except OSError as exc:
                self._find("SEG304", f"audio.file: cannot read {source}: {exc.strerror}",
                            str(source), self.media_findings)
                continue
            jobs.append(MediaJob(ep.segment, self.show, self.root, source, artwork, key,
                                 self.cache / "media" / key, f"{ep.segment.id}{suffix}"))
        results = run_jobs(jobs, workers, None if progress is None else
                           lambda done, total: progress("making audio", done, total))
        by_id = {ep.segment.id: ep for ep, _, _ in self.jobs}
        for job in jobs:
            outcome = results[job.segment.id]
            if isinstance(outcome, ToolError):
                raise outcome  # ffmpeg itself falls short: one line, not one per episode
            if isinstance(outcome, SegpackError):
                self._find("SEG304", f"audio.file: {outcome}", str(job.source),
                            self.media_findings)
                continue
            self._use_copy(by_id[job.segment.id], outcome, job.name)

    def _stings(self) -> dict[str, str]:
        """Content hashes of show.yaml's intro/outro files (part of every copy's cache key)."""
        found = {}
        for name in ("intro", "outro"):
            rel = getattr(self.show.audio, name)
            path = self._local(rel, self.show_file, f"audio.{name}") if rel else None
            if path:
                found[name] = file_sha256(path, self.memo)
        return found

    def _use_copy(self, ep: Episode, result: MediaResult, name: str) -> None:
        if result.cached:
            self.media_cached += 1
        else:
            self.media_made += 1
        rel = f"media/{name}"
        self.files[rel] = result.path
        ep.media_path = rel
        ep.enclosure = Enclosure(self.base + rel, result.size, result.mime)
        self._probed(ep, result.duration)

    def _use_source(self, ep: Episode, source: Path) -> None:
        """--check: describe the source as it is (no tagged copy is made)."""
        try:
            from media.probe import probe

            info = probe(source)
        except ImportError:
            return
        except SegpackError as exc:
            self._find("SEG304", f"audio.file: {exc}", str(source), self.media_findings)
            return
        ep.enclosure = Enclosure(self.base + f"media/{ep.segment.id}{source.suffix}",
                                 info.size, info.mime)
        self._probed(ep, float(info.duration))

    def _probed(self, ep: Episode, seconds: float) -> None:
        declared = ep.segment.duration
        ep.duration, ep.duration_source = seconds, "probed"
        if declared is not None and abs(seconds - declared) > 1 \
                and not _edits_length(self.show):
            self._find("SEG303", f"duration: declared {format_duration(declared)}, the audio "
                       f"lasts {format_duration(round(seconds, 3))}; fix the manifest or the "
                       "audio", self.manifest_of[ep.segment.id], self.media_findings)

    def save_memo(self) -> None:
        if self.memo:
            write_json(self.cache / MEMO, self.memo)

    # -- rendering ------------------------------------------------------------------------

    def render(self, prepared: Iterable[Rendered] = ()) -> dict[str, Any]:
        """feed.xml and index.html: the episodes planned here and those `feeds.prepare`
        planned and rendered already, merged in feed order."""
        from feeds.feed import feed_document, item_fragments
        from feeds.preview import (
            PREVIEW_TRANSCRIPTS,
            audio_source,
            episode_html,
            preview_page,
            with_transcript,
        )

        ordered = sorted(self.episodes, key=lambda e: e.sort_key)
        parts: list[tuple[tuple, datetime | str | None, bytes, str, str | None]] = [
            (ep.sort_key, ep.segment.published, item,
             episode_html(ep, audio_source(ep)), ep.transcript_body)
            for ep, item in zip(ordered, item_fragments(self.show, ordered), strict=True)]
        parts.extend((done.sort_key, done.published, done.item, done.article, done.transcript)
                     for done in prepared)
        parts.sort(key=lambda part: part[0])
        # sorted newest first (id as tie-break): the first date is the newest
        newest = next((part[1] for part in parts if part[1]), None)
        if isinstance(newest, str):
            newest = datetime.fromisoformat(newest)
        self.files["feed.xml"] = feed_document(self.show, [part[2] for part in parts],
                                               newest, self.base or None, self.image_url)
        articles = [part[3] for part in parts]
        for n, part in enumerate(parts[:PREVIEW_TRANSCRIPTS]):
            body = part[4]
            assert body is not None, "every chunk sends the transcripts of its newest episodes"
            articles[n] = with_transcript(part[3], body)
        self.files["index.html"] = preview_page(self.show, articles, self.image_src)
        return self.files
