"""Encode any input ffmpeg reads to MP3 or AAC (.m4a), loudness-normalised to the show's targets.

Two decodes: one `ebur128` pass measures the input; the encode pass applies a linear gain
(`volume`) and, only where that gain would push the true peak over the ceiling, a limiter
(`alimiter`, set a little below the ceiling since it limits sample peaks, not true peaks). A
third pass happens only when the result misses the target by more than 0.7 LU (heavy limiting).
The encoded stream is checked while it is written: ffmpeg's `tee` muxer writes the file and
also pipes the same packets into a second ffmpeg running `ebur128`, so "measure the result
again" costs no extra wall time on two cores (the file-only floor is measure + encode).

Files are written as DESIGN.md says: a temp file in the destination folder, fsync, rename,
so `dst` is either the previous file or the complete new one. Output carries no metadata at
all (`-map_metadata -1`, no ID3 tag, bit-exact muxing): tagging happens afterwards.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from media import assemble
from media.ffmpeg import Capabilities, ffmpeg_path, require, tool_problem
from media.loudness import Loudness, ebur128_filter, measure_args, parse_summary
from media.probe import refuse_padding
from media.stings import Sting
from segment.errors import MediaError, SegpackError
from segment.manifest import fsync_dir
from segment.models import AudioSettings
from segment.userfiles import file_problem

#: Lossy codecs overshoot a little (inter-sample peaks after decoding); keep this much
#: headroom when deciding whether a gain needs the limiter, and set the limiter this far below
#: the ceiling.
CODEC_HEADROOM_DB = 0.5
#: A result further than this from the target gets one corrective encode (e.g. when the
#: limiter took a lot off loud passages, or a low bitrate cut energetic high frequencies).
CORRECT_ABOVE_LU = 0.7

#: codec -> (ffmpeg encoder, muxer for the file, muxer for the check pipe, file suffix)
CODECS = {
    "mp3": ("libmp3lame", "mp3:id3v2_version=0:write_xing=1", "mp3", ".mp3"),
    "aac": ("aac", "ipod:movflags=+faststart", "adts", ".m4a"),
}


@dataclass(frozen=True)
class EncodeReport:
    """What `prepare` did, with the loudness before and after (None when not normalising)."""

    before: Loudness | None
    after: Loudness | None
    gain_db: float
    limited: bool
    target_lufs: float | None
    codec: str  # "mp3", "aac", or "copy" (kept as it is)
    duration: float | None
    path: Path | None = None
    channels: int | None = None
    passes: int = 1
    placement: assemble.Placement | None = None
    """Where the item's own audio sits in the result, when stings or trimming moved it."""


def codec_for(settings: AudioSettings, dst: Path) -> str:
    """`mp3`/`aac` as asked; with `encode: keep`, the codec the destination's suffix implies."""
    if settings.encode != "keep":
        return settings.encode
    return "aac" if dst.suffix.lower() in (".m4a", ".mp4", ".aac", ".m4b") else "mp3"


def suffix_for(settings: AudioSettings, src: Path) -> str:
    """The suffix `build` should give the prepared copy of `src` (".mp3", ".m4a", or src's own
    when the file is kept as it is); `codec_for` then agrees with it."""
    if not needs_work(settings):
        return src.suffix.lower()
    if settings.encode != "keep":
        return CODECS[settings.encode][3]
    return ".m4a" if src.suffix.lower() in (".m4a", ".mp4", ".aac", ".m4b") else ".mp3"


def needs_work(settings: AudioSettings) -> bool:
    """False when `build` may simply copy the file (keep, no loudness, no stings, no trim)."""
    return (settings.encode != "keep" or settings.normalise or bool(settings.intro)
            or bool(settings.outro) or settings.trim_silence)


