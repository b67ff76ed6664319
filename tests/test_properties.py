"""Property tests: any valid segment survives manifest write -> read with every field equal."""

from __future__ import annotations

import string
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segment.loading import load_segment
from segment.manifest import render_manifest
from segment.models import Chapter, Person, Segment

# Text people write in any script: letters, marks, numbers, punctuation, symbols (emoji), spaces;
# no control characters (SEG209 refuses them) and no surrogates.
TEXT = st.text(st.characters(categories=("L", "M", "N", "P", "S", "Zs"),
                             exclude_characters="\u2028\u2029\x85"),
               min_size=1, max_size=80).filter(lambda s: s.strip() == s and s.strip())
SLUG = st.from_regex(r"\A[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,4}\Z")
URL = st.builds(lambda host, path: f"https://{host}.example/{path}",
                st.text(string.ascii_lowercase, min_size=1, max_size=12),
                st.text(string.ascii_letters + string.digits + "-_/", max_size=30))
WHEN = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1),
                    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-4)),
                                               timezone(timedelta(hours=5, minutes=30))]))
PARAGRAPH = st.lists(TEXT, min_size=1, max_size=30).map(" ".join)


@st.composite
def segments(draw) -> Segment:
    duration = draw(st.integers(min_value=60, max_value=4 * 3600))
    starts = sorted(draw(st.sets(st.integers(min_value=0, max_value=duration - 1),
                                 max_size=20)))
    return Segment(
        id=draw(SLUG), title=draw(TEXT), summary=draw(st.none() | TEXT),
        duration=float(duration), language=draw(st.sampled_from(["en", "ar", "fa", "zh-Hant",
                                                                  "ru", "en-US", "ps"])),
        transcript="\n\n".join(draw(st.lists(PARAGRAPH, min_size=1, max_size=5))),
        published=draw(st.none() | WHEN.map(lambda d: d.replace(microsecond=0))),
        audio={"direct_link": draw(st.none() | URL), "file": "media/x.mp3"},
        source={"url": draw(st.none() | URL), "publisher": draw(st.none() | TEXT)},
        image={"caption": draw(st.none() | TEXT)},
        persons=[Person(name=n) for n in draw(st.lists(TEXT, max_size=3))],
        chapters=[Chapter(start=float(s), title=draw(TEXT)) for s in starts],
        season=draw(st.none() | st.integers(0, 99)), episode=draw(st.none() | st.integers(0, 9999)),
        keywords=draw(st.lists(TEXT, max_size=4)),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(segments())
def test_manifest_write_read_round_trip(tmp_path: Path, segment: Segment) -> None:
    data = segment.model_dump(mode="json", exclude={"transcript"}, exclude_defaults=True)
    path = tmp_path / "segments" / f"{segment.id}.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(render_manifest(data, segment.transcript), encoding="utf-8")
    item = load_segment(path)
    assert item.segment is not None, [f.message for f in item.findings]
    assert item.segment == segment.model_copy(update={"transcript": segment.transcript.strip()})


@settings(max_examples=300)
@given(st.one_of(SLUG, st.text(max_size=200)))
def test_derived_guid_is_uuid5_of_the_id(segment_id: str) -> None:
    """`derived_guid` formats the UUIDv5 itself (for speed): it must be uuid.uuid5's answer."""
    import uuid

    from segment.models import GUID_NAMESPACE, derived_guid

    assert derived_guid(segment_id) == str(uuid.uuid5(GUID_NAMESPACE, segment_id))


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2003"
                                            "ab\u00e9.")), max_size=60))
def test_word_count_is_str_split(text: str) -> None:
    """SEG504's `word_count` splits ASCII text as bytes (for speed): the same count."""
    from segment.rules import word_count

    assert word_count(text) == len(text.split())
