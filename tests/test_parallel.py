"""segment.parallel: chunks cover the work in order, and results come back in order."""

from __future__ import annotations

from segment import parallel


def _double(items: list[int]) -> list[int]:
    return [2 * n for n in items]


def test_chunks_cover_everything_in_order() -> None:
    for count in (400, 401, 1000, 10_000, 54_321):
        chunks = parallel._chunks(list(range(count)), 2)
        assert [n for chunk in chunks for n in chunk] == list(range(count))
        assert len(chunks) <= 2 * parallel.CHUNKS_PER_JOB
        assert len({len(chunk) for chunk in chunks[:-1]}) <= 1  # equal, but for the last


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
