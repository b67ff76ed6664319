"""`segpack import article`: the reference page, Pangea-shaped pages as data, hostile inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from segment.importers.article import import_article
from segment.importers.common import ImportProblem
from segment.manifest import read_manifest
from segment.timecode import parse_duration

from .conftest import EXAMPLE, ROOT

SEED = ROOT.parent / "shared" / "seed" / "momentum-against-isil-builds.txt"
PAGES = sorted((Path(__file__).parent / "data" / "pages").glob("*.html"))
FURNITURE = ("Accessibility links", "Breaking News", "please wait",
             "No media source currently available", "0:00", "Direct link", "kbps", "Share",
             "Print", "comment", "Related")


@pytest.fixture
def seed() -> Path:
    if not SEED.is_file():
        pytest.skip(f"reference page not found at {SEED}")
    return SEED


def meta_without_nulls(data):
    """Front matter compared field by field: a null and a missing key say the same."""
    if isinstance(data, dict):
        return {k: meta_without_nulls(v) for k, v in data.items() if v is not None}
    return data


# --- the reference page ------------------------------------------------------------------------

def test_reference_page_field_by_field(seed):
    found = import_article(seed, publisher="VOA", language="en")
    fields = found.fields
    assert fields["id"] == "momentum-against-isil-builds"
    assert fields["title"] == "Momentum Against ISIL Builds"
    assert fields["summary"] == ("The last few weeks have not been good for the advancement of "
                                 "ISIL’s goals in Iraq and Syria.")
    assert fields["image"] == {"caption": (
        "Islamic State fighters sit on a pickup truck while being held as prisoners by fighters "
        "of the Syrian Democratic Forces near Ash Shaddadi, Hasakah province, Syria, "
        "Feb. 18, 2016.")}
    assert parse_duration(fields["duration"]) == 221
    assert fields["source"] == {"publisher": "VOA"}
    assert fields["language"] == "en"
    for absent in ("published", "authors"):
        assert absent not in fields  # never invented
    assert "audio" not in fields  # the text copy keeps no URL
    paragraphs = found.body.split("\n\n")
    assert len(paragraphs) == 6
    assert paragraphs[0].startswith("At a recent press conference")
    assert paragraphs[-1].endswith("from the face of this Earth.”")
    assert found.body.count(fields["summary"]) == 0  # the teaser is kept once, as the summary
    for word in FURNITURE:
        assert word not in found.body
    assert "publication date: not in page" in found.gaps
    assert any(g.startswith("direct link:") for g in found.gaps)


def test_reference_page_without_publisher_reports_the_gap(seed):
    found = import_article(seed)
    assert "source" not in found.fields and "language" not in found.fields
    assert "publisher: not in page (give --publisher)" in found.gaps
    assert "language: not in page (give --language)" in found.gaps


def test_reference_page_reproduces_the_committed_example(seed, tmp_path, run_import):
    """The example manifest is the importer's output (audio.file is set by hand: stand-in;
    captions by `segpack align`)."""
    code, _, err = run_import("article", str(seed), "-o", str(tmp_path / "segments"),
                                "--publisher", "VOA", "--language", "en")
    assert code == 0, err
    made = read_manifest(tmp_path / "segments" / "momentum-against-isil-builds.md")
    example = read_manifest(EXAMPLE / "segments" / "momentum-against-isil-builds.md")
    mine, theirs = dict(made.meta.data), dict(example.meta.data)
    for meta in (mine, theirs):
        meta["audio"] = {k: v for k, v in (meta.get("audio") or {}).items() if k != "file"}
        meta.pop("captions", None)
    assert meta_without_nulls(mine) == meta_without_nulls(theirs)
    assert made.body == example.body
    assert "not found: publication date: not in page" in err


def test_reimport_keeps_edits_and_follows_page_changes(seed, tmp_path, run_import):
    out = tmp_path / "segments"
    assert run_import("article", str(seed), "-o", str(out), "--publisher", "VOA",
                      "--language", "en")[0] == 0
    path = out / "momentum-against-isil-builds.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace("published: null", 'published: "2016-03-30T12:00:00Z"  # from the '
                        "archive")
    text = text.replace("title: Momentum Against ISIL Builds", "title: Edited title")
    text = text.replace('duration: "3:41"', 'duration: "3:42"')  # the producer's correction
    path.write_text(text, encoding="utf-8")
    page = tmp_path / "page.txt"  # the same page, its teaser rewritten since
    page.write_text(seed.read_text(encoding="utf-8").replace(
        "The last few weeks have not been good", "The past weeks have not been good"),
        encoding="utf-8")

    code, out_text, err = run_import("article", str(page), "-o", str(out), "--dry-run")
    assert code == 0, err
    assert path.read_text(encoding="utf-8") == text  # a dry run writes nothing
    assert "would be updated" in out_text
    assert "title: kept 'Edited title' (your edit; the page has not changed)" in out_text
    assert "duration: kept '3:42'" in out_text
    assert "summary: 'The last few weeks" in out_text and "-> 'The past weeks" in out_text

    code, _, err = run_import("article", str(page), "-o", str(out))  # no --publisher now
    assert code == 0, err
    again = read_manifest(path).meta.data
    assert again["published"] == "2016-03-30T12:00:00Z"  # the person's edit: page has none
    assert again["title"] == "Edited title"  # edited, and the page's title did not change
    assert again["duration"] == "3:42"
    assert again["summary"].startswith("The past weeks")  # the page changed, not edited
    assert again["source"]["publisher"] == "VOA"  # not replaced by nothing
    assert again["language"] == "en"
    assert "# from the archive" in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == [".segpack-import",
                                                      "momentum-against-isil-builds.md"]


def test_reimport_without_a_record_keeps_what_differs(seed, tmp_path, run_import):
    out = tmp_path / "segments"
    assert run_import("article", str(seed), "-o", str(out), "--language", "en")[0] == 0
    path = out / "momentum-against-isil-builds.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "title: Momentum Against ISIL Builds", "title: Mine"), encoding="utf-8")
    for record in (out / ".segpack-import").iterdir():
        record.unlink()
    code, out_text, _ = run_import("article", str(seed), "-o", str(out))
    assert code == 0
    assert read_manifest(path).meta.data["title"] == "Mine"
    assert "no import record tells whether you edited it" in out_text


def test_reimport_finds_the_manifest_by_source_url_after_a_rename(tmp_path, run_import):
    out = tmp_path / "segments"
    page = PAGES[0]
    assert run_import("article", str(page), "-o", str(out))[0] == 0
    (first,) = out.glob("*.md")
    renamed = first.with_name("my-own-name.md")
    first.rename(renamed)
    assert run_import("article", str(page), "-o", str(out))[0] == 0
    assert sorted(p.name for p in out.glob("*.md")) == ["my-own-name.md"]


def test_audio_option_records_the_file_relative_to_the_show(seed, tmp_path, tone, run_import):
    audio = tone(".mp3", seconds=1.0, name="show/media/clip.mp3")
    out = tmp_path / "show" / "segments"
    code, _, err = run_import("article", str(seed), "-o", str(out), "--audio", str(audio))
    assert code == 0, err
    meta = read_manifest(out / "momentum-against-isil-builds.md").meta.data
    assert meta["audio"]["file"] == "media/clip.mp3"
    assert meta["duration"] == "3:41"  # the page's declared duration wins over the file's


def test_json_report(seed, tmp_path, run_import):
    code, out, _ = run_import("article", str(seed), "-o", str(tmp_path), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["imported"] == 1
    assert "publication date: not in page" in report["results"][0]["gaps"]


# --- hand-written pages (data-driven: page + expected JSON) ------------------------------------

@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_imports_as_expected(page):
    expected = json.loads(page.with_suffix(".expected.json").read_text(encoding="utf-8"))
    found = import_article(page)
    assert found.fields == expected["fields"]
    assert found.body.split("\n\n") == expected["transcript"]
    assert found.gaps == expected["gaps"]


@pytest.mark.parametrize("page", [p for p in PAGES if "voa" in p.name or "rferl" in p.name])
def test_pangea_pages_take_the_pages_own_link_and_no_furniture(page):
    """The page's own link to the file (the Direct link anchor, the player's fallback link) is
    the direct link; the download menu's ?download=1 renditions are alternates."""
    found = import_article(page)
    audio = found.fields["audio"]
    assert "download=1" not in audio["direct_link"]
    assert audio["alternates"]
    assert all("download=1" in url for url in audio["alternates"])
    assert len({*audio["alternates"], audio["direct_link"]}) == len(audio["alternates"]) + 1
    for word in ("kbps", "0:00", "Share", "comment", "Breaking", "media source"):
        assert word not in found.body


