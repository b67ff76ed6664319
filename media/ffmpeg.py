"""Find ffmpeg, learn once what it can do, and run it.

Which binary (the first that exists wins; README "Which ffmpeg" has the evidence):

1. `SEGPACK_FFMPEG`: the user's explicit choice (a path, or a command name looked up on PATH);
2. the binary bundled in the `imageio-ffmpeg` wheel: a static build whose version pyproject
   pins and CI tests, the same on every machine (and the fastest to start);
3. `ffmpeg` on PATH: for platforms the wheel carries no binary for.

Any ffmpeg from 4.2 on works. What a binary can do (its version, the filters, encoders and
muxers segpack uses, and the filter options that changed between 4.2 and 7.x) is probed once
and cached per binary path, size and mtime in the user cache folder, so later runs pay one
`stat`. Commands are then built from that answer (`framelog`, `latency`), and a missing feature
is a `ToolError` naming the binary, what it lacks and how to pick another, never a complaint
about the user's audio. The wheel ships no ffprobe: probing uses mutagen first, ffmpeg second.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from segment.errors import MediaError, ToolError

ENV = "SEGPACK_FFMPEG"

#: What each piece of work needs: (kind, name) pairs, kind one of filter/encoder/muxer.
NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "measure loudness": (("filter", "ebur128"),),
    "encode MP3": (("encoder", "libmp3lame"), ("muxer", "mp3")),
    "encode AAC": (("encoder", "aac"), ("muxer", "ipod"), ("muxer", "adts")),
    "check an encode while writing it": (("muxer", "tee"),),
    "limit peaks": (("filter", "alimiter"),),
    "trim silence and add an intro or outro": (
        ("filter", "silencedetect"), ("filter", "atrim"), ("filter", "asetpts"),
        ("filter", "concat"), ("filter", "aresample"), ("filter", "aformat")),
}
#: Filters whose option lists we read: options that appeared after 4.2 are used only when there.
OPTION_FILTERS = ("ebur128", "alimiter")
PROBE_VERSION = 1
"""Bump when `Capabilities` changes: older cache entries are then probed again."""


@dataclass(frozen=True)
class Binary:
    """The ffmpeg in use: its path and where it came from (for messages and `doctor`)."""

    path: str
    origin: str  # "SEGPACK_FFMPEG" | "bundled" | "PATH"

    @property
    def origin_text(self) -> str:
        if self.origin == "bundled":
            return f"bundled with imageio-ffmpeg {_dist_version('imageio-ffmpeg') or ''}".strip()
        return {"SEGPACK_FFMPEG": f"from {ENV}", "PATH": "found on PATH"}[self.origin]


@dataclass(frozen=True)
class Capabilities:
    """What one ffmpeg binary offers, as far as segpack cares."""

    version: str
    filters: frozenset[str] = frozenset()
    encoders: frozenset[str] = frozenset()
    muxers: frozenset[str] = frozenset()
    options: dict[str, frozenset[str]] = field(default_factory=dict)

    def has(self, kind: str, name: str) -> bool:
        return name in {"filter": self.filters, "encoder": self.encoders,
                        "muxer": self.muxers}[kind]

    def has_option(self, filter_name: str, word: str) -> bool:
        """True when `-h filter=NAME` lists `word` (an option or a named constant)."""
        return word in self.options.get(filter_name, frozenset())

    def missing(self, work: str) -> list[str]:
        """What `work` (a key of NEEDS) needs and this binary lacks, e.g. ['ebur128 filter']."""
        return [f"{name} {kind}" for kind, name in NEEDS[work] if not self.has(kind, name)]

    @property
    def version_tuple(self) -> tuple[int, ...] | None:
        """(5, 1, 9) from '5.1.9-0+deb12u1', 'n7.0.2' or '4.2.2-static'; None for git builds.

        >>> [Capabilities(v).version_tuple for v in ("5.1.9-0+deb12u1", "n7.0.2", "N-1-gab")]
        [(5, 1, 9), (7, 0, 2), None]
        """
        found = re.match(r"n?(\d+)\.(\d+)(?:\.(\d+))?", self.version)
        return tuple(int(x) for x in found.groups() if x is not None) if found else None

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("filters", "encoders", "muxers"):
            data[key] = sorted(data[key])
        data["options"] = {k: sorted(v) for k, v in self.options.items()}
        return data

    @classmethod
    def from_json(cls, data: object) -> Capabilities | None:
        """Rebuild from a cache entry; None for anything not of the expected shape."""
        if not isinstance(data, dict) or not isinstance(data.get("version"), str):
            return None
        sets = {}
        for key in ("filters", "encoders", "muxers"):
            value = data.get(key)
            if not (isinstance(value, list) and all(isinstance(x, str) for x in value)):
                return None
            sets[key] = frozenset(value)
        options = data.get("options")
        if not (isinstance(options, dict) and all(
                isinstance(v, list) and all(isinstance(x, str) for x in v)
                for v in options.values())):
            return None
        return cls(data["version"][:200], sets["filters"], sets["encoders"], sets["muxers"],
                   {str(k): frozenset(v) for k, v in options.items()})


# --- which binary -------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def find() -> Binary:
    """The ffmpeg to use (SEGPACK_FFMPEG, else bundled, else PATH); cached for the process."""
    override = os.environ.get(ENV)
    if override:
        path = override if os.sep in override else shutil.which(override)
        if not (path and os.path.isfile(path) and os.access(path, os.X_OK)):
            raise ToolError(f"{ENV}={override!r} is not an executable file: point it at an "
                            f"ffmpeg binary, or unset it to use the bundled one")
        return Binary(os.path.abspath(path), "SEGPACK_FFMPEG")
    bundled = bundled_path()
    if bundled:
        return Binary(bundled, "bundled")
    found = shutil.which("ffmpeg")
    if found:
        return Binary(os.path.abspath(found), "PATH")
    raise ToolError("ffmpeg not found: `pip install imageio-ffmpeg` (it bundles one), install "
                    f"ffmpeg 4.2 or newer on PATH, or set {ENV}=/path/to/ffmpeg")


def bundled_path() -> str | None:
    """The binary inside the installed imageio-ffmpeg wheel, found without importing it (whose
    own lookup runs `ffmpeg -version` every time); None when the wheel has none for this
    platform."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("imageio_ffmpeg")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent / "binaries"
    try:
        found = [p for p in folder.iterdir() if p.name.startswith("ffmpeg")
                 and p.is_file() and os.access(p, os.X_OK)]
    except OSError:
        return None
    return str(found[0]) if len(found) == 1 else None


