"""Write a segment's metadata into an audio file, and read every table field back.

The container is taken from the file's content (`probe.sniff`), the keys from the field table,
the reading and writing of each tag family from `id3`, `mp4` and `vorbis`. Writes go through
`journal`: in place under a rollback journal when the new tags fit the old tag region (MP3, the
common podcast case, whatever the audio's length), else a tagged copy renamed over the original.
The audio payload is never touched: only the tag region (and a trailing ID3v1 tag) changes.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from media import containers, journal
from media import id3 as id3_store
from media.fieldtable import BY_NAME, FIELDS, field_values
from media.probe import check_mp3_complete, load_mutagen, sniff
from segment.clikit import warn
from segment.errors import MediaError, SegpackError
from segment.manifest import fsync_dir
from segment.models import Segment, Show

PAD_MIN = 4096
"""Padding left after a tag that had to grow, so the next re-tag fits in place."""


@dataclass(frozen=True)
class Change:
    """One field whose value differs between the file and the segment."""

    field: str
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": printable(self.old), "new": printable(self.new)}


def printable(value: Any) -> Any:
    """Bytes (artwork) shown as a short description; everything else as is."""
    if isinstance(value, (bytes, bytearray)):
        from media.artwork import image_mime

        return f"<{image_mime(bytes(value))}, {len(value)} bytes>"
    return value


def values_for(segment: Segment, show: Show | None = None,
               artwork: bytes | None = None) -> dict[str, Any]:
    """Field name -> value to write (fields without a value are left out)."""
    values = {k: v for k, v in field_values(segment, show).items() if v is not None}
    if artwork is not None:
        values["artwork"] = artwork
    return values


def _pad(info: Any) -> int:
    """Keep the old padding when the new tag fits; else leave room for the next re-tag."""
    if info.padding >= 0:
        return info.padding
    return PAD_MIN + max(0, -info.padding) // 8 + 1024


# --- the file as loaded: one small adapter per tag family -------------------------------------

@dataclass
class _Loaded:
    path: Path
    container: str
    family: str
    tags: Any  # ID3 / MP4Tags / VCommentDict
    audio: Any = None  # the mutagen file object (non-MP3)
    tag_size: int = 0  # MP3: bytes of the ID3v2 region at the start
    v1_offset: int | None = None  # MP3: where a trailing ID3v1 tag starts

    def read(self) -> dict[str, Any]:
        if self.family == "id3":
            return id3_store.read(self.tags)
        if self.family == "mp4":
            from media import mp4 as mp4_store  # MP4 and Vorbis stores load only when used

            return mp4_store.read(self.tags, getattr(self.audio, "chapters", None))
        from media import vorbis as vorbis_store

        pictures = getattr(self.audio, "pictures", None)
        return vorbis_store.read(self.tags, pictures)

    def clear(self) -> None:
        self.tags.clear()
        if self.container == "flac":
            self.audio.clear_pictures()

    def write(self, values: dict[str, Any]) -> None:
        if self.family == "id3":
            id3_store.write(self.tags, values)
        elif self.family == "mp4":
            from media import mp4 as mp4_store

            mp4_store.write(self.tags, values)
        else:
            from media import vorbis as vorbis_store

            vorbis_store.write(self.tags, values,
                               flac=self.audio if self.container == "flac" else None)


def _load(path: Path, handle: BinaryIO, container: str) -> _Loaded:
    family = containers.BY_NAME[container].family
    if container == "mp3":
        return _load_mp3(path, handle)
    audio = load_mutagen(path, container)
    if audio.tags is None:
        audio.add_tags()
    return _Loaded(path, container, family, audio.tags, audio)


WINDOW = 16384
"""Bytes after the tag in which mutagen normally finds the first MPEG frames."""
_STREAMS: dict[tuple[bytes, int], Any] = {}
"""(first bytes after the tag, bytes after the tag) -> mutagen's MPEGInfo or the error: copies
of one recording (a thousand files tagged in one run) are parsed once."""


class _OutOfWindow(Exception):
    pass


class _Window:
    """The first bytes after the tag standing in for the file (of `size` bytes from there) while
    mutagen looks for the first frames; reading past them means "ask the real file"."""

    def __init__(self, data: bytes, size: int):
        self.data, self.size, self.pos = data, size, 0

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset + (0, self.pos, self.size)[whence]
        return self.pos

    def tell(self) -> int:
        return self.pos

    def read(self, count: int = -1) -> bytes:
        end = self.size if count < 0 else min(self.pos + count, self.size)
        if end > len(self.data):
            raise _OutOfWindow
        chunk = self.data[self.pos:end]
        self.pos = max(self.pos, end)
        return chunk


def _mp3_layout(path: Path, handle: BinaryIO) -> tuple[int, int | None]:
    """(bytes of the leading ID3v2 region, offset of a trailing ID3v1 tag or None); checks that
    MPEG audio follows the tag and that the file is not truncated."""
    from mutagen import MutagenError
    from mutagen.mp3 import MPEGInfo

    fd = handle.fileno()
    size = os.fstat(fd).st_size
    head = os.pread(fd, 10, 0)
    tag_size = 0
    if len(head) == 10 and head.startswith(b"ID3"):
        from media.id3raw import synchsafe

        tag_size = 10 + synchsafe(head[6:10]) + (10 if head[5] & 0x10 else 0)
    window = os.pread(fd, WINDOW, tag_size)
    key = (window, size - tag_size)
    info = _STREAMS.get(key)
    if info is None:
        try:
            try:
                info = MPEGInfo(_Window(window, size - tag_size), 0)
            except _OutOfWindow:
                handle.seek(tag_size)
                info = MPEGInfo(handle, tag_size)
        except MutagenError as exc:
            info = f"no MPEG audio found after the tag ({exc})"
        if len(_STREAMS) >= 8:
            del _STREAMS[next(iter(_STREAMS))]
        _STREAMS[key] = info
    if isinstance(info, str):
        raise MediaError(info, path)
    v1_offset = None
    if size >= 128 + tag_size and os.pread(fd, 3, size - 128) == b"TAG":
        v1_offset = size - 128
    check_mp3_complete(path, info, size, tag_size + (128 if v1_offset else 0))
    return tag_size, v1_offset


def _plan_mp3_fast(path: Path, handle: BinaryIO, values: dict[str, Any],
                   renderer: Callable[[], Any], dry_run: bool,
                   ) -> tuple[list[Change], journal.Write | None] | None:
    """Frame-level re-tag (see `id3raw`); None when the tag needs the mutagen way."""
    from media.id3raw import tag_bytes

    tag_size, v1_offset = _mp3_layout(path, handle)
    if v1_offset is not None:
        return None
    old_head = os.pread(handle.fileno(), tag_size, 0)
    plan = renderer().plan(old_head)
    if plan is None:
        return None
    if not plan.changed:
        return [], None
    changes = [Change(name, plan.before.get(name), values[name]) for name in plan.changed]
    if dry_run:
        return changes, None
    needed = 10 + len(plan.frames)
    if tag_size and needed <= tag_size:
        if "patch" not in plan.derived:
            plan.derived["patch"] = _changed_span(old_head, tag_bytes(plan.frames, tag_size))
        return changes, journal.Write(path, handle, patches=[plan.derived["patch"]])
    if "grown" not in plan.derived:
        plan.derived["grown"] = tag_bytes(plan.frames, needed + PAD_MIN + needed // 8)
    new_head = plan.derived["grown"]
    end = os.fstat(handle.fileno()).st_size

    def rewrite(temp: BinaryIO) -> int:
        temp.write(new_head)
        journal.copy_range(handle, temp, tag_size, end - tag_size)
        return len(new_head) + end - tag_size

    return changes, journal.Write(path, handle, rewrite=rewrite)


def _load_mp3(path: Path, handle: BinaryIO) -> _Loaded:
    """Reads only the ID3 tag and the first MPEG frames: the cost is the tag's, not the audio's."""
    from mutagen import MutagenError
    from mutagen.id3 import ID3, ID3NoHeaderError

    tag_size, v1_offset = _mp3_layout(path, handle)
    try:
        handle.seek(0)
        tags = ID3(handle)
    except ID3NoHeaderError:
        tags = ID3()
    except MutagenError as exc:
        raise MediaError(f"unreadable ID3 tag: {exc}; strip it (ffmpeg -i IN -map_metadata "
                         "-1 -c copy OUT) or re-encode the file", path) from None
    return _Loaded(path, "mp3", "id3", tags, None, tag_size, v1_offset)


def _plan_write(loaded: _Loaded, handle: BinaryIO) -> journal.Write | None:
    """How the new tags reach the disk: patches in place, or a rewritten copy."""
    if loaded.container == "mp3":
        return _plan_mp3(loaded, handle)

    def rewrite(temp: BinaryIO) -> None:  # mutagen sizes the result; the copy is checked
        journal.copy_range(handle, temp, 0)
        temp.seek(0)
        loaded.audio.save(temp, padding=_pad)

    return journal.Write(loaded.path, handle, rewrite=rewrite)


def _plan_mp3(loaded: _Loaded, handle: BinaryIO) -> journal.Write | None:
    """Render the new ID3v2.4 tag from a copy of the old tag region only, then either patch it in
    place (it fits: journalled) or write a new file: new tag + the untouched audio bytes."""
    from mutagen.id3 import ID3v1SaveOptions

    fd = handle.fileno()
    old_head = os.pread(fd, loaded.tag_size, 0)
    # 128 zero bytes stand for "no ID3v1 here" so mutagen never mistakes tag bytes for one.
    buffer = io.BytesIO(old_head + bytes(128))
    loaded.tags.save(buffer, v1=ID3v1SaveOptions.UPDATE, v2_version=4, padding=_pad)
    new_head = buffer.getvalue()[:-128]
    v1, v1_offset = None, loaded.v1_offset
    if v1_offset is not None:
        from mutagen.id3._id3v1 import MakeID3v1  # stable for years; no public equivalent

        v1 = MakeID3v1(loaded.tags)
    if len(new_head) == loaded.tag_size:
        patches = [_changed_span(old_head, new_head)] if old_head != new_head else []
        if v1 is not None and v1_offset is not None:
            patches.append((v1_offset, v1))
        patches = [p for p in patches if p[1]]
        return journal.Write(loaded.path, handle, patches=patches) if patches else None
    size = os.fstat(fd).st_size
    end = loaded.v1_offset if loaded.v1_offset is not None else size

    def rewrite(temp: BinaryIO) -> int:
        temp.write(new_head)
        journal.copy_range(handle, temp, loaded.tag_size, end - loaded.tag_size)
        if v1 is not None:
            temp.write(v1)
        return len(new_head) + end - loaded.tag_size + (len(v1) if v1 is not None else 0)

    return journal.Write(loaded.path, handle, rewrite=rewrite)


RIFF_CHUNKS = 10_000
"""More chunks than any tool writes (a WAV has a handful): past this, the file is refused
rather than walked header by header."""


def check_riff_size(path: Path, handle: BinaryIO) -> None:
    """Refuse a WAV whose RIFF header, or any chunk in it, claims more bytes than the file
    holds (a tool that wrote it to a pipe leaves 0xFFFFFFFF there; a damaged `id3 ` chunk may
    claim 2 GB): mutagen would write sizes past 4 GB, or fail on the chunk with a traceback."""
    fd = handle.fileno()
    head = os.pread(fd, 12, 0)
    size = os.fstat(fd).st_size
    claimed = int.from_bytes(head[4:8], "little") + 8 if len(head) >= 8 else 0
    if claimed > size + 1:  # RIFF pads an odd-sized last chunk with one byte
        raise MediaError(f"WAV header says {claimed:,} bytes but the file holds {size:,} (a "
                         "WAV written to a pipe never gets its sizes filled in); rewrite it "
                         "with ffmpeg -i IN.wav -c copy OUT.wav, then tag OUT.wav", path)
    at, end = 12, min(claimed, size)
    for _ in range(RIFF_CHUNKS):
        if at + 8 > end:
            return
        chunk = os.pread(fd, 8, at)
        length = int.from_bytes(chunk[4:8], "little")
        if at + 8 + length > end + 1:
            name = "".join(c if c.isprintable() else "?" for c in chunk[:4].decode("latin-1"))
            fix = "re-export it" if name == "fmt " else \
                "rewrite it with ffmpeg -i IN.wav -c copy OUT.wav, then tag OUT.wav"
            raise MediaError(f"its WAV chunk '{name}' at byte {at:,} says {length:,} bytes but "
                             f"only {max(0, end - at - 8):,} follow (a damaged or unfinished "
                             f"file); {fix}", path)
        at += 8 + length + (length & 1)
    raise MediaError(f"more than {RIFF_CHUNKS:,} chunks in a WAV file: not one segpack can "
                     "tag; rewrite it with ffmpeg -i IN.wav -c copy OUT.wav", path)


def _changed_span(old: bytes, new: bytes) -> journal.Patch:
    """The smallest (offset, bytes) that turns `old` into `new` (same length): coarse steps
    first, so a 10 KB tag is compared in a few dozen slices, not byte by byte."""
    size = len(new)
    start = 0
    for step in (4096, 256, 16, 1):
        while start + step <= size and old[start:start + step] == new[start:start + step]:
            start += step
    end = size
    for step in (4096, 256, 16, 1):
        while end - step >= start and old[end - step:end] == new[end - step:end]:
            end -= step
    return start, new[start:end]


# --- public API --------------------------------------------------------------------------------

def _same(field: str, old: Any, new: Any, family: str) -> bool:
    if field == "chapters" and family == "vorbis" and old and new:
        def strip(chapters):
            return [{k: c.get(k) for k in ("start", "title", "url")} for c in chapters]
        return strip(old) == strip(new)
    return old == new


def _stored(field: str, family: str) -> bool:
    spec = BY_NAME[field]
    return bool(spec.id3 if family == "id3" else spec.mp4 if family == "mp4" else spec.vorbis)


def write_tags(path: str | Path, segment: Segment, show: Show | None = None, *,
               clean: bool = False, dry_run: bool = False,
               artwork: bytes | None = None) -> list[Change]:
    """Write the segment's fields into `path`; return what changed (nothing written on dry run).

    Unrelated tags already in the file are kept unless `clean`. Crash-safe (see `journal`).
    """
    result = write_many([Path(path)], segment, show, clean=clean, dry_run=dry_run,
                        artwork=artwork)[0]
    if isinstance(result, SegpackError):
        raise result
    return result


def same_file_keys(paths: list[Path]) -> list[str]:
    """Per path, the real path of the first of `paths` that names the same file: a symlink and
    its target, or two hard links to one inode (same st_dev and st_ino), share one key."""
    return _same_file_keys([os.path.realpath(path) for path in paths])


def _same_file_keys(reals: list[str]) -> list[str]:
    """`same_file_keys` from the paths' real paths (resolved once: `write_many` needs them
    twice, and resolving a deep path costs a syscall per folder in it)."""
    keys: list[str] = []
    by_inode: dict[tuple[int, int], str] = {}
    for real in reals:
        try:
            info = os.stat(real)
        except OSError:  # missing or unreadable: reported by its own name when planned
            keys.append(real)
            continue
        keys.append(by_inode.setdefault((info.st_dev, info.st_ino), real))
    return keys


BATCH = 256
"""Files committed together (one round of flushes); also the most files held open at once."""


def write_many(paths: list[Path], segment: Segment, show: Show | None = None, *,
               clean: bool = False, dry_run: bool = False, artwork: bytes | None = None,
               on_done: Callable[[Path], None] | None = None,
               containers: dict[Path, str] | None = None,
               ) -> list[list[Change] | SegpackError]:
    """`write_tags` for many files with the same segment: per file its changes or its error
    (and, when `containers` is given, each file's container as sniffed, by path).

    Files are planned one by one (each locked while its batch is open) and committed in batches
    with a group commit, so a thousand files cost a few flush rounds, not three fsyncs each.

    Files are taken in one canonical order (real paths, sorted) whatever order the caller gives:
    a run holds its batch's locks until the batch commits, so two runs sharing files in opposite
    orders would otherwise wait for each other forever; a file named twice (through a symlink,
    or a hard link: one inode) is tagged once, where locking it twice would wait on itself.
    """
    named = list(paths)
    reals = [os.path.realpath(path) for path in named]
    keys = _same_file_keys(reals)
    before = {} if dry_run else _hard_links(reals, keys)
    first: dict[str, Path] = {}
    links: dict[str, str] = {}  # target -> how errors name it: "link -> what it says"
    for key, path in zip(keys, paths, strict=True):
        # a symlink is followed: its target is tagged (its journal and temp file sit beside
        # the target, and the rename lands there), and the link stays a link
        if key not in first and os.path.islink(path):
            links[key] = f"{path} -> {os.readlink(path)}"
            path = Path(key)
        first.setdefault(key, Path(path))
    canonical = sorted(first)
    paths = [first[key] for key in canonical]
    values = values_for(segment, show, artwork)
    results: list[list[Change] | SegpackError] = []
    rendered: list[Any] = []

    def renderer() -> Any:
        if not rendered:
            from media.id3raw import Renderer

            rendered.append(Renderer(values))
        return rendered[0]

    closing = None  # the previous batch's files, closed in the background
    try:
        for start in range(0, len(paths), BATCH):
            chunk = paths[start:start + BATCH]
            handles: list[BinaryIO] = []
            writes: list[journal.Write] = []
            outcome: list[list[Change] | SegpackError] = []
            try:
                for path in chunk:
                    try:
                        changes, write = _plan(Path(path), values, clean, dry_run, handles,
                                               renderer, containers)
                    except SegpackError as exc:
                        outcome.append(exc)
                        continue
                    outcome.append(changes)
                    if write is not None:
                        writes.append(write)
                try:
                    skipped = journal.commit(writes)
                except Exception as exc:  # a full disk, also as mutagen's error in a rewrite
                    why = _write_failure(exc)
                    if why is None:
                        raise
                    skipped = {w.path: f"write failed: {why}" for w in writes}
                outcome = [MediaError(skipped[Path(p)], p) if Path(p) in skipped else r
                           for p, r in zip(chunk, outcome, strict=True)]
            finally:
                if closing is not None:
                    closing.result()
                closing = journal.close_all_later(handles)
            results.extend(outcome)
            if on_done:
                for path in chunk:
                    on_done(Path(path))
    finally:
        if closing is not None:
            closing.result()
    if on_done:
        for key in keys[len(canonical):]:  # the duplicates, so progress reaches its length
            on_done(Path(key))
    by_key = dict(zip(canonical, results, strict=True))
    for key, shown in links.items():
        error = by_key[key]
        if isinstance(error, SegpackError) and error.path == key:
            error.path = shown
    return [_relink(path, key, by_key[key], before) if key in before else by_key[key]
            for path, key in zip(named, keys, strict=True)]


def _hard_links(reals: list[str], keys: list[str]) -> dict[str, tuple[int, int]]:
    """Key -> its inode, for the keys that more than one real path names (hard links)."""
    names: dict[str, set[str]] = {}
    for real, key in zip(reals, keys, strict=True):
        names.setdefault(key, set()).add(real)
    found = {}
    for key, named in names.items():
        if len(named) > 1:
            with contextlib.suppress(OSError):
                info = os.stat(key)
                found[key] = (info.st_dev, info.st_ino)
    return found


def _relink(path: Path, key: str, result: list[Change] | SegpackError,
            before: dict[str, tuple[int, int]]) -> list[Change] | SegpackError:
    """`path`'s result when it is a hard link to the file tagged as `key`. A tagged copy
    renamed over `key` is a new inode, so `path` still names the old, untagged one: it is
    linked to the new file too (when it still names the old one), else its line says so."""
    real = os.path.realpath(path)
    if real == key or not isinstance(result, list) or not result:
        return result
    try:
        now, new = os.stat(real), os.stat(key)
        if (now.st_dev, now.st_ino) == (new.st_dev, new.st_ino):
            return result  # patched in place: every name sees the new tags
        if (now.st_dev, now.st_ino) != before[key]:
            return MediaError(f"replaced while segpack was tagging its hard link {key}; left "
                              "as it is: run segpack tag again", path)
        tmp = journal.temp_path(Path(real))
        os.link(key, tmp)
        os.replace(tmp, real)
        fsync_dir(Path(real).parent)
    except OSError as exc:
        return MediaError(f"a hard link to {key}, which got a tagged copy; this name still "
                          f"has the old tags ({exc.strerror or exc})", path)
    return result


def _write_failure(exc: BaseException) -> str | None:
    """Why a commit failed in words (a full disk, a file size limit, an I/O error), also when
    mutagen, growing a tagged copy's tag, wrapped the OSError in its own error; None for a bug."""
    from mutagen import MutagenError

    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    if isinstance(exc, MutagenError):
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else \
            exc.__cause__ or exc.__context__
        return cause.strerror or str(cause) if isinstance(cause, OSError) else str(exc)
    return None


def _plan(path: Path, values: dict[str, Any], clean: bool, dry_run: bool,
          handles: list[BinaryIO], renderer: Callable[[], Any] | None = None,
          containers: dict[Path, str] | None = None,
          ) -> tuple[list[Change], journal.Write | None]:
    container = sniff(path)
    if containers is not None:
        containers[path] = container
    if not dry_run:
        journal.check_writable(path)
    elif note := journal.pending_note(path):  # a dry run writes nothing, a replay included
        warn(f"segpack: warning: {note}")
    handle = journal.open_locked(path, write=not dry_run)
    handles.append(handle)
    seen = journal.identity(os.fstat(handle.fileno()))  # before any byte is read
    changes, write = _plan_open(path, handle, container, values, clean, dry_run, renderer)
    if write is not None:
        write.seen = seen
    return changes, write


def _plan_open(path: Path, handle: BinaryIO, container: str, values: dict[str, Any],
               clean: bool, dry_run: bool, renderer: Callable[[], Any] | None,
               ) -> tuple[list[Change], journal.Write | None]:
    from mutagen import MutagenError

    try:
        if container == "mp3" and not clean and renderer is not None:
            fast = _plan_mp3_fast(path, handle, values, renderer, dry_run)
            if fast is not None:
                return fast
        if container == "wav":
            check_riff_size(path, handle)
        loaded = _load(path, handle, container)
        old = loaded.read()
        family = loaded.family
        changes = [Change(name, old.get(name), new) for name, new in values.items()
                   if _stored(name, family) and not _same(name, old.get(name), new, family)]
        if clean:
            changes += [Change(name, value, None) for name, value in old.items()
                        if name not in values]
        if dry_run or not (changes or clean):
            return changes, None
        if clean:
            loaded.clear()
        loaded.write(values)
        return changes, _plan_write(loaded, handle)
    except MutagenError as exc:
        raise MediaError(f"cannot tag it: {exc}", path) from None


def read_tags(path: str | Path) -> dict[str, Any]:
    """Every field of the table by name (None when absent); `chapters` a list of dicts."""
    path = Path(path)
    container = sniff(path)
    with journal.locked(path, write=False) as handle:
        loaded = _load(path, handle, container)
        found = loaded.read()
    result = {f.name: found.get(f.name) for f in FIELDS}
    result["chapters"] = found.get("chapters") or []
    return result


def read_tags_safe(path: Path) -> dict[str, Any]:
    """`read_tags` for a command: any mutagen failure becomes a one-line MediaError, and a
    pending rollback journal beside the file is pointed out (reading never replays it)."""
    from mutagen import MutagenError

    note = journal.pending_note(path)
    if note:
        warn(f"segpack: warning: {note}")
    try:
        return read_tags(path)
    except MutagenError as exc:
        raise MediaError(f"cannot read the tags: {exc}", path) from None
