"""What reading a podcast feed needs besides the feed's own logic: safe XML parsing, element
lookup by namespace, xml:base resolution as feed readers do it, text and show-notes cleaning,
elements kept verbatim, and the migration report's row (`Migration`)."""

from __future__ import annotations

import copy
import html
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from segment.importers.common import ImportProblem, clean

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
PODCAST_OLD = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
ATOM = "http://www.w3.org/2005/Atom"
PSC = "http://podlove.org/simple-chapters"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
PREFIXES = {ITUNES: "itunes", PODCAST: "podcast", CONTENT: "content", ATOM: "atom", PSC: "psc"}
MIME = re.compile(r"^[a-z]+/[a-zA-Z0-9.+-]+$")

@dataclass
class Migration:
    """What happened to one channel or item: the migration report's row.

    Each element of the source is listed once: *changed* (a change names it: `element`),
    *not carried over* (with the reason), *verbatim* (kept as written), else *kept*. Kept is
    what is left once every change and loss is said (`account`), never a list written beside
    the reading code: an element a change or a loss names is not also called kept."""

    label: str
    kept: list[str] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    verbatim: list[str] = field(default_factory=list)
    dropped: list[dict[str, str]] = field(default_factory=list)

    def change(self, what: str, old: Any, new: Any, why: str, element: str | None = None
               ) -> None:
        """`what` changed from `old` to `new`; `element` (default: the first word of `what`)
        is the source element it concerns, or would be, when the rebuilt feed adds one."""
        self.changed.append({"field": what, "element": element or what.split()[0],
                             "old": old, "new": new, "why": why})

    def drop(self, what: str, why: str) -> None:
        self.dropped.append({"element": what, "why": why})

    def account(self, children: dict, known: set[tuple[str, str]], target: dict[str, Any],
                rebuilt: dict[tuple[str, str], str] | None = None,
                handled: tuple[tuple[str, str], ...] = ()) -> None:
        """List every child element once: an element the rebuilt feed makes anew (`rebuilt`,
        with the reason) and an empty one as not carried over; one of `known` as kept unless
        a change or a loss already names it; any other kept as written (`target["verbatim"]`)
        and published again. Elements of `handled` the caller has listed itself."""
        said = {c["element"] for c in self.changed} | {d["element"].split()[0]
                                                       for d in self.dropped}
        for key, elements in children.items():
            name = element_name(key, elements[0])
            if key in handled:
                continue
            if rebuilt and key in rebuilt:
                if key != ("", "item"):
                    self.drop(name, rebuilt[key])
                continue
            if key not in known:
                for el in elements:
                    target.setdefault("verbatim", []).append(verbatim(el))
                    self.verbatim.append(element_name(key, el))
                continue
            if name in said:
                continue
            for el in elements:
                if is_empty(el):
                    self.drop(name, "empty: there is nothing to carry over")
                else:
                    self.kept.append(name)

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "kept": self.kept, "changed": self.changed,
                "verbatim": self.verbatim, "not_carried_over": self.dropped}


def is_empty(el) -> bool:
    """No text, no attributes (xml:base aside) and no child elements: says nothing."""
    return (not "".join(el.itertext()).strip()
            and not [k for k in el.attrib if k != XML_BASE]
            and not any(isinstance(c.tag, str) for c in el))


def local_name(el) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def namespace(el) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    space = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
    return PODCAST if space == PODCAST_OLD else space


def element_name(key: tuple[str, str], el=None) -> str:
    """`itunes:block`, `media:content` (the document's own prefix for other namespaces)."""
    space, local = key
    if not space:
        return local
    prefix = PREFIXES.get(space) or (el.prefix if el is not None else None)
    return f"{prefix}:{local}" if prefix else f"{{{space}}}{local}"


def grouped(el) -> dict[tuple[str, str], list]:
    """Child elements by (namespace, local name), in document order."""
    out: dict[tuple[str, str], list] = defaultdict(list)
    for child in el:
        if isinstance(child.tag, str):
            out[(namespace(child), local_name(child))].append(child)
    return out


def text_of(el) -> str | None:
    if el is None:
        return None
    return clean(decode_entities("".join(el.itertext()))) or None


def first_child(children: dict, key: tuple[str, str]):
    found = children.get(key)
    return found[0] if found else None


def child_text(children: dict, key: tuple[str, str]) -> str | None:
    return text_of(first_child(children, key))


_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});")


def decode_entities(text: str) -> str:
    """Plain-text fields whose HTML entities were escaped once more (`&amp;amp;`, `&nbsp;`
    arriving as text): decoded, as feed readers decode them."""
    return html.unescape(text) if _ENTITY.search(text) else text


