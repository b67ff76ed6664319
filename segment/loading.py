"""Turn manifest files and show folders into models plus findings (nothing printed here).

Shared by `validate` (which reports the findings) and `build` (which refuses to publish on
errors), so both see exactly the same rules.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ValidationError

from segment.errors import ManifestError
from segment.manifest import read_manifest, read_yaml_file
from segment.messages import type_problem
from segment.models import Segment, Show
from segment.rules import (
    CHECKS,
    MEDIA_CHECKS,
    RULES,
    SHOW_CHECKS,
    SHOW_MEDIA_CHECKS,
    Context,
    Finding,
    ShowContext,
    inside,
    local_file_problem,
)

if TYPE_CHECKING:  # only a type here: its imports (email, xml.sax) cost tag ~14 ms at start-up
    from segment.published import Published
from segment.yamlio import Located

SHOW_FILE = "show.yaml"
_MODEL_NAME = re.compile(r"a valid dictionary or instance of \w+")
SEGMENTS_DIR = "segments"


@dataclass
class SegmentFile:
    """One manifest: the segment when valid, and everything found about it."""

    path: Path
    segment: Segment | SegmentSummary | None
    """A `SegmentSummary` when it was read in a worker process (`load_segments`)."""
    findings: list[Finding] = field(default_factory=list)
    id_position: tuple[int, int] = (1, 1)
    guid_position: tuple[int, int] = (1, 1)
    stat: tuple[int, int] | None = None
    """(mtime_ns, size) as read, when the manifest could be read."""
    data: dict[str, Any] | None = field(default=None, repr=False)
    """The front matter plus transcript the valid `segment` was made from: what a cache
    stores (validating it again gives the same segment); only when asked for."""

    def packed(self) -> tuple:
        """Plain data for another process or a cache (`unpacked`): the segment as its id,
        GUID and draft flag (`SegmentSummary`), the findings and the key positions."""
        seg = self.segment
        return (None if seg is None else (seg.id, seg.item_guid, seg.draft),
                [f.as_tuple() for f in self.findings], self.id_position, self.guid_position)

    @classmethod
    def unpacked(cls, path: str | Path, packed: tuple,
                 stat: tuple[int, int] | None = None) -> SegmentFile:
        summary, findings, id_position, guid_position = packed
        return cls(Path(path), None if summary is None else SegmentSummary(*summary),
                   [Finding.from_tuple(f) for f in findings], tuple(id_position),
                   tuple(guid_position), stat)


@dataclass
class ShowFolder:
    """A show folder: its show.yaml (if any) and its segments."""

    root: Path
    show: Show | None
    segments: list[SegmentFile]
    findings: list[Finding] = field(default_factory=list)

    def all_findings(self) -> list[Finding]:
        found = list(self.findings)
        for item in self.segments:
            found.extend(item.findings)
        return found


def finding_from_error(exc: ManifestError) -> Finding:
    return Finding(exc.code, exc.message, exc.path or "", exc.line or 1, 1, exc.field)


def model_findings(error: ValidationError, model: type[BaseModel], path: Path, meta: Located,
                   body_line: int | None = None) -> list[Finding]:
    """Map pydantic's errors onto rule codes and the lines of the offending keys."""
    found = []
    for err in error.errors(include_url=False):
        loc = tuple(err["loc"])
        name = ".".join(map(str, loc))
        kind = err["type"]
        if kind in RULES:
            code, message = kind, err["msg"]
        elif kind == "extra_forbidden":
            code, message = "SEG102", f"unknown key {name!r}{_did_you_mean(model, loc)}"
        elif kind == "missing" and loc == ("transcript",):
            code, message = "SEG208", "no transcript: write it below the closing '---'"
        elif kind == "missing":
            code, message = "SEG201", f"missing required field {name!r}"
        elif loc == ("transcript",):
            code, message = "SEG208", "the transcript (body) is empty"
        else:
            text = _MODEL_NAME.sub("a mapping of key: value lines", err["msg"])
            code, message = "SEG207", type_problem(kind, name, err.get("input"),
                                                   err.get("ctx"), _holds_models(model, loc)) or \
                f"{name}: {text} (got {_short(err.get('input'))})"
        if loc[:1] == ("transcript",) and body_line:
            line, column = body_line, 1
        elif kind == "missing":
            line, column = meta.position(loc[:-1])
        else:
            line, column = meta.position(loc)
        found.append(Finding(code, message, str(path), line, column, name))
    return found


