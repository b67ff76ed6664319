"""Which segpack code this is: a SHA-256 of the source of its three packages, as installed.

Part of every build cache key (`feeds.cache.code_key`), so what other code made is never taken
as this code's, and what a Dask worker must match before it runs a job of ours
(`segment.dask_executor`), so a cluster whose workers run another segpack cannot publish
different bytes. Reading the ~100 files costs about a millisecond.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

PACKAGES = ("segment", "media", "feeds")


@functools.cache
def source_key() -> str:
    top = Path(__file__).resolve().parent.parent  # the three packages are installed together
    digest = hashlib.sha256()
    for package in PACKAGES:
        for folder, subfolders, names in os.walk(top / package):
            subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
            for name in sorted(names):
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    with open(path, "rb") as handle:
                        source = handle.read()
                    digest.update(f"{os.path.relpath(path, top)}\0{len(source)}\0".encode())
                    digest.update(source)
    return digest.hexdigest()
