"""Segment manifests on disk: YAML front matter (metadata) + Markdown body (the transcript).

Reading is strict and fast (see `yamlio`); every way a file can fail to be a manifest becomes a
`ManifestError` with the file, line and a rule code. Writing goes through ruamel.yaml's
round-trip mode so a person's comments and key order survive a rewrite, and through
`atomic_write` so a crash never leaves half a manifest.
"""

from __future__ import annotations

import functools
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segment.errors import ManifestError, SegpackError
from segment.userfiles import NotAFileError, open_fd
from segment.yamlio import Located, YamlProblem, load_located

MAX_MANIFEST_BYTES = 8_000_000
"""Largest manifest accepted (front matter + transcript): a 2 MB transcript fits four times."""

FENCE = "---"


@dataclass
class RawManifest:
    """A manifest split and parsed, before model validation."""

    path: Path
    meta: Located
    body: str
    body_line: int
    stat: tuple[int, int] | None = None
    """(mtime_ns, size) as seen before reading (`read_text_stat`)."""


def read_text(path: Path, limit: int = MAX_MANIFEST_BYTES, what: str = "manifest") -> str:
    """Read a UTF-8 text file, turning every way it is not one into a one-line ManifestError."""
    return read_text_stat(path, limit, what)[0]


def read_text_stat(path: Path, limit: int = MAX_MANIFEST_BYTES, what: str = "manifest"
                   ) -> tuple[str, tuple[int, int]]:
    """`read_text`, plus the file's (mtime_ns, size) as seen before reading it.

    One open, one fstat and (for a manifest) one read: builds read thousands of manifests,
    and Python's buffered open adds an isatty ioctl, an lseek and a second fstat per file.
    The stat is what a cache compares later: taken before the read, an edit made while
    reading counts as a change. A FIFO, folder or symlink loop is refused before any read
    (`segment.userfiles`)."""
    try:
        fd, info = open_fd(path, what=f"a {what} file")
        try:
            size = info.st_size
            if size > limit:
                raise ManifestError(f"{what} is {size / 1e6:.1f} MB; the limit is "
                                    f"{limit / 1e6:.0f} MB", path, code="SEG105")
            data = _read_all(fd, size, limit, path, what)
        finally:
            os.close(fd)
    except NotAFileError as exc:
        raise ManifestError(exc.message, path, code="SEG104") from None
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc.strerror or exc}", path, code="SEG104") from None
    if not data or data.isspace():
        raise ManifestError(f"empty file; a {what} needs YAML metadata", path, code="SEG104")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ManifestError("UTF-16 text: save the file as UTF-8", path, code="SEG104")
    if data.find(b"\0", 0, 8192) != -1:
        raise ManifestError(f"binary file, not a text {what}", path, code="SEG104")
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # as "utf-8-sig" would, in C
    try:
        text = data[bom:].decode("utf-8") if bom else data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start + bom
        line = data[:start].count(b"\n") + 1
        raise ManifestError(f"not UTF-8 (byte 0x{data[start]:02x} at offset {start}); "
                            "save the file as UTF-8", path, line=line, code="SEG104") from None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text, (info.st_mtime_ns, size)


def _read_all(fd: int, size: int, limit: int, path: Path, what: str) -> bytes:
    """The whole file: usually one read of `size` bytes and one that finds the end; more if
    the file grew, or on file systems that return short reads."""
    chunks = [os.read(fd, size + 1)]
    total = len(chunks[0])
    while chunks[-1]:
        if total > limit:
            raise ManifestError(f"{what} grew past the {limit / 1e6:.0f} MB limit while "
                                "being read", path, code="SEG105")
        chunk = os.read(fd, max(size + 1 - total, 1 << 16))
        total += len(chunk)
        chunks.append(chunk)
    return b"".join(chunks) if len(chunks) > 2 else chunks[0]


def split_front_matter(text: str, path: Path) -> tuple[str, str, int]:
    """Return (yaml text, body, body's first line); the YAML starts on file line 2."""
    if not text.startswith(FENCE) or text[3:4] not in ("\n", ""):
        raise ManifestError("no front matter: a manifest starts with a '---' line, then YAML "
                            "metadata, then '---' and the transcript", path, line=1, code="SEG103")
    end = text.find("\n---", 3)
    while end != -1 and text[end + 4: end + 5] not in ("\n", ""):
        end = text.find("\n---", end + 4)
    if end == -1:
        raise ManifestError("front matter is not closed: add a '---' line after the metadata",
                            path, line=1, code="SEG103")
    yaml_text = text[4: end + 1]
    body_start = end + 5
    body_line = yaml_text.count("\n") + 3
    body = text[body_start:]
    return yaml_text, body, body_line


def read_manifest(path: str | Path) -> RawManifest:
    """Read and parse one manifest; raise ManifestError naming file, line and rule code."""
    if not isinstance(path, Path):
        path = Path(path)
    text, stat_key = read_text_stat(path)
    yaml_text, body, body_line = split_front_matter(text, path)
    meta = load_yaml_text(yaml_text, path, first_line=2)
    return RawManifest(path, meta, body.strip("\n"), body_line, stat_key)


def load_yaml_text(text: str, path: Path, first_line: int = 1) -> Located:
    """Parse YAML that must be a mapping (front matter, show.yaml)."""
    try:
        meta = load_located(text, first_line)
    except YamlProblem as exc:
        raise ManifestError(str(exc), path, line=exc.line, code=exc.code) from None
    if meta.data is None:
        meta.data = {}
    if not isinstance(meta.data, dict):
        raise ManifestError(f"metadata must be a mapping of keys to values, not a "
                            f"{type(meta.data).__name__}", path, line=first_line, code="SEG107")
    return meta


