"""`python -m segment` runs the segpack command."""

from segment.cli import run

run()
