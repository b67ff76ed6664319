"""Ctrl-C while segpack starts its workers is answered once they exist, not lost (a build whose
workers were starting when Ctrl-C came carried on and exited 0)."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from segment.parallel import deferring_interrupts, ignoring_interrupts


def test_a_ctrl_c_while_workers_start_is_answered_after():
    reached_end_of_block = False
    with pytest.raises(KeyboardInterrupt), deferring_interrupts():
        # to this thread: a process-wide signal may go to another thread (an earlier test's),
        # whose handler call makes this one raise at once, inside the block; either way it is
        # answered, and the main thread's own is what the block holds back
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        reached_end_of_block = True
    assert reached_end_of_block
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())


def test_a_ctrl_c_while_the_output_is_swapped_is_lost():
    """The output is live once the swap starts: that build completes, Ctrl-C or not."""
    with ignoring_interrupts():
        os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