def test_imported_pages_are_valid_manifests(tmp_path, run_import):
    from segment.loading import load_segment

    out = tmp_path / "segments"
    code, _, err = run_import("article", *map(str, PAGES), "-o", str(out))
    assert code == 0, err
    for path in sorted(out.glob("*.md")):
        item = load_segment(path)
        errors = [f for f in item.findings if f.severity.value == "error"]
        assert not errors, errors
        if path.stem == "why-community-radio-still-matters":  # no duration in that page
            assert "SEG217" in {f.code for f in item.findings}


def test_non_latin_title_gets_a_stable_id():
    from segment.importers.common import slug_for

    assert slug_for("گزارش: کاهش بارندگی در ایران") == "gzrsh-khhsh-brndgy-dr-yrn"
    assert slug_for("☕☕") == slug_for("☕☕") != slug_for("☕")
    assert slug_for("☕☕").startswith("segment-")


# --- hostile inputs ----------------------------------------------------------------------------

def test_empty_file_is_refused(tmp_path, run_import):
    page = tmp_path / "empty.html"
    page.write_bytes(b"  \n")
    with pytest.raises(ImportProblem, match="empty file"):
        import_article(page)
    code, _, err = run_import("article", str(page), "-o", str(tmp_path / "out"))
    assert code == 1 and "empty.html: empty file" in err
    assert not (tmp_path / "out").exists()  # a refused import creates nothing