def reset() -> None:
    """Forget the binary chosen and what it can do (after SEGPACK_FFMPEG changes: tests)."""
    find.cache_clear()
    tool.cache_clear()
    capabilities.cache_clear()


def ffmpeg_path() -> str:
    """Path of the ffmpeg binary to use; it has been seen to run (probed) by now."""
    return tool()[0].path


def ffprobe_path() -> str | None:
    """A system ffprobe when present (optional: nothing requires it)."""
    return shutil.which("ffprobe")


# --- what it can do -----------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def tool() -> tuple[Binary, Capabilities]:
    """The binary in use and its capabilities (from the cache, else probed once)."""
    binary = find()
    return binary, capabilities(binary.path)


@functools.lru_cache(maxsize=8)
def capabilities(path: str) -> Capabilities:
    """What the ffmpeg at `path` can do; probed once per path+size+mtime, then cached on disk."""
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError as exc:
        raise ToolError(f"cannot use ffmpeg at {path}: {exc.strerror}") from None
    key = [st.st_size, st.st_mtime_ns]
    cached = _cache_read().get(real)
    if isinstance(cached, dict) and cached.get("stat") == key:
        caps = Capabilities.from_json(cached.get("caps"))
        if caps is not None:
            return caps
    caps = probe_binary(path)
    _cache_write(real, {"stat": key, "caps": caps.to_json()})
    return caps