def _did_you_mean(model: type[BaseModel], loc: tuple) -> str:
    """Suggest the field a typo was meant to be, walking nested models by the location."""
    target: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = getattr(target, "model_fields", {}).get(part)
        if info is None:
            return ""
        target = _model_in(info.annotation)
        if target is None:
            return ""
    names = list(getattr(target, "model_fields", {}))
    close = difflib.get_close_matches(str(loc[-1]), names, n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(names)}"


def _holds_models(model: type[BaseModel], loc: tuple) -> bool:
    """Whether the field at `loc` holds models (a list of persons), not plain values."""
    target: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = getattr(target, "model_fields", {}).get(part)
        if info is None:
            return False
        target = _model_in(info.annotation)
        if target is None:
            return False
    return True


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found:
            return found
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@functools.lru_cache(maxsize=64)
def _is_link(folder: Path) -> bool:
    """Whether a manifests folder is a symlink: asked once per folder, not once per file."""
    return folder.is_symlink()


def show_dir_for(manifest: Path) -> Path:
    """Paths in a manifest are relative to its show folder (the parent of `segments/`).

    A manifest named from inside its folder (`item.md`, `./item.md`, `../segments/x/..`)
    says nothing of that folder by its name: its real name decides (`segpack validate
    item.md` run in `SHOW/segments` finds SHOW as `..`, not the segments folder)."""
    parent = manifest.parent
    if parent.name in ("", ".", ".."):
        folder = Path(os.path.abspath(parent))
        return Path(os.path.relpath(folder.parent)) if folder.name == SEGMENTS_DIR else parent
    return parent.parent if parent.name == SEGMENTS_DIR else parent


def load_segment(path: Path, show: Show | None = None, show_dir: Path | None = None,
                 settings: dict[str, Any] | None = None, keep_data: bool = False,
                 media: bool = False, published: Published | None = None) -> SegmentFile:
    """Read, validate and check one manifest (`keep_data`: keep what it was made from;
    `media`: also open the files it names, `MEDIA_CHECKS`; `published`: what the output's
    feed publishes, for SEG416)."""
    show_dir = show_dir or show_dir_for(path)
    if (os.path.islink(path) or _is_link(path.parent)) and not inside(path, show_dir):
        return SegmentFile(path, None, [Finding(
            "SEG302", "the manifest is a symlink to a file outside the show folder; keep "
            "manifests inside it", str(path))])
    try:
        raw = read_manifest(path)
    except ManifestError as exc:
        return SegmentFile(path, None, [finding_from_error(exc)])
    data = dict(raw.meta.data)
    if "transcript" in data:
        line, column = raw.meta.position(("transcript",))
        return SegmentFile(path, None, [Finding(
            "SEG102", "'transcript' is not a front-matter key: the transcript is the body below "
            "the closing '---'", str(path), line, column, "transcript")], stat=raw.stat)
    if raw.body and not raw.body.isspace():
        data["transcript"] = raw.body
    if show is not None and show.captions == "align":
        data = _unaligned_anchors(data)
    try:
        segment = Segment.model_validate(data)
    except ValidationError as exc:
        return SegmentFile(path, None, model_findings(exc, Segment, path, raw.meta,
                                                      raw.body_line), stat=raw.stat)
    if media and not MEDIA_CHECKS:
        raise RuntimeError("load_segment(media=True): import media.checks first")
    ctx = Context(path, segment, raw.meta, raw.body_line, show, show_dir,
                  settings or {}, published)
    found = [f for _, run in (CHECKS + MEDIA_CHECKS if media else CHECKS) for f in run(ctx)]
    # Keep positions, not the node tree: 10,000 retained trees make the GC crawl.
    id_position = raw.meta.position(("id",))
    guid_position = raw.meta.position(("guid",), id_position) if "guid" in data else id_position
    return SegmentFile(path, segment, found, id_position, guid_position, raw.stat,
                       data if keep_data else None)