@pytest.mark.parametrize("content", [
    b"<html><body><div>no heading anywhere</div></body></html>",
    ("A long first paragraph without any headline. " * 10).encode(),
])
def test_page_without_title_is_not_an_article(tmp_path, content):
    page = tmp_path / "page.html"
    page.write_bytes(content)
    with pytest.raises(ImportProblem, match="not an article"):
        import_article(page)


def test_huge_page_is_refused_before_reading(tmp_path):
    page = tmp_path / "huge.html"
    with page.open("wb") as handle:
        handle.write(b"<html><title>x</title>")
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB without writing them
    with pytest.raises(ImportProblem, match=r"is 105 MB; .* refused"):
        import_article(page)


def test_deeply_nested_html(tmp_path):
    page = tmp_path / "deep.html"
    depth = 50_000
    page.write_text("<html><head><title>Deep page</title></head><body>" + "<div>" * depth
                    + "<p>Inner paragraph.</p>" + "</div>" * depth + "</body></html>")
    found = import_article(page)  # no RecursionError, no crash
    assert found.fields["title"] == "Deep page"


def test_declared_legacy_charset_is_honoured(tmp_path):
    page = tmp_path / "latin1.html"
    page.write_bytes("<html><head><meta charset='iso-8859-1'><title>Café à Genève</title></head>"
                     "<body><p>Un reportage sur les cafés.</p></body></html>".encode("latin-1"))
    found = import_article(page)
    assert found.fields["title"] == "Café à Genève"
    assert found.body == "Un reportage sur les cafés."


