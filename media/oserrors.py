"""One mapping from the OS errors of opening a user's file to the one-line MediaError."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from segment.errors import MediaError
from segment.userfiles import NotAFileError


@contextmanager
def as_media_errors(path: Path, *, missing: str = "file not found",
                    directory: str = "is a directory, not an audio file",
                    denied: str = "cannot read the file (permission denied)") -> Iterator[None]:
    """Turn not-found, is-a-directory, permission and not-a-regular-file errors into MediaError
    naming `path`."""
    try:
        yield
    except NotAFileError as exc:  # a FIFO, device or symlink loop (`segment.userfiles`)
        raise MediaError(exc.message, path) from None
    except FileNotFoundError:
        raise MediaError(missing, path) from None
    except IsADirectoryError:
        raise MediaError(directory, path) from None
    except PermissionError:
        raise MediaError(denied, path) from None
