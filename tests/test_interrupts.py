"""Ctrl-C while segpack starts its workers is answered once they exist, not lost (a build whose
workers were starting when Ctrl-C came carried on and exited 0). Each case runs in a Python of
its own: what an earlier test left in this process (threads, handlers) must not decide it."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

WHILE_WORKERS_START = """
import os, signal
from segment.parallel import deferring_interrupts
reached_end = False
try:
    with deferring_interrupts():
        os.kill(os.getpid(), signal.SIGINT)
        reached_end = True
except KeyboardInterrupt:
    print("interrupted after the block" if reached_end else "interrupted inside it")
print("blocked after:", signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, set()))
"""

WHILE_OUTPUT_SWAPS = """
import os, signal
from segment.parallel import ignoring_interrupts
with ignoring_interrupts():
    os.kill(os.getpid(), signal.SIGINT)
print("carried on;", signal.getsignal(signal.SIGINT) is signal.default_int_handler)
"""


def python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_ctrl_c_while_workers_start_is_answered_after_the_block():
    assert python(WHILE_WORKERS_START) == "interrupted after the block\nblocked after: False\n"


def test_a_ctrl_c_while_the_output_is_swapped_is_dropped():
    """The output is live once the swap starts: that build completes, Ctrl-C or not."""
    assert python(WHILE_OUTPUT_SWAPS) == "carried on; True\n"