def test_text_copy_that_is_not_utf8_is_one_clear_line(tmp_path):
    page = tmp_path / "copy.txt"
    page.write_bytes("Titre\n\nUn café à Genève.\n".encode("latin-1"))
    with pytest.raises(ImportProblem, match="not UTF-8"):
        import_article(page)


def test_entities_in_html_are_not_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    page = tmp_path / "xxe.html"
    page.write_text(f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">'
                    '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                    "<html><head><title>Entities</title></head><body>"
                    "<p>Before &xxe; and &b; after.</p></body></html>")
    found = import_article(page)
    assert "TOP-SECRET" not in found.body
    assert "aaaaaaaaaa" * 10 not in found.body


def test_folder_and_missing_page(tmp_path, run_import):
    code, _, err = run_import("article", str(tmp_path), str(tmp_path / "missing.html"),
                              "-o", str(tmp_path / "out"))
    assert code == 1
    assert "is a directory" in err and "cannot read" in err


def test_existing_manifest_that_is_broken_is_left_alone(seed, tmp_path, run_import):
    out = tmp_path / "segments"
    out.mkdir()
    broken = out / "momentum-against-isil-builds.md"
    broken.write_text("---\nid: [unclosed\n---\nbody\n")
    code, _, err = run_import("article", str(seed), "-o", str(out))
    assert code == 1
    assert "left as it is" in err
    assert broken.read_text() == "---\nid: [unclosed\n---\nbody\n"


def test_usage_errors(seed, tmp_path):
    from segment.cli import main

    assert main(["import", "article", str(seed), str(seed), "--audio", str(seed)]) == 2
    assert main(["import", "article", str(seed), "--language", "not a tag"]) == 2


def test_same_title_from_another_page_gets_its_own_manifest(tmp_path, run_import):
    page = (PAGES[0].parent / "voa-en-newer-host.html").read_text(encoding="utf-8")
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    first.write_text(page, encoding="utf-8")
    second.write_text(page.replace("/7001234.html", "/9999999.html"), encoding="utf-8")
    out = tmp_path / "segments"
    assert run_import("article", str(first), str(second), "-o", str(out))[0] == 0
    names = sorted(p.name for p in out.glob("*.md"))
    assert names == ["coalition-retakes-key-town-from-militants-2.md",
                     "coalition-retakes-key-town-from-militants.md"]


def test_regenerating_the_example_keeps_its_audio_file(seed, example_show, run_import):
    manifest = example_show / "segments" / "momentum-against-isil-builds.md"
    before = read_manifest(manifest).meta.data
    code, _, err = run_import("article", str(seed), "-o", str(example_show / "segments"),
                              "--publisher", "VOA", "--language", "en")
    assert code == 0, err
    after = read_manifest(manifest).meta.data
    assert after == before  # nothing the page supplies differs; the person's audio.file stays


# --- issue 18: attribute bombs, codecs that are not web encodings, FIFOs ---------------------

def test_element_with_100k_attributes_is_refused_quickly(tmp_path, run_import):
    """libxml2 compares each attribute with every earlier one (minutes for 100k): refused
    before parsing, in one linear scan."""
    page = tmp_path / "attrs.html"
    attrs = " ".join(f'a{i}="x"' for i in range(100_000))
    page.write_text(f"<html><head><title>T</title></head><body><div {attrs}>x</div>"
                    "<p>Body.</p></body></html>", encoding="utf-8")
    code, _, err = run_import("article", str(page), "-o", str(tmp_path / "out"))
    assert code == 1
    assert "attrs.html: an element on line 1 has more than 1,000 attributes" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_many_attributes_below_the_limit_import(tmp_path):
    page = tmp_path / "ok.html"
    attrs = " ".join(f'data-a{i}="x>y"' for i in range(900))  # '>' inside quoted values
    page.write_text(f"<html><head><title>Fine</title></head><body><div {attrs}>"
                    "<p>Body text.</p></div></body></html>", encoding="utf-8")
    assert import_article(page).fields["title"] == "Fine"