def prepare(src: Path | str, dst: Path | str, settings: AudioSettings, *,
            show_dir: Path | None = None,
            stings: dict[str, Sting] | None = None) -> EncodeReport:
    """Write `src` to `dst` as the show's settings ask (encode, normalise, stings, trim).

    Intro/outro paths are relative to `show_dir` (the show folder); `stings` are them already
    conformed (`media.stings`; else conformed here, into the user cache). Raises MediaError
    naming the file; `dst` is never left half-written and no temp file is left behind.
    """
    src, dst = Path(src), Path(dst)
    problem = file_problem(src, "an audio file", missing="audio file not found")
    if problem is not None:  # a FIFO or a symlink loop is not "not found"
        raise MediaError(problem, path=src)
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not needs_work(settings):
        _copy(src, dst)
        return EncodeReport(None, None, 0.0, False, None, "copy", None, dst)
    codec = codec_for(settings, dst)
    caps = require(*works_for(settings, codec))
    refuse_padding(src)  # ffmpeg would hold gigabytes of trailing zeros in memory
    plan = assemble.plan(src, settings, show_dir, stings)
    if not settings.normalise:
        duration = _encode(plan, dst, codec, settings.bitrate, "anull", check=False)[1]
        return EncodeReport(None, None, 0.0, False, None, codec, duration, dst, plan.channels,
                            placement=plan.placement)
    before = measure_args(plan.inputs, str(src), plan.graph)
    targets = settings.loudness
    target = targets.mono if plan.channels == 1 else targets.stereo
    gain = 0.0 if before.silent else target - before.integrated
    limited, passes = False, 0
    while passes < 2:
        passes += 1
        limited = limited or before.true_peak + gain > targets.true_peak - CODEC_HEADROOM_DB
        chain = _chain(gain, limited, targets.true_peak, caps)
        after = _encode(plan, dst, codec, settings.bitrate, chain, check=True,
                        name=str(src))[0]
        assert after is not None, "check=True measures the result"
        miss = target - after.integrated
        if before.silent or not math.isfinite(miss) or abs(miss) <= CORRECT_ABOVE_LU:
            break
        gain += miss  # one corrective pass, e.g. after heavy limiting
    assert after is not None
    return EncodeReport(before, after, round(gain, 2), limited, target, codec,
                        after.duration, dst, plan.channels, passes, plan.placement)


def works_for(settings: AudioSettings, codec: str) -> list[str]:
    """What ffmpeg must be able to do for these settings (keys of `media.ffmpeg.NEEDS`)."""
    works = ["encode MP3" if codec == "mp3" else "encode AAC"]
    if settings.normalise:
        works += ["measure loudness", "check an encode while writing it", "limit peaks"]
    if settings.intro or settings.outro or settings.trim_silence:
        works.append("trim silence and add an intro or outro")
    return works


def prepare_many(jobs: Sequence[tuple], workers: int | None = None) -> list[EncodeReport]:
    """`prepare` for many (src, dst, settings[, show_dir]) jobs on `workers` threads.

    Threads suffice: the work happens in ffmpeg subprocesses. Reports come back in job order;
    every job runs to its end (each cleans up after itself), then the first error is raised.
    """
    workers = max(1, workers or os.cpu_count() or 1)

    def one(job: tuple) -> EncodeReport | SegpackError:
        src, dst, settings, *rest = job
        try:
            return prepare(src, dst, settings, show_dir=rest[0] if rest else None)
        except SegpackError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, jobs))
    for result in results:
        if isinstance(result, SegpackError):
            raise result
    return results  # type: ignore[return-value]


def _chain(gain: float, limited: bool, ceiling_db: float, caps: Capabilities) -> str:
    """The encode pass's filter: linear gain, then a limiter only when asked for."""
    chain = f"volume={gain:.2f}dB" if abs(gain) >= 0.005 else "anull"
    if limited:
        limit = 10 ** ((ceiling_db - CODEC_HEADROOM_DB) / 20)
        # level=0: no automatic make-up gain (alimiter's default would undo the gain we chose);
        # latency=1: take back its 5 ms look-ahead delay, so chapter times still line up. The
        # option is newer than 4.2 (5.1 has it): without it the limited audio is 5 ms late.
        latency = ":latency=1" if caps.has_option("alimiter", "latency") else ""
        chain += f",alimiter=limit={limit:.4f}:attack=5:release=50:level=0{latency}"
    return chain


