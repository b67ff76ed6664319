"""The shards of per-manifest records (`feeds.shards`): a reader holds only the headers, finds a
path's shard by bisection within each family, reads each shard about once when asked in path
order, and treats what it cannot read as absent (issue 17: records of 100,000 episodes are
never decoded all at once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds import shards
from feeds.shards import Shards, ShardWriter, runs


def written(tmp_path: Path, key: str = "k") -> Path:
    """Two families over the sorted paths p00..p19: chunks of 5 and a media run of 3 that
    falls across two chunks (as the media step's episodes do)."""
    writer = ShardWriter(tmp_path, "new-", key)
    paths = [f"p{n:02d}" for n in range(20)]
    for start in range(0, 20, 5):
        writer.write({p: ("chunk", p) for p in paths[start:start + 5] if p not in
                      ("p04", "p05", "p06")}, "chunk")
    writer.write({p: ("media", p) for p in ("p04", "p05", "p06")}, "media")
    writer.save(tmp_path / "store")
    return tmp_path / "store"


def test_every_path_is_found_in_its_family_and_no_other(tmp_path) -> None:
    reader = Shards(written(tmp_path), "k")
    for n in range(20):
        path = f"p{n:02d}"
        assert reader.get(path) == (("media" if path in ("p04", "p05", "p06") else "chunk"),
                                    path)
    assert reader.get("p20") is None and reader.get("a") is None and reader.get("p04x") is None
    assert sorted(path for path, _ in reader.items()) == [f"p{n:02d}" for n in range(20)]


def test_asked_in_order_each_shard_is_read_once(tmp_path, monkeypatch) -> None:
    reads: list[str] = []
    real = shards._entries
    monkeypatch.setattr(shards, "_entries",
                        lambda path, header: reads.append(path) or real(path, header))
    reader = Shards(written(tmp_path), "k")
    assert not reads  # opening reads the headers only
    for n in range(20):
        reader.get(f"p{n:02d}")
    assert len(reads) == len(set(reads)) == 5  # 4 chunks and the media run


def test_other_keys_and_unreadable_shards_hold_nothing(tmp_path) -> None:
    folder = written(tmp_path)
    assert not Shards(folder, "another key")  # another build's context: ignored
    # the shard holding p00..p03: its body cut short, its header intact
    holder = [p for p in sorted(folder.iterdir())
              if b"p00" in p.read_bytes()[:200] and b"p01" in p.read_bytes()]
    assert len(holder) == 1
    data = holder[0].read_bytes()
    holder[0].write_bytes(data[:-10])
    reader = Shards(folder, "k")
    assert reader.get("p00") is None and reader.get("p07") == ("chunk", "p07")
    (folder / "garbage.marshal").write_bytes(b"\xff" * 40)  # no header: not a shard
    assert Shards(folder, "k").get("p10") == ("chunk", "p10")


def test_a_dropped_writer_leaves_nothing_and_runs_are_bounded(tmp_path, monkeypatch) -> None:
    writer = ShardWriter(tmp_path, "new-", "k")
    writer.write({"a": 1}, "chunk")
    writer.drop()
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(shards, "RUN", 4)
    cut = list(runs({f"p{n:02d}": n for n in reversed(range(10))}))
    assert [sorted(run) for run in cut] == [[f"p{n:02d}" for n in range(s, min(s + 4, 10))]
                                            for s in (0, 4, 8)]


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_the_folder_is_never_waited_on(tmp_path) -> None:
    import os

    folder = written(tmp_path)
    os.mkfifo(folder / "0-fifo.marshal")
    assert Shards(folder, "k").get("p10") == ("chunk", "p10")