@pytest.mark.parametrize("charset", ["cp037", "base64", "rot13", "hex", "utf-7", "zlib",
                                     "x-no-such-codec", "utf-16", "unicode_escape"])
def test_declared_codec_that_is_not_a_web_encoding(tmp_path, run_import, charset):
    page = tmp_path / "page.html"
    page.write_bytes(f'<html><head><meta charset="{charset}"><title>Café</title></head>'
                     '<body><p>Un reportage.</p></body></html>'.encode())
    found = import_article(page)
    assert found.fields["title"] == "Café"  # read as UTF-8, as browsers would
    code, _, err = run_import("article", str(page), "-o", str(tmp_path / "out"))
    assert code == 0 and "Traceback" not in err


def test_fifo_as_page_is_refused_without_blocking(tmp_path):
    import os
    import subprocess
    import sys

    fifo = tmp_path / "page.html"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "segment", "import", "article", str(fifo),
                           "-o", str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 1
    assert "page.html: is a named pipe (FIFO), not an article page" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_persian_zero_width_non_joiner_is_kept(tmp_path):
    """trafilatura drops format characters; U+200C is spelling in Persian."""
    page = PAGES[0].parent / "voa-fa-older-host-rtl.html"
    found = import_article(page)
    assert "استان\u200cهای" in found.body and found.body.count("\u200c") == 6


def test_time_of_day_never_becomes_the_duration(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>Evening news</title></head><body><h1>Evening news</h1>"
                    "<span class='date'>May 14, 2024</span> <span class='time'>09:30</span>"
                    "<a href='https://example.org/a.mp3'>Listen</a>"
                    "<p>The only paragraph of this story, long enough to count as text.</p>"
                    "</body></html>", encoding="utf-8")
    found = import_article(page)
    assert "duration" not in found.fields
    assert any(g.startswith("duration: the page shows no player clock") for g in found.gaps)


# --- second read of issue 12 (review A1-A4): Pangea layouts as real pages have them -----------

def _page(name: str) -> Path:
    return PAGES[0].parent / f"{name}.html"


def _voa_variant(tmp_path: Path, *edits: tuple[str, str], player=None) -> Path:
    """The VOA page with `edits` made (each must apply) and `player` applied to its player
    (the part before the download menu)."""
    html = _page("voa-en-2024-pangea").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in html, old
        html = html.replace(old, new)
    if player is not None:
        head, menu, rest = html.partition('<div class="media-download">')
        html = player(head) + menu + rest
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    return page


def test_learning_english_player_placeholder_and_rule_are_not_transcript():
    """Learning English repeats the player's message as a paragraph of the text
    (`<p class="ta-c"><span class="ico"></span>No media source currently available</p>`) and
    draws a rule `<p>_____</p>` before "Words in This Story": neither is read aloud."""
    found = import_article(_page("voa-learningenglish-2025-player-placeholder"))
    paragraphs = found.body.split("\n\n")
    assert paragraphs[0].startswith("Many of us might only seek out physical therapists")
    assert "No media source currently available" not in found.body
    assert not any(set(p) <= set("_-=*~—–· ") for p in paragraphs)
    assert "Words in This Story" in paragraphs  # the glossary is the page's text: kept
    assert found.fields["duration"] == "5:31"  # the audio player's, not the video's 0:01:30


@pytest.mark.parametrize("html, kept", [
    ('<p class="ta-c"><span class="ico"></span>Sin fuente de medios disponible</p>', False),
    ("<p><span class='icon icon-audio'></span>Listen</p>", False),
    ("<p>* * *</p>", False),
    ("<p>———</p>", False),
    ("<p><span class='ico'></span>A sentence the reporter wrote, with its full stop.</p>", True),
    ("<p>1</p>", True),
])
def test_interface_labels_and_rules_by_structure(tmp_path, html, kept):
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>Story</title></head><body><h1>Story</h1><article>"
                    "<p>The first paragraph of the story, long enough to be the text.</p>"
                    f"{html}<p>The last paragraph of the story, long enough to be text.</p>"
                    "</article></body></html>", encoding="utf-8")
    body = import_article(page).body.split("\n\n")
    assert (len(body) == 3) is kept, body


