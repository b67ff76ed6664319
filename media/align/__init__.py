"""Offline alignment of a transcript to its audio (`segpack align`, extra `segpack[align]`).

cues (text -> caption cues) -> espeak (the text read by espeak-ng: reference features and cue
boundaries) + decode (the programme's features, streamed through ffmpeg) -> dtw (the path, in
windows of bounded size) -> aligner (cue times, confidences, the match verdict) -> captions
(WebVTT / SubRip files with the cache key). `command` is the CLI.
"""

from segment.errors import SegpackError

EXTRA = ("numpy", "sentencex", "webvtt")
"""What `pip install 'segpack[align]'` brings (webvtt is webvtt-py's module)."""


class AlignerMissing(SegpackError, OSError):
    """What the aligner needs is not installed."""


def check_installed() -> None:
    """One clear line, not a traceback, when the `align` extra is not installed."""
    import importlib

    for name in EXTRA:
        try:
            importlib.import_module(name)
        except ImportError:
            raise AlignerMissing(f"segpack align needs the align extra ({name} is missing): "
                                 "pip install 'segpack[align]'") from None