def _encode(plan: assemble.Plan, dst: Path, codec: str, bitrate: str, chain: str, *,
            check: bool, name: str = "") -> tuple[Loudness | None, float | None]:
    """One encode pass into a temp file beside `dst`, then rename. With `check`, the encoded
    packets are measured on the fly; returns (loudness of the result, its duration)."""
    encoder, file_muxer, pipe_muxer, _ = CODECS[codec]
    temp = f".segpack-{uuid.uuid4().hex}.part"  # plain characters: safe inside tee's syntax
    if plan.graph:
        filters = ["-filter_complex", f"{plan.graph};[out]{chain}[enc]", "-map", "[enc]"]
    else:
        filters = ["-map", "0:a:0", "-af", chain]
    cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-nostats", "-y", "-loglevel", "error",
           *plan.inputs, *filters, "-vn", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters",
           "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-c:a", encoder, "-b:a", bitrate]
    fmt, _, opts = file_muxer.partition(":")
    if check:
        cmd += ["-f", "tee", f"[f={file_muxer}]{temp}|[f={pipe_muxer}:onfail=abort]pipe:1"]
    else:
        cmd += ["-f", fmt, *_muxer_opts(opts), temp]
    name = name or dst.name
    temp_path = dst.parent / temp
    try:
        with tempfile.TemporaryFile() as errors:
            if check:
                loudness = _encode_and_measure(cmd, dst.parent, errors, name)
            else:
                done = subprocess.run(cmd, cwd=dst.parent, stdout=subprocess.DEVNULL,
                                      stderr=errors, check=False)
                if done.returncode != 0:
                    raise _encode_error(errors, name)
                loudness = None
        if not temp_path.is_file() or temp_path.stat().st_size == 0:
            raise MediaError("ffmpeg wrote no audio", path=name)
        _fsync(temp_path)
        os.replace(temp_path, dst)
        fsync_dir(dst.parent)
    finally:
        temp_path.unlink(missing_ok=True)
    duration = loudness.duration if loudness else _decoded_duration(dst)
    return loudness, duration


def _encode_and_measure(cmd: list[str], cwd: Path, errors, name: str) -> Loudness:
    """Run the tee'd encode with its stdout piped into an ebur128 measurement."""
    check_cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-nostats", "-i", "pipe:0",
                 "-af", ebur128_filter(), "-f", "null", "-"]
    encoder = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=errors)
    try:
        checker = subprocess.Popen(check_cmd, stdin=encoder.stdout, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
    except BaseException:
        encoder.kill()
        encoder.wait()
        raise
    assert encoder.stdout is not None, "stdout=PIPE"
    encoder.stdout.close()  # the checker holds the read end now
    try:
        report = checker.communicate()[1].decode("utf-8", "replace")
    finally:
        if checker.poll() is None:  # interrupted: stop both (the encoder then sees EPIPE)
            checker.kill()
            checker.wait()
        encoder.wait()
    if encoder.returncode != 0:
        raise _encode_error(errors, name)
    return parse_summary(report, name, checker.returncode)


def _encode_error(errors, name: str) -> SegpackError:
    """The encode pass failed: a ToolError when ffmpeg refused the command, else the audio's."""
    errors.seek(0)
    problem = tool_problem(errors.read().decode("utf-8", "replace"))
    return problem or MediaError(f"ffmpeg could not encode it: {_last_line(errors)}", path=name)


def _decoded_duration(path: Path) -> float | None:
    """Duration as the header says (cheap); only used when no check pass ran."""
    try:
        return assemble.header_facts(path)[0]
    except MediaError:
        return None


def _muxer_opts(opts: str) -> list[str]:
    args = []
    for pair in filter(None, opts.split(":")):
        key, _, value = pair.partition("=")
        args += [f"-{key}", value]
    return args


def _last_line(errors) -> str:
    errors.seek(0)
    lines = [ln.strip() for ln in errors.read().decode("utf-8", "replace").splitlines()
             if ln.strip()]
    return lines[-1] if lines else "unknown error"


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _copy(src: Path, dst: Path) -> None:
    """Byte copy through a temp file in dst's folder (fsync, rename)."""
    temp = dst.parent / f".segpack-{uuid.uuid4().hex}.part"
    try:
        with open(src, "rb") as reader, open(temp, "wb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(temp, dst)
        fsync_dir(dst.parent)
    finally:
        temp.unlink(missing_ok=True)