def _unaligned_anchors(data: dict[str, Any]) -> dict[str, Any]:
    """show.yaml's `captions: align`: a segment the build aligns may have chapters anchored
    to the text (`at:`) with no `start` yet; they load with start 0, and the build takes the
    aligned time (or leaves them out when it cannot align: `feeds.align_step`)."""
    from segment.captions import aligned_in_build

    audio, chapters = data.get("audio"), data.get("chapters")
    if not isinstance(chapters, list) or not aligned_in_build(
            "align", data.get("captions"), isinstance(audio, dict) and audio.get("file"),
            data.get("transcript"), data.get("transcripts", ())):
        return data
    return {**data, "chapters": [
        {**c, "start": 0} if isinstance(c, dict) and "start" not in c and
        c.get("at") is not None else c for c in chapters]}


def load_show_file(path: Path, checks: bool = False,
                   settings: dict[str, Any] | None = None,
                   media: bool = False) -> tuple[Show | None, list[Finding]]:
    """Read and validate show.yaml; `checks` also runs the show rules (`SHOW_CHECKS`: what
    directories require of the channel), each finding at its key's line; `media` also opens
    the files it names (`SHOW_MEDIA_CHECKS`)."""
    try:
        meta = read_yaml_file(path)
    except ManifestError as exc:
        return None, [finding_from_error(exc)]
    try:
        show = Show.model_validate(meta.data)
    except ValidationError as exc:
        return None, model_findings(exc, Show, path, meta)
    found: list[Finding] = []
    if checks:
        ctx = ShowContext(path, show, meta, path.parent, settings or {})
        found.extend(f for _, run in SHOW_CHECKS for f in run(ctx))
    if checks and media:
        found.extend(f for _, run in SHOW_MEDIA_CHECKS for f in run(ctx))
    if not show.feed_url:
        line, column = meta.position(("title",))
        found.append(Finding("SEG404", "no feed_url: the feed cannot point at itself "
                             "(atom:link rel=self) nor derive podcast:guid", str(path), line,
                             column, "feed_url"))
    for keys, rel in ((("image", "file"), show.image.file), (("audio", "intro"), show.audio.intro),
                      (("audio", "outro"), show.audio.outro)):
        problem = local_file_problem(path.parent, rel) if rel else None
        if problem is not None:  # the rule manifests' paths follow, and build applies
            line, column = meta.position(keys)
            found.append(Finding(problem[0], problem[1], str(path), line, column, ".".join(keys)))
    return show, found


def is_show_folder(folder: Path) -> bool:
    return (folder / SHOW_FILE).is_file() or (folder / SEGMENTS_DIR).is_dir()


def manifests_in(folder: Path) -> list[Path]:
    """Manifests of a show folder (segments/*.md) or of a plain folder (*.md)."""
    where = folder / SEGMENTS_DIR if (folder / SEGMENTS_DIR).is_dir() else folder
    return sorted(p for p in where.glob("*.md") if p.name.lower() != "readme.md")


def load_show_folder(root: Path, settings: dict[str, Any] | None = None, *,
                     jobs: int = 1, progress: Progress | None = None,
                     media: bool = False, published: Published | None = None) -> ShowFolder:
    """Load show.yaml and every segment, with show-wide checks (duplicate ids and GUIDs,
    where the media are published: `show_wide_findings`).

    `jobs` > 1 reads big folders in that many processes (`load_segments`); `media` also opens
    the files show.yaml and the manifests name."""
    show_path = root / SHOW_FILE
    there = os.path.lexists(show_path)  # a FIFO or a symlink loop is reported, not skipped
    show, found = (load_show_file(show_path, checks=True, settings=settings, media=media)
                   if there else (None, []))
    paths = manifests_in(root)
    if not there and (root / SEGMENTS_DIR).is_dir():
        found.append(Finding("SEG403", f"no {SHOW_FILE} in {root}: the feed needs a title, "
                             "description and language", str(root)))
    if not paths:
        found.append(Finding("SEG109", f"no manifests (*.md) in {root}", str(root)))
    segments = load_segments(paths, show, root, settings, jobs=jobs, progress=progress,
                             media=media, published=published)
    found.extend(show_wide_findings(show_path, show, segments))
    return ShowFolder(root, show, segments, found)


