"""Offline alignment of a transcript to its audio (`segpack align`, extra `segpack[align]`).

cues (text -> caption cues) -> espeak (the text read by espeak-ng: reference features and cue
boundaries) + decode (the programme's features, streamed through ffmpeg) -> dtw (the path, in
windows of bounded size) -> aligner (cue times, confidences, the match verdict) -> captions
(WebVTT / SubRip files with the cache key). `command` is the CLI.
"""