def read_yaml_file(path: str | Path, what: str = "show.yaml") -> Located:
    """Read a plain YAML mapping file such as show.yaml."""
    path = Path(path)
    return load_yaml_text(read_text(path, what=what), path)


# --- writing ---------------------------------------------------------------------------------

def atomic_write(path: str | Path, data: bytes | str, *, sync: bool = True) -> None:
    """Write via a temp file in the same folder, fsync, rename: readers see old or new, whole.

    `sync=False` leaves out both fsyncs, for caches whose readers take an unreadable file as
    empty: after a power cut such a file may be the old one, empty or torn. A folder that is
    missing or not writable is the user's to fix: one line, no traceback.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise SegpackError(f"cannot write here: {exc.strerror or exc}", path) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise SegpackError(f"cannot write: {exc.strerror or exc}", path) from None
        raise
    if sync:
        fsync_dir(path.parent)


def sync_file_system(folder: Path) -> None:
    """Write the file system holding `folder` to disk (Linux syncfs(2)): unlike os.sync(),
    it does not wait for other file systems' writeback. os.sync() where syncfs is missing."""
    syncfs = _syncfs()
    if syncfs is not None:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            if syncfs(fd) == 0:  # ctypes releases the GIL during the call
                return
        finally:
            os.close(fd)
    os.sync()


@functools.lru_cache(maxsize=1)
def _syncfs():
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


LAYOUT_WIDTH = 1_000_000
"""No line is ever folded: a long summary or URL stays on its key's line, so a change is a
one-line diff and no line ends in a space where a fold would have been."""


def sequence_offset(yaml_text: str | None) -> int:
    """How far this document indents a block list under its key: 0 for

    key:
    - a

    (PyYAML's layout, which imports write), 2 for `key:` then `  - a`; a person's choice is
    kept. 0 when the document has no list yet.

    >>> sequence_offset("keys:\n  - a\n")
    2
    >>> sequence_offset("a: 1\nkeys:\n- a\n")
    0
    """
    if yaml_text:
        match = _FIRST_LIST.search(yaml_text)
        if match:
            return len(match.group(2)) - len(match.group(1))
    return 0


_FIRST_LIST = re.compile(r"^( *)[^\s#-][^\n]*:[ \t]*(?:#[^\n]*)?\n(?:[ \t]*(?:#[^\n]*)?\n)*( *)- ",
                         re.M)


def round_trip_yaml(yaml_text: str | None = None):
    """The one YAML writer for manifests and show.yaml, new or rewritten: ruamel's round trip
    (comments, key order and quoting kept), `null` written as `null`, no folding, lists
    indented as `yaml_text` (the document being rewritten) indents them.

    A first import writes the same layout with PyYAML's C emitter (`segment.importers
    .manifests.render_new`, 40x faster): rewriting such a file without changes gives it back
    byte for byte, so a re-import that changes one field changes one line."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = LAYOUT_WIDTH
    offset = sequence_offset(yaml_text)
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    yaml.representer.add_representer(type(None), _null)
    return yaml


def _null(representer, _value):
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


_round_trip_yaml = round_trip_yaml  # the name media.align uses


def render_manifest(meta: dict[str, Any], body: str) -> str:
    """Text of a new manifest from plain data (key order as given)."""
    stream = io.StringIO()
    round_trip_yaml().dump(meta, stream)
    return f"{FENCE}\n{stream.getvalue()}{FENCE}\n{body.strip()}\n"


def write_manifest(path: str | Path, updates: dict[str, Any], body: str | None = None,
                   remove: tuple[str, ...] = ()) -> None:
    """Create or update a manifest, keeping the comments, key order and quoting already there.

    `updates` is merged key by key into nested mappings; keys not mentioned are left alone.
    """
    path = Path(path)
    atomic_write(path, updated_text(path, updates, body, remove))


def updated_text(path: Path, updates: dict[str, Any], body: str | None = None,
                 remove: tuple[str, ...] = (), placeholder: str | None = None) -> str:
    """The text `write_manifest` would write (the manifest need not exist yet). A key the
    update fills loses its end-of-line comment when that comment is `placeholder` (an import's
    "# not in page", no longer true)."""
    if path.exists():
        text = read_text(path)
        yaml_text, old_body, _ = split_front_matter(text, path)
        yaml = round_trip_yaml(yaml_text)
        doc = yaml.load(yaml_text) or {}
        new_body = old_body if body is None else body
    else:
        from ruamel.yaml.comments import CommentedMap

        yaml = round_trip_yaml()
        doc = CommentedMap()
        new_body = body or ""
    merge_into(doc, updates, placeholder)
    for key in remove:
        doc.pop(key, None)
    stream = io.StringIO()
    yaml.dump(doc, stream)
    return f"{FENCE}\n{stream.getvalue()}{FENCE}\n{new_body.strip()}\n"


def merge_into(doc: Any, updates: dict[str, Any], placeholder: str | None = None) -> None:
    """Set `updates` in `doc` (a round-trip mapping), merging nested mappings key by key so
    keys, comments and order the update does not mention are kept; a key given a value loses
    its end-of-line comment if that is `placeholder`."""
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            merge_into(doc[key], value, placeholder)
            continue
        doc[key] = value
        if placeholder and value is not None:
            _drop_comment(doc, key, placeholder)


def _drop_comment(doc: Any, key: str, comment: str) -> None:
    """Remove `comment` from the end of `key`'s line; comment lines below it stay."""
    items = getattr(getattr(doc, "ca", None), "items", {})
    token = (items.get(key) or [None] * 3)[2]
    if token is None:
        return
    first, _, rest = token.value.partition("\n")
    if first.strip() != comment:
        return
    if rest:
        token.value = "\n" + rest
    else:
        items[key][2] = None