def probe_binary(path: str) -> Capabilities:
    """Ask the binary itself: -version, -filters, -encoders, -muxers, -h filter=... (in
    parallel: about 0.05 s together even for a dynamically linked build)."""
    asks = {"version": ["-version"], "filters": ["-filters"], "encoders": ["-encoders"],
            "muxers": ["-muxers"]}
    asks.update({f"options:{name}": ["-h", f"filter={name}"] for name in OPTION_FILTERS})
    running = {}
    try:
        for key, args in asks.items():
            running[key] = subprocess.Popen([path, "-hide_banner", *args], stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        answers = {key: proc.communicate(timeout=60)[0].decode("utf-8", "replace")
                   for key, proc in running.items()}
    except (OSError, subprocess.SubprocessError) as exc:
        for proc in running.values():
            proc.kill()
            proc.wait()
        raise ToolError(f"cannot run ffmpeg at {path}: {exc}; {pick_another_hint()}") from None
    found = re.search(r"ffmpeg version (\S+)", answers["version"])
    if not found or running["version"].returncode != 0:
        raise ToolError(f"{path} does not answer like ffmpeg to -version; "
                        f"{pick_another_hint()}")
    return Capabilities(found.group(1), _names(answers["filters"]), _names(answers["encoders"]),
                        _names(answers["muxers"]),
                        {name: _option_words(answers[f"options:{name}"])
                         for name in OPTION_FILTERS})


def _names(listing: str) -> frozenset[str]:
    """Names from `ffmpeg -filters/-encoders/-muxers`: the word after the flag column.

    >>> sorted(_names("Filters:\\n  T.. = Timeline support\\n ... ebur128  A->N  EBU R128\\n"
    ...               " TS aap  AA->A  Affine\\n  E mp3  MP3\\n A....D libmp3lame  MP3\\n"))
    ['aap', 'ebur128', 'libmp3lame', 'mp3']
    """
    names = set()
    for line in listing.splitlines():
        words = line.split()
        if len(words) >= 2 and re.fullmatch(r"[A-Z.|]+", words[0]) and \
                re.fullmatch(r"[\w,]+", words[1]):
            names.update(words[1].split(","))
    return frozenset(names)


def _option_words(help_text: str) -> frozenset[str]:
    """Option names and named constants from `ffmpeg -h filter=NAME` (first word of each
    indented line after 'AVOptions:')."""
    _, _, options = help_text.partition("AVOptions:")
    return frozenset(line.split()[0] for line in options.splitlines()
                     if line.startswith("  ") and line.split())


def require(*works: str) -> Capabilities:
    """The capabilities of the ffmpeg in use; ToolError when it lacks what `works` need."""
    binary, caps = tool()
    for work in works:
        lacking = caps.missing(work)
        if lacking:
            raise ToolError(f"{describe(binary, caps)} cannot {work}: it has no "
                            f"{' and no '.join(lacking)}; {pick_another_hint(binary.origin)}")
    return caps


def describe(binary: Binary | None = None, caps: Capabilities | None = None) -> str:
    """'ffmpeg 5.1.9-0+deb12u1 (/usr/bin/ffmpeg, found on PATH)', for messages."""
    if binary is None or caps is None:
        binary, caps = tool()
    return f"ffmpeg {caps.version} ({binary.path}, {binary.origin_text})"


def pick_another_hint(origin: str | None = None) -> str:
    """How to choose another ffmpeg, worded for where the one in use came from."""
    if origin == "SEGPACK_FFMPEG" or os.environ.get(ENV):
        return (f"point {ENV} at another ffmpeg (4.2 or newer), or unset it to use the bundled "
                "one; `segpack doctor` shows which is used")
    bundled = "" if origin == "bundled" else ", or `pip install imageio-ffmpeg` for the bundled one"
    return (f"set {ENV}=/path/to/ffmpeg to use another (4.2 or newer){bundled}; "
            "`segpack doctor` shows which is used")


# --- the cache ----------------------------------------------------------------------------

CACHE_ENTRIES = 32


def cache_file() -> Path | None:
    """`<user cache dir>/segpack/ffmpeg-probe.json` (None when no cache folder can be named)."""
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("segpack", appauthor=False)) / "ffmpeg-probe.json"
    except (ImportError, OSError, KeyError, RuntimeError):
        return None


def _cache_read() -> dict:
    """The cache's entries; {} when absent, unreadable, too big or not what we wrote."""
    path = cache_file()
    if path is None:
        return {}
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read(1 << 20))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != PROBE_VERSION:
        return {}
    entries = data.get("binaries")
    return entries if isinstance(entries, dict) else {}


def _cache_write(real: str, entry: dict) -> None:
    """Add one entry: a private temp file renamed over the cache, so readers see the old or
    the new file whole; any OSError (read-only home, full disk) only means probing again."""
    path = cache_file()
    if path is None:
        return
    entries = {k: v for k, v in _cache_read().items() if k != real}
    entries[real] = entry
    entries = dict(list(entries.items())[-CACHE_ENTRIES:])
    text = json.dumps({"version": PROBE_VERSION, "binaries": entries}, indent=1)
    temp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(prefix=".ffmpeg-probe-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
        temp = None
    except OSError:
        pass
    finally:
        if temp:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


# --- running it ---------------------------------------------------------------------------

_TOOL_PROBLEM = re.compile(
    r"Unable to parse option value[^\n]*|Option '?[\w-]*'? not found[^\n]*|"
    r"No such filter[^\n]*|Filter not found|Unknown encoder[^\n]*|Encoder not found|"
    r"Error (?:setting|applying) option[^\n]*|Unrecognized option[^\n]*|"
    r"Requested output format[^\n]*|Unknown (?:output )?format[^\n]*")


def tool_problem(stderr: str) -> ToolError | None:
    """A ToolError when ffmpeg's stderr shows it refused segpack's command itself (an option,
    filter, encoder or format this build does not know), rather than failing on the input.

    >>> str(tool_problem('[ebur128 @ 0x5] Unable to parse option value "quiet"\\nConversion '
    ...                  'failed!')).split(' (')[0].startswith('ffmpeg')
    True
    >>> tool_problem('Invalid data found when processing input') is None
    True
    """
    found = _TOOL_PROBLEM.search(stderr)
    if not found:
        return None
    binary, _ = tool()
    return ToolError(f"{describe()} refused segpack's command ({found.group(0).strip()}): a "
                     f"problem with this ffmpeg, not with the audio; "
                     f"{pick_another_hint(binary.origin)}")


def run_ffmpeg(args: Sequence[str], *, timeout: float | None = None,
               check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg quietly (no stdin, no banner); raise MediaError with its last line on failure
    (ToolError when ffmpeg refused the command itself)."""
    cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-y", *args]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise MediaError(f"ffmpeg took longer than {timeout:.0f} s") from None
    if check and done.returncode != 0:
        text = done.stderr.decode("utf-8", "replace")
        problem = tool_problem(text)
        if problem:
            raise problem
        lines = text.strip().splitlines()
        raise MediaError(f"ffmpeg failed: {lines[-1] if lines else 'exit ' + str(done.returncode)}")
    return done
