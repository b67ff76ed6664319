"""The items and articles of a build's compiled episodes, kept on disk from the moment they are
compiled until the feed, its pages and index.html are written (issue 17: a build's memory should
not grow with the show's text). `feeds.compile_all` spills into it; `feeds.build` reads back."""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from feeds.compiler import EpisodeBuild

SPILLED = b"\0spilled"
"""The item of a build whose item and article are in the `Spool` (truthy, as a published
episode's item is; found by identity, never written)."""


class Spool:
    """The items and articles of complete builds, kept in an unnamed scratch file from the
    moment they come back from compiling until feed.xml, its pages and index.html are written:
    ~2 KB an episode that the build process no longer holds (a 100,000-episode show: ~200 MB).
    Only feed order is known at the end, so they are read back one by one (`items`,
    `articles`), from the page cache."""

    def __init__(self, folder: str | None) -> None:
        self.folder = folder
        self.file: Any = None  # made on the first spill
        self.end = 0
        self.where: dict[str, tuple[int, int, int]] = {}
        self.held: dict[str, tuple[int, int]] = {}
        self.unflushed = False

    def spill(self, path: str, data: tuple | list) -> tuple | list:
        """A build's data (`EpisodeBuild.to_data`) without its item and article (kept here),
        when it is complete and has an item."""
        item, article, complete = data[7], data[8], data[13]
        if not complete or not item:
            return data
        if self.file is None:
            self.file = tempfile.TemporaryFile(dir=self.folder)  # noqa: SIM115 (`close`)
        text = article.encode("utf-8", "surrogatepass")
        self.file.write(item)
        self.file.write(text)
        self.where[path] = (self.end, len(item), len(text))
        self.end += len(item) + len(text)
        self.unflushed = True
        return (*data[:7], SPILLED, "", *data[9:])

    def hold(self, path: str, manifest: Any) -> None:
        """Keep a parsed manifest waiting for the media step (`take`): pickled here, not held
        (a local-audio archive of 100,000 episodes: ~30 KB an episode)."""
        if self.file is None:
            self.file = tempfile.TemporaryFile(dir=self.folder)  # noqa: SIM115 (`close`)
        data = pickle.dumps(manifest, pickle.HIGHEST_PROTOCOL)
        self.file.write(data)
        self.held[path] = (self.end, len(data))
        self.end += len(data)
        self.unflushed = True

    def take(self, path: str) -> Any:
        """The manifest `hold` kept for `path`."""
        if self.unflushed:
            self.file.flush()
            self.unflushed = False
        start, size = self.held[path]
        return pickle.loads(os.pread(self.file.fileno(), size, start))

    def _read(self, build: EpisodeBuild) -> tuple[bytes, bytes]:
        if self.unflushed:
            self.file.flush()
            self.unflushed = False
        start, item, article = self.where[build.path]
        data = os.pread(self.file.fileno(), item + article, start)
        return data[:item], data[item:]

    def item(self, build: EpisodeBuild) -> bytes:
        return self._read(build)[0] if build.item is SPILLED else build.item

    def article(self, build: EpisodeBuild) -> str:
        if build.item is not SPILLED:
            return build.article
        return self._read(build)[1].decode("utf-8", "surrogatepass")

    def close(self) -> None:
        """Drop the scratch file (it has no name: closing removes it)."""
        if self.file is not None:
            self.file.close()
            self.file = None

    def items(self, builds: Sequence[EpisodeBuild]) -> Sequence[bytes]:
        return Lazy(builds, self.item)

    def articles(self, builds: Sequence[EpisodeBuild]) -> Sequence[str]:
        return Lazy(builds, self.article)


class Lazy(Sequence):
    """`read(builds[n])` for each n, read when asked for."""

    def __init__(self, builds: Sequence[EpisodeBuild], read: Callable[[EpisodeBuild], Any]):
        self.builds, self.read = builds, read

    def __len__(self) -> int:
        return len(self.builds)

    def __getitem__(self, n):  # type: ignore[override]
        if isinstance(n, slice):
            return [self.read(b) for b in self.builds[n]]
        return self.read(self.builds[n])