class Progress(Protocol):
    """What `load_segments` reports to: started once any worker processes exist."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


@dataclass
class SegmentSummary:
    """Stands in for a segment read in a worker process: what show-wide checks need."""

    id: str
    item_guid: str
    draft: bool


_LOADING: tuple[Show | None, Path | None, dict[str, Any], bool, Published | None] | None = None
"""(show, show folder, settings, media, published) for worker processes; set before forking."""


def load_segments(paths: list[Path], show: Show | None = None, show_dir: Path | None = None,
                  settings: dict[str, Any] | None = None, *, jobs: int = 1,
                  progress: Progress | None = None, media: bool = False,
                  published: Published | None = None) -> list[SegmentFile]:
    """`load_segment` for each of `paths`, in order, over `jobs` processes.

    Segments read in workers come back as a `SegmentSummary` with their findings: enough to
    report and to check ids and GUIDs across the show, not to look at their media."""
    global _LOADING
    from segment.parallel import map_chunks, workers_wanted  # multiprocessing: not for `tag`

    if not workers_wanted(jobs, len(paths)):
        if progress is not None:
            progress.start(len(paths))
        done = []
        for path in paths:
            done.append(load_segment(path, show, show_dir, settings, media=media,
                                     published=published))
            if progress is not None:
                progress.advance(1)
        return done
    _LOADING = (show, show_dir, settings or {}, media, published)
    try:
        done = []
        started = None if progress is None else (lambda: progress.start(len(paths)))
        for chunk, batch in map_chunks(_load_packed, [str(p) for p in paths], jobs, started):
            done.extend(SegmentFile.unpacked(name, packed)
                        for name, packed in zip(chunk, batch, strict=True))
            if progress is not None:
                progress.advance(len(chunk))
        return done
    finally:
        _LOADING = None


def _load_packed(paths: list[str]) -> list[tuple]:
    """In a worker: each manifest's summary, findings and key positions, as plain tuples."""
    assert _LOADING is not None, "load_segments sets the show before forking"
    show, show_dir, settings, media, published = _LOADING
    return [load_segment(Path(path), show, show_dir, settings, media=media,
                         published=published).packed() for path in paths]


def show_wide_findings(show_path: Path, show: Show | None,
                       segments: Sequence[SegmentFile]) -> list[Finding]:
    """What only the whole show tells: `duplicate_findings`, and SEG406 when an episode is to
    be published and show.yaml does not say where (a new show whose one segment is a draft
    validates and builds). `validate` and `build` both ask this."""
    found = duplicate_findings(segments)
    if show is not None and not (show.media_base_url or show.feed_url) and any(
            item.segment is not None and not item.segment.draft for item in segments):
        found.append(Finding("SEG406", "neither media_base_url nor feed_url in show.yaml: the "
                             "feed cannot link its media and transcripts; add feed_url",
                             str(show_path), 1, 1, "feed_url"))
    return found


def duplicate_findings(segments: Iterable[SegmentFile]) -> list[Finding]:
    """SEG401/SEG402/SEG405: ids and GUIDs must be unique; ids should match file names."""
    found = []
    first_id: dict[str, Path] = {}
    first_guid: dict[str, Path] = {}
    for item in segments:
        seg = item.segment
        if seg is None:
            continue
        line, column = item.id_position
        if seg.id in first_id:
            found.append(Finding("SEG401", f"id {seg.id!r} already used by "
                                 f"{first_id[seg.id]}", str(item.path), line, column, "id"))
            continue
        first_id[seg.id] = item.path
        guid = seg.item_guid  # derived GUIDs follow ids, so a clash here is an explicit guid
        if guid in first_guid:
            gline, gcol = item.guid_position
            found.append(Finding("SEG402", f"GUID {guid!r} already used by {first_guid[guid]}",
                                 str(item.path), gline, gcol, "guid"))
        first_guid.setdefault(guid, item.path)
        if item.path.name != f"{seg.id}.md" and item.path.stem != seg.id:  # name: cheaper
            found.append(Finding("SEG405", f"id {seg.id!r} differs from the file name "
                                 f"{item.path.name!r}; rename one", str(item.path), line,
                                 column, "id"))
    return found
