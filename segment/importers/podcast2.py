"""Podcasting 2.0 (and Podlove) elements of a feed item or channel -> manifest data: transcripts,
alternate enclosures, persons, soundbites, locations, images, value, trailers, podroll, chapters.

Each reader returns plain data the models validate; an element it cannot read whole is listed in
the migration report as not carried over, with the reason."""

from __future__ import annotations

import re
from typing import Any

from segment.importers.common import Imported, clean
from segment.importers.feedxml import (
    PODCAST,
    PSC,
    Migration,
    bcp47,
    first_child,
    flag,
    http_url,
    local_name,
    namespace,
    number,
    resolved,
    text_of,
    verbatim,
    whole,
)
from segment.timecode import format_duration, parse_duration


def attributes(el, names: dict[str, str] | tuple[str, ...]) -> dict[str, str]:
    """The element's non-blank attributes among `names` (XML name -> field name), stripped."""
    pairs = names.items() if isinstance(names, dict) else ((n, n) for n in names)
    return {key: el.get(attr).strip() for attr, key in pairs if (el.get(attr) or "").strip()}


def named(children: dict, tag: str):
    """(element, its text) for each podcast:`tag` child that has text."""
    for el in children.get((PODCAST, tag), []):
        name = text_of(el)
        if name:
            yield el, name


def locations(children: dict) -> list[dict[str, Any]]:
    out = []
    for el, name in named(children, "location"):
        place: dict[str, Any] = {"name": name[:128], **attributes(el, ("rel", "geo", "osm",
                                                                        "country"))}
        if place.get("rel") not in (None, "subject", "creator"):
            place.pop("rel")
        out.append(place)
    return out


def images(children: dict, document: str | None) -> list[dict[str, Any]]:
    out = []
    for el in children.get((PODCAST, "image"), []):
        href = http_url(resolved(el, el.get("href"), document))
        if not href:
            continue
        image: dict[str, Any] = {"href": href}
        for attr, key in (("alt", "alt"), ("aspect-ratio", "aspect_ratio"), ("type", "type"),
                          ("purpose", "purpose")):
            if (el.get(attr) or "").strip():
                image[key] = el.get(attr).strip()
        for attr in ("width", "height"):
            if whole(el.get(attr)) is not None:
                image[attr] = whole(el.get(attr))
        out.append(image)
    return out


def value_block(children: dict, target: dict[str, Any], report: Migration) -> None:
    """podcast:value with recipients only -> `value`; anything richer (value time splits,
    several value blocks) is kept verbatim."""
    blocks = children.get((PODCAST, "value"), [])
    simple = len(blocks) == 1 and all(
        namespace(c) == PODCAST and local_name(c) == "valueRecipient" for c in blocks[0]
        if isinstance(c.tag, str))
    if not blocks:
        return
    if not simple:
        for el in blocks:
            target.setdefault("verbatim", []).append(verbatim(el))
        report.verbatim.append("podcast:value")
        return
    el = blocks[0]
    recipients = []
    for r in el:
        if not isinstance(r.tag, str):
            continue
        recipient: dict[str, Any] = {"type": (r.get("type") or "").strip(),
                                     "address": (r.get("address") or "").strip(),
                                     "split": number(r.get("split")) or 0}
        for attr, key in (("name", "name"), ("customKey", "custom_key"),
                          ("customValue", "custom_value")):
            if (r.get(attr) or "").strip():
                recipient[key] = r.get(attr).strip()
        if flag(r.get("fee")):
            recipient["fee"] = True
        recipients.append(recipient)
    value: dict[str, Any] = {"type": (el.get("type") or "").strip(),
                             "method": (el.get("method") or "").strip(),
                             "recipients": recipients}
    if (el.get("suggested") or "").strip():
        value["suggested"] = el.get("suggested").strip()
    target["value"] = value


def trailers(children: dict, report: Migration) -> list[dict[str, Any]]:
    out = []
    for el in children.get((PODCAST, "trailer"), []):
        url, title = http_url(el.get("url")), text_of(el)
        if not (url and title and (el.get("pubdate") or "").strip()):
            report.drop("podcast:trailer", "it lacks a url, title or pubdate")
            continue
        trailer: dict[str, Any] = {"url": url, "title": title[:128],
                                   "published": el.get("pubdate").strip()}
        for key in ("length", "season"):
            if whole(el.get(key)) is not None:
                trailer[key] = whole(el.get(key))
        if (el.get("type") or "").strip():
            trailer["type"] = el.get("type").strip()
        out.append(trailer)
    return out


def podroll(children: dict, report: Migration) -> list[dict[str, Any]]:
    out = []
    for roll in children.get((PODCAST, "podroll"), []):
        for el in roll:
            if not isinstance(el.tag, str):
                continue
            guid = (el.get("feedGuid") or "").strip()
            if local_name(el) != "remoteItem" or not guid:
                report.drop("podcast:podroll child", "not a podcast:remoteItem with a feedGuid")
                continue
            item: dict[str, Any] = {"feed_guid": guid}
            for attr, key in (("itemGuid", "item_guid"), ("medium", "medium")):
                if (el.get(attr) or "").strip():
                    item[key] = el.get(attr).strip()
            if http_url(el.get("feedUrl")):
                item["feed_url"] = el.get("feedUrl").strip()
            out.append(item)
    return out


