"""The index.html preview, rendered by a real browser (headless Chromium, Debian package)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html

from tests.test_build import SHOW_YAML, build_json, manifest, write_show

CHROMIUM = Path("/usr/bin/chromium")


def rendered_dom(page: Path, profile: Path) -> html.HtmlElement:
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium not installed (apt-get install -y chromium; "
                    ".ci/run installs it)")
    done = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return html.fromstring(done.stdout)


@pytest.fixture
def preview_show(tmp_path, tone, capsys) -> Path:
    root = tmp_path / "show"
    (root / "media").mkdir(parents=True)
    shutil.move(tone(".mp3", seconds=1.0), root / "media" / "local.mp3")
    write_show(root, {
        "local": manifest("local", title="Local <b>audio</b> & more",
                          audio="audio:\n  file: media/local.mp3\n"
                          "  direct_link: https://news.example.org/local.mp3\n"),
        "linked": manifest("linked", published="2024-01-01T00:00:00Z",
                           audio="audio: {direct_link: 'https://news.example.org/l.mp3', "
                           "length: 100}\n",
                           body="<script>document.title='pwned'</script> plain words"),
    })
    out = tmp_path / "public"
    build_json(root, out, capsys)
    return out


def test_rendered_episode_list_and_audio_sources(preview_show, tmp_path) -> None:
    dom = rendered_dom(preview_show / "index.html", tmp_path / "profile")
    episodes = dom.xpath("//main[@id='episodes']/article[@class='episode']")
    assert [e.get("id") for e in episodes] == ["local", "linked"]  # newest first
    titles = [e.xpath("string(h2)") for e in episodes]
    assert titles == ["Local <b>audio</b> & more", "Title of linked"]  # escaped, not markup
    sources = dom.xpath("//audio/@src")
    assert sources[1] == "https://news.example.org/l.mp3"
    local = sources[0]
    assert local == "media/local.mp3" and (preview_show / local).is_file()
    assert dom.xpath("//article[@id='local']//a[@class='direct-link']/@href") == [
        "https://news.example.org/local.mp3"]
    assert dom.xpath("//title/text()") == ["Test Show"]  # the transcript's script never ran
    assert not dom.xpath("//main//script")
    transcript = dom.xpath("string(//article[@id='linked']//details[@class='transcript'])")
    assert "<script>" in transcript


# --- layout in a real browser: direction, alignment, artwork, chapters, persons -------------

PROBE = """<script>
addEventListener("load", () => {
  const box = r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
  const chars = el => {  // the first and the last character of el's text, where they are drawn
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT), nodes = [];
    for (let n; (n = walk.nextNode());) if (n.data.trim()) nodes.push(n);
    const at = (node, i) => {
      const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
      return box(r.getBoundingClientRect());
    };
    const first = nodes[0], last = nodes[nodes.length - 1];
    return {first: at(first, first.data.length - first.data.trimStart().length),
            last: at(last, last.data.trimEnd().length - 1)};
  };
  const out = {};
  for (const sel of SELECTORS) {
    const el = document.querySelector(sel);
    if (!el) { out[sel] = null; continue; }
    const style = getComputedStyle(el), text = document.createRange();
    text.selectNodeContents(el);
    out[sel] = {direction: style.direction, lang: el.closest("[lang]").lang,
                maxWidth: style.maxWidth, fontFamily: style.fontFamily,
                box: box(el.getBoundingClientRect()), text: box(text.getBoundingClientRect()),
                loaded: el.naturalWidth || 0, href: el.getAttribute("href"),
                ...(el.textContent.trim() ? chars(el) : {})};
  }
  const pre = document.createElement("pre");
  pre.id = "probe"; pre.hidden = true; pre.textContent = JSON.stringify(out);
  document.body.append(pre);
});
</script>"""
"""Measures the layout of a page as Chromium draws it. Added to a copy of the page beside it
(the published pages have no JavaScript), before </body>."""


def probe_layout(page: Path, selectors: list[str], screenshot: Path, profile: Path,
                 size: str = "1000,1600") -> dict:
    """{selector: computed direction, boxes of the element, of its text, of its first and
    last characters, ...} for `page` in headless Chromium, which also saves a PNG of it."""
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium not installed (apt-get install -y chromium; "
                    ".ci/run installs it)")
    html_text = page.read_text(encoding="utf-8")
    assert "<script" not in html_text
    probe = page.with_name(f"probe-{page.name}")
    probe.write_text(html_text.replace(
        "</body>", PROBE.replace("SELECTORS", json.dumps(selectors)) + "</body>"),
        encoding="utf-8")
    done = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
         f"--window-size={size}", f"--screenshot={screenshot}", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    probe.unlink()
    assert screenshot.stat().st_size > 1000  # a PNG: look at it
    found = html.fromstring(done.stdout).xpath("//pre[@id='probe']/text()")
    assert found, done.stdout[-2000:]
    return json.loads(found[0])


ARABIC = {
    "title": "NASA: موعد جديد لإطلاق المهمة إلى القمر",
    "summary": "أعلنت وكالة الفضاء الأمريكية يوم الاثنين موعدا جديدا لإطلاق مهمتها إلى القمر.",
    "body": "قال مسؤولون في الوكالة إن الرحلة ستنطلق في الربيع المقبل.\n\n"
            "وأضافوا أن الطاقم أنهى تدريباته في ولاية تكساس.",
}


def art(path: Path, color: str) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (1400, 1400), color).save(path)


@pytest.fixture
def two_language_show(tmp_path, tone, capsys) -> Path:
    """An English show with an English episode and an Arabic one, both with artwork,
    chapters, persons, season and episode."""
    root = tmp_path / "show"
    (root / "media").mkdir(parents=True)
    for sid in ("budget", "moon"):
        shutil.move(tone(".mp3", seconds=3.0, name=f"{sid}.mp3"), root / "media" / f"{sid}.mp3")
    art(root / "art" / "budget.png", "navy")
    art(root / "art" / "moon.png", "darkred")
    english = manifest(
        "budget", title="Council approves the new budget", duration="0:03",
        audio="audio: {file: media/budget.mp3}\n",
        extra="season: 2\nepisode: 5\nimage: {file: art/budget.png, caption: The council}\n"
        "persons:\n  - {name: Jane Doe, role: host, href: 'https://example.org/jane'}\n"
        "  - {name: Omar Haddad, role: reporter}\n"
        "chapters:\n  - {start: 0, title: Headlines}\n"
        "  - {start: 1.5, title: The vote, url: 'https://example.org/vote'}\n",
        body="The city council approved the budget on Monday.")
    arabic = (
        "---\nid: moon\n"
        f"title: \"{ARABIC['title']}\"\nsummary: {ARABIC['summary']}\n"
        "duration: \"0:03\"\nlanguage: ar\npublished: 2024-03-02T09:00:00Z\n"
        "audio: {file: media/moon.mp3}\nseason: 1\nepisode: 3\n"
        "image: {file: art/moon.png, caption: صاروخ على منصة الإطلاق}\n"
        "persons:\n  - {name: سارة أحمد, role: host}\n"
        "  - {name: John Smith, role: reporter, href: 'https://example.org/john'}\n"
        "chapters:\n  - {start: 0, title: المقدمة}\n  - {start: 1.5, title: موعد الإطلاق}\n"
        f"---\n{ARABIC['body']}\n")
    write_show(root, {"budget": english, "moon": arabic})
    out = tmp_path / "public"
    build_json(root, out, capsys)
    return out


def near(a: float, b: float) -> bool:
    return abs(a - b) <= 2


def test_english_and_arabic_episodes_in_chromium(two_language_show, tmp_path) -> None:
    """In an English page, the Arabic episode lays out right to left: its text ends at the
    right edge, a title that starts with a Latin word still reads from the right (its language
    says so, not its first letter), the summary's full stop is at the left end where an Arabic
    sentence ends; artwork, chapters and persons sit on the mirrored side."""
    sels = [f"#{sid} {part}" for sid in ("budget", "moon") for part in (
        "", "h2", ".summary", ".art", ".meta", ".persons li:first-child",
        ".persons li:last-child a", ".chapters li:last-child .time",
        ".chapters li:last-child span")]
    shot = tmp_path / "episodes.png"
    got = probe_layout(two_language_show / "index.html", ["html", "body", *sels], shot,
                       tmp_path / "profile")
    assert got["html"]["direction"] == "ltr" and got["html"]["lang"] == "en"
    assert got["body"]["maxWidth"] != "none"  # the stylesheet beside the transcript pages
    en, ar = ({part: got[f"#{sid} {part}"] for part in ("", "h2", ".summary", ".art", ".meta")}
              for sid in ("budget", "moon"))
    assert (en[""]["direction"], en[""]["lang"]) == ("ltr", "en")
    assert (ar[""]["direction"], ar[""]["lang"]) == ("rtl", "ar")
    left, right = ar[""]["box"]["left"], ar[""]["box"]["right"]
    # English: text starts at the left edge, the full stop at the right end of the sentence
    assert near(en["h2"]["text"]["left"], left) and near(en[".summary"]["text"]["left"], left)
    assert en[".summary"]["last"]["left"] > en[".summary"]["first"]["right"]
    # Arabic: text ends at the right edge; the first word is rightmost, the full stop leftmost
    for part in ("h2", ".summary", ".meta"):
        assert near(ar[part]["text"]["right"], right), part
        assert ar[part]["text"]["left"] > left + 20, part  # not stretched: aligned right
    title = ar["h2"]
    # "NASA:" starts the line, on the right (under dir="auto", its N would make it LTR)
    assert title["first"]["left"] > max(right - 80, title["last"]["right"])
    summary = ar[".summary"]
    assert near(summary["last"]["left"], summary["text"]["left"])  # "." ends it, on the left
    assert summary["first"]["right"] > summary["last"]["right"]
    # artwork, loaded from the output folder, at the inline end: right in English, left in Arabic
    assert en[".art"]["loaded"] == ar[".art"]["loaded"] == 1400
    assert near(en[".art"]["box"]["right"], right) and near(ar[".art"]["box"]["left"], left)
    # chapters: the time links to that time in the audio; first on the reading side
    for sid, rtl in (("budget", False), ("moon", True)):
        time, chapter = (got[f"#{sid} .chapters li:last-child {p}"] for p in (".time", "span"))
        assert time["href"] == f"media/{sid}.mp3#t=1.5"
        assert (time["box"]["left"] > chapter["box"]["right"]) is rtl
    assert got["#moon .persons li:last-child a"]["href"] == "https://example.org/john"
    host = got["#moon .persons li:first-child"]
    assert near(host["text"]["right"], right)  # the first person, on the right


def test_preview_shows_chapters_persons_season_and_artwork(two_language_show) -> None:
    """What the preview says of each episode (parsed by html5lib, a reader we did not write)."""
    html5lib = pytest.importorskip("html5lib")
    page = html5lib.parse((two_language_show / "index.html").read_bytes(),
                          treebuilder="lxml", namespaceHTMLElements=False)
    moon = page.xpath("//article[@id='moon']")[0]
    assert (moon.get("lang"), moon.get("dir")) == ("ar", "rtl")
    assert page.getroot().get("dir") == "ltr"
    assert moon.xpath("string(h2)") == ARABIC["title"]
    meta = moon.xpath("string(p[@class='meta'])")
    assert "Season 1" in meta and "Episode 3" in meta and "2024-03-02" in meta
    assert moon.xpath("p[@class='meta']/bdi[@lang='en']")  # English labels say so
    assert [(li.xpath("string(.//bdi[not(@class)])"), li.xpath("string(bdi[@class='role'])"))
            for li in moon.xpath(".//ul[@class='persons']/li")] == [
        ("سارة أحمد", "host"), ("John Smith", "reporter")]
    assert [(li.xpath("string(.//*[@class='time'])"), li.xpath("string(span)"),
             li.xpath("string(.//a[@class='time']/@href)"))
            for li in moon.xpath(".//ol[@class='chapters']/li")] == [
        ("0:00", "المقدمة", "media/moon.mp3#t=0"),
        ("0:01.500", "موعد الإطلاق", "media/moon.mp3#t=1.5")]
    img = moon.xpath("img[@class='art']")[0]
    assert img.get("src") == "images/moon.png" and img.get("alt") == "صاروخ على منصة الإطلاق"
    assert (two_language_show / "images" / "moon.png").is_file()
    budget = page.xpath("//article[@id='budget']")[0]
    assert (budget.get("lang"), budget.get("dir")) == ("en", "ltr")
    assert not budget.xpath(".//*[@lang='en']")  # no need inside English
    assert budget.xpath(".//ol[@class='chapters']/li[2]/span/a/@href") == [
        "https://example.org/vote"]
    assert budget.xpath(".//ul[@class='persons']/li[1]/a/@href") == ["https://example.org/jane"]


def test_arabic_transcript_page_in_chromium(two_language_show, tmp_path) -> None:
    """The transcript page: in the segment's language and direction, styled by the inlined
    stylesheet (no file, font or script from elsewhere), its paragraphs right-aligned."""
    page = two_language_show / "transcripts" / "moon.html"
    source = page.read_text(encoding="utf-8")
    assert "<script" not in source and " src=" not in source
    dom = html.fromstring(source)
    assert dom.xpath("//link/@href") == ["style.css"]  # one stylesheet, beside the pages
    style = (page.parent / "style.css").read_text(encoding="utf-8")
    assert "@media print" in style and "url(" not in style and "@import" not in style
    got = probe_layout(page, ["html", "body", "h1", "article", "article p:first-child",
                              "article p:last-child", ".show bdi"],
                       tmp_path / "transcript-ar.png", tmp_path / "profile", size="800,700")
    assert (got["html"]["direction"], got["html"]["lang"]) == ("rtl", "ar")
    assert got["body"]["maxWidth"] != "none" and "system-ui" in got["body"]["fontFamily"]
    assert got[".show bdi"]["lang"] == "en"  # the show's name, in the show's language
    right = got["article"]["box"]["right"]
    for part in ("h1", "article p:first-child", "article p:last-child"):
        assert near(got[part]["text"]["right"], right), part
        assert near(got[part]["last"]["left"], got[part]["text"]["left"]), part  # the "."
    paragraphs = [p.strip() for p in ARABIC["body"].split("\n\n")]
    assert [p.text_content() for p in dom.xpath("//article/p")] == paragraphs
    assert dom.xpath("string(//h1)") == ARABIC["title"]


def test_english_transcript_page_in_chromium(two_language_show, tmp_path) -> None:
    got = probe_layout(two_language_show / "transcripts" / "budget.html",
                       ["html", "article p", ".show bdi"], tmp_path / "transcript-en.png",
                       tmp_path / "profile", size="800,500")
    assert (got["html"]["direction"], got["html"]["lang"]) == ("ltr", "en")
    assert got[".show bdi"]["lang"] == "en"
    assert near(got["article p"]["text"]["left"], got["article p"]["box"]["left"])


HOSTILE = "\"'><script>alert(1)</script>&amp;<b>bold</b>"
HOSTILE_URL = "https://example.org/\"'><script>alert(1)</script>&amp;"


def test_every_field_is_escaped(tmp_path, tone, capsys) -> None:
    """Markup and quotes in every field that reaches the preview or a transcript page come
    out as text, read back unchanged by html5lib; no element or attribute is injected."""
    import yaml

    html5lib = pytest.importorskip("html5lib")
    root = tmp_path / "show"
    (root / "media").mkdir(parents=True)
    shutil.move(tone(".mp3", seconds=3.0), root / "media" / "a.mp3")
    art(root / "art" / "a.png", "gray")
    fields = {
        "id": "hostile", "title": HOSTILE, "summary": HOSTILE, "language": "en",
        "duration": "0:03", "published": "2024-03-01T09:00:00Z",
        "audio": {"file": "media/a.mp3", "direct_link": HOSTILE_URL + ".mp3"},
        "source": {"url": HOSTILE_URL, "publisher": HOSTILE},
        "image": {"file": "art/a.png", "caption": HOSTILE},
        "season": 1, "season_name": HOSTILE, "episode": 2, "episode_display": HOSTILE,
        "persons": [{"name": HOSTILE, "role": HOSTILE, "href": HOSTILE_URL}],
        "chapters": [{"start": 1, "title": HOSTILE, "url": HOSTILE_URL}],
    }
    remote = {"id": "remote", "title": "Remote art", "language": "en", "duration": "0:03",
              "audio": {"direct_link": HOSTILE_URL + ".mp3", "length": 10},
              "image": {"url": HOSTILE_URL, "caption": HOSTILE}}
    show_yaml = SHOW_YAML.replace("title: Test Show", f"title: {json.dumps(HOSTILE)}").replace(
        "description: Segments for the build tests", f"description: {json.dumps(HOSTILE)}")
    write_show(root, {sid: f"---\n{yaml.safe_dump(data, allow_unicode=True)}---\n{HOSTILE}\n"
                      for sid, data in (("hostile", fields), ("remote", remote))}, show_yaml)
    out = tmp_path / "public"
    build_json(root, out, capsys)
    for name in ("index.html", "transcripts/hostile.html"):
        raw = (out / name).read_text(encoding="utf-8")
        assert "<script" not in raw.lower() and "<b>" not in raw, name
        page = html5lib.parse(raw, treebuilder="lxml", namespaceHTMLElements=False)
        assert not page.xpath("//script | //b | //*[@*[starts-with(name(), 'on')]]"), name
        assert page.xpath("string(//title)").startswith(HOSTILE), name
        assert page.xpath("string(//h1)") == HOSTILE, name
    page = html5lib.parse((out / "index.html").read_bytes(), treebuilder="lxml",
                          namespaceHTMLElements=False)
    ep = page.xpath("//article[@id='hostile']")[0]
    assert ep.xpath("string(h2)") == ep.xpath("string(p[@class='summary'])") == HOSTILE
    assert page.xpath("string(//header/p[1])") == HOSTILE  # the show's description
    assert [b.text for b in ep.xpath("p[@class='meta']/bdi")][1:3] == [HOSTILE, HOSTILE]
    assert ep.xpath("img[@class='art']/@alt") == [HOSTILE]
    person = ep.xpath(".//ul[@class='persons']/li")[0]
    assert person.xpath("a/@href") == [HOSTILE_URL]
    assert [person.xpath("string(a/bdi)"), person.xpath("string(bdi)")] == [HOSTILE, HOSTILE]
    chapter = ep.xpath(".//ol[@class='chapters']/li")[0]
    assert chapter.xpath("span/a/@href") == [HOSTILE_URL]
    assert chapter.xpath("string(span)") == HOSTILE
    links = ep.xpath("p[@class='links']/a/@href")
    assert links == [HOSTILE_URL + ".mp3", "transcripts/hostile.html", HOSTILE_URL]
    assert HOSTILE in ep.xpath("string(details)")  # the transcript, folded in
    remote_art = page.xpath("//article[@id='remote']/img")[0]
    assert (remote_art.get("src"), remote_art.get("alt")) == (HOSTILE_URL, HOSTILE)
    assert page.xpath("//article[@id='remote']//audio/@src") == [HOSTILE_URL + ".mp3"]


def test_page_in_the_shows_language_and_episodes_in_theirs() -> None:
    """A Hebrew show's page reads right to left; its English episode left to right; the
    page's English words are marked English inside Hebrew; a transcript page takes the
    segment's language, the show's name keeps the show's."""
    from feeds.episode import Episode
    from feeds.preview import episode_html, preview_page
    from feeds.transcripts import transcript_html
    from segment.models import Segment, Show

    show = Show(title="חדשות", description="תוכנית", language="he")
    english = Segment(id="one", title="One", language="en-GB", transcript="Text.")
    urdu = Segment(id="two", title="دو", language="ur", transcript="متن۔")
    page = html.fromstring(preview_page(show, [episode_html(Episode(english), None),
                                               episode_html(Episode(urdu), None)], None))
    assert (page.get("lang"), page.get("dir")) == ("he", "rtl")
    assert [(a.get("lang"), a.get("dir")) for a in page.xpath("//article")] == [
        ("en-GB", "ltr"), ("ur", "rtl")]
    assert page.xpath("//header/p[a[@href='feed.xml']]/@lang") == ["en"]
    assert page.xpath("//article[@id='two']/p[@class='meta']/bdi/@lang") == ["en"]
    assert not page.xpath("//article[@id='one']//*[@lang='en']")
    transcript = html.fromstring(transcript_html(urdu, show.title, None, show.language))
    assert (transcript.get("lang"), transcript.get("dir")) == ("ur", "rtl")
    assert transcript.xpath("//p[@class='show']//bdi/@lang") == ["he"]
    assert transcript.xpath("//p[@class='show']//bdi/@dir") == ["rtl"]