def http_url(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if re.match(r"^https?://\S+$", value) else None


def base_of(el, document: str | None) -> str | None:
    """The xml:base in effect at `el` (resolved outward-in against the document's URL)."""
    chain = [a.get(XML_BASE) for a in (el, *el.iterancestors()) if a.get(XML_BASE)]
    base = document
    for value in reversed(chain):
        base = urljoin(base, value.strip()) if base else value.strip()
    return base


def resolved(el, value: str | None, document: str | None) -> str | None:
    """A URL as feed readers resolve it: relative to xml:base (or the feed's own URL)."""
    value = (value or "").strip()
    if not value:
        return None
    base = base_of(el, document)
    return urljoin(base, value) if base and not re.match(r"^[a-z][a-z0-9+.-]*:", value, re.I) \
        else value


def plain_text(markup: str | None) -> str:
    """Show notes as text: HTML paragraphs and line breaks become blank lines."""
    if not markup or not markup.strip():
        return ""
    if not re.search(r"<[a-zA-Z/!]", markup):
        return "\n\n".join(clean(decode_entities(p)) for p in re.split(r"\n\s*\n", markup)
                           if clean(p))
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except Exception:  # lxml raises several types for broken fragments; text is still useful
        return clean(re.sub(r"<[^>]+>", " ", markup))
    for el in list(root.iter("script", "style", "template", "noscript")):
        el.drop_tree()  # never text a listener reads
    for el in root.iter("br", "p", "li", "div", "h1", "h2", "h3", "h4", "tr"):
        el.tail = "\n\n" + (el.tail or "")
    text = root.text_content()
    return "\n\n".join(clean(p) for p in re.split(r"\n\s*\n", text) if clean(p))


def sanitised_notes(markup: str) -> str:
    """Show notes as safe HTML (nh3, the Ammonia sanitiser): scripts, styles, event handlers
    and unknown tags go; links, lists and emphasis stay. Plain text becomes escaped HTML."""
    import nh3

    text = markup.strip()
    if not re.search(r"<[a-zA-Z/!]", text):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        text = "".join(f"<p>{p}</p>" for p in paragraphs) if len(paragraphs) > 1 else text
    return nh3.clean(text, link_rel=None).strip()


LINK_ATTRIBUTES = ("href", "src", "cite", "poster")


def absolute_links(markup: str, base: str | None) -> tuple[str, list[tuple[str, str | None]]]:
    """HTML with each relative link (href, src, ...) resolved against `base` as feed readers
    resolve them (the xml:base in effect, else the feed's own address), and the links that
    were relative: (as written, as resolved or None when there is no base to resolve
    against). In-page anchors (`#notes`) stay as they are. Markup without a relative link is
    returned unchanged, byte for byte."""
    if not re.search(r"(?:" + "|".join(LINK_ATTRIBUTES) + r")\s*=", markup, re.I):
        return markup, []
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except Exception:  # lxml raises several types for broken fragments; keep them as written
        return markup, []
    found: list[tuple[str, str | None]] = []
    for el in root.iter():
        for attr in LINK_ATTRIBUTES:
            value = (el.get(attr) or "").strip() if isinstance(el.tag, str) else ""
            if not value or value.startswith("#") or re.match(r"^[a-z][a-z0-9+.-]*:", value,
                                                               re.I):
                continue
            new = urljoin(base, value) if base else None
            found.append((value, new))
            if new:
                el.set(attr, new)
    if not any(new for _, new in found):
        return markup, found
    inner = (root.text or "") + "".join(lxml.html.tostring(child, encoding="unicode")
                                        for child in root)
    return inner, found


def tag_names(markup: str) -> set[str]:
    return {t.lower() for t in re.findall(r"<\s*([A-Za-z][A-Za-z0-9]*)", markup)}


def flag(value: str | None) -> bool | None:
    low = (value or "").strip().lower()
    if low in ("true", "yes", "explicit"):
        return True
    if low in ("false", "no", "clean"):
        return False
    return None


def whole(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def number(value: str | None) -> float | None:
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    return number if number >= 0 and number == number else None


def bcp47(value: str | None) -> str | None:
    import langcodes

    tag = (value or "").strip()
    return tag if tag and langcodes.tag_is_valid(tag) else None


def verbatim(el) -> str:
    """The element as written, declaring only the namespaces it uses."""
    from lxml import etree

    mine = copy.deepcopy(el)
    mine.tail = None
    etree.cleanup_namespaces(mine)
    return etree.tostring(mine, encoding="unicode", with_tail=False)


def longest(*texts: str | None) -> str | None:
    """The longest faithful text: hosts truncate some copies (itunes:subtitle "...blond st…")."""
    found = [t for t in texts if t]
    return max(found, key=len) if found else None


def parse_xml(data: bytes, path: Path):
    """Parse feed XML safely: refuse entity declarations; no DTD, network or entity expansion."""
    from lxml import etree

    if re.search(rb"<!ENTITY", data[:1_000_000], re.I):
        raise ImportProblem("declares XML entities (<!ENTITY ...>): refused, since they can "
                            "read local files or expand without bound; feeds never need them",
                            path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             load_dtd=False, dtd_validation=False, remove_comments=True,
                             remove_pis=True, recover=False)
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ImportProblem(f"not well-formed XML: {exc.msg}; fix the feed or fetch it again",
                            path) from None