def test_direct_link_is_the_download_menus_not_the_first_audio_in_the_page(tmp_path):
    """Pangea's download menu heads its `?download=1` list with the direct link (64k here);
    the player's `<audio src>` and fallback link may be another bitrate (32k), and a header's
    "Listen live" stream is no rendition of this story at all."""
    page = _voa_variant(
        tmp_path, ('<a href="https://www.voanews.com/navigation/allsites" class="menu-pnl__item-'
                   'link">Languages</a>', '<a href="https://voa-audio.voanews.eu/live/voa-news-'
                   'now.mp3" class="menu-pnl__item-link">Listen live: VOA News Now</a>'),
        player=lambda html: html.replace("_64k.mp3", "_32k.mp3").replace(
            'data-info="64 kbps"', 'data-info="32 kbps"'))
    found = import_article(page)
    audio = found.fields["audio"]
    assert audio["direct_link"].endswith("_64k.mp3")
    assert any(url.endswith("_32k.mp3") for url in audio["alternates"])
    assert not any("/live/" in url for url in [audio["direct_link"], *audio["alternates"]])
    assert any("outside the article's players ignored" in n and "/live/" in n
               for n in found.notes)
    assert "the download menu's direct link" in " ".join(found.notes)


def test_audio_links_outside_players(tmp_path):
    """A page with no player may link its audio in the text; a menu's stream is never it."""
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>Story</title></head><body>"
                    "<header><a href='https://radio.example.org/live.mp3'>Listen live</a>"
                    "</header>"
                    "<h1>Story</h1><article><p>The story, long enough to count as text, with "
                    "<a href='https://example.org/media/story.mp3'>the recording</a>.</p>"
                    "</article></body></html>", encoding="utf-8")
    audio = import_article(page).fields["audio"]
    assert audio == {"direct_link": "https://example.org/media/story.mp3",
                     "type": "audio/mpeg"}


def test_related_video_duration_is_not_the_audios(tmp_path):
    """A related video's `<span class="media-block__duration">1:30</span>` is that video's
    length; with the player's clock empty, the duration is left empty and said so."""
    import re

    related = '<div class="media-block__content media-block__content--h"><a href="/a/dams-'
    page = _voa_variant(
        tmp_path, (related, '<span class="ico ico-video"></span><span class="media-block__'
                   f'duration">1:30</span>{related}'),
        player=lambda html: re.sub(r'(<div class="c-mmp__cpanel-progress-controls">).*?</div>',
                                   r"\1</div>", html))
    found = import_article(page)
    assert "duration" not in found.fields
    assert any(g.startswith("duration:") and "left empty" in g for g in found.gaps)


def test_br_separated_body_gets_no_teaser_appended():
    """RFE/RL's older pages write the body as text runs between `<br><br>`; read as
    paragraphs, the intro teaser and title are not appended after the last one."""
    found = import_article(_page("rferl-en-2018-br-body"))
    paragraphs = found.body.split("\n\n")
    assert paragraphs[0].startswith("NAMAKHVANI, Georgia --")
    assert paragraphs[-1] == "With reporting by Reuters"
    assert "Landslides" in paragraphs
    assert found.fields["summary"] not in found.body


def test_single_br_stays_inside_its_paragraph(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>Poem</title></head><body><h1>Poem</h1>"
                    "<div class='wsw'>The first stanza of the poem runs long enough to count,<br>"
                    "and goes on after a line break.<br><br>The second stanza starts "
                    "here and is also long enough to count as text.</div></body></html>",
                    encoding="utf-8")
    body = import_article(page).body.split("\n\n")
    assert body[-1] == ("The second stanza starts here and is also long enough to count as "
                        "text.")
    assert "after a line break" in " ".join(body[:-1])
