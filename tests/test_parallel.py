"""segment.parallel: chunks cover the work in order, and results come back in order."""

from __future__ import annotations

from segment import parallel


def _double(items: list[int]) -> list[int]:
    return [2 * n for n in items]


def test_chunks_cover_everything_in_order() -> None:
    for count in (400, 401, 1000, 10_000, 54_321):
        chunks = parallel._chunks(list(range(count)), 2)
        assert [n for chunk in chunks for n in chunk] == list(range(count))
        assert len(chunks) <= max(2 * parallel.CHUNKS_PER_JOB, -(-count // parallel.MAX_CHUNK))
        assert len({len(chunk) for chunk in chunks[:-1]}) <= 1  # equal, but for the last
        assert max(map(len, chunks)) <= parallel.MAX_CHUNK  # issue 17: bounded, whatever the count


def test_one_job_works_in_bounded_chunks_too() -> None:
    """Without workers, a long list is still worked on `MAX_CHUNK` items at a time (a build's
    memory then holds one chunk's parsed manifests, not the show's), in order."""
    items = list(range(2 * parallel.MAX_CHUNK + 7))
    chunks = [(chunk, batch) for chunk, batch in parallel.map_chunks(_double, items, jobs=1)]
    assert [len(chunk) for chunk, _ in chunks] == [parallel.MAX_CHUNK, parallel.MAX_CHUNK, 7]
    assert [n for _, batch in chunks for n in batch] == [2 * n for n in items]


def test_map_chunks_in_workers_gives_results_in_order() -> None:
    items = list(range(1000))
    done = [n for _, batch in parallel.map_chunks(_double, items, jobs=2) for n in batch]
    assert done == [2 * n for n in items]


def test_small_lists_stay_in_this_process() -> None:
    started = []
    assert not parallel.workers_wanted(2, 10)
    results = list(parallel.map_chunks(_double, [1, 2], jobs=2,
                                       started=lambda: started.append(True)))
    assert results == [([1, 2], [2, 4])] and started == [True]
