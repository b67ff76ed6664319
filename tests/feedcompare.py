"""Compare an original feed's elements with a rebuilt one's by meaning, with lxml (a reader we did
not write) and small normalisers: what a podcast app would show, not the bytes.

`signature(el)` is an element's meaning: its name, its text as a reader shows it (HTML tags and
entities aside, white space collapsed; yes/true and no/false alike; a duration in seconds; a date
as an instant), its attributes and its children's signatures."""

from __future__ import annotations

import html
import re
from datetime import timezone
from email.utils import parsedate_to_datetime

PREFIXES = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
            "podcast": "https://podcastindex.org/namespace/1.0",
            "content": "http://purl.org/rss/1.0/modules/content/",
            "atom": "http://www.w3.org/2005/Atom",
            "psc": "http://podlove.org/simple-chapters"}
OLD_PODCAST = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
FLAGS = {"itunes:explicit", "itunes:block", "itunes:complete", "podcast:locked", "podcast:block"}
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


def name_of(el) -> str:
    """`itunes:summary`, `title`; other namespaces by the document's own prefix."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if not tag.startswith("{"):
        return tag
    space, local = tag[1:].split("}", 1)
    space = PREFIXES["podcast"] if space == OLD_PODCAST else space
    prefix = next((p for p, uri in PREFIXES.items() if uri == space), None) or el.prefix
    return f"{prefix}:{local}" if prefix else f"{{{space}}}{local}"


def item_elements(parent, name: str) -> list:
    """`parent`'s child elements called `name` (`itunes:summary`, `title`)."""
    return [el for el in parent if isinstance(el.tag, str) and name_of(el) == name]


def plain(text: str | None) -> str:
    """Text as a listener reads it: markup and entities aside, white space collapsed."""
    text = re.sub(r"<[^>]*>", " ", text or "")
    return " ".join(html.unescape(text).split())


def seconds(text: str) -> float | str:
    parts = text.strip().split(":")
    try:
        total = 0.0
        for part in parts:
            total = total * 60 + float(part)
    except ValueError:
        return text.strip()
    return total


def instant(text: str) -> float | str:
    try:
        stamp = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return text.strip()
    if stamp.tzinfo is None and text.strip().endswith("-0000"):
        stamp = stamp.replace(tzinfo=timezone.utc)  # RFC 5322: UTC, local zone unknown
    return stamp.timestamp() if stamp.tzinfo else text.strip()


NUMBERS = {"duration", "startTime", "split", "bitrate"}
DEFAULTS = {"podcast:person": {"role": "host", "group": "cast"}}
"""Attributes whose value is a number, and attribute values the specification defaults to."""


def attribute(name: str, key: str, value: str) -> str | float | tuple:
    value = " ".join(value.split())
    if key in NUMBERS or (name == "psc:chapter" and key == "start"):
        number = seconds(value)
        return number if isinstance(number, float) else value
    if key in ("role", "group") and name == "podcast:person":
        return value.lower()
    return value


def meaning(name: str, text: str | None) -> object:
    if name == "itunes:keywords":
        return tuple(k.strip() for k in (text or "").split(",") if k.strip())
    if name in FLAGS:
        low = (text or "").strip().lower()
        return {"yes": True, "true": True, "explicit": True, "no": False, "false": False,
                "clean": False}.get(low, low)
    if name == "itunes:duration":
        return seconds(text or "")
    if name == "pubDate":
        return instant(text or "")
    return plain(text)


def signature(el) -> tuple:
    name = name_of(el)
    given = {k: v for k, v in el.attrib.items() if k != XML_BASE}
    if name == "psc:chapters":
        given.pop("version", None)
    given = {**DEFAULTS.get(name, {}), **given}
    attrs = tuple(sorted((k, attribute(name, k, v)) for k, v in given.items()))
    children = tuple(sorted(signature(c) for c in el if isinstance(c.tag, str)))
    own = "".join(el.itertext()) if not children else (el.text or "")
    return (name, meaning(name, own), attrs, children)


def rebuilt_items(root) -> dict[str, object]:
    return {item.findtext("guid"): item for item in root.find("channel").findall("item")}


def accounted(old, row: dict) -> list[str]:
    """Each element of the original, by name, that the report does not mention at all."""
    said = set(row["kept"]) | set(row["verbatim"])
    said |= {c.get("element") or c["field"] for c in row["changed"]}
    said |= {d["element"].split()[0] for d in row["not_carried_over"]}
    names = {name_of(el) for el in old if isinstance(el.tag, str) and name_of(el) != "item"}
    return [f"{name} is not in the report" for name in sorted(names - said)]


def producer_fills_gaps(show) -> None:
    """What the feed does not say, the producer supplies before building (README's migration
    step): a language and a description where import left them empty; never invented."""
    import yaml

    path = show / "show.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("language: null", "language: en").replace(
        "description: null", "description: Added by the producer")
    data = yaml.safe_load(text)
    missing = {"image": {"url": "https://podcasts.example.org/show/cover.png"},  # SEG407-SEG412:
               "owner": {"name": "Migrated Show", "email": "podcasts@example.org"},  # build
               "categories": ["News"], "explicit": False}  # refuses a show without them
    owner = data.get("owner")
    if isinstance(owner, dict) and not owner.get("email"):  # a name and no address
        missing["owner"] = {**owner, "email": "podcasts@example.org"}
        data["owner"] = None
    if any(not data.get(key) and data.get(key) is not False for key in missing):
        for key, value in missing.items():
            if not data.get(key) and data.get(key) is not False:
                data[key] = value
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    for manifest in (show / "segments").glob("*.md"):
        manifest.write_text(manifest.read_text(encoding="utf-8").replace(
            "language: null", "language: en"), encoding="utf-8")
