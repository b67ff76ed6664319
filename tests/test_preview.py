"""The index.html preview, rendered by a real browser (headless Chromium, Debian package)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html

from tests.test_build import build_json, manifest, write_show

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
