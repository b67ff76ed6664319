"""Print the path of the ffmpeg binary from the imageio-ffmpeg wheel of VERSION, unpacking it
into CACHE on first use: `python .ci/unpack_ffmpeg.py 0.5.1 ~/.cache/segpack-ci/ffmpeg`.

The wheel is fetched with `pip download` (no install: the venv keeps its own imageio-ffmpeg),
only the binary is taken out of it, and the wheel is deleted. Used by .ci/run's ffmpeg matrix.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


def unpack(version: str, cache: Path) -> Path:
    folder = cache / f"imageio-ffmpeg-{version}"
    found = sorted(folder.glob("ffmpeg*"))
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as download:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--only-binary=:all:", "-d", download, f"imageio-ffmpeg=={version}"],
                       check=True, stdout=subprocess.DEVNULL)
        wheel = next(Path(download).glob("*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            member = next(n for n in archive.namelist()
                          if "/binaries/ffmpeg" in n and not n.endswith((".md", ".py")))
            target = folder / Path(member).name
            partial = target.with_name(target.name + ".part")
            partial.write_bytes(archive.read(member))
    partial.chmod(0o755)
    partial.replace(target)  # a run killed half-way leaves no binary that looks whole
    return target


if __name__ == "__main__":
    print(unpack(sys.argv[1], Path(sys.argv[2]).expanduser()))
