"""Podcasting 2.0 JSON chapters files (`application/json+chapters`, format version 1.2.0)."""

from __future__ import annotations

import json

from feeds.xmltext import clean
from segment.models import Segment

VERSION = "1.2.0"


def _number(seconds: float) -> int | float:
    return int(seconds) if float(seconds).is_integer() else round(seconds, 3)


def chapters_document(segment: Segment, show_title: str | None = None) -> dict:
    chapters = []
    for chapter in segment.chapters:
        item: dict = {"startTime": _number(chapter.start), "title": clean(chapter.title)}
        if chapter.end is not None:
            item["endTime"] = _number(chapter.end)
        if chapter.url:
            item["url"] = chapter.url
        if chapter.image:
            item["img"] = chapter.image
        chapters.append(item)
    doc: dict = {"version": VERSION, "title": clean(segment.title)}
    if show_title:
        doc["podcastName"] = clean(show_title)
    doc["chapters"] = chapters
    return doc


def chapters_json(segment: Segment, show_title: str | None = None) -> str:
    return json.dumps(chapters_document(segment, show_title), indent=2, ensure_ascii=False) + "\n"
