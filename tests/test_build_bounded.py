"""Issue 17, archives of any size: what a build holds per episode does not grow with the show.

Run at small scale (chunks of 3 manifests, shards of 3 records) on a show mixing direct links,
local audio, a draft and chapters: the build process keeps no episode's file records or inputs
(they go to the state's shards, written by whoever compiled the chunk); the store and the state
are shards of at most 3 records; and with all that the output is byte for byte a build's with
one big chunk, a rebuild after an edit reuses every other episode, and a state shard that is
lost means a full build, never a wrong "up to date"."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from feeds import compile_all, shards
from feeds.cache import PARTS, STORE, cache_dir_for, read_marshal, state_parts
from segment import parallel
from tests.test_build_parallel import mixed_show, run, tree  # noqa: F401  (mixed_show: fixture)


def shard_sizes(folder: Path) -> list[int]:
    sizes = []
    for path in sorted(folder.glob("*.marshal")):
        data = path.read_bytes()
        sizes.append(len(marshal.loads(data[8 + int.from_bytes(data[:8], "little"):])))
    return sizes


@pytest.mark.parametrize("jobs", [1, 2])
def test_small_chunks_same_bytes_bounded_records(mixed_show, tmp_path,  # noqa: F811
                                                 monkeypatch, jobs) -> None:
    whole = tmp_path / "whole" / "public"
    run(mixed_show, whole, 1)  # one chunk, in this process
    monkeypatch.setattr(compile_all, "PARALLEL_FROM", 1)
    monkeypatch.setattr(parallel, "MAX_CHUNK", 3)
    monkeypatch.setattr(shards, "RUN", 3)
    out = tmp_path / "public"
    first = run(mixed_show, out, jobs)
    assert tree(out) == tree(whole)
    kept = first.working_set.builds
    assert len(kept) == 13 and all(not b.files and not b.inputs for b in kept)

    cache = cache_dir_for(out)
    state = read_marshal(cache / "state.marshal")
    parts = [p for p in cache.iterdir() if p.name.startswith(PARTS)]
    assert len(parts) == 1 and 0 < max(shard_sizes(parts[0])) <= 3
    assert sum(shard_sizes(parts[0])) == 13
    assert 0 < max(shard_sizes(cache / STORE)) <= 3
    records = dict(state_parts(cache, state).items())
    assert any("media/" in rel for _, _, files in records.values() for rel in files)

    edited = mixed_show / "segments" / "direct-07.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("number 7", "number seven"),
                      encoding="utf-8")
    again = run(mixed_show, out, jobs)
    assert again.episodes_reused == again.episodes - 1
    run(mixed_show, tmp_path / "cold" / "public", jobs)
    assert tree(out) == tree(tmp_path / "cold" / "public")
    assert run(mixed_show, out, jobs).up_to_date

    cache_parts = next(p for p in cache.iterdir() if p.name.startswith(PARTS))
    sorted(cache_parts.glob("*.marshal"))[0].unlink()  # one shard of the state lost
    rebuilt = run(mixed_show, out, jobs)
    assert not rebuilt.up_to_date and tree(out) == tree(tmp_path / "cold" / "public")
    assert len([p for p in cache.iterdir() if p.name.startswith(PARTS)]) == 1  # the old gone


def test_a_moved_show_folder_still_links_its_published_files(mixed_show, tmp_path,  # noqa: F811
                                                              monkeypatch) -> None:
    """The state's records are by manifest name, not path: the same show reached another way
    (a relative path, the project folder moved) links the last output's files again, audio
    included, instead of copying them."""
    out = tmp_path / "public"
    run(mixed_show, out, 1)
    before = {rel: (out / rel).stat().st_ino for rel in tree(out)
              if rel.startswith(("media/", "transcripts/"))}
    assert any(rel.startswith("media/") for rel in before)
    moved = tmp_path / "moved-show"
    mixed_show.rename(moved)
    monkeypatch.chdir(tmp_path)
    again = run(Path("moved-show"), out, 1)  # a new context key: compiled again
    assert again.episodes_reused == 0
    after = {rel: (out / rel).stat().st_ino for rel in before}
    assert after == before  # every one linked, none written anew


def test_a_lost_shard_made_up_by_a_doubled_one_is_not_up_to_date(
        mixed_show, tmp_path, monkeypatch) -> None:  # noqa: F811
    """Every manifest's record is looked for by name, once: not counted (a lost shard and a
    doubled one would make the count)."""
    monkeypatch.setattr(shards, "RUN", 3)
    out = tmp_path / "public"
    run(mixed_show, out, 1)
    parts = next(p for p in cache_dir_for(out).iterdir() if p.name.startswith(PARTS))
    first, second = sorted(parts.glob("*.marshal"))[:2]
    data = first.read_bytes()
    lost = marshal.loads(data[8 + int.from_bytes(data[:8], "little"):])
    (parts / "copy.marshal").write_bytes(second.read_bytes())
    first.unlink()
    edited = mixed_show / "segments" / next(iter(lost))
    edited.write_text(edited.read_text(encoding="utf-8") + "\nAn added line.\n", encoding="utf-8")
    again = run(mixed_show, out, 1)
    assert not again.up_to_date
    assert any(b"An added line." in data for data in tree(out).values())


def test_local_audio_is_made_in_batches_with_the_same_bytes(tmp_path, tone, monkeypatch) -> None:
    """The media step takes `RUN` waiting episodes at a time (their manifests wait in the
    spool, not in memory): 7 local-audio episodes in batches of 3 give a build's bytes in one
    batch, the copies are made once, and the progress bar climbs to its true total."""
    from tests.test_build import manifest, write_show

    show = tmp_path / "show"
    (show / "media").mkdir(parents=True)
    for n in range(7):
        tone(".mp3", seconds=1.0, name=f"show/media/a{n}.mp3")
    write_show(show, {f"a{n}": manifest(f"a{n}", duration="0:01",
                                        published=f"2024-03-0{n + 1}T09:00:00Z",
                                        audio=f"audio: {{file: media/a{n}.mp3}}\n")
                      for n in range(7)})
    whole = run(show, tmp_path / "whole" / "public", 1)
    monkeypatch.setattr(shards, "RUN", 3)
    told: list[tuple[str, int, int]] = []
    from feeds.build import BuildOptions, build

    out = tmp_path / "public"
    batched = build(BuildOptions(show_dir=show, output=out, jobs=1,
                                 progress=lambda *step: told.append(step)))
    assert tree(out) == tree(tmp_path / "whole" / "public")
    assert batched.episodes == whole.episodes == 7 and batched.media_made == 7
    making = [(done, total) for step, done, total in told if step == "making audio"]
    assert making == sorted(making) and making[-1] == (7, 7)
    assert len({total for _, total in making}) <= 3  # one bar, its total settling
    before = tree(out)
    (show / "show.yaml").write_text((show / "show.yaml").read_text(encoding="utf-8")
                                    + "# a new context: every episode compiled again\n",
                                    encoding="utf-8")
    again = build(BuildOptions(show_dir=show, output=out, jobs=1))
    assert again.media_cached == 7 and again.episodes_reused == 0 and tree(out) == before