def transcripts(children: dict, label: str, seg: Imported, report: Migration,
                document: str | None = None) -> list[dict[str, Any]]:
    out = []
    for el in children.get((PODCAST, "transcript"), []):
        url = http_url(resolved(el, el.get("url"), document))
        if url and url != (el.get("url") or "").strip():
            report.change("podcast:transcript url", el.get("url"), url, "resolved against "
                          "xml:base (or the feed's address) as feed readers resolve it")
        kind = (el.get("type") or "").strip()
        if not url or not re.match(r"^[a-z]+/[a-zA-Z0-9.+-]+$", kind):
            report.drop("podcast:transcript", "it lacks an http(s) url or a type")
            continue
        link: dict[str, Any] = {"url": url, "type": kind}
        language = bcp47(el.get("language"))
        if language:
            link["language"] = language
        if (el.get("rel") or "").strip():
            link["rel"] = el.get("rel").strip()
        out.append(link)
    if not out:
        seg.notes.append(f"{label}: transcript: none in the feed (the show notes are kept as "
                         "notes; add the transcript as the body when you have it)")
    return out


def alternate_enclosures(children: dict, extra_enclosures: list,
                          report: Migration) -> list[dict[str, Any]]:
    out = []
    for el in children.get((PODCAST, "alternateEnclosure"), []):
        kind = (el.get("type") or "").strip()
        if not re.match(r"^[a-z]+/[a-zA-Z0-9.+-]+$", kind):
            report.drop("podcast:alternateEnclosure", f"type {kind!r} is not a MIME type")
            continue
        alt: dict[str, Any] = {"type": kind}
        for attr in ("length", "height"):
            if whole(el.get(attr)) is not None:
                alt[attr] = whole(el.get(attr))
        if number(el.get("bitrate")) is not None:
            alt["bitrate"] = number(el.get("bitrate"))
        for attr in ("lang", "title", "rel", "codecs"):
            if (el.get(attr) or "").strip():
                alt[attr] = el.get(attr).strip()
        if flag(el.get("default")):
            alt["default"] = True
        sources, integrity = [], None
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if local_name(child) == "source" and (child.get("uri") or "").strip():
                source: dict[str, Any] = {"uri": resolved(child, child.get("uri"), None)}
                if (child.get("contentType") or "").strip():
                    source["content_type"] = child.get("contentType").strip()
                sources.append(source)
            elif (local_name(child) == "integrity"
                  and child.get("type") in ("sri", "pgp-signature")
                  and (child.get("value") or "").strip()):
                integrity = {"type": child.get("type"), "value": child.get("value").strip()}
            else:
                report.drop(f"podcast:alternateEnclosure/{local_name(child)}", "not a source or "
                            "integrity with its required attributes")
        alt["sources"] = sources
        if integrity:
            alt["integrity"] = integrity
        out.append(alt)
    for el in extra_enclosures:
        url = http_url(resolved(el, el.get("url"), None))
        if not url:
            report.drop("enclosure", "an extra enclosure without an http(s) url")
            continue
        alt = {"type": (el.get("type") or "audio/mpeg").strip(), "sources": [{"uri": url}]}
        if whole(el.get("length")) is not None:
            alt["length"] = whole(el.get("length"))
        out.append(alt)
        report.change("enclosure", url, "podcast:alternateEnclosure", "RSS carries one "
                      "enclosure per item (readers take the first): this one is published as "
                      "an alternate enclosure")
    return out


def persons(children: dict) -> list[dict[str, Any]]:
    out = []
    for el, name in named(children, "person"):
        person: dict[str, Any] = {"name": name}
        person.update({k: v.lower() for k, v in attributes(el, ("role", "group")).items()})
        person.update({k: v for k, v in attributes(el, ("href", "img")).items() if http_url(v)})
        out.append(person)
    return out


def soundbites(children: dict, report: Migration) -> list[dict[str, Any]]:
    out = []
    for el in children.get((PODCAST, "soundbite"), []):
        start, length = number(el.get("startTime")), number(el.get("duration"))
        if start is None or not length:
            report.drop("podcast:soundbite", "it lacks a startTime or a duration")
            continue
        bite: dict[str, Any] = {"start": start, "duration": length}
        if text_of(el):
            bite["title"] = text_of(el)
        out.append(bite)
    return out


def psc_chapters(children: dict, report: Migration) -> list[dict[str, Any]]:
    """Podlove Simple Chapters given inline in the item (start, title, href, image)."""
    out = []
    block = first_child(children, (PSC, "chapters"))
    for el in block if block is not None else []:
        if not isinstance(el.tag, str) or local_name(el) != "chapter":
            continue
        start, title = el.get("start"), clean(el.get("title"))
        try:
            seconds = parse_duration(start) if start else None
        except ValueError:
            seconds = None
        if seconds is None or not title:
            report.drop("psc:chapter", f"start {start!r} or title {title!r} unreadable")
            continue
        chapter: dict[str, Any] = {"start": format_duration(seconds), "title": title}
        for attr, key in (("href", "url"), ("image", "image")):
            if http_url(el.get(attr)):
                chapter[key] = el.get(attr).strip()
        out.append(chapter)
    return out
