"""What every episode of one build shares (`Context`: the show, where the output is published,
its artwork and stings), and the checked reading of files named in manifests and show.yaml
(`LocalFiles`), which the episode's parts (`feeds.episode_files`, `feeds.enclosures`) and the
show's own files publish through.

Paths from manifests must stay inside the show folder (SEG302), symlinks resolved; every file
read is recorded with its stamp, as an input of the episode's cache entry (`feeds.cache`)."""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from feeds.cache import stamp
from segment.errors import SegpackError
from segment.models import Image, Show
from segment.rules import Finding, local_file_problem

Stat = tuple[int, ...]


@dataclass(frozen=True)
class Context:
    """What every episode of one build shares (`show_context`): set before workers fork."""

    root: Path
    show: Show
    base: str
    """Where the output folder is published ('' when show.yaml does not say: SEG406)."""
    artwork: Path | None = None
    image_url: str | None = None
    image_src: str | None = None
    files: Mapping[str, Path] = field(default_factory=dict)
    """The show's own published files (its artwork)."""
    stings: Mapping[str, Path] = field(default_factory=dict)
    inputs: Mapping[str, Stat | None] = field(default_factory=dict)
    """Files read for the show (artwork, stings) and their stats: part of the cache key."""


def base_url(show: Show) -> str | None:
    """Where the output folder is published: media_base_url, else the feed URL's folder."""
    if show.media_base_url:
        return show.media_base_url
    if show.feed_url:
        return show.feed_url.rsplit("/", 1)[0] + "/"
    return None


def url_suffix(url: str) -> str:
    """The lower-cased suffix of a URL's path ('' when it has none)."""
    return posixpath.splitext(urlsplit(url).path)[1].lower()


class LocalFiles:
    """Files named in a manifest or show.yaml, checked and recorded with their stats."""

    def __init__(self, root: Path, where: str, found: list[Finding]):
        self.root, self.where, self.found = root, where, found
        self.inputs: dict[str, Stat | None] = {}
        self._images: dict[str, Path | None] = {}  # asked twice with local audio: one finding

    def local(self, rel: str, field_name: str) -> Path | None:
        """A file named in a manifest, when it is a regular file inside the show folder."""
        problem = local_file_problem(self.root, rel)  # the rule validate applies
        if problem is not None:
            self.found.append(Finding(problem[0], f"{field_name}: {problem[1]}", self.where))
            return None
        target = self.root / rel
        self.inputs[str(target)] = stamp(target)
        return target

    def image(self, rel: str) -> Path | None:
        """A local artwork file, when it is one podcast apps and tags can use: an unreadable
        image, not JPEG/PNG, over 10 MB or 3000 px (the rules `segpack tag` applies) is left
        out of the feed, pages and tags, never published as is (the media checks' SEG306 or
        SEG407 says so, in validate --media as in the build)."""
        if rel not in self._images:
            found = self.local(rel, "image.file")
            problem = found and _image_problem(str(found), self.inputs[str(found)])
            self._images[rel] = None if problem else found
        return self._images[rel]

    def publish_image(self, image: Image, stem: str, base: str,
                      published: MutableMapping[str, Any]
                      ) -> tuple[Path | None, str | None, str | None]:
        """show.yaml's or a manifest's `image`: (the local file, its URL, its path in the
        output), the file published at `<stem><suffix>` when usable (else nothing); a URL as
        it is."""
        if not image.file:
            return None, image.url, image.url
        path = self.image(image.file)
        if path is None:
            return None, None, None
        name = f"{stem}{path.suffix.lower()}"
        published[name] = path
        return path, base + name, name


@functools.lru_cache(maxsize=256)
def _image_problem(path: str, stat: Stat | None) -> str | None:
    """Why an image file is unusable (None when usable): asked once per file and version in a
    process, however many segments share the image."""
    from media.artwork import load_artwork

    try:
        load_artwork(Path(path))
    except SegpackError as exc:
        return exc.message
    return None


def show_context(root: Path, show: Show) -> Context:
    """The show's part of a build: its base URL, artwork and stings. What is wrong with them
    is said by the rules on show.yaml, at their keys' lines (`segment.loading.load_show_file`
    with the media checks; SEG406 by `show_wide_findings`), as validate says it."""
    files = LocalFiles(root, str(root / "show.yaml"), [])
    base = base_url(show) or ""
    published: dict[str, Path] = {}
    artwork, image_url, image_src = files.publish_image(show.image, "artwork", base, published)
    stings = {}
    for name in ("intro", "outro"):
        rel = getattr(show.audio, name)
        path = files.local(rel, f"audio.{name}") if rel else None
        if path:
            stings[name] = path
    return Context(root, show, base, artwork, image_url, image_src, published, stings,
                   files.inputs)
